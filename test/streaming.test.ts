/** Streaming pipelines: the config, the objects each becomes, and KEDA, against upstream source and schemas. */
import fc from "fast-check";
import { BATCH_ONLY_KEYS, STREAMING_ONLY_KEYS, type StreamingPipelineConfig } from "../config/schema";
import { parsePlatformConfig } from "../config/load";
import { pipelineFootprint } from "../config/footprint";
import { pipelineNetworkPolicy } from "../components/platform/pipelines";
import { PARTITION_ASSIGNMENT_STRATEGY, scaledObject, streamingDeployment, streamingDisruptionBudget, triggerAuthentication } from "../components/platform/pipelines/streaming";
import { KEDA_METRICS_API_PORT, KEDA_WEBHOOK_PORT, kedaValues } from "../components/platform/keda";
import { nodePoolPlacements } from "../lib/placement";
import { awsWiring, configProblems, minimalPipeline, plan, AWS_STACKS, type Plan } from "./harness";
import { chartDefaults as chartDefaultsOf, coreObjectProblems, customResourceProblems, unknownValuesKeys } from "./upstream";

const topics = [{ name: "orders", partitions: 6, replicas: 1, retentionHours: 24 }, { name: "refunds", partitions: 2, replicas: 1, retentionHours: 24 }];
const consumer = { name: "orders-enrich", mode: "streaming", image: minimalPipeline.image, resources: minimalPipeline.resources, kafka: { read: ["orders"] }, scaling: { maxReplicas: 4 } };
const configWith = (pipeline: Record<string, unknown>) => ({ environment: "staging", kafka: { topics }, pipelines: [pipeline] });
const parsed = (pipeline: Record<string, unknown>) => parsePlatformConfig(configWith(pipeline)).pipelines[0] as StreamingPipelineConfig;
const tlsWiring = { ...awsWiring, kafka: { ...awsWiring.kafka, authentication: "tls" as const } };

