/** The Kafka cluster's name and alerts (pure: no SDK, so the rule tests load fast). */
import type { KafkaConfig } from "../../config/schema";
import type { RuleGroup } from "../../lib/alerts";

export const KAFKA_CLUSTER_NAME = "etl";

/** Alerts for the Kafka cluster: data at risk (under-replicated, offline partitions) and brokers down. */
export function kafkaAlertRules(config: KafkaConfig): RuleGroup[] {
  const brokerPods = config.combinedRoles ? `${KAFKA_CLUSTER_NAME}-combined-.*` : `${KAFKA_CLUSTER_NAME}-brokers-.*`;
  return [{
    name: "kafka",
    rules: [
      {
        alert: "KafkaUnderReplicatedPartitions",
        expr: `sum(kafka_server_replicamanager_underreplicatedpartitions{namespace="${config.namespace}"}) > 0`,
        for: "10m",
        severity: "warning",
        summary: "Kafka has under-replicated partitions",
        description: "Some partitions have fewer in-sync replicas than their replication factor: one more broker failure can make them unavailable.",
      },
      {
        alert: "KafkaOfflinePartitions",
        expr: `sum(kafka_controller_kafkacontroller_offlinepartitionscount{namespace="${config.namespace}"}) > 0`,
        for: "1m",
        severity: "critical",
        summary: "Kafka has offline partitions",
        description: "Partitions without a leader: producers and consumers of those partitions are failing.",
      },
      {
        alert: "KafkaBrokerDown",
        expr: `sum(kube_pod_status_ready{namespace="${config.namespace}", pod=~"${brokerPods}", condition="true"}) < ${config.brokers}`,
        for: "5m",
        severity: config.brokers > 1 ? "warning" : "critical",
        summary: "A Kafka broker is not ready",
        description: `Fewer than ${config.brokers} brokers are ready.`,
      },
    ],
  }];
}
