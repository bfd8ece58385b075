/**
 * What a steps pipeline needs of Argo beside its CronWorkflow: the executor's identity, the artifact repository
 * where its step logs go, its semaphore, and the custom metrics the controller emits for it.
 */
import type { PipelineConfig } from "../../../config/schema";

/** The service account whose token Argo's executor (init and wait containers) uses; pipeline code never sees it. */
export const EXECUTOR_SERVICE_ACCOUNT = "argo-executor";
/**
 * What Argo's executor needs of the API server in every workflow pod, v3.4 and later: create and patch its
 * WorkflowTaskResults (argoproj/argo-workflows docs/workflow-rbac.md).
 */
export const EXECUTOR_RBAC_RULES = [{ apiGroups: ["argoproj.io"], resources: ["workflowtaskresults"], verbs: ["create", "patch"] }];
/** The ConfigMap in the pipelines namespace with one Argo artifact repository per steps pipeline. */
export const ARTIFACT_REPOSITORIES_CONFIGMAP = "artifact-repositories";
/**
 * A semaphore of one per steps pipeline, a ConfigMap each (adding a pipeline then only creates objects): a run
 * submitted by hand waits for the scheduled one, and back.
 */
export const semaphoreConfigMap = (pipeline: { name: string }) => ({ name: `${pipeline.name}-semaphore`, key: "limit" });
/**
 * An Argo custom metric: emitted by the controller as `argo_workflows_<name>` (util/telemetry/exporter_prometheus.go),
 * when `when` holds, with `labels` as Prometheus labels.
 */
export function argoMetric(name: string, help: string, when: string, value: Record<string, unknown>, labels: { key: string; value: string }[] = []) {
  return { name, help, ...(labels.length > 0 ? { labels } : {}), when, ...value };
}

/** Where a steps pipeline's logs and artifacts go: its own prefix, which only its own IAM role may write. */
export function artifactPrefix(pipeline: Pick<PipelineConfig, "name">): string {
  return `${pipeline.name}/`;
}

/** Where an Argo artifact repository points: the store's S3 endpoint, and how pods authenticate to it. */
export interface ArtifactStoreAccess {
  bucket: string;
  endpoint: string;
  region: string;
  insecure: boolean;
  /** Static keys in a Secret of the pipelines namespace; without it, the pod's own identity (IRSA on AWS). */
  secret?: { name: string; accessKeyIdKey: string; secretAccessKeyKey: string };
}

/**
 * A steps pipeline's Argo artifact repository (an entry of the `artifact-repositories` ConfigMap): step logs are
 * archived under the pipeline's own prefix, with the pipeline's own credentials (its IAM role on AWS, its own
 * keys with an in-cluster store). https://argo-workflows.readthedocs.io/en/latest/artifact-repository-ref/
 */
export function artifactRepository(pipeline: Pick<PipelineConfig, "name">, store: ArtifactStoreAccess) {
  const credentials = store.secret
    ? { accessKeySecret: { name: store.secret.name, key: store.secret.accessKeyIdKey }, secretKeySecret: { name: store.secret.name, key: store.secret.secretAccessKeyKey } }
    : { useSDKCreds: true };
  return {
    archiveLogs: true,
    s3: {
      bucket: store.bucket,
      endpoint: store.endpoint,
      region: store.region,
      insecure: store.insecure,
      ...credentials,
      keyFormat: `${artifactPrefix(pipeline)}{{workflow.name}}/{{pod.name}}`,
    },
  };
}

