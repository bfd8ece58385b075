/**
 * A spot pool's price: the node-hour band over its types (on-demand less the Spot Instance Advisor's savings of
 * each, per region and type) and the advisor's interruption band of each type. One computation for the managed
 * node groups (nodes.ts) and Karpenter's NodePools (karpenterPools.ts).
 */
import type { NodeContext, PricedNodeGroup, SpotBand } from "./nodes";
import { onDemandHour, spotSavings } from "./prices";

const round6 = (value: number) => Math.round(value * 1e6) / 1e6;

export function spotPricing(context: NodeContext, instanceTypes: string[], key: string): { spotHour: SpotBand; interruption: NonNullable<PricedNodeGroup["interruption"]> } {
  const perType = instanceTypes.map((type) => onDemandHour(context.region, context.regionName, type, key) * (1 - spotSavings(context.region, context.regionName, type, key)));
  return {
    spotHour: { low: round6(Math.min(...perType)), high: round6(Math.max(...perType)) },
    interruption: instanceTypes.map((type) => ({ type, band: context.region.spotInterruption[type] })),
  };
}
