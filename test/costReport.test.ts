/**
 * The estimate as people read it (cost/report.ts): the plan's text, section by section, and the Markdown table of
 * what a pull request changes, on small hand-made estimates whose every figure is known.
 */
import type { CostEstimate } from "../cost/estimate";
import { line, usageLine } from "../cost/lines";
import { costDiffMarkdown, costText, diffCosts } from "../cost/report";

const nat = line("network/nat", "network", "1 NAT gateway × 730 h", 730, "gateway-hour", 0.048, "fixed");
const lines = [
  nat,
  line("nodes/system/deploy", "nodes", "system: 2 nodes (desired)", 1460, "node-hour", 0.107, "deploy"),
  line("nodes/system/floor", "nodes", "system: 1 nodes (min)", 730, "node-hour", 0.107, "floor"),
  line("streaming/enrich", "streaming", "enrich: 1 node", 730, "node-hour", 0.214, "running"),
  line("nodes/system/ceiling", "nodes", "system: 30 nodes (max)", 21900, "node-hour", 0.107, "ceiling"),
  line("batch/report", "batch", "report: 30.42 runs", 96.43, "node-hour", 0.121392, "batch"),
  usageLine("usage/nat-data", "network", "NAT data processed", "GB", 0.048),
];

const estimate = (overrides: Partial<CostEstimate> = {}): CostEstimate => ({
  currency: "USD",
  region: "eu-west-1",
  priceDate: "2026-12-02",
  snapshotDate: "2026-11-25",
  provenance: "hand-entered",
  monthly: { atDeploy: 1234.5, idleFloor: 999.99, ceiling: 12345.678, batchExpected: 11.7 },
  spot: { savingsMonthly: 63.63, savingsShare: 0.0432, breakEvenNodeHours25: 8499, expectedNodeHours: 687.13, savingsMonthlyBand: { low: 63.63, high: 82.35 } },
  batchPools: [
    { pool: "batch", nodeGroup: "etl-nodes-batch", instanceType: "m6i.xlarge", onDemandHour: 0.214, spotHour: { low: 0.09416, high: 0.121392 }, interruption: [{ type: "m6i.xlarge", band: "5-10%" }, { type: "m5.xlarge", band: ">20%" }] },
    { pool: "batch-ondemand", nodeGroup: "etl-nodes-batch-ondemand", instanceType: "m6i.xlarge", onDemandHour: 0.214, spotHour: null, interruption: null },
  ],
  graviton: [],
  lines,
  notes: ["first note", "second note"],
  ...overrides,
});

describe("the estimate's text", () => {
  it("prints the totals aligned with their meaning, each basis's lines under its title, the batch prices, spot savings and notes", () => {
    expect(costText(estimate()).split("\n")).toEqual([
      "Monthly cost estimate (USD, eu-west-1, 730 h a month, on 2026-12-02; prices of 2026-11-25):",
      "  at deploy         $1,234.50   every node group at its desired size: the first month if nothing scales",
      "  idle floor          $999.99   every node group at its minimum: what the autoscaler can shrink to",
      "  ceiling          $12,345.68   every node group at its maximum",
      "  batch expected       $11.70   the pipelines' runs, an upper bound, on top of the idle floor",
      "",
      "  Always running (at deploy, in the idle floor and in the ceiling):",
      "    1 NAT gateway × 730 h: 730 gateway-hour × $0.048 = $35.04",
      "",
      "  Node groups at their desired size (at deploy: where EKS starts them):",
      "    system: 2 nodes (desired): 1460 node-hour × $0.107 = $156.22",
      "",
      "  Node groups at their minimum size (idle floor):",
      "    system: 1 nodes (min): 730 node-hour × $0.107 = $78.11",
      "",
      "  Streaming consumers at their minimum (at deploy and in the idle floor):",
      "    enrich: 1 node: 730 node-hour × $0.214 = $156.22",
      "",
      "  Node groups at their maximum size (ceiling):",
      "    system: 30 nodes (max): 21900 node-hour × $0.107 = $2,343.30",
      "",
      "  Expected batch (upper bound):",
      "    report: 30.42 runs: 96.43 node-hour × $0.121392 = $11.71",
      "",
      "  Priced by usage:",
      "    NAT data processed: $0.048 per GB (usage, not in the totals)",
      "",
      "  One batch node-hour per pool:",
      "    batch (m6i.xlarge): on-demand $0.214, spot $0.09416–$0.121392",
      "      interruption bands (Spot Instance Advisor): m6i.xlarge 5-10%, m5.xlarge >20%",
      "    batch-ondemand (m6i.xlarge): on-demand $0.214",
      "",
      "  Spot savings on the expected batch volume:",
      "    $63.63 a month ($63.63–$82.35 over the spot band), 4.3 % of the same stack all on-demand, on 687.13 spot node-hours",
      "    Savings reach 25 % of the total at 8499 spot batch node-hours a month.",
      "",
      "  Note: first note",
      "  Note: second note",
    ]);
  });

  it("leaves out empty sections, and says when spot never saves a quarter", () => {
    const text = costText(estimate({ lines: [nat], batchPools: [], spot: { ...estimate().spot!, breakEvenNodeHours25: null }, notes: [] }));
    expect(text.split("\n").slice(5)).toEqual([
      "",
      "  Always running (at deploy, in the idle floor and in the ceiling):",
      "    1 NAT gateway × 730 h: 730 gateway-hour × $0.048 = $35.04",
      "",
      "  Spot savings on the expected batch volume:",
      "    $63.63 a month ($63.63–$82.35 over the spot band), 4.3 % of the same stack all on-demand, on 687.13 spot node-hours",
      "    Spot never saves 25 % of the total here: its discount on this pool is 25 % or less.",
      "",
    ]);
    expect(costText(estimate({ spot: null })).includes("Spot savings")).toBe(false);
  });
});

