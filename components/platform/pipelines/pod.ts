/**
 * What every pipeline pod has, whichever scheduler starts it (a CronJob or an Argo CronWorkflow): its labels, its
 * environment wired to Kafka and Postgres, its volumes, placement, priority and restricted security, and the
 * starting deadline. Pure functions, so tests and property tests can check every pipeline config.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { BatchPipelineConfig, PipelineConfig } from "../../../config/schema";
import { scheduleGaps } from "../../../lib/cron";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../../../lib/podSecurity";
import type { Placement } from "../../../lib/placement";
import type { EgressTargets } from "../target";
import { roleSecretName } from "../postgresRoles";

export const PIPELINE_LABEL = "etl-platform/pipeline";
export const PIPELINE_PRIORITY_CLASS = "etl-pipelines";
export const MAIN_CONTAINER = "main";
export const TMP_VOLUME = { name: "tmp", emptyDir: { sizeLimit: "1Gi" } };
const TMP_MOUNT = { name: "tmp", mountPath: "/tmp" };
const KAFKA_CA_MOUNT = "/etc/kafka/ca";
const KAFKA_USER_MOUNT = "/etc/kafka/user";
/** Longest default starting deadline: a run more than 10 minutes late is skipped, not started. */
const MAX_DEFAULT_STARTING_DEADLINE = 600;

/** The addresses and secret names of the data services a pipeline may use. */
export interface PipelineWiring {
  namespace: string;
  /** Where pipelines of each capacity type run (the batch pools on EKS). */
  placement: (capacityType: "spot" | "on-demand", architectures?: readonly string[]) => Placement;
  /** Annotations of a batch run's pods, given its deadline (Placements.runAnnotations). */
  runAnnotations?: (deadlineSeconds: number) => Record<string, string>;
  /** Addresses outside the cluster's pods: the API server, and the object store when it is outside the cluster. */
  egress: EgressTargets;
  /** The object store's pods, when it runs in the cluster. */
  objectStore?: { namespace: string; podLabels: Record<string, string>; port: number };
  kafka: { bootstrap: string; namespace: string; clusterName: string; caSecret: string; authentication: "scram-sha-512" | "tls" };
  postgres: { host: string; namespace: string; clusterName: string; database: string };
  /** The OpenTelemetry Collector, when telemetry is on: its OTLP address and where its pods are. */
  telemetry?: { endpoint: string; namespace: string; podLabels: Record<string, string>; ports: number[]; environment: string };
}

/** `{ annotations }` of a run's pods when the target sets any (Karpenter's do-not-disrupt for the run's deadline). */
export function runAnnotations(pipeline: BatchPipelineConfig, wiring: PipelineWiring): { annotations?: Record<string, string> } {
  return wiring.runAnnotations ? { annotations: wiring.runAnnotations(pipeline.activeDeadlineSeconds) } : {};
}

/** The starting deadline: configured, or the shorter of 10 minutes and half the shortest gap between runs. */
export function startingDeadlineSeconds(pipeline: BatchPipelineConfig): number {
  if (pipeline.startingDeadlineSeconds !== undefined) return pipeline.startingDeadlineSeconds;
  const { minSeconds } = scheduleGaps(pipeline.schedule, pipeline.timeZone);
  return Math.max(10, Math.min(MAX_DEFAULT_STARTING_DEADLINE, Math.floor(minSeconds / 2)));
}

export function envSecretName(pipeline: PipelineConfig): string {
  return `${pipeline.name}-env`;
}

type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } | { fieldRef: { fieldPath: string } } };

/**
 * OpenTelemetry's standard SDK variables (opentelemetry-specification, "Environment Variable Specification"): the
 * collector's OTLP/gRPC address, the pipeline as the service, and resource attributes naming pipeline, step, run
 * and environment. The run is the Job's name (the `batch.kubernetes.io/job-name` label every Job pod carries since
 * Kubernetes 1.27) or the Argo workflow's (`{{workflow.name}}`, which Argo substitutes); `$(ETL_RUN)` is
 * expanded by the kubelet from the variable before it. The collector drops `etl.run` from metrics, so a run never
 * becomes a series (telemetry.ts PER_RUN_ATTRIBUTES); traces keep it.
 */
