/**
 * What each pipeline becomes, as plain Kubernetes objects: a CronJob (or an Argo CronWorkflow for multi-step
 * pipelines), its environment wiring to Kafka and Postgres, its object-store access (its NetworkPolicy and its
 * alerts are in pipelineNetworkPolicy.ts and pipelineAlerts.ts). Pure functions, so tests and property tests can
 * check every pipeline config, not only the stack files'.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { PipelineConfig } from "../config/schema";
import { scheduleGaps } from "./cron";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "./podSecurity";
import type { Placement } from "./placement";
import { widestLevel } from "./pipelineQuota";
import { argoStepRetryStrategy } from "./retries";

export const PIPELINE_LABEL = "etl-platform/pipeline";
export const PIPELINE_PRIORITY_CLASS = "etl-pipelines";
export const MAIN_CONTAINER = "main";
const TMP_VOLUME = { name: "tmp", emptyDir: { sizeLimit: "1Gi" } };
const TMP_MOUNT = { name: "tmp", mountPath: "/tmp" };
const KAFKA_CA_MOUNT = "/etc/kafka/ca";
const KAFKA_USER_MOUNT = "/etc/kafka/user";
/** Longest default starting deadline: a run more than 10 minutes late is skipped, not started. */
const MAX_DEFAULT_STARTING_DEADLINE = 600;

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

/** The addresses and secret names of the data services a pipeline may use. */
export interface PipelineWiring {
  namespace: string;
  /** Where pipelines of each capacity type run (the batch pools on EKS). */
  placement: (capacityType: "spot" | "on-demand") => Placement;
  /** Addresses outside the cluster's pods: the API server, and the object store when it is outside the cluster. */
  egress: { apiServer: { cidrs: string[]; ports: number[] }; objectStore: { cidr: string; except: string[] }[] };
  /** The object store's pods, when it runs in the cluster. */
  objectStore?: { namespace: string; podLabels: Record<string, string>; port: number };
  kafka: { bootstrap: string; namespace: string; clusterName: string; caSecret: string; authentication: "scram-sha-512" | "tls" };
  postgres: { host: string; namespace: string; clusterName: string; database: string; appSecret: string };
}

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

/** What a pipeline may do in the object store: its declared S3 prefixes, and its own prefix of the artifact bucket. */
export function pipelineStoreGrants<B>(pipeline: Pick<PipelineConfig, "name" | "s3" | "steps">, artifacts: B): { bucket: B | string; prefix: string; actions: ("list" | "read" | "write")[] }[] {
  const parse = (uri: string) => {
    const [bucket, ...rest] = uri.replace(/^s3:\/\//, "").split("/");
    return { bucket, prefix: rest.join("/") };
  };
  return [
    ...(pipeline.s3?.read ?? []).map((uri) => ({ ...parse(uri), actions: ["list", "read"] as ("list" | "read" | "write")[] })),
    ...(pipeline.s3?.write ?? []).map((uri) => ({ ...parse(uri), actions: ["write"] as ("list" | "read" | "write")[] })),
    // Step logs: write-only, the pipeline's own prefix (neither another pipeline's nor reading back).
    ...(pipeline.steps ? [{ bucket: artifacts, prefix: artifactPrefix(pipeline), actions: ["write"] as ("list" | "read" | "write")[] }] : []),
  ];
}

/** The starting deadline: configured, or the shorter of 10 minutes and half the shortest gap between runs. */
export function startingDeadlineSeconds(pipeline: PipelineConfig): number {
  if (pipeline.startingDeadlineSeconds !== undefined) return pipeline.startingDeadlineSeconds;
  const { minSeconds } = scheduleGaps(pipeline.schedule, pipeline.timeZone);
  return Math.max(10, Math.min(MAX_DEFAULT_STARTING_DEADLINE, Math.floor(minSeconds / 2)));
}

export function envSecretName(pipeline: PipelineConfig): string {
  return `${pipeline.name}-env`;
}

type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } };

/**
 * The environment a pipeline's container gets. These names are a stable interface, documented in README.md:
 * plain `env`, `secretEnv` from the pipeline's Secret, KAFKA_* for Kafka pipelines, PG* for Postgres pipelines.
 */
