/**
 * The difference between the cost estimates of two offline plans (`npm run plan -- --json`), e.g. of a pull
 * request's base and head: the totals and every line that changed, as Markdown for the job summary and the
 * pull-request comment. A missing base file or a base plan without a `cost` (a branch from before the
 * estimate) counts as nothing.
 *
 *   npm run cost-diff -- --stack prod base.json head.json
 */
import * as fs from "fs";
import type { CostEstimate } from "../cost/estimate";
import { costDiffMarkdown, diffCosts } from "../cost/report";

function costOf(file: string): CostEstimate | null {
  if (!fs.existsSync(file)) return null;
  return (JSON.parse(fs.readFileSync(file, "utf8")) as { cost?: CostEstimate | null }).cost ?? null;
}

export function costDiffReport(stack: string, baseFile: string, headFile: string): string {
  if (!fs.existsSync(headFile)) throw new Error(`no head plan at ${headFile}`);
  return costDiffMarkdown(stack, diffCosts(costOf(baseFile), costOf(headFile)));
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const stackIndex = argv.indexOf("--stack");
  const stack = stackIndex >= 0 ? argv[stackIndex + 1] : undefined;
  const files = argv.filter((_, i) => i !== stackIndex && i !== stackIndex + 1);
  if (!stack || files.length !== 2) {
    process.stderr.write("usage: npm run cost-diff -- --stack <name> <base plan.json> <head plan.json>\n");
    process.exit(2);
  }
  process.stdout.write(`${costDiffReport(stack, files[0], files[1])}\n`);
}
