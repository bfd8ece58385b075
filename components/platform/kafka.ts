import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { KafkaConfig } from "../../config/schema";
import { imageUserPodSecurityContext, restrictedNamespaceLabels } from "../../lib/podSecurity";
import { DATA_PRIORITY_CLASS, type Placements } from "../../lib/placement";
import type { PlatformTarget } from "./target";
import { allowIngress, defaultDenyIngress } from "./networkPolicies";
import { chartCrdFiles, charts, pinnedRelease } from "../../versions";
import { crdConfigGroup } from "./crdFiles";
import { mirrorSourceAnnotations } from "./secretMirror";

import { KAFKA_CLUSTER_NAME } from "./kafkaAlerts";

export { KAFKA_CLUSTER_NAME, kafkaAlertRules } from "./kafkaAlerts";
export const STRIMZI_NAMESPACE = "strimzi";
export const KAFKA_API_VERSION = "kafka.strimzi.io/v1";
export const TLS_PORT = 9093;
export const PLAIN_PORT = 9092;

export interface KafkaArgs {
  config: KafkaConfig;
  target: PlatformTarget;
  /** Namespace of the pipelines, whose KafkaUsers the User Operator watches (their secrets land there). */
  usersNamespace: string;
  /** Resources that install the Prometheus Operator CRDs; the PodMonitor waits for them. */
  monitoringCrds?: pulumi.Resource[];
  /** Where Prometheus runs: the only namespace allowed to scrape Kafka's metrics port. */
  monitoringNamespace: string;
}

/** What the Kafka specs need of the target. */
export type KafkaTarget = Pick<PlatformTarget, "environment" | "storageClassName"> & { placement: Placements };

/** Broker settings that make a write survive the loss of one broker (one zone) without losing acknowledged data. */
export function brokerConfig(config: KafkaConfig): Record<string, string | number | boolean> {
  return {
    "default.replication.factor": config.defaultReplicationFactor,
    "min.insync.replicas": config.minInsyncReplicas,
    "offsets.topic.replication.factor": config.defaultReplicationFactor,
    "transaction.state.log.replication.factor": config.defaultReplicationFactor,
    "transaction.state.log.min.isr": config.minInsyncReplicas,
    "unclean.leader.election.enable": false,
    // Topics are declared in config (KafkaTopic), never created by a typo in a producer.
    "auto.create.topics.enable": false,
  };
}

function spreadOverZones(poolName: string, target: KafkaTarget) {
  return [{
    maxSkew: 1,
    // Over zones where the nodes have them; else over nodes.
    topologyKey: target.placement.zoneLabel ?? "kubernetes.io/hostname",
    // In prod a broker that cannot get its own zone stays pending rather than doubling up in one zone.
    whenUnsatisfiable: target.environment === "prod" ? "DoNotSchedule" : "ScheduleAnyway",
    labelSelector: { matchLabels: { "strimzi.io/cluster": KAFKA_CLUSTER_NAME, "strimzi.io/pool-name": poolName } },
  }];
}

export interface NodePoolSpec {
  name: string;
  roles: ("controller" | "broker")[];
  replicas: number;
  storageSize: string;
  resources: KafkaConfig["brokerResources"];
}

export function nodePoolSpecs(config: KafkaConfig): NodePoolSpec[] {
  if (config.combinedRoles) {
    return [{ name: "combined", roles: ["controller", "broker"], replicas: config.brokers, storageSize: config.brokerStorageSize, resources: config.brokerResources }];
  }
  return [
    { name: "controllers", roles: ["controller"], replicas: config.controllers, storageSize: config.controllerStorageSize, resources: config.controllerResources },
    { name: "brokers", roles: ["broker"], replicas: config.brokers, storageSize: config.brokerStorageSize, resources: config.brokerResources },
  ];
}

/** A KafkaNodePool resource: persistent gp3 storage, only on the stateful on-demand pool, spread over zones. */
export function kafkaNodePool(pool: NodePoolSpec, args: { config: KafkaConfig; target: KafkaTarget }) {
  const stateful = args.target.placement.stateful;
  return {
    apiVersion: KAFKA_API_VERSION,
    kind: "KafkaNodePool",
    metadata: { name: pool.name, labels: { "strimzi.io/cluster": KAFKA_CLUSTER_NAME } },
    spec: {
      replicas: pool.replicas,
      roles: pool.roles,
      resources: pool.resources,
      storage: {
        type: "jbod",
        volumes: [{ id: 0, type: "persistent-claim", size: pool.storageSize, class: args.target.storageClassName, deleteClaim: args.config.deleteClaim, kraftMetadata: "shared" }],
      },
      template: {
        pod: {
          priorityClassName: DATA_PRIORITY_CLASS,
          ...(stateful.affinity ? { affinity: stateful.affinity } : {}),
          tolerations: stateful.tolerations,
          topologySpreadConstraints: spreadOverZones(pool.name, args.target),
        },
      },
    },
  };
}