export function pipelineEnv(pipeline: PipelineConfig, wiring: PipelineWiring): EnvVar[] {
  const env: EnvVar[] = Object.entries(pipeline.env).map(([name, value]) => ({ name, value }));
  for (const name of Object.keys(pipeline.secretEnv)) env.push({ name, valueFrom: { secretKeyRef: { name: envSecretName(pipeline), key: name } } });
  if (pipeline.kafka) {
    const scram = wiring.kafka.authentication === "scram-sha-512";
    env.push(
      { name: "KAFKA_BOOTSTRAP_SERVERS", value: wiring.kafka.bootstrap },
      { name: "KAFKA_SECURITY_PROTOCOL", value: scram ? "SASL_SSL" : "SSL" },
      { name: "KAFKA_SSL_CA_LOCATION", value: `${KAFKA_CA_MOUNT}/ca.crt` },
      { name: "KAFKA_CONSUMER_GROUP", value: pipeline.name },
      { name: "KAFKA_TOPICS_READ", value: pipeline.kafka.read.join(",") },
      { name: "KAFKA_TOPICS_WRITE", value: pipeline.kafka.write.join(",") },
    );
    if (scram) {
      env.push(
        { name: "KAFKA_SASL_MECHANISM", value: "SCRAM-SHA-512" },
        { name: "KAFKA_USERNAME", value: pipeline.name },
        // The User Operator writes the KafkaUser's password into a Secret named after the user.
        { name: "KAFKA_PASSWORD", valueFrom: { secretKeyRef: { name: pipeline.name, key: "password" } } },
      );
    } else {
      env.push({ name: "KAFKA_SSL_CERT_LOCATION", value: `${KAFKA_USER_MOUNT}/user.crt` }, { name: "KAFKA_SSL_KEY_LOCATION", value: `${KAFKA_USER_MOUNT}/user.key` });
    }
  }
  if (pipeline.postgres) {
    const secret = wiring.postgres.appSecret;
    env.push(
      { name: "PGHOST", value: wiring.postgres.host },
      { name: "PGPORT", value: "5432" },
      { name: "PGDATABASE", value: wiring.postgres.database },
      { name: "PGSSLMODE", value: "require" },
      { name: "PGUSER", valueFrom: { secretKeyRef: { name: secret, key: "username" } } },
      { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: secret, key: "password" } } },
    );
  }
  return env;
}

function kafkaVolumes(pipeline: PipelineConfig, wiring: PipelineWiring): { volumes: k8s.types.input.core.v1.Volume[]; mounts: k8s.types.input.core.v1.VolumeMount[] } {
  if (!pipeline.kafka) return { volumes: [], mounts: [] };
  const volumes: k8s.types.input.core.v1.Volume[] = [{ name: "kafka-ca", secret: { secretName: wiring.kafka.caSecret, items: [{ key: "ca.crt", path: "ca.crt" }] } }];
  const mounts: k8s.types.input.core.v1.VolumeMount[] = [{ name: "kafka-ca", mountPath: KAFKA_CA_MOUNT, readOnly: true }];
  if (wiring.kafka.authentication === "tls") {
    volumes.push({ name: "kafka-user", secret: { secretName: pipeline.name } });
    mounts.push({ name: "kafka-user", mountPath: KAFKA_USER_MOUNT, readOnly: true });
  }
  return { volumes, mounts };
}

function container(pipeline: PipelineConfig, wiring: PipelineWiring, step?: NonNullable<PipelineConfig["steps"]>[number]) {
  return {
    name: MAIN_CONTAINER,
    image: step?.image ?? pipeline.image,
    ...(step ? { command: step.command } : pipeline.command ? { command: pipeline.command } : {}),
    args: step ? step.args : pipeline.args,
    env: pipelineEnv(pipeline, wiring),
    resources: pipeline.resources,
    securityContext: restrictedContainerSecurityContext,
    volumeMounts: [TMP_MOUNT, ...kafkaVolumes(pipeline, wiring).mounts],
  };
}

