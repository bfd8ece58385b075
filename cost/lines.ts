/** The estimate's building block: one priced item, quantity × unit price, so every figure can be checked by hand. */

/**
 * Which total a line counts towards: `fixed` in the at-deploy figure, the idle floor and the ceiling; `deploy` only
 * at deploy (node groups at their desired size, where EKS starts them); `floor` only in the idle floor (at their
 * minimum size); `running` at deploy and in the idle floor (streaming consumers at their minimum, which run all month
 * on nodes the autoscaler adds, and which a pool at its maximum holds); `ceiling` only in the ceiling (at their
 * maximum); `batch` in the expected batch cost; `usage` is a per-unit rate whose volume the plan cannot know
 * (monthly is null).
 */
export type LineBasis = "fixed" | "deploy" | "floor" | "running" | "ceiling" | "batch" | "usage";

export interface CostLine {
  /** Stable across plans, for the diff of two estimates. */
  id: string;
  component: string;
  item: string;
  quantity: number | null;
  unit: string;
  unitPrice: number;
  monthly: number | null;
  basis: LineBasis;
}

export const HOURS_PER_MONTH = 730;

export const cents = (value: number) => Math.round(value * 100) / 100;
/** Quantities keep what a reader needs to redo the product (node-hours to two decimals). */
export const hundredths = (value: number) => Math.round(value * 100) / 100;

export function line(id: string, component: string, item: string, quantity: number, unit: string, unitPrice: number, basis: Exclude<LineBasis, "usage">): CostLine {
  const exactQuantity = hundredths(quantity);
  return { id, component, item, quantity: exactQuantity, unit, unitPrice, monthly: cents(exactQuantity * unitPrice), basis };
}

export function usageLine(id: string, component: string, item: string, unit: string, unitPrice: number): CostLine {
  return { id, component, item, quantity: null, unit, unitPrice, monthly: null, basis: "usage" };
}

export function total(lines: CostLine[], bases: LineBasis[]): number {
  return cents(lines.filter((l) => bases.includes(l.basis)).reduce((sum, l) => sum + (l.monthly ?? 0), 0));
}
