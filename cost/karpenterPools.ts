/**
 * Karpenter's batch pools (NodePool + EC2NodeClass in the plan) priced like node groups: a floor and an at-deploy
 * size of zero (Karpenter launches nothing before a pod waits), a ceiling from the NodePool's `limits`, and a
 * node-hour at the dear end of the types its requirements allow. Karpenter allocates spot price-capacity-optimized
 * (v1.14 concepts/scheduling.md), not cheapest-first, so the dear end is the honest bound.
 */
import { ARCH_LABEL, BATCH_TAINT_KEY, POOL_LABEL } from "../lib/placement";
import { parseDuration } from "../lib/duration";
import { instanceShape } from "../lib/instanceTypes";
import type { PricedNodeGroup, NodeContext } from "./nodes";
import { ofType, type PlannedResource } from "./plannedResource";
import { onDemandHour, PriceError, type RegionPrices } from "./prices";
import { spotPricing } from "./spot";

export const NODE_POOL_TYPE = "kubernetes:karpenter.sh/v1:NodePool";
const NODE_CLASS_TYPE = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass";

type Requirement = { key: string; operator: string; values?: string[] };

/** `m6i` -> category `m`, generation 6 (EC2's naming: category letters, generation digit, options). */
function familyParts(family: string): { category: string; generation: string } | undefined {
  const match = /^([a-z]+)(\d+)/.exec(family);
  return match ? { category: match[1], generation: match[2] } : undefined;
}

/** The instance types a NodePool's requirements allow, among those the region's snapshot prices, dearest last. */
export function allowedTypes(requirements: Requirement[], region: RegionPrices): string[] {
  const values = (key: string) => requirements.find((r) => r.key === key && r.operator === "In")?.values;
  const families = values("karpenter.k8s.aws/instance-family");
  const categories = values("karpenter.k8s.aws/instance-category");
  const generations = values("karpenter.k8s.aws/instance-generation");
  const sizes = values("karpenter.k8s.aws/instance-size");
  const architectures = values(ARCH_LABEL);
  return Object.keys(region.onDemand).filter((type) => {
    const [family, size] = type.split(".");
    const parts = familyParts(family);
    const shape = instanceShape(type);
    if (!parts || !shape) return false;
    if (architectures && !architectures.includes(shape.architecture)) return false;
    if (families && !families.includes(family)) return false;
    if (categories && !categories.includes(parts.category)) return false;
    if (generations && !generations.includes(parts.generation)) return false;
    return !sizes || sizes.includes(size);
  }).sort((a, b) => region.onDemand[a] - region.onDemand[b]);
}

function cpuQuantity(value: unknown): number {
  const text = String(value ?? "0");
  return text.endsWith("m") ? Number(text.slice(0, -1)) / 1000 : Number(text);
}

export function priceNodePools(resources: PlannedResource[], context: NodeContext): PricedNodeGroup[] {
  const classes = ofType(resources, NODE_CLASS_TYPE);
  return ofType(resources, NODE_POOL_TYPE).map((nodePool) => {
    // The shape components/aws/karpenter/nodeClasses.ts declares: a template with labels, taints and requirements.
    const spec = nodePool.inputs.spec;
    const template = spec.template.spec;
    const pool = spec.template.metadata.labels[POOL_LABEL] ?? nodePool.name;
    const key = context.poolKey(pool);
    const requirements: Requirement[] = template.requirements;
    const types = allowedTypes(requirements, context.region);
    if (types.length === 0) throw new PriceError(`${key}: the NodePool allows no instance type the price snapshot has in ${context.regionName}; refresh it with npm run refresh-prices, or plan with --no-cost`);
    const capacity = requirements.find((r) => r.key === "karpenter.sh/capacity-type")?.values ?? ["on-demand"];
    const perTypeOnDemand = types.map((type) => onDemandHour(context.region, context.regionName, type, key));
    const spot = capacity.includes("spot") ? spotPricing(context, types, key) : undefined;
    // With an on-demand fallback the dear end is on-demand's.
    const dearestOnDemand = Math.max(...perTypeOnDemand);
    const nodeHour = capacity.includes("on-demand") ? dearestOnDemand : spot!.spotHour.high;
    const smallestVcpus = Math.min(...types.map((type) => instanceShape(type)!.vcpus));
    const nodeClass = classes.find((candidate) => candidate.inputs.metadata.name === template.nodeClassRef.name);
    if (!nodeClass) throw new Error(`${key}: the NodePool's EC2NodeClass ${template.nodeClassRef.name} is not in the plan`);
    const volume = String(nodeClass.inputs.spec.blockDeviceMappings[0].ebs.volumeSize);
    return {
      name: nodePool.name,
      pool,
      capacityType: capacity.includes("spot") ? "SPOT" : "ON_DEMAND",
      batch: template.taints.some((taint: { key: string }) => taint.key === BATCH_TAINT_KEY),
      // The cheapest type first: what one node of the pool holds when the estimate sizes a run.
      instanceTypes: types,
      minSize: 0,
      desiredSize: 0,
      // The most nodes `limits.cpu` admits: all of the smallest allowed type.
      maxSize: Math.floor(cpuQuantity(spec.limits?.cpu) / smallestVcpus),
      diskGiB: Number(volume.replace(/Gi$/, "")),
      onDemandHour: perTypeOnDemand[0],
      ...spot,
      nodeHour,
    };
  });
}

/** Karpenter's wait before it removes an empty node: the longest `consolidateAfter` of the plan's NodePools, in hours. */
export function consolidateAfterHours(resources: PlannedResource[]): number | undefined {
  const pools = ofType(resources, NODE_POOL_TYPE);
  if (pools.length === 0) return undefined;
  // `Never` (or anything that is not a plain duration) keeps nothing beyond the run.
  return Math.max(...pools.map((pool) => (parseDuration(String(pool.inputs.spec.disruption.consolidateAfter)) ?? 0) / 3600));
}
