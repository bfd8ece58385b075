/** The platform's dashboards: Kafka and Postgres (the pipelines' is pipelines/dashboard.ts, the autoscaler's the AWS layer's). */
import type { Dashboard } from "../../lib/dashboards";

/**
 * The platform's dashboards; the Kafka one shows each streaming pipeline's lag (its consumer group is its name)
 * next to the consumers KEDA runs, and whether KEDA's scalers are active (streamingAlerts.ts names the series).
 */
export function platformDashboards(streaming: { namespace: string; pipelines: string[] }): Dashboard[] {
  const groups = streaming.pipelines.join("|");
  const streamingPanels = streaming.pipelines.length === 0 ? [] : [
    { title: "Streaming pipelines: lag", expr: `sum by (consumergroup) (clamp_min(kafka_consumergroup_lag{consumergroup=~"${groups}"}, 0))`, legend: "{{consumergroup}}" },
    { title: "Streaming pipelines: ready consumers", expr: `sum by (deployment) (kube_deployment_status_replicas_available{namespace="${streaming.namespace}", deployment=~"${groups}"})`, legend: "{{deployment}}" },
    { title: "Streaming pipelines: KEDA scaler active", expr: `max by (scaledObject) (keda_scaler_active{exported_namespace="${streaming.namespace}", scaledObject=~"${groups}"})`, legend: "{{scaledObject}}" },
  ];
  return [kafkaDashboard(streamingPanels), ...OTHER_DASHBOARDS];
}

const kafkaDashboard = (extraPanels: Dashboard["panels"]): Dashboard => ({
  uid: "etl-kafka",
  title: "ETL / Kafka",
  panels: [
    { title: "Under-replicated partitions", expr: "sum(kafka_server_replicamanager_underreplicatedpartitions)" },
    { title: "Offline partitions", expr: "sum(kafka_controller_kafkacontroller_offlinepartitionscount)" },
    { title: "Messages in per topic", expr: "sum by (topic) (rate(kafka_server_brokertopicmetrics_messagesin_total[5m]))", unit: "ops", legend: "{{topic}}" },
    { title: "Consumer group lag", expr: "sum by (consumergroup, topic) (kafka_consumergroup_lag)", legend: "{{consumergroup}} / {{topic}}" },
    ...extraPanels,
  ],
});

const OTHER_DASHBOARDS: Dashboard[] = [
  {
    uid: "etl-postgres",
    title: "ETL / Postgres",
    panels: [
      { title: "Instances up", expr: "sum(cnpg_collector_up)" },
      { title: "Replication lag", expr: "max by (pod) (cnpg_pg_replication_lag)", unit: "s", legend: "{{pod}}" },
      { title: "Age of newest base backup", expr: "time() - max(cnpg_collector_last_available_backup_timestamp)", unit: "s" },
      { title: "Connections", expr: "sum by (datname) (cnpg_backends_total)", legend: "{{datname}}" },
    ],
  },
];
