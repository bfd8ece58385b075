/**
 * The offline plan: evaluates the real program for a stack under Pulumi's mocks and shows what it would
 * declare. It is not `pulumi preview`: no engine, no providers, no cloud account; values only the cloud knows
 * are shown as "[unknown]".
 *
 *   npm run plan -- --stack staging [--config file.yaml] [--json] [--out dir]
 *
 * Exit status: 0 planned, 1 invalid config (the problems on stderr), 2 usage error.
 */
import * as fs from "fs";
import * as path from "path";
import { stringify as toYaml } from "yaml";
import { ConfigError } from "../config/load";
import { present, readStackFile, runOffline, type DeclaredResource, type OfflineRun } from "./offline";

const USAGE = "usage: npm run plan -- --stack <name> [--config <Pulumi.<stack>.yaml>] [--json] [--out <dir>]";

class UsageError extends Error {}

interface Options {
  stack: string;
  configFile: string;
  json: boolean;
  outDir?: string;
}

export function parseArgs(argv: string[]): Options {
  let stack: string | undefined;
  let configFile: string | undefined;
  let json = false;
  let outDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith("--")) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === "--stack") stack = value();
    else if (arg === "--config") configFile = value();
    else if (arg === "--out") outDir = value();
    else if (arg === "--json") json = true;
    else throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
  }
  if (!stack && configFile) stack = path.basename(configFile).replace(/^Pulumi\.|\.ya?ml$/g, "");
  if (!stack) throw new UsageError("--stack is required");
  configFile ??= path.join(__dirname, "..", "stacks", `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(configFile)) throw new UsageError(`no stack config file at ${configFile}`);
  return { stack, configFile, json, outDir };
}

/** The plan as one JSON document; every secret value is "[secret]". */
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
    })),
    outputs: present(run.rawOutputs),
  };
}

function inputsOf(resource: DeclaredResource): Record<string, any> {
  return present(resource.rawInputs) as Record<string, any>;
}

/** Components whose children are the plan's groups: the root, and the two layers under it. */
const GROUPING_COMPONENTS = new Set(["etl-platform:index:Platform", "etl-platform:aws:Infrastructure", "etl-platform:platform:Platform"]);

/** The component (a direct child of the root or of a layer) that each resource belongs to. */
function componentOf(resource: DeclaredResource, byUrn: Map<string, DeclaredResource>): string {
  let current: DeclaredResource | undefined = resource;
  while (current?.parent) {
    const parent = byUrn.get(current.parent);
    if (!parent || GROUPING_COMPONENTS.has(parent.type)) {
      if (GROUPING_COMPONENTS.has(current.type)) return "(layers)";
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
  lines.push("Resources by component and type:");
  for (const [component, counts] of groups) {
    lines.push(`  ${component}`);
    for (const [type, count] of [...counts].sort()) lines.push(`    ${String(count).padStart(3)}  ${type}`);
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
export function writeManifests(run: OfflineRun, outDir: string): number {
  fs.mkdirSync(outDir, { recursive: true });
  let written = 0;
  for (const resource of run.resources) {
    if (!resource.type.startsWith("kubernetes:") || resource.type === "pulumi:providers:kubernetes") continue;
    const inputs = inputsOf(resource);
    const isRelease = resource.type === "kubernetes:helm.sh/v3:Release";
    const [, apiVersionPath, kind] = resource.type.split(":");
    const document = isRelease ? inputs.values ?? {} : { apiVersion: apiVersionPath.replace(/^core\//, ""), kind, ...inputs };
    const file = `${isRelease ? "helm-values" : kind}-${resource.name}.yaml`.replace(/[^A-Za-z0-9._-]/g, "_");
    fs.writeFileSync(path.join(outDir, file), toYaml(document));
    written++;
  }
  return written;
}

async function main(argv: string[]): Promise<number> {
  let options: Options;
  try {
    options = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    return 2;
  }
  const program = require("../index") as () => Promise<Record<string, unknown>>;
  let run: OfflineRun;
  try {
    run = await runOffline(program, options.stack, readStackFile(options.configFile), "plan");
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.problems.join("\n")}\n`);
    return 1;
  }
  if (options.json) process.stdout.write(`${JSON.stringify(planDocument(run), null, 2)}\n`);
  else process.stdout.write(`${summary(run)}\n`);
  if (options.outDir) {
    const count = writeManifests(run, options.outDir);
    process.stderr.write(`wrote ${count} files to ${options.outDir}\n`);
  }
  return 0;
}

if (require.main === module) {
  // Exit once stdout and stderr are flushed: a plan piped to a file is larger than a pipe's buffer, and
  // process.exit() straight after write() would cut it short.
  const exitAfterFlush = (code: number) => process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
  main(process.argv.slice(2)).then(exitAfterFlush, (error) => {
    process.stderr.write(`offline plan failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    exitAfterFlush(3);
  });
}