describe("a streaming pipeline's config", () => {
  it("takes the common keys and its own, with KEDA's defaults made explicit", () => {
    expect(parsed(consumer)).toMatchObject({ mode: "streaming", scaling: { minReplicas: 1, maxReplicas: 4, lagThreshold: 100, cooldownPeriodSeconds: 300, scaleDownStabilizationSeconds: 300 }, startFrom: "earliest", terminationGracePeriodSeconds: 60 });
    expect(parsePlatformConfig(configWith(minimalPipeline)).pipelines[0].mode).toBe("batch");
  });

  it.each(BATCH_ONLY_KEYS.map((key) => [key]))("refuses the batch key %s by name", (key) => {
    const values: Record<string, unknown> = { schedule: "0 * * * *", timeZone: "UTC", steps: [{ name: "a", command: ["a"] }] };
    expect(configProblems(configWith({ ...consumer, [key]: values[key] ?? 1 }))).toEqual([`etl-platform:pipelines[0].${key}: expected no ${key} on a streaming pipeline (mode: streaming runs continuously, scaled on its Kafka lag; ${key} is for batch pipelines)`]);
  });

  it.each(STREAMING_ONLY_KEYS.map((key) => [key]))("refuses the streaming key %s on a batch pipeline by name", (key) => {
    expect(configProblems(configWith({ ...minimalPipeline, [key]: key === "scaling" ? { maxReplicas: 1 } : key === "startFrom" ? "latest" : 30 }))).toEqual([`etl-platform:pipelines[0].${key}: expected no ${key} on a batch pipeline (${key} is for mode: streaming)`]);
  });

  it("lists exactly the keys of each mode", () => {
    expect([...BATCH_ONLY_KEYS].sort()).toEqual(["activeDeadlineSeconds", "backoffLimit", "backoffLimitPerIndex", "completions", "concurrencyPolicy", "failedJobsHistoryLimit", "maxFailedIndexes", "nonRetriableExitCodes", "parallelism", "schedule", "startingDeadlineSeconds", "steps", "successfulJobsHistoryLimit", "suspend", "timeZone", "ttlSecondsAfterFinished"]);
    expect([...STREAMING_ONLY_KEYS].sort()).toEqual(["scaling", "startFrom", "terminationGracePeriodSeconds"]);
  });

  it("names an unknown mode, and requires the topics a consumer reads", () => {
    expect(configProblems(configWith({ ...consumer, mode: "stream" }))).toEqual(['etl-platform:pipelines[0].mode: expected "batch" (the default) or "streaming", got "stream"']);
    expect(configProblems(configWith({ ...consumer, kafka: { read: [] } }))).toEqual(["etl-platform:pipelines[0].kafka.read: expected at least 1 items, got []"]);
    expect(configProblems(configWith({ ...consumer, kafka: { read: ["nope"] } }))).toEqual(['etl-platform:pipelines[0].kafka.read[0]: expected a topic declared in kafka.topics (orders, refunds), got "nope"']);
  });

  it("bounds the consumers by the partitions they can be assigned, summed over the topics read", () => {
    expect(configProblems(configWith({ ...consumer, kafka: { read: ["orders", "refunds"] }, scaling: { maxReplicas: 8 } }))).toEqual([]);
    expect(configProblems(configWith({ ...consumer, kafka: { read: ["orders", "refunds"] }, scaling: { maxReplicas: 9 } }))).toEqual(["etl-platform:pipelines[0].scaling.maxReplicas: expected at most the partitions of the topics it reads (8: orders, refunds); more consumers than partitions sit idle, got 9"]);
    expect(configProblems({ ...configWith({ ...consumer, scaling: { maxReplicas: 6 } }), pipelineLimits: { maxParallelism: 5 } })).toEqual(["etl-platform:pipelines[0].scaling.maxReplicas: expected at most pipelineLimits.maxParallelism (5), got 6"]);
  });

  it("refuses scaling settings KEDA would ignore or that contradict each other", () => {
    expect(configProblems(configWith({ ...consumer, scaling: { minReplicas: 5, maxReplicas: 4 } }))).toEqual(["etl-platform:pipelines[0].scaling.minReplicas: expected at most scaling.maxReplicas (4), got 5"]);
    expect(configProblems(configWith({ ...consumer, scaling: { minReplicas: 1, maxReplicas: 4, activationLagThreshold: 50 } }))).toEqual([expect.stringMatching(/^etl-platform:pipelines\[0\]\.scaling\.activationLagThreshold: expected scaling\.minReplicas 0/)]);
    expect(configProblems(configWith({ ...consumer, scaling: { minReplicas: 0, maxReplicas: 4, activationLagThreshold: 50 } }))).toEqual([]);
    expect(configProblems(configWith({ ...consumer, scaling: { maxReplicas: 4, fallbackReplicas: 5 } }))).toEqual(["etl-platform:pipelines[0].scaling.fallbackReplicas: expected at most scaling.maxReplicas (4), got 5"]);
  });

  it("is accepted exactly when min ≤ max ≤ partitions, and its ScaledObject stays within those bounds", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 8 }), fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }), (min, max, partitions, fallback) => {
      const raw = { environment: "staging", kafka: { topics: [{ name: "orders", partitions, replicas: 1, retentionHours: 24 }] }, pipelines: [{ ...consumer, scaling: { minReplicas: min, maxReplicas: max, ...(fallback !== undefined ? { fallbackReplicas: fallback } : {}) } }] };
      const valid = min <= max && max <= partitions && (fallback === undefined || fallback <= max);
      expect(configProblems(raw).length === 0).toBe(valid);
      if (!valid) return;
      const spec = scaledObject(parsePlatformConfig(raw).pipelines[0] as StreamingPipelineConfig, awsWiring).spec;
      expect(spec.minReplicaCount).toBe(min);
      expect(spec.maxReplicaCount).toBe(max);
      expect(spec.fallback.replicas).toBe(fallback ?? Math.max(1, min));
      expect(spec.fallback.replicas).toBeLessThanOrEqual(Math.max(1, max));
      expect(pipelineFootprint(parsePlatformConfig(raw).pipelines[0]).pods).toBe(max);
    }), { numRuns: 60 });
  });
});

