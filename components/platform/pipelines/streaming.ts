/**
 * A streaming pipeline: a long-running Kafka consumer as a Deployment that KEDA scales on its consumer group's
 * lag (a ScaledObject with one Kafka trigger per topic read), authenticated with the pipeline's own KafkaUser
 * through a TriggerAuthentication, and a PodDisruptionBudget that lets drains through one consumer at a time.
 * Pure functions, so the tests check every field against the upstream CRDs.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { StreamingPipelineConfig } from "../../../config/schema";
import { fallbackReplicas } from "../../../config/streaming";
import { container, MAIN_CONTAINER, PIPELINE_LABEL, pipelinePodSpec, type PipelineWiring } from "./pod";

export const KEDA_API_VERSION = "keda.sh/v1alpha1";
/**
 * The partition assignor the contract asks of pipeline code: every scale-out and scale-in rebalances the group,
 * and with the eager assignors (range, round-robin) every member stops consuming until it ends (kedacore/keda
 * #5096); cooperative-sticky moves only the partitions that change owner. Static membership
 * (group.instance.id) would need member ids that survive a restart, which a Deployment's pods do not have.
 */
export const PARTITION_ASSIGNMENT_STRATEGY = "cooperative-sticky";
/** How often KEDA reads the lag (KEDA's default), and how many failed reads in a row start the fallback. */
const POLLING_INTERVAL_SECONDS = 30;
const FALLBACK_FAILURE_THRESHOLD = 3;

export function triggerAuthenticationName(pipeline: Pick<StreamingPipelineConfig, "name">): string {
  return `${pipeline.name}-kafka`;
}

/** The consumer's container: the batch pipelines' container, plus what a consumer needs to start where KEDA counts from. */
function consumerContainer(pipeline: StreamingPipelineConfig, wiring: PipelineWiring) {
  const base = container(pipeline, wiring);
  return {
    ...base,
    env: [
      ...base.env,
      // The lag KEDA scales on is counted from here when the group has no committed offset (offsetResetPolicy).
      { name: "KAFKA_AUTO_OFFSET_RESET", value: pipeline.startFrom },
      { name: "KAFKA_PARTITION_ASSIGNMENT_STRATEGY", value: PARTITION_ASSIGNMENT_STRATEGY },
    ],
  };
}

/**
 * The consumer's Deployment. `replicas` is left out: KEDA's HPA owns it, and a value here would be re-applied on
 * every `pulumi up`, resetting the scale (KEDA docs, "Scaling Deployments": the HPA scales the target). A pod gets
 * `terminationGracePeriodSeconds` to commit and close after SIGTERM; no preStop sleep, which only helps a pod
 * behind a Service.
 */
export function streamingDeployment(pipeline: StreamingPipelineConfig, wiring: PipelineWiring): { apiVersion: string; kind: string; metadata: k8s.types.input.meta.v1.ObjectMeta; spec: k8s.types.input.apps.v1.DeploymentSpec } {
  const labels = { [PIPELINE_LABEL]: pipeline.name };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: pipeline.name, namespace: wiring.namespace, labels },
    spec: {
      selector: { matchLabels: labels },
      revisionHistoryLimit: 3,
      // One new consumer before an old one goes: a rollout rebalances the group once per pod, never empties it.
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels },
        spec: { terminationGracePeriodSeconds: pipeline.terminationGracePeriodSeconds, ...pipelinePodSpec(pipeline, wiring, consumerContainer(pipeline, wiring)) },
      },
    },
  };
}

/**
 * Drains (a node scale-down, an upgrade) evict one consumer at a time and never block: `maxUnavailable: 1`, not
 * a `minAvailable` equal to the replicas, which would refuse every eviction.
 */
export function streamingDisruptionBudget(pipeline: StreamingPipelineConfig, namespace: string) {
  const labels = { [PIPELINE_LABEL]: pipeline.name };
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: pipeline.name, namespace, labels },
    spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
  };
}

