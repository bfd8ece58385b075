/**
 * Streaming pipelines run all the time: their consumers at `scaling.minReplicas` keep nodes of their batch pool
 * up even when no batch run is due, so the idle floor counts them; at `scaling.maxReplicas` they stay within the
 * ceiling (every node group at its maximum) only if their pool's maxSize holds them, which a note says.
 * The replica bounds come from each pipeline's ScaledObject, its pods' requests and placement from its Deployment.
 */
import { capacityOf, nodesFor, podRequests } from "./batch";
import { HOURS_PER_MONTH, line, type CostLine } from "./lines";
import type { PricedNodeGroup } from "./nodes";
import { ofType, type PlannedResource } from "./plannedResource";
import { PriceError } from "./prices";

export interface StreamingConsumers {
  pipeline: string;
  minReplicas: number;
  maxReplicas: number;
  nodesAtMin: number;
  nodesAtMax: number;
  pool: PricedNodeGroup;
}

export function streamingConsumers(resources: PlannedResource[], groups: PricedNodeGroup[]): StreamingConsumers[] {
  const scalers = ofType(resources, "kubernetes:keda.sh/v1alpha1:ScaledObject");
  return ofType(resources, "kubernetes:apps/v1:Deployment").flatMap((deployment) => {
    const name = deployment.inputs.metadata?.name;
    const scaler = scalers.find((candidate) => candidate.inputs.spec?.scaleTargetRef?.name === name && candidate.inputs.metadata?.namespace === deployment.inputs.metadata?.namespace);
    if (!scaler) return [];
    const podSpec = deployment.inputs.spec?.template?.spec ?? {};
    const capacity = capacityOf(podSpec.affinity);
    const capacityType = capacity === "spot" ? "SPOT" : "ON_DEMAND";
    const pool = groups.find((group) => group.batch && group.capacityType === capacityType);
    if (!pool) throw new PriceError(`etl-platform:pipelines (${name}): no ${capacity} batch pool to run it on`);
    const pod = podRequests(podSpec);
    const minReplicas = scaler.inputs.spec.minReplicaCount ?? 1;
    const maxReplicas = scaler.inputs.spec.maxReplicaCount ?? 100;
    const nodes = (replicas: number) => (replicas === 0 ? 0 : nodesFor(pool, Array.from({ length: replicas }, () => pod)));
    return [{ pipeline: name, minReplicas, maxReplicas, nodesAtMin: nodes(minReplicas), nodesAtMax: nodes(maxReplicas), pool }];
  });
}

/** The idle floor's share of each streaming pipeline: its nodes at minReplicas, all month. */
export function streamingLines(consumers: StreamingConsumers[]): CostLine[] {
  return consumers.filter((consumer) => consumer.nodesAtMin > 0).map((consumer) => {
    const priced = consumer.pool.capacityType === "SPOT" ? "spot, high end" : "on-demand";
    const item = `${consumer.pipeline}: ${consumer.minReplicas} consumers (scaling.minReplicas) on ${consumer.nodesAtMin} ${consumer.pool.instanceTypes[0]} nodes of ${consumer.pool.name} × ${HOURS_PER_MONTH} h (${priced}; it runs all month)`;
    return line(`streaming/${consumer.pipeline}`, "streaming", item, consumer.nodesAtMin * HOURS_PER_MONTH, "node-hour", consumer.pool.nodeHour, "running");
  });
}

/** What the ceiling means for each streaming pipeline: its consumers at maxReplicas, within their pool's maxSize or not. */
export function streamingNotes(consumers: StreamingConsumers[]): string[] {
  return consumers.map((consumer) => {
    const fits = consumer.nodesAtMax <= consumer.pool.maxSize;
    return `${consumer.pipeline}: at scaling.maxReplicas (${consumer.maxReplicas}) its consumers need ${consumer.nodesAtMax} ${consumer.pool.instanceTypes[0]} nodes of ${consumer.pool.name}, ${fits ? `within the ceiling (its maxSize ${consumer.pool.maxSize})` : `more than its maxSize ${consumer.pool.maxSize}: the last consumers would stay pending; raise the pool's maxSize or lower maxReplicas`}.`;
  });
}
