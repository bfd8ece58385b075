/**
 * Where workloads run. Node pools carry these labels and taints (components/aws/nodePools.ts); workloads select
 * them here, so the two sides cannot drift apart.
 */
import type * as k8s from "@pulumi/kubernetes";

type Toleration = k8s.types.input.core.v1.Toleration;
type Affinity = k8s.types.input.core.v1.Affinity;

export const POOL_LABEL = "etl-platform/pool";
export const CAPACITY_LABEL = "etl-platform/capacity";
export const STATEFUL_TAINT_KEY = "etl-platform/stateful";
export const BATCH_TAINT_KEY = "etl-platform/batch";
export const ZONE_LABEL = "topology.kubernetes.io/zone";

/** PriorityClass of Kafka, Postgres and Prometheus: above the pipelines, which depend on them. */
export const DATA_PRIORITY_CLASS = "etl-data-services";

export type PoolRole = "system" | "stateful" | "batch";

export interface Taint {
  key: string;
  value: string;
  effect: "NoSchedule";
}

export interface Placement {
  nodeSelector?: Record<string, string>;
  tolerations: Toleration[];
  affinity?: Affinity;
}

function requireLabels(labels: Record<string, string[]>): Affinity {
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: Object.entries(labels).map(([key, values]) => ({ key, operator: "In", values })) }],
      },
    },
  };
}

function tolerate(key: string): Toleration {
  return { key, operator: "Equal", value: "true", effect: "NoSchedule" };
}

/** Operators and add-ons: the on-demand system pool (as a nodeSelector, and as affinity for CRDs that take no nodeSelector). */
export const systemPlacement: Placement = { nodeSelector: { [POOL_LABEL]: "system" }, tolerations: [], affinity: requireLabels({ [POOL_LABEL]: ["system"] }) };

/** Kafka, Postgres, Prometheus: only the tainted on-demand stateful pool, never a spot node. */
export const statefulPlacement: Placement = {
  tolerations: [tolerate(STATEFUL_TAINT_KEY)],
  affinity: requireLabels({ [POOL_LABEL]: ["stateful"], [CAPACITY_LABEL]: ["on-demand"] }),
};

/** The well-known node label of the CPU architecture (kubelet sets it; Karpenter and the autoscaler template it). */
export const ARCH_LABEL = "kubernetes.io/arch";

/** Pipelines: the batch pools of the chosen capacity type; of the image's architectures, when given. */
export function batchPlacement(capacityType: "spot" | "on-demand", architectures?: readonly string[]): Placement {
  return { tolerations: [tolerate(BATCH_TAINT_KEY)], affinity: requireLabels({ [CAPACITY_LABEL]: [capacityType], ...(architectures ? { [ARCH_LABEL]: [...architectures] } : {}) }) };
}

/**
 * The batch placement of a cluster whose batch pools are these: a pipeline whose image lacks the architecture of
 * some pool of its capacity type is kept to the pools it can run on (`kubernetes.io/arch In` its architectures);
 * otherwise nothing is added, so an all-amd64 cluster's pods are as before. The cluster autoscaler knows a
 * scale-from-zero group's architecture from its instance type (kubernetes/autoscaler cluster-autoscaler/
 * cloudprovider/aws/aws_manager.go buildGenericLabels: `LabelArchStable` = the type's Architecture, at
 * cluster-autoscaler-1.32.5), Karpenter from its NodePool's requirements.
 */
export function architectureAwareBatch(pools: readonly { capacityType: "spot" | "on-demand"; architecture: string }[]): Placements["batch"] {
  return (capacityType, architectures = ["amd64"]) => {
    const present = pools.filter((pool) => pool.capacityType === capacityType).map((pool) => pool.architecture);
    return batchPlacement(capacityType, present.every((architecture) => architectures.includes(architecture)) ? undefined : architectures);
  };
}

/** Where each kind of workload runs: our pools' labels and taints, or nowhere in particular. */
export interface Placements {
  system: Placement;
  stateful: Placement;
  /** The batch pools of a capacity type, for an image of these architectures ([amd64] unless given). */
  batch: (capacityType: "spot" | "on-demand", architectures?: readonly string[]) => Placement;
  /** Node label to spread replicas over; undefined when the nodes carry no zone. */
  zoneLabel?: string;
  /** Annotations of a batch run's pods, given its deadline (Karpenter's do-not-disrupt); none when nothing consolidates them. */
  runAnnotations?: (deadlineSeconds: number) => Record<string, string>;
}

/**
 * Karpenter's pod annotation that keeps consolidation and drift from evicting the pod; v1.14 accepts a Go duration
 * (concepts/disruption.md, "Pod-Level Controls"): protection for that long after the pod starts running.
 */
export const DO_NOT_DISRUPT = "karpenter.sh/do-not-disrupt";

/** Our EKS node pools' labels and taints (components/aws/nodePools.ts), zones from the well-known label. */
export const nodePoolPlacements: Placements = { system: systemPlacement, stateful: statefulPlacement, batch: batchPlacement, zoneLabel: ZONE_LABEL };

/**
 * The same pools with Karpenter launching the batch nodes: a batch run is protected from consolidation and drift
 * for its deadline (one backfill under Karpenter logged 19 of 21 evictions as consolidation: dynamical-org/
 * reformatters PR #945). Spot interruptions and expiry still take the node (forceful methods ignore the annotation).
 */
export const karpenterPlacements: Placements = { ...nodePoolPlacements, runAnnotations: (deadlineSeconds) => ({ [DO_NOT_DISRUPT]: `${deadlineSeconds}s` }) };

/** A cluster whose nodes we do not manage: no selectors, no tolerations, no zones (e.g. kind). */
export const anyNodePlacements: Placements = { system: { tolerations: [] }, stateful: { tolerations: [] }, batch: () => ({ tolerations: [] }), zoneLabel: undefined };

export function poolLabels(role: PoolRole, poolName: string, capacityType: "spot" | "on-demand"): Record<string, string> {
  return { [POOL_LABEL]: role === "batch" ? poolName : role, [CAPACITY_LABEL]: capacityType };
}

export function poolTaints(role: PoolRole): Taint[] {
  if (role === "stateful") return [{ key: STATEFUL_TAINT_KEY, value: "true", effect: "NoSchedule" }];
  if (role === "batch") return [{ key: BATCH_TAINT_KEY, value: "true", effect: "NoSchedule" }];
  return [];
}
