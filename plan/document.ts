/** What an offline run shows: the plan as JSON, the summary by component, and the manifests as files. */
import * as fs from "fs";
import * as path from "path";
import { stringify as toYaml } from "yaml";
import { LAYER_TYPES } from "./layers";
import type { DeclaredResource, OfflineRun } from "./offline";
import { present } from "./present";

/** The plan as one JSON document; every secret value is "[secret]". `npm run plan -- --json` adds `cost` (null on a target without AWS resources). */
export function planDocument(run: OfflineRun) {
  return {
    stack: run.stack,
    project: run.project,
    resources: run.resources.map((resource) => ({
      type: resource.type,
      name: resource.name,
      parent: resource.parent,
      inputs: present(resource.rawInputs),
      dependsOn: resource.dependsOn,
      protect: resource.protect,
      // What the engine also reads to decide what changes (the diff, diff/planDiff.ts): the provider that manages
      // it, the inputs whose changes it ignores, and what the resource was called before.
      ...(resource.provider ? { provider: resource.provider } : {}),
      ...(resource.ignoreChanges.length > 0 ? { ignoreChanges: resource.ignoreChanges } : {}),
      ...(resource.aliases ? { aliases: resource.aliases } : {}),
    })),
    outputs: present(run.rawOutputs),
  };
}

function inputsOf(resource: DeclaredResource): Record<string, any> {
  return present(resource.rawInputs) as Record<string, any>;
}

/** The component (a direct child of the root or of a layer) that each resource belongs to. */
function componentOf(resource: DeclaredResource, byUrn: Map<string, DeclaredResource>): string {
  let current: DeclaredResource | undefined = resource;
  while (current?.parent) {
    const parent = byUrn.get(current.parent);
    if (!parent || LAYER_TYPES.has(parent.type)) {
      if (LAYER_TYPES.has(current.type)) return "(layers)";
      return current.custom ? `(${parent?.type.split(":")[1] ?? "platform"})` : current.name;
    }
    current = parent;
  }
  return "(stack)";
}

export function summary(run: OfflineRun): string {
  const byUrn = new Map(run.resources.map((resource) => [resource.urn, resource]));
  const lines = [`Offline plan of stack "${run.stack}" (project ${run.project}): ${run.resources.length} resources declared.`, ""];
  const groups = new Map<string, Map<string, number>>();
  for (const resource of run.resources) {
    const component = componentOf(resource, byUrn);
    const counts = groups.get(component) ?? new Map<string, number>();
    counts.set(resource.type, (counts.get(resource.type) ?? 0) + 1);
    groups.set(component, counts);
  }
  // One line per component, types by their short name (the full type tokens are in --json and --out).
  lines.push("Resources by component (full types: --json or --out):");
  for (const [component, counts] of groups) {
    const total = [...counts.values()].reduce((sum, count) => sum + count, 0);
    const short = (type: string) => type.slice(type.lastIndexOf(":") + 1);
    const sorted = [...counts].sort(([a], [b]) => a.localeCompare(b));
    // A short name two types of the component share (eks and aws Clusters) keeps its full token.
    const shared = new Set(sorted.map(([type]) => short(type)).filter((name, i, names) => names.indexOf(name) !== i));
    const types = sorted.map(([type, count]) => `${count} ${shared.has(short(type)) ? type : short(type)}`);
    lines.push(`  ${component} (${total}): ${types.join(", ")}`);
  }
  const section = (title: string, type: string, describe: (inputs: Record<string, any>, resource: DeclaredResource) => string) => {
    const matching = run.resources.filter((resource) => resource.type === type);
    if (matching.length === 0) return;
    lines.push("", `${title}:`);
    for (const resource of matching) lines.push(`  ${describe(inputsOf(resource), resource)}`);
  };
  section("Node pools", "aws:eks/nodeGroup:NodeGroup", (inputs, resource) => {
    const scaling = inputs.scalingConfig ?? {};
    return `${resource.name}: ${inputs.capacityType} ${(inputs.instanceTypes ?? []).join(", ")}; min ${scaling.minSize}, desired ${scaling.desiredSize}, max ${scaling.maxSize}`;
  });
  section("Helm charts", "kubernetes:helm.sh/v3:Release", (inputs) => `${inputs.chart} ${inputs.version} -> namespace ${inputs.namespace}`);
  section("Pipelines (CronJobs)", "kubernetes:batch/v1:CronJob", (inputs) => `${inputs.metadata?.name}: "${inputs.spec?.schedule}" ${inputs.spec?.timeZone}${inputs.spec?.suspend ? " (suspended)" : ""}`);
  section("Pipelines (Argo CronWorkflows)", "kubernetes:argoproj.io/v1alpha1:CronWorkflow", (inputs) => `${inputs.metadata?.name}: ${JSON.stringify(inputs.spec?.schedules ?? inputs.spec?.schedule)} ${inputs.spec?.timezone}`);
  lines.push("", "Stack outputs:");
  for (const [key, value] of Object.entries(present(run.rawOutputs) as Record<string, unknown>)) lines.push(`  ${key}: ${JSON.stringify(value)}`);
  return lines.join("\n");
}

/** Writes each Kubernetes object and each Helm release's values as a YAML file of its own. */
/** The list of files a previous --out wrote into the folder, which the next one removes first. */
export const WRITTEN_LIST = ".etl-plan-files";

export function writeManifests(run: OfflineRun, outDir: string): number {
  fs.mkdirSync(outDir, { recursive: true });
  // Files of a previous plan that this one no longer writes would otherwise linger as if still declared; only
  // files this command wrote are removed, never anything else in the folder.
  const listFile = path.join(outDir, WRITTEN_LIST);
  if (fs.existsSync(listFile)) {
    for (const name of fs.readFileSync(listFile, "utf8").split("\n").filter((line) => line && !line.includes("/") && !line.includes("\\"))) fs.rmSync(path.join(outDir, name), { force: true });
  }
  const names: string[] = [];
  let written = 0;
  for (const resource of run.resources) {
    if (!resource.type.startsWith("kubernetes:") || resource.type === "pulumi:providers:kubernetes") continue;
    const inputs = inputsOf(resource);
    const isRelease = resource.type === "kubernetes:helm.sh/v3:Release";
    const [, apiVersionPath, kind] = resource.type.split(":");
    const document = isRelease ? inputs.values ?? {} : { apiVersion: apiVersionPath.replace(/^core\//, ""), kind, ...inputs };
    const file = `${isRelease ? "helm-values" : kind}-${resource.name}.yaml`.replace(/[^A-Za-z0-9._-]/g, "_");
    fs.writeFileSync(path.join(outDir, file), toYaml(document));
    names.push(file);
    written++;
  }
  fs.writeFileSync(listFile, `${names.join("\n")}\n`);
  return written;
}