export function telemetryEnv(pipeline: Pick<PipelineConfig, "name" | "mode">, telemetry: NonNullable<PipelineWiring["telemetry"]>, step?: string): EnvVar[] {
  // A streaming consumer has no run: its pod is the unit of work, named by the Deployment's ReplicaSet.
  const run: EnvVar = pipeline.mode === "streaming" ? { name: "ETL_RUN", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }
    : step ? { name: "ETL_RUN", value: "{{workflow.name}}" } : { name: "ETL_RUN", valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } } };
  return [
    run,
    { name: "OTEL_EXPORTER_OTLP_ENDPOINT", value: telemetry.endpoint },
    { name: "OTEL_EXPORTER_OTLP_PROTOCOL", value: "grpc" },
    { name: "OTEL_SERVICE_NAME", value: pipeline.name },
    { name: "OTEL_RESOURCE_ATTRIBUTES", value: `etl.pipeline=${pipeline.name},etl.step=${step ?? MAIN_CONTAINER},etl.run=$(ETL_RUN),deployment.environment.name=${telemetry.environment}` },
  ];
}

/**
 * The environment a pipeline's container gets. These names are a stable interface, documented in README.md:
 * plain `env`, `secretEnv` from the pipeline's Secret, KAFKA_* for Kafka pipelines, PG* for Postgres pipelines.
 */
export function pipelineEnv(pipeline: PipelineConfig, wiring: PipelineWiring, step?: string): EnvVar[] {
  const env: EnvVar[] = Object.entries(pipeline.env).map(([name, value]) => ({ name, value }));
  if (wiring.telemetry) env.push(...telemetryEnv(pipeline, wiring.telemetry, step));
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
    // The pipeline's own role (components/platform/postgresRoles.ts), mirrored from the Postgres namespace.
    const secret = roleSecretName(pipeline.name);
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


export function kafkaVolumes(pipeline: PipelineConfig, wiring: PipelineWiring): { volumes: k8s.types.input.core.v1.Volume[]; mounts: k8s.types.input.core.v1.VolumeMount[] } {
  if (!pipeline.kafka) return { volumes: [], mounts: [] };
  const volumes: k8s.types.input.core.v1.Volume[] = [{ name: "kafka-ca", secret: { secretName: wiring.kafka.caSecret, items: [{ key: "ca.crt", path: "ca.crt" }] } }];
  const mounts: k8s.types.input.core.v1.VolumeMount[] = [{ name: "kafka-ca", mountPath: KAFKA_CA_MOUNT, readOnly: true }];
  if (wiring.kafka.authentication === "tls") {
    volumes.push({ name: "kafka-user", secret: { secretName: pipeline.name } });
    mounts.push({ name: "kafka-user", mountPath: KAFKA_USER_MOUNT, readOnly: true });
  }
  return { volumes, mounts };
}

export function container(pipeline: PipelineConfig, wiring: PipelineWiring, step?: NonNullable<BatchPipelineConfig["steps"]>[number]) {
  return {
    name: MAIN_CONTAINER,
    image: step?.image ?? pipeline.image,
    ...(step ? { command: step.command } : pipeline.command ? { command: pipeline.command } : {}),
    args: step ? step.args : pipeline.args,
    env: pipelineEnv(pipeline, wiring, step?.name),
    resources: pipeline.resources,
    securityContext: restrictedContainerSecurityContext,
    volumeMounts: [TMP_MOUNT, ...kafkaVolumes(pipeline, wiring).mounts],
  };
}

/** Pod settings shared by CronJobs and CronWorkflows: placement, priority, restricted security. */
export function podSettings(pipeline: PipelineConfig, wiring: PipelineWiring) {
  const placement = wiring.placement(pipeline.placement, pipeline.imageArchitectures);
  return {
    priorityClassName: PIPELINE_PRIORITY_CLASS,
    securityContext: restrictedPodSecurityContext,
    tolerations: placement.tolerations,
    affinity: placement.affinity,
  };
}


/** The pod of a pipeline's one-container run or consumer: its own identity, placement, security and volumes. */
export function pipelinePodSpec(pipeline: PipelineConfig, wiring: PipelineWiring, main: ReturnType<typeof container>) {
  return {
    serviceAccountName: pipeline.name,
    automountServiceAccountToken: pipeline.kubernetesApi,
    ...podSettings(pipeline, wiring),
    containers: [main],
    volumes: [TMP_VOLUME, ...kafkaVolumes(pipeline, wiring).volumes],
  };
}
