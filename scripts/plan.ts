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
 * Exit status: see EXIT below and README ("Plan offline"). The offline run itself is plan/ (shared with the diff
 * and the cost estimate); this file is the command around it.
 */
import * as path from "path";
import { ConfigError, configKey, parsePlatformConfig, rawPlatformConfig } from "../config/load";
import { placeholders } from "../config/placeholders";
import { quotaLines, quotaNeeds } from "../plan/quotas";
import type { DiffInputError as DiffInputErrorClass, runDiff as RunDiff } from "../diff/command";
import { runOffline, type OfflineRun } from "../plan/offline";
import { readStackFile, type StackSettings } from "../plan/stackFile";
import { parseArgs, USAGE, UsageError, type Options } from "../plan/options";
import { budgetProblem, planCost } from "../cost/planCost";
import type { PlannedResource } from "../cost/plannedResource";
import { PriceError } from "../cost/prices";
import { costText } from "../cost/report";
import type { CostEstimate } from "../cost/estimate";
import { planDocument, summary, writeManifests } from "../plan/document";

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


/**
 * 4 when the diff finds a danger, unless the reviewer accepts it knowingly with --allow-danger; else 5 when the
 * head is over its cost budget, as a plain plan would exit (README, "Plan offline").
 */
export function diffExitCode(danger: boolean, allowDanger: boolean, overBudget = false): number {
  if (danger && !allowDanger) return EXIT.dangerousChange;
  return overBudget ? EXIT.overBudget : EXIT.ok;
}

/** The head's budget problem, when its estimate is over `costBudget` (none without a budget or with --no-cost). */
export function headBudgetProblem(options: Options, settings: StackSettings, run: OfflineRun): string | undefined {
  if (!options.cost) return undefined;
  const cost = planCost(planDocument(run).resources as PlannedResource[], settings, options.date);
  return cost ? budgetProblem(cost, settings) : undefined;
}

export interface PlanOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** The example stacks' placeholders in this stack file, one line per key (config/placeholders.ts). */
export function beforeFirstDeployLines(settings: StackSettings): string[] {
  return placeholders(parsePlatformConfig(rawPlatformConfig(settings.config))).map(({ path, message }) => `${configKey(path)}: ${message}`);
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
  const beforeFirstDeploy = beforeFirstDeployLines(settings);
  const quotas = quotaNeeds(document.resources as PlannedResource[]);
  let stdout: string;
  if (options.json) stdout = `${JSON.stringify({ ...document, ...(cost === undefined ? {} : { cost }), beforeFirstDeploy, quotas }, null, 2)}\n`;
  else {
    stdout = `${summary(run)}\n`;
    if (cost) stdout += `\n${costText(cost)}\n`;
    else if (cost === null) stdout += "\nNo cost estimate: the plan declares no AWS resource (target: kubernetes).\n";
    if (beforeFirstDeploy.length > 0) {
      stdout += `\nBefore your first deploy (pulumi preview and up refuse these; the offline plan accepts them):\n${beforeFirstDeploy.map((line) => `  ${line}`).join("\n")}\n`;
    }
    if (quotas.length > 0) stdout += `\nAWS quotas this stack needs at its ceiling (aws service-quotas get-service-quota --service-code <service> --quota-code <code>; docs/deploying.md):\n${quotaLines(quotas).map((line) => `  ${line}`).join("\n")}\n`;
  }
  const overBudget = cost === undefined ? undefined : budgetProblem(cost, settings);
  return overBudget ? { code: EXIT.overBudget, stdout, stderr: `${overBudget}\n` } : { code: EXIT.ok, stdout, stderr: "" };
}

/** The stack file, or a ConfigError: a file that cannot be read is a config problem too, named by its path. */
export function readStackFileOrExplain(file: string): StackSettings {
  try {
    return readStackFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EISDIR" || code === "EACCES") throw new ConfigError([`${file}: cannot read the stack file (${code})`]);
    throw error;
  }
}

/** npm takes options before `--` as its own (`npm run plan --stack prod` sets npm_config_stack): say so. */
export function forgottenDashes(argv: string[], env: NodeJS.ProcessEnv): string | undefined {
  const taken = ["stack", "config", "json", "diff"].filter((name) => env[`npm_config_${name}`] !== undefined && !argv.includes(`--${name}`));
  return taken.length > 0 ? `npm took ${taken.map((name) => `--${name}`).join(", ")} as its own option: put -- before the plan's options (npm run plan -- --stack <name>)` : undefined;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${USAGE}\nThe options and exit statuses: README.md, "The offline plan".\n`);
    return EXIT.ok;
  }
  let options: Options;
  try {
    options = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const hint = forgottenDashes(argv, process.env);
    process.stderr.write(`${error.message}\n${hint ? `${hint}\n` : ""}${USAGE}\n`);
    return EXIT.usage;
  }
  const program = require("../index") as () => Promise<Record<string, unknown>>;
  // Reading, parsing and validating the stack file are all config errors: exit 1, one line per problem, no trace.
  let settings: StackSettings;
  let run: OfflineRun;
  try {
    settings = readStackFileOrExplain(options.configFile);
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
      const root = path.join(__dirname, "..");
      const headStackFile = path.relative(root, path.resolve(options.configFile)).split(path.sep).join("/");
      result = runDiff({
        stack: options.stack, base: options.diff, baseDir: options.baseDir, configFile: options.explicitConfig ? options.configFile : undefined, baseConfig: options.baseConfig,
        headStackFile: headStackFile.startsWith("..") ? path.resolve(options.configFile) : headStackFile,
        format: options.json ? "json" : options.markdown ? "markdown" : "text", allowDanger: options.allowDanger,
      }, run, root);
    } catch (error) {
      if (!(error instanceof DiffInputError)) throw error;
      process.stderr.write(`${error.message}\n${USAGE}\n`);
      return EXIT.usage;
    }
    process.stdout.write(result.stdout);
    let overBudget: string | undefined;
    try {
      overBudget = headBudgetProblem(options, settings, run);
    } catch (error) {
      if (!(error instanceof PriceError)) throw error;
      process.stderr.write(`${error.message}\n`);
      return EXIT.invalidConfig;
    }
    const code = diffExitCode(result.danger, options.allowDanger, overBudget !== undefined);
    if (code === EXIT.overBudget) process.stderr.write(`${overBudget}\n`);
    return code;
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
