/** The platform's dashboards: Kafka, Postgres and the cluster autoscaler (the pipelines' is pipelines/dashboard.ts). */
import type { Dashboard } from "../../lib/dashboards";

export const platformDashboards: Dashboard[] = [
  {
    uid: "etl-kafka",
    title: "ETL / Kafka",
    panels: [
      { title: "Under-replicated partitions", expr: "sum(kafka_server_replicamanager_underreplicatedpartitions)" },
      { title: "Offline partitions", expr: "sum(kafka_controller_kafkacontroller_offlinepartitionscount)" },
      { title: "Messages in per topic", expr: "sum by (topic) (rate(kafka_server_brokertopicmetrics_messagesin_total[5m]))", unit: "ops", legend: "{{topic}}" },
      { title: "Consumer group lag", expr: "sum by (consumergroup, topic) (kafka_consumergroup_lag)", legend: "{{consumergroup}} / {{topic}}" },
    ],
  },
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
  {
    uid: "etl-autoscaler",
    title: "ETL / Cluster autoscaler",
    panels: [
      { title: "Nodes by capacity type", expr: "count by (label_eks_amazonaws_com_capacity_type) (kube_node_labels)", legend: "{{label_eks_amazonaws_com_capacity_type}}" },
      { title: "Unschedulable pods", expr: "max(cluster_autoscaler_unschedulable_pods_count)" },
      { title: "Scale-ups and failed scale-ups", expr: "sum(rate(cluster_autoscaler_scaled_up_nodes_total[15m])) or sum(rate(cluster_autoscaler_failed_scale_ups_total[15m]))" },
      { title: "Scale-downs", expr: "sum(rate(cluster_autoscaler_scaled_down_nodes_total[15m]))" },
    ],
  },
];