/**
 * The pipeline's own Kafka credentials for KEDA's Kafka scaler (kedacore/keda v2.20.2 pkg/scalers/kafka_scaler.go:
 * `username`, `password`, `ca`, `cert`, `key` are read only from the authentication's parameters, `sasl` and
 * `tls` from either). The Secret keys are those Strimzi's User Operator writes (strimzi-kafka-operator 1.2.0
 * user-operator KafkaUserModel.generateSecret: `password` and `sasl.jaas.config` for SCRAM-SHA-512; `ca.crt`,
 * `user.crt`, `user.key` for TLS). `ca` is always the cluster CA, which signs the brokers' certificates: the user
 * Secret's `ca.crt` is the clients CA, which signs only the users'. The SCRAM username is the container's
 * `KAFKA_USERNAME`, which KEDA resolves from the Deployment (`env`, pkg/scaling/resolver/scale_resolvers.go).
 */
export function triggerAuthentication(pipeline: StreamingPipelineConfig, wiring: PipelineWiring) {
  const ca = { parameter: "ca", name: wiring.kafka.caSecret, key: "ca.crt" };
  const scram = wiring.kafka.authentication === "scram-sha-512";
  return {
    apiVersion: KEDA_API_VERSION,
    kind: "TriggerAuthentication",
    metadata: { name: triggerAuthenticationName(pipeline), namespace: wiring.namespace, labels: { [PIPELINE_LABEL]: pipeline.name } },
    spec: scram
      ? {
        env: [{ parameter: "username", name: "KAFKA_USERNAME", containerName: MAIN_CONTAINER }],
        secretTargetRef: [{ parameter: "password", name: pipeline.name, key: "password" }, ca],
      }
      : {
        secretTargetRef: [ca, { parameter: "cert", name: pipeline.name, key: "user.crt" }, { parameter: "key", name: pipeline.name, key: "user.key" }],
      },
  };
}

/**
 * The ScaledObject: one Kafka trigger per topic read. With no `topic`, the scaler counts only the topics the
 * group has committed offsets on, so a new group would show no lag and a consumer at zero would never start;
 * with a topic and no committed offset it counts 1 per partition (`offsetResetPolicy: latest`) or the whole
 * topic (`earliest`), which activates it. Scaling down waits `scaleDownStabilizationSeconds` and removes one
 * consumer a minute (each removal rebalances the group); `cooldownPeriod` covers only 1 → 0. While the lag cannot
 * be read, KEDA keeps what runs if that is more than the fallback (`currentReplicasIfHigher`), else the fallback.
 */
export function scaledObject(pipeline: StreamingPipelineConfig, wiring: PipelineWiring) {
  const { scaling } = pipeline;
  const authenticationMetadata = wiring.kafka.authentication === "scram-sha-512" ? { sasl: "scram_sha512", tls: "enable" } : { sasl: "none", tls: "enable" };
  return {
    apiVersion: KEDA_API_VERSION,
    kind: "ScaledObject",
    metadata: { name: pipeline.name, namespace: wiring.namespace, labels: { [PIPELINE_LABEL]: pipeline.name } },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: pipeline.name, envSourceContainerName: MAIN_CONTAINER },
      minReplicaCount: scaling.minReplicas,
      maxReplicaCount: scaling.maxReplicas,
      pollingInterval: POLLING_INTERVAL_SECONDS,
      cooldownPeriod: scaling.cooldownPeriodSeconds,
      fallback: { failureThreshold: FALLBACK_FAILURE_THRESHOLD, replicas: fallbackReplicas(scaling), behavior: "currentReplicasIfHigher" },
      advanced: {
        horizontalPodAutoscalerConfig: {
          behavior: {
            scaleDown: { stabilizationWindowSeconds: scaling.scaleDownStabilizationSeconds, policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] },
          },
        },
      },
      triggers: pipeline.kafka.read.map((topic) => ({
        type: "kafka",
        authenticationRef: { name: triggerAuthenticationName(pipeline) },
        metadata: {
          bootstrapServers: wiring.kafka.bootstrap,
          consumerGroup: pipeline.name,
          topic,
          lagThreshold: String(scaling.lagThreshold),
          ...(scaling.minReplicas === 0 ? { activationLagThreshold: String(scaling.activationLagThreshold ?? 0) } : {}),
          offsetResetPolicy: pipeline.startFrom,
          ...authenticationMetadata,
        },
      })),
    },
  };
}
