/**
 * The offline diff of two plans: what Pulumi would create, update, replace or delete going from the base's
 * declared resources to the head's, with the changed input paths, the risk of each change and why.
 *
 * Offline, a value only the cloud knows is "[unknown]" on both sides, so a new identity (a replaced VPC's id)
 * does not show as a changed input of its dependents. The head's property dependencies do: a dependent whose
 * input comes from a replaced or new resource sees that input change, and is replaced where that input forces it.
 */
import * as fs from "fs";
import { assess, type Action, type Risk, type Side } from "./risk";
import { apiFindings } from "./kubernetesApis";
import { crdChanges, crdSchemaOf, crdSchemas, fieldsNotInSchema, fixtureDir, immutableChange } from "./crdChanges";
import { LAYER_TYPES } from "../plan/layers";
import { forcesReplacement, isWithin, replaceRule } from "./replaceRules";
import type { AliasSpec } from "../plan/offline";
import { POOL_LABEL } from "../lib/placement";

export interface BaseResource extends Side {
  /** The parent's URN, as the offline run names it (see engineUrns). */
  parent?: string;
  /** The provider reference (`<provider URN>::<id>`), when not the default provider. */
  provider?: string;
  /** Input paths whose changes the engine ignores (the `ignoreChanges` option). */
  ignoreChanges?: string[];
  aliases?: AliasSpec[];
}

export interface HeadResource extends BaseResource {
  urn: string;
  /** Input name -> URNs of the resources its value came from. */
  propertyDependencies: Record<string, string[]>;
}

export interface Change {
  type: string;
  name: string;
  component: string;
  action: Action;
  risk: Risk;
  /** Input paths that changed (values never shown: a secret is only ever "[secret]"). */
  paths: string[];
  reason: string;
}

export interface DiffOptions {
  /** Checkouts of the base and the head, for the CRD fixtures of chart bumps; without a base the CRDs are not compared. */
  baseDir?: string;
  headDir: string;
}

type Named = { type: string; name: string; parent?: string };

/** `urn:pulumi:<stack>::<project>` of a URN. */
const urnPrefix = (urn: string) => urn.split("::").slice(0, 2).join("::");
const ROOT_STACK = "pulumi:pulumi:Stack";

/**
 * The URN the offline run gives a resource: its mock monitor qualifies the type with the parent's last type only,
 * the root stack's included (@pulumi/pulumi runtime/mocks.js, newUrn). Parents are named by these.
 */
function offlineUrn(resource: Named): string | undefined {
  if (!resource.parent) return undefined;
  return `${urnPrefix(resource.parent)}::${resource.parent.split("::")[2].split("$").pop()}$${resource.type}::${resource.name}`;
}

/**
 * The URNs the engine gives the resources, which identify them from one deployment to the next: the parent's whole
 * type chain, without the root stack's type, then the type and the name (pulumi/pulumi sdk/go/common/resource/urn.go,
 * NewURN: `parentType + "$" + type` unless the parent is the root stack; the parent type is the parent's qualified
 * type). A resource moved under another component, or given another type, has a new URN: a new resource.
 */
export function engineUrns<T extends Named>(resources: T[]): Map<T, string> {
  const byOfflineUrn = new Map(resources.map((resource) => [offlineUrn(resource), resource]));
  const chains = new Map<T, string>();
  const chain = (resource: T, seen = new Set<T>()): string => {
    const known = chains.get(resource);
    if (known) return known;
    const parent = resource.parent ? byOfflineUrn.get(resource.parent) : undefined;
    const parentType = resource.parent?.split("::")[2];
    const result = !resource.parent || parentType?.split("$").pop() === ROOT_STACK ? resource.type
      : parent && !seen.has(parent) ? `${chain(parent, new Set([...seen, resource]))}$${resource.type}`
      // A parent missing from the plan: its offline URN names its own parent's last type only, which is the whole
      // chain when that is the root stack (dropped, as the engine does) and the nearest part of it otherwise.
      : `${parentType!.replace(`${ROOT_STACK}$`, "")}$${resource.type}`;
    chains.set(resource, result);
    return result;
  };
  return new Map(resources.map((resource) => [resource, `${resource.parent ? urnPrefix(resource.parent) : "urn:pulumi:stack::project"}::${chain(resource)}::${resource.name}`]));
}

