/**
 * The offline plan: evaluates the real program for a stack under Pulumi's mocks and shows what it would
 * declare. It is not `pulumi preview`: no engine, no providers, no cloud account; values only the cloud knows
 * are shown as "[unknown]".
 *
 *   npm run plan -- --stack staging [--config file.yaml] [--json] [--out dir] [--no-cost] [--date YYYY-MM-DD]
 *   npm run plan -- --stack prod --diff <plan.json | git ref> [--base-dir dir] [--json | --markdown] [--allow-danger]
 *
 * It ends with a monthly cost estimate of the stack (cost/), from the dated price snapshot in cost/data. With
 * --diff it prints instead what would change from the base to this checkout, and how risky each change is (diff/).
 * Exit status: see EXIT below and README ("Plan offline").
 */
import * as fs from "fs";
import * as path from "path";
import { stringify as toYaml } from "yaml";
import { ConfigError } from "../config/load";
import { estimateCost, type CostEstimate } from "../cost/estimate";
import type { PlannedResource } from "../cost/plannedResource";
import { priceSnapshot, PriceError } from "../cost/prices";
import type { DiffInputError as DiffInputErrorClass, runDiff as RunDiff } from "../diff/command";
import { costText } from "../cost/report";
import { LAYER_TYPES } from "./layers";
import { present, readStackFile, runOffline, type DeclaredResource, type OfflineRun, type StackSettings } from "./offline";

const USAGE = "usage: npm run plan -- --stack <name> [--config <Pulumi.<stack>.yaml>] [--json] [--out <dir>] [--no-cost] [--date <YYYY-MM-DD>] [--diff <plan.json | git ref> [--base-dir <dir>] [--markdown] [--allow-danger]]";

/** The plan command's exit codes, one table for every use of it (README, "Plan offline"). */
export const EXIT = {
  ok: 0,
  invalidConfig: 1,
  usage: 2,
  internalError: 3,
  /** The diff of two plans (--diff) found a change that would destroy data or that AWS or an operator refuses. */
  dangerousChange: 4,
  overBudget: 5,
} as const;

class UsageError extends Error {}

export interface Options {
  stack: string;
  configFile: string;
  json: boolean;
  outDir?: string;
  /** Leave the cost estimate out (a region or instance type the price snapshot lacks). */
  cost: boolean;
  /** The day the estimate is for (the EKS support phase depends on it); today by default. */
  date: Date;
  /** Whether --config was given (a diff's base then plans the same file). */
  explicitConfig: boolean;
  /** --diff: the base, a plan JSON file or a git ref. */
  diff?: string;
  baseDir?: string;
  markdown: boolean;
  allowDanger: boolean;
}

