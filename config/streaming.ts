/**
 * Streaming pipelines: the scaling bounds that make sense for a Kafka consumer group, refused at plan time.
 * How KEDA's Kafka scaler counts (kedacore/keda v2.20.2 pkg/scalers/kafka_scaler.go, getTotalLag): one consumer
 * per `lagThreshold` messages behind, never more than the topic's partitions (allowIdleConsumers off); a group
 * with more members than partitions leaves the extra ones idle.
 */
import type { KafkaConfig, StreamingPipelineConfig } from "./schema";

export interface StreamingProblem {
  key: (string | number)[];
  message: string;
}

/** The partitions a consumer can be assigned: those of the topics it reads, summed (undeclared topics are reported elsewhere). */
export function readPartitions(pipeline: Pick<StreamingPipelineConfig, "kafka">, topics: KafkaConfig["topics"]): number {
  return pipeline.kafka.read.reduce((sum, name) => sum + (topics.find((topic) => topic.name === name)?.partitions ?? 0), 0);
}

/** What KEDA keeps running while it cannot read the lag: the configured fallback, else max(1, minReplicas). */
export function fallbackReplicas(scaling: StreamingPipelineConfig["scaling"]): number {
  return scaling.fallbackReplicas ?? Math.max(1, scaling.minReplicas);
}

export function streamingProblems(pipeline: StreamingPipelineConfig, topics: KafkaConfig["topics"], maxParallelism: number): StreamingProblem[] {
  const problems: StreamingProblem[] = [];
  const { minReplicas, maxReplicas, activationLagThreshold, fallbackReplicas: fallback } = pipeline.scaling;
  const scaling = (key: string) => ["scaling", key];
  if (minReplicas > maxReplicas) problems.push({ key: scaling("minReplicas"), message: `expected at most scaling.maxReplicas (${maxReplicas}), got ${minReplicas}` });
  const declared = pipeline.kafka.read.every((name) => topics.some((topic) => topic.name === name));
  const partitions = readPartitions(pipeline, topics);
  if (declared && maxReplicas > partitions) {
    problems.push({ key: scaling("maxReplicas"), message: `expected at most the partitions of the topics it reads (${partitions}: ${pipeline.kafka.read.join(", ")}); more consumers than partitions sit idle, got ${maxReplicas}` });
  }
  if (maxReplicas > maxParallelism) problems.push({ key: scaling("maxReplicas"), message: `expected at most pipelineLimits.maxParallelism (${maxParallelism}), got ${maxReplicas}` });
  if (activationLagThreshold !== undefined && minReplicas > 0) {
    problems.push({ key: scaling("activationLagThreshold"), message: `expected scaling.minReplicas 0 with activationLagThreshold (it only decides when the first consumer starts; KEDA ignores it above zero), got minReplicas ${minReplicas}` });
  }
  if (fallback !== undefined && fallback > maxReplicas) problems.push({ key: scaling("fallbackReplicas"), message: `expected at most scaling.maxReplicas (${maxReplicas}), got ${fallback}` });
  return problems;
}
