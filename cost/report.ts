/** The estimate as text for the plan, and the difference of two estimates (base and head of a pull request). */
import type { CostEstimate } from "./estimate";
import type { CostLine } from "./lines";

const usd = (value: number) => `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const signed = (value: number) => `${value < 0 ? "−" : "+"}${usd(Math.abs(value))}`;
/** A unit price as the snapshot has it (a NAT gateway-hour is $0.048, not $0.05). */
const rate = (value: number) => `$${value}`;
const percent = (share: number) => `${(share * 100).toFixed(1)} %`;

function lineText(line: CostLine): string {
  if (line.monthly === null) return `${line.item}: ${rate(line.unitPrice)} per ${line.unit} (usage, not in the totals)`;
  return `${line.item}: ${line.quantity} ${line.unit} × ${rate(line.unitPrice)} = ${usd(line.monthly)}`;
}

/** The four totals, in the order every report shows them, each with its name and what it means. */
const TOTALS: [keyof CostEstimate["monthly"], string, string][] = [
  ["atDeploy", "at deploy", "every node group at its desired size: the first month if nothing scales"],
  ["idleFloor", "idle floor", "every node group at its minimum: what the autoscaler can shrink to"],
  ["ceiling", "ceiling", "every node group at its maximum"],
  ["batchExpected", "batch expected", "the pipelines' runs, an upper bound, on top of the idle floor"],
];

const BASIS_TITLES: [CostLine["basis"], string][] = [
  ["fixed", "Always running (at deploy, in the idle floor and in the ceiling)"],
  ["deploy", "Node groups at their desired size (at deploy: where EKS starts them)"],
  ["floor", "Node groups at their minimum size (idle floor)"],
  ["running", "Streaming consumers at their minimum (at deploy and in the idle floor)"],
  ["ceiling", "Node groups at their maximum size (ceiling)"],
  ["batch", "Expected batch (upper bound)"],
  ["usage", "Priced by usage"],
];

export function costText(cost: CostEstimate): string {
  const out = [`Monthly cost estimate (${cost.currency}, ${cost.region}, 730 h a month, on ${cost.priceDate}; prices of ${cost.snapshotDate}):`];
  const width = Math.max(...TOTALS.map(([key]) => usd(cost.monthly[key]).length));
  out.push(...TOTALS.map(([key, name, meaning]) => `  ${name.padEnd(16)} ${usd(cost.monthly[key]).padStart(width)}   ${meaning}`));
  for (const [basis, title] of BASIS_TITLES) {
    const lines = cost.lines.filter((line) => line.basis === basis);
    if (lines.length === 0) continue;
    out.push("", `  ${title}:`, ...lines.map((line) => `    ${lineText(line)}`));
  }
  if (cost.batchPools.length > 0) {
    out.push("", "  One batch node-hour per pool:");
    for (const pool of cost.batchPools) {
      const spot = pool.spotHour ? `, spot ${rate(pool.spotHour.low)}–${rate(pool.spotHour.high)}` : "";
      out.push(`    ${pool.pool} (${pool.instanceType}): on-demand ${rate(pool.onDemandHour)}${spot}`);
      if (pool.interruption) out.push(`      interruption bands (Spot Instance Advisor): ${pool.interruption.map(({ type, band }) => `${type} ${band}`).join(", ")}`);
    }
  }
  if (cost.spot) {
    const { spot } = cost;
    out.push("", "  Spot savings on the expected batch volume:",
      `    ${usd(spot.savingsMonthly)} a month (${usd(spot.savingsMonthlyBand.low)}–${usd(spot.savingsMonthlyBand.high)} over the spot band), ${percent(spot.savingsShare)} of the same stack all on-demand, on ${spot.expectedNodeHours} spot node-hours`,
      spot.breakEvenNodeHours25 === null
        ? "    Spot never saves 25 % of the total here: its discount on this pool is 25 % or less."
        : `    Savings reach 25 % of the total at ${spot.breakEvenNodeHours25} spot batch node-hours a month.`);
  }
  out.push("", ...cost.notes.map((note) => `  Note: ${note}`));
  return out.join("\n");
}

export interface LineChange {
  id: string;
  item: string;
  base: CostLine | null;
  head: CostLine | null;
}

export interface CostDiff {
  /** False when the base has no estimate (a new stack, or a branch from before the estimate). */
  hasBase: boolean;
  monthly: Record<keyof CostEstimate["monthly"], { base: number; head: number; delta: number }>;
  changed: LineChange[];
}

const sameLine = (a: CostLine, b: CostLine) => a.quantity === b.quantity && a.unitPrice === b.unitPrice && a.monthly === b.monthly && a.item === b.item;

/** What changed between two estimates: the totals, and each line added, removed or priced differently. */
export function diffCosts(base: CostEstimate | null, head: CostEstimate | null): CostDiff {
  const monthly = {} as CostDiff["monthly"];
  for (const [key] of TOTALS) {
    const before = base?.monthly[key] ?? 0;
    const after = head?.monthly[key] ?? 0;
    monthly[key] = { base: before, head: after, delta: Math.round((after - before) * 100) / 100 };
  }
  const baseLines = new Map((base?.lines ?? []).map((line) => [line.id, line]));
  const headLines = new Map((head?.lines ?? []).map((line) => [line.id, line]));
  const changed: LineChange[] = [];
  for (const id of new Set([...baseLines.keys(), ...headLines.keys()])) {
    const before = baseLines.get(id);
    const after = headLines.get(id);
    if (before && after && sameLine(before, after)) continue;
    changed.push({ id, item: (after ?? before)!.item, base: before ?? null, head: after ?? null });
  }
  return { hasBase: base !== null, monthly, changed };
}

const cell = (line: CostLine | null) => {
  if (!line) return "—";
  if (line.monthly === null) return `${rate(line.unitPrice)} per ${line.unit}`;
  return `${usd(line.monthly)} (${line.quantity} ${line.unit} × ${rate(line.unitPrice)})`;
};

/** A Markdown section for the job summary and the pull-request comment. */
export function costDiffMarkdown(stack: string, diff: CostDiff): string {
  const rows = TOTALS.map(([key, title]) => {
    const { base, head, delta } = diff.monthly[key];
    if (!diff.hasBase) return `| ${title} | — | ${usd(head)} | — |`;
    return `| ${title} | ${usd(base)} | ${usd(head)} | ${delta === 0 ? "0" : signed(delta)} |`;
  });
  const out = [`#### Cost of \`${stack}\` per month`, "", "| | base | head | change |", "|---|---:|---:|---:|", ...rows, ""];
  if (!diff.hasBase) out.push("The base branch has no estimate of this stack: every line is new (the plan artifact lists them).");
  else if (diff.changed.length === 0) out.push("No line changed.");
  else {
    out.push("| changed line | base | head |", "|---|---:|---:|");
    for (const change of diff.changed) out.push(`| ${change.item.replace(/\|/g, "\\|")} | ${cell(change.base)} | ${cell(change.head)} |`);
  }
  return out.join("\n");
}
