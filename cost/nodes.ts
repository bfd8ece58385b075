/**
 * Node groups: each at its desired size (where EKS starts it: at deploy), at its minimum (the idle floor) and at
 * its maximum (the ceiling), with its root volumes, and the price of one node-hour of each batch pool, on-demand
 * and on spot, with the Spot Instance Advisor's interruption band of each of its types.
 */
import { BATCH_TAINT_KEY, POOL_LABEL } from "../lib/placement";
import { HOURS_PER_MONTH, line, type CostLine } from "./lines";
import { ofType, type PlannedResource } from "./plannedResource";
import { onDemandHour, type RegionPrices } from "./prices";
import { spotPricing } from "./spot";
import { priceNodePools } from "./karpenterPools";

/**
 * Root volume of a managed node group without a launch template: EKS's default of 20 GiB
 * (https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateNodegroup.html, diskSize).
 */
const EKS_DEFAULT_DISK_GIB = 20;

export interface SpotBand {
  /** Cheapest node-hour: the type with the deepest discount. */
  low: number;
  /** Dearest node-hour: the figure every total uses, so the estimate errs high. */
  high: number;
}

export interface PricedNodeGroup {
  name: string;
  pool: string;
  capacityType: "ON_DEMAND" | "SPOT";
  batch: boolean;
  instanceTypes: string[];
  minSize: number;
  desiredSize: number;
  maxSize: number;
  diskGiB: number;
  /** On-demand price of the group's first type: what the same capacity costs without spot. */
  onDemandHour: number;
  spotHour?: SpotBand;
  /** A spot group's types priced at an actual spot price from a feed; the others at on-demand less the advisor's savings. */
  actualSpotPrices?: string[];
  /** A spot group's types with the advisor's interruption band of each (its `r`, an index into the snapshot's bands). */
  interruption?: { type: string; band: number }[];
  /** What the estimate charges per node-hour: on-demand, or the high end of the spot band. */
  nodeHour: number;
}

export interface NodeContext {
  region: RegionPrices;
  regionName: string;
  /** The config key that chose a pool's instance types, for error messages. */
  poolKey: (pool: string) => string;
}

function rootDiskGiB(group: PlannedResource, launchTemplates: PlannedResource[]): number {
  if (typeof group.inputs.diskSize === "number") return group.inputs.diskSize;
  const template = launchTemplates.find((candidate) => candidate.name === group.name);
  const size = template?.inputs.blockDeviceMappings?.[0]?.ebs?.volumeSize;
  return typeof size === "number" ? size : EKS_DEFAULT_DISK_GIB;
}

/** Every pool of the plan: the managed node groups, then Karpenter's NodePools (cost/karpenterPools.ts). */
export function priceNodeGroups(resources: PlannedResource[], context: NodeContext): PricedNodeGroup[] {
  return [...priceManagedNodeGroups(resources, context), ...priceNodePools(resources, context)];
}

function priceManagedNodeGroups(resources: PlannedResource[], context: NodeContext): PricedNodeGroup[] {
  const launchTemplates = ofType(resources, "aws:ec2/launchTemplate:LaunchTemplate");
  return ofType(resources, "aws:eks/nodeGroup:NodeGroup").map((group) => {
    const inputs = group.inputs;
    const pool = inputs.labels?.[POOL_LABEL] ?? group.name;
    const key = context.poolKey(pool);
    const instanceTypes: string[] = inputs.instanceTypes ?? [];
    const capacityType = inputs.capacityType === "SPOT" ? "SPOT" : "ON_DEMAND";
    const onDemand = onDemandHour(context.region, context.regionName, instanceTypes[0], key);
    const spot = capacityType === "SPOT" ? spotPricing(context, instanceTypes, key) : undefined;
    // Batch pools are the ones only pipelines tolerate (lib/placement.ts).
    const batch = (inputs.taints ?? []).some((taint: { key?: string }) => taint.key === BATCH_TAINT_KEY);
    return {
      name: group.name,
      pool,
      capacityType,
      batch,
      instanceTypes,
      minSize: inputs.scalingConfig?.minSize ?? 0,
      desiredSize: inputs.scalingConfig?.desiredSize ?? inputs.scalingConfig?.minSize ?? 0,
      maxSize: inputs.scalingConfig?.maxSize ?? 0,
      diskGiB: rootDiskGiB(group, launchTemplates),
      onDemandHour: onDemand,
      ...spot,
      nodeHour: spot?.spotHour.high ?? onDemand,
    };
  });
}

const SIZES = { deploy: ["desiredSize", "desired"], floor: ["minSize", "min"], ceiling: ["maxSize", "max"] } as const;

/** Two lines per group and size (instances, root volumes): at deploy at desiredSize, the floor at minSize, the ceiling at maxSize. */
export function nodeGroupLines(groups: PricedNodeGroup[], gp3GBMonth: number): CostLine[] {
  return groups.flatMap((group) => {
    const priced = group.capacityType === "SPOT" ? `spot, high end of ${group.instanceTypes.join("/")}` : `on-demand ${group.instanceTypes[0]}`;
    return (["deploy", "floor", "ceiling"] as const).flatMap((basis) => {
      const [key, size] = SIZES[basis];
      const nodes = group[key];
      return [
        line(`nodes/${group.name}/${basis}`, "nodes", `${group.name}: ${nodes} nodes (${size}) × ${HOURS_PER_MONTH} h, ${priced}`, nodes * HOURS_PER_MONTH, "node-hour", group.nodeHour, basis),
        line(`nodes/${group.name}/root-volumes/${basis}`, "storage", `${group.name}: ${nodes} root volumes (${size}) × ${group.diskGiB} GiB gp3`, nodes * group.diskGiB, "GB-month", gp3GBMonth, basis),
      ];
    });
  });
}