export function parseArgs(argv: string[]): Options {
  let stack: string | undefined;
  let configFile: string | undefined;
  let json = false;
  let outDir: string | undefined;
  let cost = true;
  let date = new Date();
  let diff: string | undefined;
  let baseDir: string | undefined;
  let markdown = false;
  let allowDanger = false;
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
    else if (arg === "--no-cost") cost = false;
    else if (arg === "--diff") diff = value();
    else if (arg === "--base-dir") baseDir = value();
    else if (arg === "--markdown") markdown = true;
    else if (arg === "--allow-danger") allowDanger = true;
    else if (arg === "--date") {
      const day = value();
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(day))) throw new UsageError(`--date expects YYYY-MM-DD, got ${JSON.stringify(day)}`);
      date = new Date(`${day}T12:00:00Z`);
    }
    else throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
  }
  if ((baseDir || markdown || allowDanger) && !diff) throw new UsageError("--base-dir, --markdown and --allow-danger go with --diff");
  if (markdown && json) throw new UsageError("--markdown and --json are two formats: choose one");
  const explicitConfig = configFile !== undefined;
  if (!stack && configFile) stack = path.basename(configFile).replace(/^Pulumi\.|\.ya?ml$/g, "");
  if (!stack) throw new UsageError("--stack is required");
  configFile ??= path.join(__dirname, "..", "stacks", `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(configFile)) throw new UsageError(`no stack config file at ${configFile}`);
  return { stack, configFile, json, outDir, cost, date, explicitConfig, diff, baseDir, markdown, allowDanger };
}

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
    })),
    outputs: present(run.rawOutputs),
  };
}

/** 4 when the diff finds a danger, unless the reviewer accepts it knowingly with --allow-danger. */
export function diffExitCode(danger: boolean, allowDanger: boolean): number {
  return danger && !allowDanger ? EXIT.dangerousChange : EXIT.ok;
}

/** The stack file's value of a config key, parsed (Pulumi keeps objects as JSON). */
function configValue(settings: StackSettings, key: string): any {
  const text = settings.config[key];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The cost estimate of a plan, or null when it declares nothing AWS bills (target: kubernetes). */
export function planCost(resources: PlannedResource[], settings: StackSettings, date: Date): CostEstimate | null {
  if (!resources.some((resource) => resource.type.startsWith("aws:"))) return null;
  const region = configValue(settings, "aws:region");
  if (typeof region !== "string") throw new PriceError("aws:region: not set, so the plan cannot be priced; set it, or plan with --no-cost");
  const batchPools: { name?: string }[] = configValue(settings, "etl-platform:nodePools")?.batch ?? [];
  const poolKey = (pool: string) => {
    if (pool === "system" || pool === "stateful") return `etl-platform:nodePools.${pool}.instanceTypes`;
    const index = batchPools.findIndex((candidate) => candidate.name === pool);
    return index >= 0 ? `etl-platform:nodePools.batch[${index}].instanceTypes` : `etl-platform:nodePools.batch (the default pool "${pool}").instanceTypes`;
  };
  return estimateCost(resources, { region, date, prices: priceSnapshot(), poolKey });
}

/** The budget problem, or undefined when the stack sets no budget or stays within it. */
export function budgetProblem(cost: CostEstimate | null, settings: StackSettings): string | undefined {
  const budget = configValue(settings, "etl-platform:costBudget")?.monthlyIdleFloor;
  if (typeof budget !== "number" || !cost || cost.monthly.idleFloor <= budget) return undefined;
  const over = Math.round((cost.monthly.idleFloor - budget) * 100) / 100;
  return `etl-platform:costBudget.monthlyIdleFloor: the estimated idle floor of $${cost.monthly.idleFloor.toFixed(2)} a month is over the budget of $${budget.toFixed(2)} by $${over.toFixed(2)}; lower the node pools' minimum sizes, storage or NAT gateways, or raise the budget`;
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

export interface PlanOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** What the command prints and its exit status, for a program run already made (in-process in the tests). */
export function planOutput(options: Options, settings: StackSettings, run: OfflineRun): PlanOutput {
  let document: ReturnType<typeof planDocument>;
  let cost: CostEstimate | null | undefined;
  try {
    // Built once: the estimate reads the same presented inputs the JSON prints.
    document = planDocument(run);
    if (options.cost) cost = planCost(document.resources as PlannedResource[], settings, options.date);
  } catch (error) {
    if (!(error instanceof PriceError)) throw error;
    return { code: EXIT.invalidConfig, stdout: "", stderr: `${error.message}\n` };
  }
  let stdout: string;
  if (options.json) stdout = `${JSON.stringify(cost === undefined ? document : { ...document, cost }, null, 2)}\n`;
  else {
    stdout = `${summary(run)}\n`;
    if (cost) stdout += `\n${costText(cost)}\n`;
    else if (cost === null) stdout += "\nNo cost estimate: the plan declares no AWS resource (target: kubernetes).\n";
  }
  const overBudget = cost === undefined ? undefined : budgetProblem(cost, settings);
  return overBudget ? { code: EXIT.overBudget, stdout, stderr: `${overBudget}\n` } : { code: EXIT.ok, stdout, stderr: "" };
}

async function main(argv: string[]): Promise<number> {
  let options: Options;
  try {
    options = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  const program = require("../index") as () => Promise<Record<string, unknown>>;
  const settings = readStackFile(options.configFile);
  let run: OfflineRun;
  try {
    run = await runOffline(program, options.stack, settings, "plan");
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.problems.join("\n")}\n`);
    return EXIT.invalidConfig;
  }
  if (options.diff) {
    // Loaded only for a diff: the plain plan has a time budget (README, "The offline plan").
    const { runDiff, DiffInputError } = require("../diff/command") as { runDiff: typeof RunDiff; DiffInputError: typeof DiffInputErrorClass };
    let result: ReturnType<typeof RunDiff>;
    try {
      result = runDiff({ stack: options.stack, base: options.diff, baseDir: options.baseDir, configFile: options.explicitConfig ? options.configFile : undefined, format: options.json ? "json" : options.markdown ? "markdown" : "text", allowDanger: options.allowDanger }, run, path.join(__dirname, ".."));
    } catch (error) {
      if (!(error instanceof DiffInputError)) throw error;
      process.stderr.write(`${error.message}\n${USAGE}\n`);
      return EXIT.usage;
    }
    process.stdout.write(result.stdout);
    return diffExitCode(result.danger, options.allowDanger);
  }
  const output = planOutput(options, settings, run);
  process.stdout.write(output.stdout);
  if (options.outDir && output.stdout) {
    const count = writeManifests(run, options.outDir);
    process.stderr.write(`wrote ${count} files to ${options.outDir}\n`);
  }
  process.stderr.write(output.stderr);
  return output.code;
}

if (require.main === module) {
  // Exit once stdout and stderr are flushed: a plan piped to a file is larger than a pipe's buffer, and
  // process.exit() straight after write() would cut it short.
  const exitAfterFlush = (code: number) => process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
  main(process.argv.slice(2)).then(exitAfterFlush, (error) => {
    process.stderr.write(`offline plan failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    exitAfterFlush(EXIT.internalError);
  });
}
