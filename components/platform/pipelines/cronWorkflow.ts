/** A multi-step pipeline as an Argo CronWorkflow. */
import type { BatchPipelineConfig } from "../../../config/schema";
import { widestLevel } from "../../../lib/dag";
import { argoMetric, ARTIFACT_REPOSITORIES_CONFIGMAP, EXECUTOR_SERVICE_ACCOUNT, semaphoreConfigMap } from "./argoSupport";
import { container, kafkaVolumes, PIPELINE_LABEL, PIPELINE_PRIORITY_CLASS, podSettings, runAnnotations, startingDeadlineSeconds, TMP_VOLUME, type PipelineWiring } from "./pod";
import { argoStepRetryStrategy } from "./retries";
import { restrictedPodSecurityContext } from "../../../lib/podSecurity";

/**
 * A multi-step pipeline as an Argo CronWorkflow running its steps as a DAG. A step runs only when the steps it
 * depends on succeeded, so a failed validate step stops the load. Only steps retry, and only on infrastructure
 * failures (retries.ts); the DAG itself has no retry strategy, so a failed check never re-runs the DAG.
 *
 * Identity: the pods run as the pipeline's own service account (its IAM role writes the step logs under the
 * pipeline's prefix). Argo v4 copies `automountServiceAccountToken` onto the pod only when it is false, and then
 * requires `executor.serviceAccountName`, whose token it mounts into the init and wait containers only
 * (argoproj/argo-workflows v4.0.6 workflow/controller/workflowpod.go, createWorkflowPod and newExecContainer):
 * the executor can report step results, the pipeline's code gets no API token unless it asks (`kubernetesApi`).
 */
/** A step's name for an input artifact: its source step and artifact (`<step>-<artifact>`), unique in the step. */
export const inputArtifactName = (from: string) => from.replace(".", "-");

export function cronWorkflow(pipeline: BatchPipelineConfig, wiring: PipelineWiring) {
  const steps = pipeline.steps ?? [];
  const labels = { [PIPELINE_LABEL]: pipeline.name };
  const metric = (name: string, help: string, when: string, value: Record<string, unknown>) => argoMetric(name, help, when, value, [{ key: "pipeline", value: pipeline.name }]);
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "CronWorkflow",
    metadata: { name: pipeline.name, namespace: wiring.namespace, labels },
    spec: {
      schedules: [pipeline.schedule],
      timezone: pipeline.timeZone,
      suspend: pipeline.suspend,
      concurrencyPolicy: pipeline.concurrencyPolicy,
      startingDeadlineSeconds: startingDeadlineSeconds(pipeline),
      successfulJobsHistoryLimit: pipeline.successfulJobsHistoryLimit,
      failedJobsHistoryLimit: pipeline.failedJobsHistoryLimit,
      workflowMetadata: { labels },
      workflowSpec: {
        entrypoint: "pipeline",
        // At most the DAG's widest level of steps at once: what the namespace's quota is sized for
        // (quota.ts); concurrencyPolicy bounds scheduled runs, the semaphore also those started by hand
        // (argo submit --from cronwf/...), which concurrencyPolicy does not see.
        parallelism: widestLevel(steps),
        synchronization: { semaphores: [{ configMapKeyRef: semaphoreConfigMap(pipeline) }] },
        serviceAccountName: pipeline.name,
        automountServiceAccountToken: pipeline.kubernetesApi,
        executor: { serviceAccountName: EXECUTOR_SERVICE_ACCOUNT },
        artifactRepositoryRef: { configMap: ARTIFACT_REPOSITORIES_CONFIGMAP, key: pipeline.name },
        activeDeadlineSeconds: pipeline.activeDeadlineSeconds,
        ttlStrategy: { secondsAfterCompletion: pipeline.ttlSecondsAfterFinished },
        podGC: { strategy: "OnPodCompletion" },
        podPriorityClassName: PIPELINE_PRIORITY_CLASS,
        securityContext: restrictedPodSecurityContext,
        tolerations: podSettings(pipeline, wiring).tolerations,
        affinity: podSettings(pipeline, wiring).affinity,
        podMetadata: { labels, ...runAnnotations(pipeline, wiring) },
        volumes: [TMP_VOLUME, ...kafkaVolumes(pipeline, wiring).volumes],
        metrics: {
          prometheus: [
            metric("etl_pipeline_last_success_timestamp_seconds", "When the pipeline last succeeded", "{{status}} == Succeeded", { gauge: { value: "{{workflow.creationTimestamp.s}}", realtime: false } }),
            metric("etl_pipeline_failures_total", "Failed runs of the pipeline", "{{status}} != Succeeded", { counter: { value: "1" } }),
            // Every run's duration, whatever its outcome (workflow.duration: argo-workflows docs/variables.md).
            metric("etl_pipeline_last_duration_seconds", "How long the pipeline's last run took", "{{status}} != Running", { gauge: { value: "{{workflow.duration}}", realtime: false } }),
          ],
        },
        templates: [
          {
            name: "pipeline",
            dag: {
              tasks: steps.map((step) => ({
                name: step.name,
                template: step.name,
                ...(step.dependsOn.length > 0 ? { dependencies: step.dependsOn } : {}),
                // An input artifact is an earlier task's output (argo-workflows docs/walk-through/artifacts.md, DAG).
                ...(step.inputs.length > 0 ? { arguments: { artifacts: step.inputs.map((input) => ({ name: inputArtifactName(input.from), from: `{{tasks.${input.from.split(".")[0]}.outputs.artifacts.${input.from.split(".")[1]}}}` })) } } : {}),
              })),
            },
          },
          ...steps.map((step) => ({
            name: step.name,
            retryStrategy: argoStepRetryStrategy(pipeline.backoffLimit, pipeline.nonRetriableExitCodes),
            ...(step.inputs.length > 0 ? { inputs: { artifacts: step.inputs.map((input) => ({ name: inputArtifactName(input.from), path: input.path })) } } : {}),
            // Archived under the pipeline's own prefix by its artifact repository (argoSupport.ts keyFormat).
            ...(step.outputs.length > 0 ? { outputs: { artifacts: step.outputs.map((output) => ({ name: output.name, path: output.path })) } } : {}),
            container: container(pipeline, wiring, step),
          })),
        ],
      },
    },
  };
}