/** The component a resource belongs to: the first type under the root and the two layers, from its parent's URN. */
export function componentOf(resource: { type: string; parent?: string }): string {
  const chain = resource.parent ? resource.parent.split("::")[2].split("$") : [];
  const component = [...chain, resource.type].find((type) => !LAYER_TYPES.has(type) && type !== "pulumi:pulumi:Stack");
  return component && component !== resource.type ? component.replace(/^etl-platform:/, "") : "(platform)";
}

/** Leaf paths where two values differ (arrays by index). */
const UNKNOWN = "[unknown]";
/** Whether a value is, or holds, a value the offline run cannot know. */
export function holdsUnknown(value: unknown): boolean {
  return typeof value === "string" ? value.includes(UNKNOWN) : value !== null && typeof value === "object" && Object.values(value).some(holdsUnknown);
}

/** The value at a path as changedPaths names it (`a.b[2].c`, or `(all)`). */
export function valueAt(object: unknown, path: string): unknown {
  if (path === "(all)") return object;
  return path.split(/\.|(?=\[)/).reduce<unknown>((node, key) => {
    if (node === null || node === undefined || typeof node !== "object") return undefined;
    const index = /^\[(\d+)\]$/.exec(key);
    return index ? (node as unknown[])[Number(index[1])] : (node as Record<string, unknown>)[key];
  }, object);
}

export function changedPaths(before: unknown, after: unknown, at = ""): string[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const bothObjects = before && after && typeof before === "object" && typeof after === "object" && Array.isArray(before) === Array.isArray(after);
  if (!bothObjects) return [at || "(all)"];
  if (Array.isArray(before)) {
    const length = Math.max(before.length, (after as unknown[]).length);
    return Array.from({ length }, (_, i) => changedPaths(before[i], (after as unknown[])[i], `${at}[${i}]`)).flat();
  }
  const keys = new Set([...Object.keys(before as object), ...Object.keys(after as object)]);
  return [...keys].flatMap((name) => changedPaths((before as any)[name], (after as any)[name], at ? `${at}.${name}` : name));
}

function chartBump(base: Side, head: Side, resources: HeadResource[], options: DiffOptions): string | undefined {
  if (head.type !== "kubernetes:helm.sh/v3:Release" || base.inputs.version === head.inputs.version) return undefined;
  const chart = head.inputs.chart;
  const what = `${chart} ${base.inputs.version} → ${head.inputs.version}`;
  if (!options.baseDir) return `${what}: CRD changes not compared (no base checkout; plan against a git ref, or give --base-dir)`;
  const [baseFixture, headFixture] = [fixtureDir(options.baseDir, chart, base.inputs.version), fixtureDir(options.headDir, chart, head.inputs.version)];
  // A chart without CRDs has a fixture all the same (its values.yaml): only a missing folder leaves the CRDs unknown.
  const missing = !fs.existsSync(baseFixture) ? base.inputs.version : !fs.existsSync(headFixture) ? head.inputs.version : undefined;
  if (missing) return `${what}: no fixture of ${chart} ${missing} in test/fixtures/upstream; compare the CRDs by hand`;
  const [before, after] = [crdSchemas(baseFixture), crdSchemas(headFixture)];
  const changes = crdChanges(before, after);
  const lost = changes.filter((change) => change.change === "changed" || change.change === "removed").flatMap(({ kind }) =>
    resources.filter((resource) => resource.type.endsWith(`:${kind}`) && resource.type.startsWith("kubernetes:")).flatMap((resource) =>
      (after.has(kind) ? fieldsNotInSchema(resource.inputs.spec ?? {}, (after.get(kind) as any)?.properties?.spec, "spec") : ["(the kind itself)"]).map((field) => `${resource.name}: ${field}`)));
  const listed = changes.length ? `CRDs ${changes.map((change) => `${change.kind} (${change.change})`).join(", ")}` : "no CRD schema changed";
  return `${what}: ${listed}${lost.length ? `; fields we set that the new schema lacks: ${lost.join(", ")}` : ""}`;
}

/**
 * The replace rule of a resource, where it depends on its inputs on both sides: a Kubernetes provider that had a
 * `clusterIdentifier` and keeps one is replaced only when it changes (pulumi-kubernetes provider/pkg/provider/
 * provider.go, DiffConfig: `diff.Updated(clusterIdentifier)` replaces, `diff.Same(clusterIdentifier)` clears every
 * other replacement). One set for the first time is an addition, neither: the other rules apply.
 */
function ruleFor(resource: Side, before: Side | undefined) {
  const rule = replaceRule(resource.type);
  if (resource.type === "pulumi:providers:kubernetes" && resource.inputs.clusterIdentifier !== undefined && before?.inputs.clusterIdentifier !== undefined && rule?.kind === "resource") {
    return { ...rule, forceNew: ["clusterIdentifier"], source: `${rule.source}; with clusterIdentifier set, only its change replaces the provider` };
  }
  return rule;
}

/**
 * Inputs a component passes to a resource that ignores their changes: pulumi-eks v4.3.0 nodejs/eks/cluster/cluster.ts
 * creates its aws.eks.Cluster with `ignoreChanges: ["accessConfig.bootstrapClusterCreatorAdminPermissions",
 * "bootstrapSelfManagedAddons"]`, so a change of those is no change.
 */
const IGNORED_INSIDE: Record<string, string[]> = { "eks:index:Cluster": ["bootstrapSelfManagedAddons"] };

/** Whether `path` lies within an ignored input path (`ignoreChanges`: the engine drops those changes, processIgnoreChanges). */
const ignored = (path: string, ignoreChanges: string[]) => ignoreChanges.some((prefix) => isWithin(path, prefix));

/** The URNs the head's `aliases` give the resource's past: each names what changed (name, type, parent) or a whole URN. */
function aliasUrns(resource: HeadResource, urn: string, urnOfOffline: (offline: string) => string | undefined): string[] {
  return (resource.aliases ?? []).flatMap((alias) => {
    if (alias.urn) return [alias.urn];
    const parentUrn = alias.parentUrn ? urnOfOffline(alias.parentUrn) : undefined;
    // An old parent neither plan declares names no resource of the base: the alias matches nothing.
    if (alias.parentUrn && !parentUrn) return [];
    const parentChain = alias.noParent ? "" : parentUrn ? parentUrn.split("::")[2] : urn.split("::")[2].split("$").slice(0, -1).join("$");
    const chain = parentChain ? `${parentChain}$${alias.type ?? resource.type}` : alias.type ?? resource.type;
    return [`${urnPrefix(urn)}::${chain}::${alias.name ?? resource.name}`];
  });
}

/** What the engine does with a resource whose URN changed without an alias: a create of the new one and a delete of the old. */
function moveReason(before: Side, after: { type: string }, oldUrn: string, newUrn: string): string {
  const [was, now] = [oldUrn.split("::")[2], newUrn.split("::")[2]];
  const what = was.split("$").pop() !== now.split("$").pop() ? `its type changed (${was.split("$").pop()} → ${now.split("$").pop()})` : `it moved (${was} → ${now})`;
  const fix = "add an alias (the `aliases` option naming its old parent or type) so that the engine sees the same resource";
  if (before.protect) return `${what}: a new URN is a new resource and the old one's delete; the engine refuses to delete a protected resource, so the preview and up stop ("marked for protection"); ${fix}`;
  if (after.type.startsWith("kubernetes:") && before.inputs.metadata?.name) {
    return `${what}: a new URN is a new resource, and creating it fails with AlreadyExists while the old object of the same name exists (pulumi-kubernetes creates client-side); up stops half-way; ${fix}`;
  }
  return `${what}: a new URN is a new resource: the engine creates it and deletes the old one${holdsDataNote(before)}; ${fix}`;
}

function holdsDataNote(side: Side): string {
  const { risk, reason } = assess("delete", side, undefined);
  return risk === "danger" ? `, with what it holds (${reason.replace(/^deleted: /, "")})` : "";
}

export function diffPlans(base: BaseResource[], head: HeadResource[], options: DiffOptions): Change[] {
  const baseUrns = engineUrns(base);
  const headUrns = engineUrns(head);
  // Head resources by the offline run's URN, the form their parent, provider and property dependencies name.
  const headByUrn = new Map(head.map((resource) => [resource.urn, resource]));
  const urnOfOffline = (offline: string) => {
    const resource = headByUrn.get(offline) ?? base.find((candidate) => offlineUrn(candidate) === offline);
    return resource ? (headUrns.get(resource as HeadResource) ?? baseUrns.get(resource)) : undefined;
  };
  const baseByUrn = new Map(base.map((resource) => [baseUrns.get(resource)!, resource]));
  // Each head resource's base: the one at its URN, else the one an alias names.
  const matched = new Map<HeadResource, BaseResource>();
  for (const resource of head) {
    const urn = headUrns.get(resource)!;
    const before = baseByUrn.get(urn) ?? aliasUrns(resource, urn, urnOfOffline).map((alias) => baseByUrn.get(alias)).find(Boolean);
    if (before) matched.set(resource, before);
  }
  const matchedBase = new Set(matched.values());
  // Every resource recorded is of the head or the base, so it has an engine URN on one side.
  const key = (resource: Named) => (headUrns.get(resource as HeadResource) ?? baseUrns.get(resource as BaseResource))!;
  const changes = new Map<string, Change>();
  const record = (resource: Side & { parent?: string }, action: Action, paths: string[], risk: Risk, reason: string) =>
    changes.set(key(resource), { type: resource.type, name: resource.name, component: componentOf(resource), action, risk, paths, reason });
  // A resource whose URN changed without an alias: the same type and name on both sides, under another parent or type.
  const moved = new Map<HeadResource, BaseResource>();
  for (const resource of head) {
    if (matched.has(resource)) continue;
    const before = base.find((candidate) => !matchedBase.has(candidate) && candidate.name === resource.name && candidate.type.split(":")[0] === resource.type.split(":")[0]);
    if (before) moved.set(resource, before);
  }
  const movedBase = new Map([...moved].map(([after, before]) => [before, after]));

  for (const resource of head) {
    const before = matched.get(resource);
    const rule = ruleFor(resource, before);
    if (!before) {
      const from = moved.get(resource);
      if (from && rule?.kind !== "component") record(resource, "create", [], "danger", moveReason(from, resource, baseUrns.get(from)!, headUrns.get(resource)!));
      else if (rule?.kind !== "component") record(resource, "create", [], "safe", "new");
      continue;
    }
    if (rule?.kind === "component") continue;
    const paths = changedPaths(before.inputs, resource.inputs).filter((path) => !ignored(path, [...(resource.ignoreChanges ?? []), ...(IGNORED_INSIDE[resource.type] ?? [])]));
    // Lifting protection is a change of its own, whatever the inputs do (the engine compares the option too).
    if (before.protect && !resource.protect) {
      record(resource, "update", paths, "danger", "protection lifted (protect: true → false): a later change or a mistake can now delete it; lift it only in the change that deletes it on purpose");
      continue;
    }
    if (!rule) {
      if (paths.length) record(resource, "update", paths, "caution", `no replace rule for ${resource.type} in diff/replaceRules.ts: check by hand whether these inputs replace it`);
      continue;
    }
    if (paths.length === 0) continue;
    const action: Action = paths.some((path) => forcesReplacement(rule, path)) ? "replace" : "update";
    // A custom resource's field its CRD holds immutable: the provider sends the update, the API server refuses it.
    const immutable = action === "update" && resource.type.startsWith("kubernetes:") ? immutableChange(crdSchemaOf(options.headDir, resource.type), paths) : undefined;
    if (immutable) {
      record(resource, "update", paths, "danger", `the API server refuses changing ${immutable.path}: "${immutable.message}" (a transition rule of the CRD, x-kubernetes-validations self == oldSelf); up fails half-way`);
      continue;
    }
    const { risk, reason } = assess(action, before, resource);
    // A change the rules call safe, but through a value only the deploy knows: offline it cannot be decided.
    const undecided = risk === "safe" ? paths.filter((path) => holdsUnknown(valueAt(before.inputs, path)) || holdsUnknown(valueAt(resource.inputs, path))) : [];
    if (undecided.length > 0) {
      record(resource, action, paths, "unknown", `${undecided.join(", ")}: only known at deploy ("[unknown]" offline), so whether this change is safe cannot be decided here; check it in pulumi preview`);
      continue;
    }
    const bump = action === "update" ? chartBump(before, resource, head, options) : undefined;
    // A chart bump is at least caution; a riskier change of the same release keeps its risk and its reason.
    if (bump) record(resource, action, paths, risk === "safe" ? "caution" : risk, risk === "safe" ? bump : `${reason}; ${bump}`);
    else if (risk === "caution" && resource.type === "eks:index:Cluster") {
      const minor = (version: string) => Number(String(version).split(".")[1]);
      const findings = apiFindings(head, minor(before.inputs.version), minor(resource.inputs.version));
      record(resource, action, paths, risk, `${reason}${findings.length ? `; ${findings.join("; ")}` : "; no declared object uses an API removed or deprecated on the way"}`);
    } else record(resource, action, paths, risk, reason);
  }
  for (const resource of base) {
    if (matchedBase.has(resource) || replaceRule(resource.type)?.kind === "component") continue;
    const movedTo = movedBase.get(resource);
    if (movedTo) {
      record(resource, "delete", [], "danger", moveReason(resource, movedTo, baseUrns.get(resource)!, headUrns.get(movedTo)!));
      continue;
    }
    const { risk, reason } = assess("delete", resource, undefined);
    const renamed = head.find((candidate) => candidate.type === resource.type && !matched.has(candidate) && !moved.has(candidate));
    record(resource, "delete", [], risk, renamed ? `${reason} (renamed to ${renamed.name}? a rename is a delete and a create)` : reason);
  }

  // Cascades: a new identity flows into the inputs that take it, and a replaced provider replaces what it manages.
  const newIdentity = (change: Change | undefined) => change?.action === "replace" || change?.action === "create";
  // A VPC takes no input from another resource, so whether it is new is settled before the cascades.
  const newVpc = head.some((candidate) => candidate.type === "aws:ec2/vpc:Vpc" && newIdentity(changes.get(key(candidate))));
  const providerOf = (resource: HeadResource) => (resource.provider ? headByUrn.get(resource.provider.split("::").slice(0, -1).join("::")) : undefined);
  for (let changed = true; changed; ) {
    changed = false;
    for (const resource of head) {
      const existing = changes.get(key(resource));
      const before = matched.get(resource);
      const rule = ruleFor(resource, before);
      if (!before || existing?.action === "replace" || !rule || rule.kind === "component") continue;
      // pulumi/pulumi pkg/resource/deploy/step_generator.go (providerChanged): a resource whose provider is replaced is
      // replaced with it, a new provider being another cluster or account.
      const provider = providerOf(resource);
      if (provider && changes.get(key(provider))?.action === "replace") {
        const { risk, reason } = assess("replace", before, resource, `its provider ${provider.name} is replaced (the engine replaces every resource a replaced provider manages)`);
        record(resource, "replace", existing?.paths ?? [], risk, reason);
        changed = true;
        continue;
      }
      // An updated launch template gets a new version, unknown until applied (terraform-provider-aws
      // internal/service/ec2/ec2_launch_template.go: latest_version is recomputed on every update), so the node
      // group that names it updates too, which EKS performs by replacing each of its nodes (EKS User Guide,
      // "Update a managed node group": new nodes first, the old ones drained, maxUnavailable at a time; a drain
      // that a PodDisruptionBudget blocks for 15 minutes fails the update with PodEvictionFailure).
      if (resource.type === "aws:eks/nodeGroup:NodeGroup" && !existing) {
        const template = (resource.propertyDependencies.launchTemplate ?? []).map((urn) => headByUrn.get(urn)).find((candidate) => candidate && changes.get(key(candidate))?.action === "update");
        if (template) {
          const stateful = resource.inputs.labels?.[POOL_LABEL] === "stateful";
          record(resource, "update", ["launchTemplate.version"], "caution", `launchTemplate.version comes from ${template.name}, which is updated: EKS replaces every node of the group, one at a time${stateful
            ? "; a stateful group: its Kafka broker and Postgres instance move to a new node, and the program updates the stateful groups one zone after another (dependsOn), since Strimzi's PodDisruptionBudget lets one broker go at a time and parallel drains would fail with PodEvictionFailure after 15 minutes"
            : ""}`);
          // An update is no new identity: nothing cascades from it, so the loop need not run again for it.
          continue;
        }
      }
      for (const [input, urns] of Object.entries(resource.propertyDependencies)) {
        const source = urns.map((urn) => headByUrn.get(urn)).find((candidate) => candidate && newIdentity(changes.get(key(candidate))));
        if (!source) continue;
        const sourceChange = changes.get(key(source))!;
        const because = `${input} comes from ${source.name}, which is ${sourceChange.action === "create" ? "new" : "replaced"}`;
        const paths = [...new Set([...(existing?.paths ?? []), input])];
        if (forcesReplacement(rule, input)) {
          const { risk, reason } = assess("replace", before, resource, because);
          record(resource, "replace", paths, risk, reason);
          changed = true;
          break;
        }
        // EKS changes a cluster's subnets only within the VPC it was created in (UpdateClusterConfig): subnets of
        // a new VPC make the update fail.
        if (resource.type === "eks:index:Cluster" && newVpc && /subnet|vpcId/i.test(input)) {
          record(resource, "update", paths, "danger", `${because}: EKS accepts new subnets only within the cluster's VPC, so the update fails; a new VPC needs a new cluster`);
        } else if (!existing) {
          record(resource, "update", paths, "safe", `updated because ${because}`);
        }
      }
    }
  }
  const order: Risk[] = ["danger", "caution", "unknown", "safe"];
  return [...changes.values()].sort((a, b) => order.indexOf(a.risk) - order.indexOf(b.risk) || a.component.localeCompare(b.component) || a.name.localeCompare(b.name));
}
