/** The estimate of an offline plan for a stack's settings (its region and pools), and its budget check. */
import type { StackSettings } from "../plan/stackFile";
import { estimateCost, type CostEstimate } from "./estimate";
import type { PlannedResource } from "./plannedResource";
import { priceSnapshot, PriceError } from "./prices";

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
