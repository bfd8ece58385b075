/**
 * Times the offline plan of each stack against the bare floor of loading Pulumi's SDKs, measured in the same run
 * on the same machine, and prints the ratio. Budget: plan <= 1.5 x floor. Also times the upgrade-safety diff of
 * prod against HEAD (a git ref: the base is planned in a worktree) against the plain plan of prod: budget 3 x.
 * A benchmark, not a test.
 *
 *   npm run bench [-- --runs 7]
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.join(__dirname, "..");
const BUDGET = 1.5;
// Exactly what `npm run plan` runs (package.json), without npm's own start-up.
const PLAN = (stack: string) => ["-r", "./scripts/register.js", "scripts/plan.ts", "--stack", stack, "--json"];
const DIFF_BUDGET = 3;
const DIFF = ["-r", "./scripts/register.js", "scripts/plan.ts", "--stack", "prod", "--diff", "HEAD", "--json"];
const FLOOR = ["-e", "require('@pulumi/pulumi'); require('@pulumi/aws'); require('@pulumi/kubernetes')"];

function seconds(args: string[]): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  if (result.status !== 0) throw new Error(`node ${args.join(" ")} failed: ${result.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function stats(samples: number[]): { min: number; median: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)] };
}

function main(): void {
  const runsIndex = process.argv.indexOf("--runs");
  const runs = runsIndex > 0 ? Number(process.argv[runsIndex + 1]) : 5;
  const stacks = fs.readdirSync(path.join(ROOT, "stacks")).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => !!s);
  const floor: number[] = [];
  const plans = new Map<string, number[]>(stacks.map((s) => [s, []]));
  // Warm the file system and compile caches before measuring.
  seconds(FLOOR);
  for (const stack of stacks) seconds(PLAN(stack));
  for (let i = 0; i < runs; i++) {
    // Interleaved, so that a slow moment of the machine weighs on both sides alike.
    floor.push(seconds(FLOOR));
    for (const stack of stacks) plans.get(stack)!.push(seconds(PLAN(stack)));
  }
  const floorStats = stats(floor);
  const format = (s: number) => `${(s * 1000).toFixed(0)} ms`;
  console.log(`runs: ${runs} each`);
  console.log(`floor (load @pulumi/pulumi, aws, kubernetes): min ${format(floorStats.min)}, median ${format(floorStats.median)}`);
  let withinBudget = true;
  for (const [stack, samples] of plans) {
    const planStats = stats(samples);
    const ratio = planStats.median / floorStats.median;
    withinBudget &&= ratio <= BUDGET;
    console.log(`plan ${stack}: min ${format(planStats.min)}, median ${format(planStats.median)}, ratio ${ratio.toFixed(2)} x floor (budget ${BUDGET})`);
  }
  if (plans.has("prod")) {
    const diffs = Array.from({ length: Math.max(1, Math.ceil(runs / 2)) }, () => seconds(DIFF));
    const ratio = stats(diffs).median / stats(plans.get("prod")!).median;
    withinBudget &&= ratio <= DIFF_BUDGET;
    console.log(`diff prod against HEAD (git worktree): median ${format(stats(diffs).median)}, ratio ${ratio.toFixed(2)} x plan prod (budget ${DIFF_BUDGET})`);
  }
  console.log(withinBudget ? "within budget" : "OVER BUDGET");
  // A script or CI step that runs the bench fails when a budget is broken.
  if (!withinBudget) process.exitCode = 1;
}

main();