/** Pod settings shared by CronJobs and CronWorkflows: placement, priority, restricted security. */
function podSettings(pipeline: PipelineConfig, wiring: PipelineWiring) {
  const placement = wiring.placement(pipeline.placement);
  return {
    priorityClassName: PIPELINE_PRIORITY_CLASS,
    securityContext: restrictedPodSecurityContext,
    tolerations: placement.tolerations,
    affinity: placement.affinity,
  };
}

/**
 * A spot interruption or a node drain marks the pod with the `DisruptionTarget` condition: such failures do not
 * count against the retries. Exit codes the pipeline marks as non-retriable fail the Job at once, or in an
 * Indexed Job only their index (`FailIndex`, valid only with backoffLimitPerIndex, which an Indexed pipeline
 * always has: k8s.io/kubernetes pkg/apis/batch/validation).
 */
export function podFailurePolicy(pipeline: PipelineConfig) {
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
export function jobRetries(pipeline: PipelineConfig) {
  if (pipeline.completions === undefined) return { backoffLimit: pipeline.backoffLimit };
  return {
    completionMode: "Indexed",
    completions: pipeline.completions,
    parallelism: pipeline.parallelism ?? 1,
    backoffLimitPerIndex: pipeline.backoffLimitPerIndex ?? pipeline.backoffLimit,
    ...(pipeline.maxFailedIndexes !== undefined ? { maxFailedIndexes: pipeline.maxFailedIndexes } : {}),
  };
}

export function cronJob(pipeline: PipelineConfig, wiring: PipelineWiring): { apiVersion: string; kind: string; metadata: k8s.types.input.meta.v1.ObjectMeta; spec: k8s.types.input.batch.v1.CronJobSpec } {
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
            metadata: { labels },
            spec: {
              restartPolicy: "Never",
              serviceAccountName: pipeline.name,
              automountServiceAccountToken: pipeline.kubernetesApi,
              ...podSettings(pipeline, wiring),
              containers: [container(pipeline, wiring)],
              volumes: [TMP_VOLUME, ...kafkaVolumes(pipeline, wiring).volumes],
            },
          },
        },
      },
    },
  };
}

/**
 * A multi-step pipeline as an Argo CronWorkflow running its steps as a DAG. A step runs only when the steps it
 * depends on succeeded, so a failed validate step stops the load. Only steps retry, and only on infrastructure
 * failures (lib/retries.ts); the DAG itself has no retry strategy, so a failed check never re-runs the DAG.
 *
 * Identity: the pods run as the pipeline's own service account (its IAM role writes the step logs under the
 * pipeline's prefix). Argo v4 copies `automountServiceAccountToken` onto the pod only when it is false, and then
 * requires `executor.serviceAccountName`, whose token it mounts into the init and wait containers only
 * (argoproj/argo-workflows v4.0.6 workflow/controller/workflowpod.go, createWorkflowPod and newExecContainer):
 * the executor can report step results, the pipeline's code gets no API token unless it asks (`kubernetesApi`).
 */
export function cronWorkflow(pipeline: PipelineConfig, wiring: PipelineWiring) {
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
        // (lib/pipelineQuota.ts); concurrencyPolicy bounds scheduled runs, the semaphore also those started by hand
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
        podMetadata: { labels },
        volumes: [TMP_VOLUME, ...kafkaVolumes(pipeline, wiring).volumes],
        metrics: {
          prometheus: [
            metric("etl_pipeline_last_success_timestamp_seconds", "When the pipeline last succeeded", "{{status}} == Succeeded", { gauge: { value: "{{workflow.creationTimestamp.s}}", realtime: false } }),
            metric("etl_pipeline_failures_total", "Failed runs of the pipeline", "{{status}} != Succeeded", { counter: { value: "1" } }),
          ],
        },
        templates: [
          { name: "pipeline", dag: { tasks: steps.map((step) => ({ name: step.name, template: step.name, ...(step.dependsOn.length > 0 ? { dependencies: step.dependsOn } : {}) })) } },
          ...steps.map((step) => ({
            name: step.name,
            retryStrategy: argoStepRetryStrategy(pipeline.backoffLimit, pipeline.nonRetriableExitCodes),
            container: container(pipeline, wiring, step),
          })),
        ],
      },
    },
  };
}