/** The Kafka resource: KRaft, TLS listener (plain only on request), authorization, rack awareness, metrics. */
export function kafkaCluster(args: Pick<KafkaArgs, "config" | "usersNamespace"> & { target: { placement: Placements } }) {
  const { config } = args;
  const { system, zoneLabel } = args.target.placement;
  const authentication = { type: config.authentication };
  const listeners = [
    { name: "tls", port: TLS_PORT, type: "internal", tls: true, authentication },
    ...(config.plainListener ? [{ name: "plain", port: PLAIN_PORT, type: "internal", tls: false, authentication }] : []),
  ];
  const operatorPod = { pod: { tolerations: system.tolerations, ...(system.affinity ? { affinity: system.affinity } : {}) } };
  return {
    apiVersion: KAFKA_API_VERSION,
    kind: "Kafka",
    metadata: { name: KAFKA_CLUSTER_NAME },
    spec: {
      kafka: {
        listeners,
        authorization: { type: "simple" },
        config: brokerConfig(config),
        // Replicas of a partition in different zones; nodes without a zone label would stop the brokers' rack init.
        ...(zoneLabel ? { rack: { topologyKey: zoneLabel } } : {}),
        metricsConfig: { type: "strimziMetricsReporter", values: { allowList: ["kafka_server.*", "kafka_controller.*", "kafka_network.*", "kafka_log.*"] } },
        template: {
          podDisruptionBudget: { maxUnavailable: 1 },
          // Pipelines verify the brokers with this CA; the reflector copies it into their namespace.
          clusterCaCert: { metadata: { annotations: mirrorSourceAnnotations([args.usersNamespace]) } },
        },
      },
      entityOperator: {
        topicOperator: { resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "512Mi" } } },
        userOperator: { watchedNamespace: args.usersNamespace, resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "512Mi" } } },
        template: operatorPod,
      },
      kafkaExporter: { topicRegex: ".*", groupRegex: ".*", resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } }, template: operatorPod },
    },
  };
}

export function kafkaTopic(topic: KafkaConfig["topics"][number]) {
  return {
    apiVersion: KAFKA_API_VERSION,
    kind: "KafkaTopic",
    metadata: { name: topic.name, labels: { "strimzi.io/cluster": KAFKA_CLUSTER_NAME } },
    spec: { partitions: topic.partitions, replicas: topic.replicas, config: { "retention.ms": topic.retentionHours * 3600 * 1000 } },
  };
}

export interface KafkaAccess {
  read: string[];
  write: string[];
}

/**
 * A pipeline's own KafkaUser: it may read and write only the topics it declares, and commit offsets only in
 * its own consumer group (named after the pipeline). The pipelines component creates one per Kafka pipeline.
 */
export function kafkaUser(pipelineName: string, access: KafkaAccess, authentication: KafkaConfig["authentication"]) {
  const topicAcl = (topic: string, operations: string[]) => ({ resource: { type: "topic", name: topic, patternType: "literal" }, operations });
  return {
    apiVersion: KAFKA_API_VERSION,
    kind: "KafkaUser",
    metadata: { name: pipelineName, labels: { "strimzi.io/cluster": KAFKA_CLUSTER_NAME } },
    spec: {
      authentication: { type: authentication },
      authorization: {
        type: "simple",
        acls: [
          ...access.read.map((topic) => topicAcl(topic, ["Read", "Describe"])),
          ...access.write.map((topic) => topicAcl(topic, ["Write", "Describe"])),
          ...(access.read.length > 0 ? [{ resource: { type: "group", name: pipelineName, patternType: "literal" }, operations: ["Read"] }] : []),
        ],
      },
    },
  };
}

/** In-cluster address of the TLS listener. */
export function bootstrapAddress(namespace: string): string {
  return `${KAFKA_CLUSTER_NAME}-kafka-bootstrap.${namespace}.svc:${TLS_PORT}`;
}

/**
 * Kafka on Strimzi: the operator (its own namespace, on the system pool), a KRaft cluster on the stateful pool,
 * the topics from config and a PodMonitor for Prometheus.
 */
export class Kafka extends pulumi.ComponentResource {
  public readonly namespace: string;
  public readonly bootstrapAddress: string;
  /** Secret holding the cluster CA certificate clients verify the brokers with. */
  public readonly clusterCaSecretName = `${KAFKA_CLUSTER_NAME}-cluster-ca-cert`;

