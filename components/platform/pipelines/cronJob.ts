/**
 * A scheduled pipeline as a Kubernetes CronJob: one pod per run, or an Indexed Job of `completions` pods. Its
 * retries spend themselves on infrastructure failures, never on a non-retriable exit code.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { BatchPipelineConfig } from "../../../config/schema";
import { container, MAIN_CONTAINER, PIPELINE_LABEL, pipelinePodSpec, runAnnotations, startingDeadlineSeconds, type PipelineWiring } from "./pod";

/**
 * A spot interruption or a node drain marks the pod with the `DisruptionTarget` condition: such failures do not
 * count against the retries. Exit codes the pipeline marks as non-retriable fail the Job at once, or in an
 * Indexed Job only their index (`FailIndex`, valid only with backoffLimitPerIndex, which an Indexed pipeline
 * always has: k8s.io/kubernetes pkg/apis/batch/validation).
 */
export function podFailurePolicy(pipeline: BatchPipelineConfig) {
  return {
    rules: [
      { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] },
      ...(pipeline.nonRetriableExitCodes.length > 0
        ? [{ action: pipeline.completions !== undefined ? "FailIndex" : "FailJob", onExitCodes: { containerName: MAIN_CONTAINER, operator: "In", values: pipeline.nonRetriableExitCodes } }]
        : []),
    ],
  };
}

/**
 * How a run retries. One pod: `backoffLimit` retries of the run. An Indexed Job (`completions`): each index
 * retries on its own (`backoffLimitPerIndex`, the pipeline's backoffLimit unless set) and `backoffLimit` is left
 * unset, which the API server then defaults to unlimited: carried over, the pipeline's 3 would fail the whole run
 * after three failures across all its indexes (Kubernetes documentation, "Backoff limit per index").
 */
export function jobRetries(pipeline: BatchPipelineConfig) {
  if (pipeline.completions === undefined) return { backoffLimit: pipeline.backoffLimit };
  return {
    completionMode: "Indexed",
    completions: pipeline.completions,
    parallelism: pipeline.parallelism ?? 1,
    backoffLimitPerIndex: pipeline.backoffLimitPerIndex ?? pipeline.backoffLimit,
    ...(pipeline.maxFailedIndexes !== undefined ? { maxFailedIndexes: pipeline.maxFailedIndexes } : {}),
  };
}

export function cronJob(pipeline: BatchPipelineConfig, wiring: PipelineWiring): { apiVersion: string; kind: string; metadata: k8s.types.input.meta.v1.ObjectMeta; spec: k8s.types.input.batch.v1.CronJobSpec } {
  const labels = { [PIPELINE_LABEL]: pipeline.name };
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: pipeline.name, namespace: wiring.namespace, labels },
    spec: {
      schedule: pipeline.schedule,
      timeZone: pipeline.timeZone,
      suspend: pipeline.suspend,
      concurrencyPolicy: pipeline.concurrencyPolicy,
      startingDeadlineSeconds: startingDeadlineSeconds(pipeline),
      successfulJobsHistoryLimit: pipeline.successfulJobsHistoryLimit,
      failedJobsHistoryLimit: pipeline.failedJobsHistoryLimit,
      jobTemplate: {
        metadata: { labels },
        spec: {
          ...jobRetries(pipeline),
          activeDeadlineSeconds: pipeline.activeDeadlineSeconds,
          ttlSecondsAfterFinished: pipeline.ttlSecondsAfterFinished,
          podFailurePolicy: podFailurePolicy(pipeline),
          template: {
            metadata: { labels, ...runAnnotations(pipeline, wiring) },
            spec: { restartPolicy: "Never", ...pipelinePodSpec(pipeline, wiring, container(pipeline, wiring)) },
          },
        },
      },
    },
  };
}
