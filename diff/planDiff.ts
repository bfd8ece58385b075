/**
 * The offline diff of two plans: what Pulumi would create, update, replace or delete going from the base's
 * declared resources to the head's, with the changed input paths, the risk of each change and why.
 *
 * Offline, a value only the cloud knows is "[unknown]" on both sides, so a new identity (a replaced VPC's id)
 * does not show as a changed input of its dependents. The head's property dependencies do: a dependent whose
 * input comes from a replaced or new resource sees that input change, and is replaced where that input forces it.
 */
import { assess, type Action, type Risk, type Side } from "./risk";
import { apiFindings } from "./kubernetesApis";
import { crdChanges, crdSchemas, fieldsNotInSchema, fixtureDir } from "./crdChanges";
import { LAYER_TYPES } from "../plan/layers";
import { forcesReplacement, replaceRule } from "./replaceRules";

export interface BaseResource extends Side {
  parent?: string;
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

const key = (resource: { type: string; name: string }) => `${resource.type}::${resource.name}`;

/** The component a resource belongs to: the first type under the root and the two layers, from its parent's URN. */
export function componentOf(resource: { type: string; parent?: string }): string {
  const chain = resource.parent ? resource.parent.split("::")[2].split("$") : [];
  const component = [...chain, resource.type].find((type) => !LAYER_TYPES.has(type) && type !== "pulumi:pulumi:Stack");
  return component && component !== resource.type ? component.replace(/^etl-platform:/, "") : "(platform)";
}

/** Leaf paths where two values differ (arrays by index). */
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
  const before = crdSchemas(fixtureDir(options.baseDir, chart, base.inputs.version));
  const after = crdSchemas(fixtureDir(options.headDir, chart, head.inputs.version));
  if (before.size === 0 || after.size === 0) return `${what}: no CRD fixture of ${before.size === 0 ? base.inputs.version : head.inputs.version} in test/fixtures/upstream; compare the CRDs by hand`;
  const changes = crdChanges(before, after);
  const lost = changes.filter((change) => change.change === "changed" || change.change === "removed").flatMap(({ kind }) =>
    resources.filter((resource) => resource.type.endsWith(`:${kind}`) && resource.type.startsWith("kubernetes:")).flatMap((resource) =>
      (after.has(kind) ? fieldsNotInSchema(resource.inputs.spec ?? {}, (after.get(kind) as any)?.properties?.spec, "spec") : ["(the kind itself)"]).map((field) => `${resource.name}: ${field}`)));
  const listed = changes.length ? `CRDs ${changes.map((change) => `${change.kind} (${change.change})`).join(", ")}` : "no CRD schema changed";
  return `${what}: ${listed}${lost.length ? `; fields we set that the new schema lacks: ${lost.join(", ")}` : ""}`;
}

export function diffPlans(base: BaseResource[], head: HeadResource[], options: DiffOptions): Change[] {
  const baseByKey = new Map(base.map((resource) => [key(resource), resource]));
  const headByKey = new Map(head.map((resource) => [key(resource), resource]));
  const headByUrn = new Map(head.map((resource) => [resource.urn, resource]));
  const changes = new Map<string, Change>();
  const record = (resource: Side & { parent?: string }, action: Action, paths: string[], risk: Risk, reason: string) =>
    changes.set(key(resource), { type: resource.type, name: resource.name, component: componentOf(resource), action, risk, paths, reason });

  for (const resource of head) {
    const before = baseByKey.get(key(resource));
    const rule = replaceRule(resource.type);
    if (!before) {
      if (rule?.kind !== "component") record(resource, "create", [], "safe", "new");
      continue;
    }
    if (!rule) {
      const paths = changedPaths(before.inputs, resource.inputs);
      if (paths.length) record(resource, "update", paths, "caution", `no replace rule for ${resource.type} in diff/replaceRules.ts: check by hand whether these inputs replace it`);
      continue;
    }
    if (rule.kind === "component") continue;
    const paths = changedPaths(before.inputs, resource.inputs);
    if (paths.length === 0) continue;
    const action: Action = paths.some((path) => forcesReplacement(rule, path)) ? "replace" : "update";
    const { risk, reason } = assess(action, before, resource);
    const bump = action === "update" ? chartBump(before, resource, head, options) : undefined;
    if (bump) record(resource, action, paths, risk === "safe" ? "caution" : risk, bump);
    else if (risk === "caution" && resource.type === "eks:index:Cluster") {
      const minor = (version: string) => Number(String(version).split(".")[1]);
      const findings = apiFindings(head, minor(before.inputs.version), minor(resource.inputs.version));
      record(resource, action, paths, risk, `${reason}${findings.length ? `; ${findings.join("; ")}` : "; no declared object uses an API removed or deprecated on the way"}`);
    } else record(resource, action, paths, risk, reason);
  }
  for (const resource of base) {
    if (headByKey.has(key(resource)) || replaceRule(resource.type)?.kind === "component") continue;
    const { risk, reason } = assess("delete", resource, undefined);
    const renamed = head.find((candidate) => candidate.type === resource.type && !baseByKey.has(key(candidate)));
    record(resource, "delete", [], risk, renamed ? `${reason} (renamed to ${renamed.name}? a rename is a delete and a create)` : reason);
  }

  // Cascades: a new identity flows into the inputs that take it.
  const newIdentity = (change: Change | undefined) => change?.action === "replace" || change?.action === "create";
  // A VPC takes no input from another resource, so whether it is new is settled before the cascades.
  const newVpc = head.some((candidate) => candidate.type === "aws:ec2/vpc:Vpc" && newIdentity(changes.get(key(candidate))));
  for (let changed = true; changed; ) {
    changed = false;
    for (const resource of head) {
      const existing = changes.get(key(resource));
      const rule = replaceRule(resource.type);
      if (!baseByKey.has(key(resource)) || existing?.action === "replace" || !rule || rule.kind === "component") continue;
      for (const [input, urns] of Object.entries(resource.propertyDependencies)) {
        const source = urns.map((urn) => headByUrn.get(urn)).find((candidate) => candidate && newIdentity(changes.get(key(candidate))));
        if (!source) continue;
        const sourceChange = changes.get(key(source))!;
        const because = `${input} comes from ${source.name}, which is ${sourceChange.action === "create" ? "new" : "replaced"}`;
        const paths = [...new Set([...(existing?.paths ?? []), input])];
        if (forcesReplacement(rule, input)) {
          const { risk, reason } = assess("replace", baseByKey.get(key(resource)), resource, because);
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
  const order: Risk[] = ["danger", "caution", "safe"];
  return [...changes.values()].sort((a, b) => order.indexOf(a.risk) - order.indexOf(b.risk) || a.component.localeCompare(b.component) || a.name.localeCompare(b.name));
}