describe("a streaming pipeline's objects", () => {
  const pipeline = parsed({ ...consumer, kafka: { read: ["orders", "refunds"] }, scaling: { minReplicas: 0, maxReplicas: 8, activationLagThreshold: 20, lagThreshold: 500 }, startFrom: "latest", terminationGracePeriodSeconds: 90 });

  it("runs as a Deployment without replicas (KEDA's HPA owns them), with the batch pods' identity, security and placement", () => {
    const deployment = streamingDeployment(pipeline, awsWiring);
    expect(coreObjectProblems(deployment as any)).toEqual([]);
    expect("replicas" in deployment.spec).toBe(false);
    expect(deployment.spec.selector).toEqual({ matchLabels: { "etl-platform/pipeline": "orders-enrich" } });
    expect(deployment.spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    const pod = (deployment.spec.template as any).spec;
    expect(pod).toMatchObject({ serviceAccountName: "orders-enrich", automountServiceAccountToken: false, terminationGracePeriodSeconds: 90, priorityClassName: "etl-pipelines", tolerations: nodePoolPlacements.batch("spot").tolerations });
    expect(pod.restartPolicy).toBeUndefined();
    const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({ KAFKA_CONSUMER_GROUP: "orders-enrich", KAFKA_TOPICS_READ: "orders,refunds", KAFKA_USERNAME: "orders-enrich", KAFKA_AUTO_OFFSET_RESET: "latest", KAFKA_PARTITION_ASSIGNMENT_STRATEGY: PARTITION_ASSIGNMENT_STRATEGY });
    expect(PARTITION_ASSIGNMENT_STRATEGY).toBe("cooperative-sticky");
  });

  it("names the pod, not a Job, as its run in telemetry", () => {
    const telemetry = { endpoint: "http://otel:4317", namespace: "monitoring", podLabels: {}, ports: [4317], environment: "staging" };
    const env = (streamingDeployment(pipeline, { ...awsWiring, telemetry }).spec.template as any).spec.containers[0].env;
    expect(env.find((e: any) => e.name === "ETL_RUN")).toEqual({ name: "ETL_RUN", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } });
  });

  it("lets drains through one consumer at a time", () => {
    const budget = streamingDisruptionBudget(pipeline, "pipelines");
    expect(coreObjectProblems(budget)).toEqual([]);
    expect(budget.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { "etl-platform/pipeline": "orders-enrich" } } });
  });

  it("scales on the lag of each topic it reads, with KEDA's fallback and a slow scale-down set explicitly", () => {
    const scaler = scaledObject(pipeline, awsWiring);
    expect(customResourceProblems(scaler)).toEqual([]);
    expect(scaler.spec).toMatchObject({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "orders-enrich", envSourceContainerName: "main" },
      minReplicaCount: 0, maxReplicaCount: 8, cooldownPeriod: 300, pollingInterval: 30,
      fallback: { failureThreshold: 3, replicas: 1, behavior: "currentReplicasIfHigher" },
      advanced: { horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] } } } },
    });
    // kedacore/keda v2.20.2 pkg/scalers/kafka_scaler.go: `topic` is one topic; without one the scaler counts only
    // topics with committed offsets, so a new group would never start from zero.
    expect(scaler.spec.triggers.map((t) => t.metadata.topic)).toEqual(["orders", "refunds"]);
    for (const trigger of scaler.spec.triggers) {
      expect(trigger).toMatchObject({ type: "kafka", authenticationRef: { name: "orders-enrich-kafka" } });
      expect(trigger.metadata).toEqual({ bootstrapServers: "etl-kafka-bootstrap.kafka.svc:9093", consumerGroup: "orders-enrich", topic: trigger.metadata.topic, lagThreshold: "500", activationLagThreshold: "20", offsetResetPolicy: "latest", sasl: "scram_sha512", tls: "enable" });
    }
    expect(scaledObject(parsed(consumer), awsWiring).spec.triggers[0].metadata).not.toHaveProperty("activationLagThreshold");
  });

  /**
   * The keys Strimzi's User Operator writes into a KafkaUser's Secret (strimzi-kafka-operator 1.2.0
   * user-operator/src/main/java/io/strimzi/operator/user/model/KafkaUserModel.java, generateSecret), and those of
   * the cluster CA Secret `<cluster>-cluster-ca-cert` (operator-common ca/Ca.java `CA_CRT`, ca/InternalCa.java
   * `CA_STORE` and `CA_STORE_PASSWORD`: `ca.crt`, `ca.p12`, `ca.password`).
   */
  const USER_SECRET_KEYS = { "scram-sha-512": ["password", "sasl.jaas.config"], tls: ["ca.crt", "user.key", "user.crt", "user.p12", "user.password"] };
  const CLUSTER_CA_KEYS = ["ca.crt", "ca.p12", "ca.password"];
  /** What KEDA's Kafka scaler reads only from the authentication (kafka_scaler.go: `order=authParams`). */
  const AUTH_ONLY = ["username", "password", "ca", "cert", "key"];

  it.each([["scram-sha-512", awsWiring], ["tls", tlsWiring]] as const)("authenticates with %s through keys that exist in the Secrets Strimzi writes", (mode, wiring) => {
    const auth = triggerAuthentication(pipeline, wiring);
    expect(customResourceProblems(auth)).toEqual([]);
    const refs = auth.spec.secretTargetRef;
    for (const ref of refs) {
      const keys = ref.name === wiring.kafka.caSecret ? CLUSTER_CA_KEYS : ref.name === pipeline.name ? USER_SECRET_KEYS[mode] : [];
      expect({ ref, exists: keys.includes(ref.key) }).toEqual({ ref, exists: true });
    }
    // The brokers' certificates are signed by the cluster CA; the user Secret's ca.crt is the clients CA.
    expect(refs.find((ref) => ref.parameter === "ca")).toEqual({ parameter: "ca", name: "etl-cluster-ca-cert", key: "ca.crt" });
    const parameters = [...refs.map((ref) => ref.parameter), ...("env" in auth.spec ? auth.spec.env!.map((e) => e.parameter) : [])].sort();
    const trigger = scaledObject(pipeline, wiring).spec.triggers[0].metadata as Record<string, string>;
    if (mode === "scram-sha-512") {
      expect(parameters).toEqual(["ca", "password", "username"]);
      // The username is the container's KAFKA_USERNAME, which KEDA resolves from the Deployment's env.
      expect(auth.spec).toMatchObject({ env: [{ parameter: "username", name: "KAFKA_USERNAME", containerName: "main" }] });
      const env = (streamingDeployment(pipeline, wiring).spec.template as any).spec.containers[0].env;
      expect(env).toContainEqual({ name: "KAFKA_USERNAME", value: pipeline.name });
      expect(trigger).toMatchObject({ sasl: "scram_sha512", tls: "enable" });
    } else {
      expect(parameters).toEqual(["ca", "cert", "key"]);
      expect(refs).toContainEqual({ parameter: "cert", name: pipeline.name, key: "user.crt" });
      expect(refs).toContainEqual({ parameter: "key", name: pipeline.name, key: "user.key" });
      expect(trigger).toMatchObject({ sasl: "none", tls: "enable" });
    }
    for (const parameter of AUTH_ONLY) expect(trigger).not.toHaveProperty(parameter);
  });

  it("opens only the brokers, and Postgres or the collector where declared, to a consumer", () => {
    const egress = pipelineNetworkPolicy(pipeline, awsWiring).spec.egress as any[];
    expect(egress).toEqual([{ to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kafka" } }, podSelector: { matchLabels: { "strimzi.io/cluster": "etl", "strimzi.io/kind": "Kafka" } } }], ports: [{ protocol: "TCP", port: 9093 }] }]);
  });
});

describe("KEDA", () => {
  it("takes only keys of its chart's values.yaml, keeps its Helm-owned CRDs on uninstall and scrapes the operator", () => {
    const values = kedaValues("prod", nodePoolPlacements);
    expect(unknownValuesKeys("keda-2.20.2", values, ["crds.additionalAnnotations"])).toEqual([]);
    expect(values.crds).toEqual({ install: true, additionalAnnotations: { "helm.sh/resource-policy": "keep" } });
    expect(values.prometheus.operator).toMatchObject({ enabled: true, serviceMonitor: { enabled: true } });
    // kedacore/charts v2.20.2 values.yaml: the metrics API's HTTPS port and the webhooks' default port.
    const defaults = chartDefaultsOf("keda-2.20.2") as any;
    expect(defaults.service.portHttpsTarget).toBe(KEDA_METRICS_API_PORT);
    expect(defaults.webhooks.port || 9443).toBe(KEDA_WEBHOOK_PORT);
  });

  it("runs two of each component with a PDB in prod, one in staging, all on the system pool", () => {
    const prod = kedaValues("prod", nodePoolPlacements);
    const staging = kedaValues("staging", nodePoolPlacements);
    for (const component of ["operator", "metricsServer", "webhooks"] as const) {
      expect(prod[component].replicaCount).toBe(2);
      expect(staging[component].replicaCount).toBe(1);
      expect(prod[component].nodeSelector).toEqual(nodePoolPlacements.system.nodeSelector);
    }
    expect(prod.podDisruptionBudget).toEqual({ operator: { maxUnavailable: 1 }, metricServer: { maxUnavailable: 1 }, webhooks: { maxUnavailable: 1 } });
    expect(staging.podDisruptionBudget.operator).toEqual({});
  });
});

describe.each(AWS_STACKS)("streaming in %s", (stack) => {
  let result: Plan;
  beforeAll(async () => {
    result = await plan(stack);
  });

  it("installs KEDA and wires the example consumer to it", () => {
    const release = result.one("kubernetes:helm.sh/v3:Release", "etl-keda");
    expect(release.inputs).toMatchObject({ chart: "keda", version: "2.20.2", namespace: "keda" });
    const scaler = result.one("kubernetes:keda.sh/v1alpha1:ScaledObject", "etl-pipelines-orders-enrich-scaler");
    expect(scaler.dependsOn).toEqual(expect.arrayContaining([expect.stringContaining("etl-keda"), expect.stringContaining("etl-pipelines-orders-enrich")]));
    expect(result.one("kubernetes:policy/v1:PodDisruptionBudget", "etl-pipelines-orders-enrich").inputs.spec.maxUnavailable).toBe(1);
    expect(result.one("kubernetes:apps/v1:Deployment", "etl-pipelines-orders-enrich").inputs.spec.template.spec.serviceAccountName).toBe("orders-enrich");
    expect(result.one("kubernetes:kafka.strimzi.io/v1:KafkaUser", "etl-pipelines-orders-enrich-kafka-user").inputs.spec.authorization.acls).toContainEqual({ resource: { type: "group", name: "orders-enrich", patternType: "literal" }, operations: ["Read"] });
  });
});