  constructor(name: string, args: KafkaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:data:Kafka", name, {}, opts);
    const { config, target } = args;
    const protect = target.environment === "prod";
    const k8sOpts = { parent: this, provider: target.provider };

    const operatorNamespace = new k8s.core.v1.Namespace(`${name}-operator-ns`, { metadata: { name: STRIMZI_NAMESPACE, labels: restrictedNamespaceLabels } }, k8sOpts);
    const namespace = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: config.namespace, labels: restrictedNamespaceLabels } }, { ...k8sOpts, protect });

    // Applied by the program, not the chart, so that a chart bump upgrades them (versions.ts, chartCrdFiles).
    const crds = crdConfigGroup(`${name}-crds`, chartCrdFiles.strimzi, k8sOpts);
    const operator = new k8s.helm.v3.Release(`${name}-operator`,
      { ...pinnedRelease("strimzi", charts.strimzi, operatorNamespace.metadata.name, strimziValues(config.namespace, args.usersNamespace, target.placement)), skipCrds: true },
      { ...k8sOpts, dependsOn: [namespace, crds] });

    const crOpts = { ...k8sOpts, dependsOn: [operator, namespace] };
    const pools = nodePoolSpecs(config).map((pool) => {
      const { apiVersion, kind, metadata, spec } = kafkaNodePool(pool, args);
      return new k8s.apiextensions.CustomResource(`${name}-${pool.name}`, { apiVersion, kind, metadata: { ...metadata, namespace: config.namespace }, spec }, { ...crOpts, protect });
    });
    const cluster = kafkaCluster(args);
    const kafka = new k8s.apiextensions.CustomResource(`${name}-cluster`, {
      apiVersion: cluster.apiVersion, kind: cluster.kind, metadata: { ...cluster.metadata, namespace: config.namespace }, spec: cluster.spec,
    }, { ...crOpts, dependsOn: [operator, namespace, ...pools], protect });

    for (const topic of config.topics) {
      const { apiVersion, kind, metadata, spec } = kafkaTopic(topic);
      new k8s.apiextensions.CustomResource(`${name}-topic-${topic.name}`, { apiVersion, kind, metadata: { ...metadata, namespace: config.namespace }, spec }, { ...k8sOpts, dependsOn: [kafka], protect });
    }

    // Strimzi writes the NetworkPolicies for its own ports (listeners, replication, the operator); these deny
    // everything else, except Prometheus on the metrics port.
    const denyAll = defaultDenyIngress(config.namespace);
    new k8s.networking.v1.NetworkPolicy(`${name}-default-deny`, { metadata: denyAll.metadata, spec: denyAll.spec }, { ...k8sOpts, dependsOn: [namespace] });
    const metrics = allowIngress(config.namespace, { name: "allow-metrics", podLabels: {}, fromNamespaces: [args.monitoringNamespace], ports: [9404] });
    new k8s.networking.v1.NetworkPolicy(`${name}-allow-metrics`, { metadata: metrics.metadata, spec: metrics.spec }, { ...k8sOpts, dependsOn: [namespace] });

    if (args.monitoringCrds) {
      new k8s.apiextensions.CustomResource(`${name}-pods`, {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata: { name: "kafka", namespace: config.namespace },
        spec: kafkaPodMonitorSpec(),
      }, { ...k8sOpts, dependsOn: [...args.monitoringCrds, namespace] });
    }

    this.namespace = config.namespace;
    this.bootstrapAddress = bootstrapAddress(config.namespace);
    this.registerOutputs({ namespace: this.namespace, bootstrapAddress: this.bootstrapAddress });
  }
}

/** Scrapes brokers, controllers (metrics reporter on port 9404) and the Kafka exporter. */
export function kafkaPodMonitorSpec() {
  return {
    selector: { matchExpressions: [{ key: "strimzi.io/kind", operator: "In", values: ["Kafka"] }] },
    podMetricsEndpoints: [{ path: "/metrics", port: "tcp-prometheus" }],
  };
}

export function strimziValues(kafkaNamespace: string, usersNamespace: string, placement: Pick<Placements, "system">) {
  return {
    watchNamespaces: [kafkaNamespace, usersNamespace],
    nodeSelector: placement.system.nodeSelector ?? {},
    resources: { requests: { cpu: "200m", memory: "384Mi" }, limits: { memory: "384Mi" } },
    // The chart's container securityContext has no seccomp profile and its podSecurityContext is empty
    // (strimzi-kafka-operator 1.2.0 values.yaml, templates/060-Deployment-strimzi-cluster-operator.yaml): the
    // operator's own pod would be refused in its `restricted` namespace without this.
    podSecurityContext: imageUserPodSecurityContext,
    // Lets Strimzi give every pod it creates the settings of the `restricted` Pod Security Standard.
    extraEnvs: [{ name: "STRIMZI_POD_SECURITY_PROVIDER_CLASS", value: "restricted" }],
  };
}