describe("the difference of two estimates", () => {
  it("lists the totals and every line added, removed or priced differently, and no unchanged one", () => {
    const head = estimate({
      monthly: { atDeploy: 1300, idleFloor: 999.99, ceiling: 12000, batchExpected: 11.7 },
      lines: [
        ...lines.map((entry) => ({
          "nodes/system/deploy": line("nodes/system/deploy", "nodes", "system: 3 nodes (desired)", 2190, "node-hour", 0.107, "deploy"),
          "usage/nat-data": usageLine("usage/nat-data", "network", "NAT data | processed", "GB", 0.045),
        } as Record<string, typeof entry>)[entry.id] ?? entry),
        line("volumes/new", "storage", "new | volume", 10, "GB-month", 0.088, "fixed"),
      ],
    });
    const base = estimate({ lines: [...lines, line("volumes/old", "storage", "old volume", 5, "GB-month", 0.088, "fixed")] });
    const diff = diffCosts(base, head);
    expect(diff.monthly).toEqual({
      atDeploy: { base: 1234.5, head: 1300, delta: 65.5 },
      idleFloor: { base: 999.99, head: 999.99, delta: 0 },
      ceiling: { base: 12345.678, head: 12000, delta: -345.68 },
      batchExpected: { base: 11.7, head: 11.7, delta: 0 },
    });
    expect(diff.changed.map((change) => [change.id, change.item, change.base?.id ?? null, change.head?.id ?? null])).toEqual([
      ["nodes/system/deploy", "system: 3 nodes (desired)", "nodes/system/deploy", "nodes/system/deploy"],
      ["usage/nat-data", "NAT data | processed", "usage/nat-data", "usage/nat-data"],
      ["volumes/old", "old volume", "volumes/old", null],
      ["volumes/new", "new | volume", null, "volumes/new"],
    ]);
    expect(costDiffMarkdown("prod", diff).split("\n")).toEqual([
      "#### Cost of `prod` per month",
      "",
      "| | base | head | change |",
      "|---|---:|---:|---:|",
      "| at deploy | $1,234.50 | $1,300.00 | +$65.50 |",
      "| idle floor | $999.99 | $999.99 | 0 |",
      "| ceiling | $12,345.68 | $12,000.00 | −$345.68 |",
      "| batch expected | $11.70 | $11.70 | 0 |",
      "",
      "| changed line | base | head |",
      "|---|---:|---:|",
      "| system: 3 nodes (desired) | $156.22 (1460 node-hour × $0.107) | $234.33 (2190 node-hour × $0.107) |",
      "| NAT data \\| processed | $0.048 per GB | $0.045 per GB |",
      "| old volume | $0.44 (5 GB-month × $0.088) | — |",
      "| new \\| volume | — | $0.88 (10 GB-month × $0.088) |",
    ]);
  });

  it("tells a line apart by quantity, unit price, monthly figure or wording", () => {
    const changedBy = (change: Partial<typeof nat>) => diffCosts(estimate({ lines: [nat] }), estimate({ lines: [{ ...nat, ...change }] })).changed.map((entry) => entry.id);
    expect(changedBy({})).toEqual([]);
    expect(changedBy({ quantity: 731 })).toEqual(["network/nat"]);
    expect(changedBy({ unitPrice: 0.05 })).toEqual(["network/nat"]);
    expect(changedBy({ monthly: 35.05 })).toEqual(["network/nat"]);
    expect(changedBy({ item: "1 NAT gateway, renamed" })).toEqual(["network/nat"]);
  });

  it("shows only the head of a stack the base branch has no estimate of, and says when nothing changed", () => {
    const noBase = diffCosts(null, estimate());
    expect(noBase.hasBase).toBe(false);
    expect(noBase.monthly.atDeploy).toEqual({ base: 0, head: 1234.5, delta: 1234.5 });
    expect(costDiffMarkdown("staging", noBase).split("\n").slice(4)).toEqual([
      "| at deploy | — | $1,234.50 | — |",
      "| idle floor | — | $999.99 | — |",
      "| ceiling | — | $12,345.68 | — |",
      "| batch expected | — | $11.70 | — |",
      "",
      "The base branch has no estimate of this stack: every line is new (the plan artifact lists them).",
    ]);
    expect(costDiffMarkdown("staging", diffCosts(estimate(), estimate())).split("\n").slice(-2)).toEqual(["", "No line changed."]);
    // A stack the head no longer prices (moved to target: kubernetes): every total falls to zero.
    expect(diffCosts(estimate(), null).monthly.idleFloor).toEqual({ base: 999.99, head: 0, delta: -999.99 });
  });
});
