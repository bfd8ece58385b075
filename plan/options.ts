/** The plan command's arguments (README, "Plan offline"). */
import * as fs from "fs";
import * as path from "path";

export const USAGE = "usage: npm run plan -- --stack <name> [--config <Pulumi.<stack>.yaml>] [--json] [--out <dir>] [--no-cost] [--date <YYYY-MM-DD>] [--diff <plan.json | git ref> [--base-config <file>] [--base-dir <dir>] [--markdown] [--allow-danger]]";

export class UsageError extends Error {}

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
  /** --base-config: the stack file the base (a git ref) plans; by default the ref's version of the head's. */
  baseConfig?: string;
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
  let baseConfig: string | undefined;
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
    else if (arg === "--base-config") baseConfig = value();
    else if (arg === "--markdown") markdown = true;
    else if (arg === "--allow-danger") allowDanger = true;
    else if (arg === "--date") {
      const day = value();
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(day))) throw new UsageError(`--date expects YYYY-MM-DD, got ${JSON.stringify(day)}`);
      date = new Date(`${day}T12:00:00Z`);
    }
    else throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
  }
  if ((baseDir || baseConfig || markdown || allowDanger) && !diff) throw new UsageError("--base-config, --base-dir, --markdown and --allow-danger go with --diff");
  if (baseConfig && !fs.existsSync(baseConfig)) throw new UsageError(`--base-config: no stack config file at ${baseConfig}`);
  if (markdown && json) throw new UsageError("--markdown and --json are two formats: choose one");
  const explicitConfig = configFile !== undefined;
  if (!stack && configFile) stack = path.basename(configFile).replace(/^Pulumi\.|\.ya?ml$/g, "");
  if (!stack) throw new UsageError("--stack is required");
  configFile ??= path.join(__dirname, "..", "stacks", `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(configFile)) throw new UsageError(`no stack config file at ${configFile}`);
  return { stack, configFile, json, outDir, cost, date, explicitConfig, diff, baseConfig, baseDir, markdown, allowDanger };
}
