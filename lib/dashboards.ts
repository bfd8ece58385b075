/** Grafana dashboards as data, provisioned as ConfigMaps that the Grafana sidecar loads. */

export interface Panel {
  title: string;
  expr: string;
  unit?: string;
  /** Legend template, e.g. `{{cronjob}}`. */
  legend?: string;
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
}

const PANEL_WIDTH = 12;
const PANEL_HEIGHT = 8;

/** The dashboard JSON Grafana imports: time-series panels, two a row, on the Prometheus data source. */
export function dashboardJson(dashboard: Dashboard): string {
  return JSON.stringify({
    uid: dashboard.uid,
    title: dashboard.title,
    tags: ["etl-platform"],
    timezone: "utc",
    schemaVersion: 39,
    time: { from: "now-24h", to: "now" },
    panels: dashboard.panels.map((panel, i) => ({
      id: i + 1,
      type: "timeseries",
      title: panel.title,
      datasource: { type: "prometheus", uid: "prometheus" },
      gridPos: { x: (i % 2) * PANEL_WIDTH, y: Math.floor(i / 2) * PANEL_HEIGHT, w: PANEL_WIDTH, h: PANEL_HEIGHT },
      fieldConfig: { defaults: { unit: panel.unit ?? "short" }, overrides: [] },
      targets: [{ refId: "A", expr: panel.expr, legendFormat: panel.legend ?? "" }],
    })),
  });
}

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
    uid: "etl-pipelines",
    title: "ETL / Pipelines",
    panels: [
      { title: "Job durations", expr: `max by (job_name) (kube_job_status_completion_time{namespace="pipelines"} - kube_job_status_start_time{namespace="pipelines"})`, unit: "s", legend: "{{job_name}}" },
      { title: "Succeeded jobs (24h)", expr: `sum by (owner_name) (increase(kube_job_status_succeeded{namespace="pipelines"}[24h]) * on (job_name) group_left(owner_name) kube_job_owner{namespace="pipelines"})`, legend: "{{owner_name}}" },
      { title: "Failed jobs", expr: `sum by (job_name) (kube_job_status_failed{namespace="pipelines"})`, legend: "{{job_name}}" },
      { title: "Time since last success", expr: `time() - kube_cronjob_status_last_successful_time{namespace="pipelines"}`, unit: "s", legend: "{{cronjob}}" },
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
