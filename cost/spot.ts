/**
 * A spot pool's price: the node-hour band over its types (each type's actual spot price where a feed gave one, else
 * on-demand less the Spot Instance Advisor's savings, per region and type), which types had an actual price, and
 * the advisor's interruption band of each type. One computation for the managed
 * node groups (nodes.ts) and Karpenter's NodePools (karpenterPools.ts).
 */
import type { NodeContext, PricedNodeGroup } from "./nodes";
import { spotHour } from "./prices";

const round6 = (value: number) => Math.round(value * 1e6) / 1e6;

export function spotPricing(context: NodeContext, instanceTypes: string[], key: string): Required<Pick<PricedNodeGroup, "spotHour" | "actualSpotPrices" | "interruption">> {
  const perType = instanceTypes.map((type) => ({ type, ...spotHour(context.region, context.regionName, type, key) }));
  const hours = perType.map(({ hour }) => hour);
  return {
    spotHour: { low: round6(Math.min(...hours)), high: round6(Math.max(...hours)) },
    actualSpotPrices: perType.filter(({ actual }) => actual).map(({ type }) => type),
    interruption: instanceTypes.map((type) => ({ type, band: context.region.spotInterruption[type] })),
  };
}
