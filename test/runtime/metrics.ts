/**
 * The series each exporter really emits, with the labels they carry once Prometheus has scraped them, so an
 * alert can be checked against them: a metric or a label that is not here is a series that will never exist.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { parser } from "@prometheus-io/lezer-promql";
import { CRONWORKFLOW_LABELS, cronWorkflowStateConfig } from "../../components/platform/cronWorkflowMetrics";
import { UPSTREAM } from "../upstream";

/** Labels the Prometheus Operator adds to every series of a PodMonitor or ServiceMonitor target (prometheus-operator pkg/prometheus/promcfg.go relabelings). */
const TARGET_LABELS = ["namespace", "pod", "container", "endpoint", "job", "instance", "service"];

export interface Exporter {
  source: string;
  metrics: Record<string, string[]>;
}

/**
 * CloudNativePG's metrics: the default monitoring queries shipped by the chart at the pinned version (each
 * GAUGE or COUNTER column of a query becomes `cnpg_<query>_<column>`, each LABEL column a label;
 * cloudnative-pg pkg/management/postgres/webserver/metricserver), and the collector's own `cnpg_collector_up`.
 * No series carries a `cluster` label.
 */
function cloudnativePgMetrics(): Record<string, string[]> {
  const values = parseYaml(fs.readFileSync(path.join(UPSTREAM, "cloudnative-pg-0.29.0", "values.yaml"), "utf8"));
  const queries = parseYaml(values.monitoringQueriesConfigMap.queries) as Record<string, { metrics: Record<string, { usage: string }>[] }>;
  const metrics: Record<string, string[]> = { cnpg_collector_up: [...TARGET_LABELS] };
  for (const [query, definition] of Object.entries(queries)) {
    const columns = definition.metrics.map((entry) => Object.entries(entry)[0]);
    const labels = columns.filter(([, column]) => column.usage === "LABEL").map(([name]) => name);
    for (const [name, column] of columns) {
      if (column.usage === "GAUGE" || column.usage === "COUNTER") metrics[`cnpg_${query}_${name}`] = [...TARGET_LABELS, ...labels];
    }
  }
  return metrics;
}

export function exporters(): Record<string, Exporter> {
  return {
    "kube-state-metrics": {
      source: "kubernetes/kube-state-metrics docs/metrics (pod, job, cronjob, node); kube-prometheus-stack's ServiceMonitor keeps the object's namespace (honorLabels)",
      metrics: {
        kube_pod_status_ready: ["namespace", "pod", "uid", "condition"],
        // docs/metrics/workload/pod-metrics.md
        kube_pod_status_unschedulable: ["namespace", "pod", "uid"],
        kube_job_failed: ["namespace", "job_name", "condition"],
        // docs/metrics/policy/resourcequota-metrics.md; the resourcequotas collector is in the default set.
        kube_resourcequota: ["namespace", "resourcequota", "resource", "type"],
        kube_cronjob_status_last_successful_time: ["namespace", "cronjob"],
        kube_cronjob_created: ["namespace", "cronjob"],
        kube_cronjob_spec_suspend: ["namespace", "cronjob"],
        // label_<name> for each node label allow-listed by metricLabelsAllowlist (components/monitoring.ts)
        kube_node_labels: ["node", "label_eks_amazonaws_com_capacity_type", "label_etl_platform_pool", "label_etl_platform_capacity"],
        // docs/metrics/workload/job-metrics.md
        kube_job_status_start_time: ["namespace", "job_name"],
        kube_job_status_completion_time: ["namespace", "job_name"],
        kube_job_status_active: ["namespace", "job_name"],
        // docs/metrics/workload/daemonset-metrics.md
        kube_daemonset_status_number_unavailable: ["namespace", "daemonset"],
        // docs/metrics/workload/deployment-metrics.md
        kube_deployment_spec_replicas: ["namespace", "deployment"],
        kube_deployment_status_replicas_available: ["namespace", "deployment"],
      },
    },
    karpenter: {
      // aws/karpenter-provider-aws v1.14.1 pkg/controllers/interruption/metrics.go: namespace "karpenter" (core's
      // metrics.Namespace), subsystem "interruption", label message_type (messages/types.go kinds); scraped by the
      // chart's ServiceMonitor.
      source: "karpenter-provider-aws v1.14.1 pkg/controllers/interruption/metrics.go",
      metrics: { karpenter_interruption_received_messages_total: [...TARGET_LABELS, "message_type"], karpenter_interruption_deleted_messages_total: [...TARGET_LABELS] },
    },
    fluentBit: {
      // fluent/fluent-bit src/flb_output.c (cmetrics: fluentbit_output_*_total with the output's `name`), served on
      // /api/v2/metrics/prometheus; created on their first event (tests/internal: "An untouched counter has no series").
      source: "fluent-bit cmetrics fluentbit_output_* (name label)",
      metrics: Object.fromEntries(["dropped_records_total", "retries_total", "retries_failed_total", "errors_total", "proc_records_total"].map((name) => [`fluentbit_output_${name}`, [...TARGET_LABELS, "name"]])),
    },
    kubeStateMetricsCustomResources: {
      source: "our customResourceState config (components/platform/cronWorkflowMetrics.ts), named <metricNamePrefix>_<name> (kube-state-metrics docs/metrics/extend/customresourcestate-metrics.md, Naming)",
      metrics: Object.fromEntries(cronWorkflowStateConfig().spec.resources.flatMap((resource) => resource.metrics.map((metric) => [`${resource.metricNamePrefix}_${metric.name}`, [...CRONWORKFLOW_LABELS, "customresource_group", "customresource_kind", "customresource_version"]]))),
    },
    cloudnativePg: { source: "cloudnative-pg chart 0.29.0 monitoringQueriesConfigMap; pg_collector.go", metrics: cloudnativePgMetrics() },
    barmanCloudPlugin: {
      // cloudnative-pg/plugin-barman-cloud v0.13.0 (chart 0.7.0) internal/cnpgi/instance/metrics.go: the plugin name
      // (internal/cnpgi/metadata/constants.go PluginName "barman-cloud.cloudnative-pg.io") with '.' and '-' as '_'
      source: "plugin-barman-cloud v0.13.0 internal/cnpgi/instance/metrics.go (Define), served by each instance",
      metrics: Object.fromEntries(["first_recoverability_point", "last_available_backup_timestamp", "last_failed_backup_timestamp"]
        .map((name) => [`barman_cloud_cloudnative_pg_io_${name}`, [...TARGET_LABELS]])),
    },
    strimziMetricsReporter: {
      // strimzi-kafka-operator 1.2.0 packaging/examples/metrics/strimzi-metrics-reporter/grafana-dashboards/strimzi-kafka.json
      source: "Strimzi Metrics Reporter naming: <domain>_<type>_<name>, lower case",
      metrics: {
        kafka_server_replicamanager_underreplicatedpartitions: [...TARGET_LABELS, "strimzi_io_cluster"],
        kafka_controller_kafkacontroller_offlinepartitionscount: [...TARGET_LABELS, "strimzi_io_cluster"],
      },
    },
    kafkaExporter: {
      // strimzi-kafka-operator 1.2.0 packaging/examples/metrics/grafana-dashboards/strimzi-kafka-exporter.json
      // (sum by consumergroup, partition, topic); scraped by the Kafka PodMonitor.
      source: "Strimzi's Kafka Exporter (kafka_exporter): consumer group lag per partition",
      metrics: { kafka_consumergroup_lag: [...TARGET_LABELS, "consumergroup", "topic", "partition"] },
    },
    keda: {
      // kedacore/keda v2.20.2 pkg/metricscollector/prommetrics.go: metricLabels = namespace, metric, scaledObject,
      // scaler, triggerIndex, type. Its ServiceMonitor (kedacore/charts v2.20.2 templates/manager/servicemonitor.yaml)
      // sets no honorLabels, so the series' own `namespace` is stored as `exported_namespace`.
      source: "KEDA operator metrics (keda_scaler_*), scraped through the chart's ServiceMonitor",
      metrics: Object.fromEntries(["keda_scaler_active", "keda_scaler_metrics_value", "keda_scaler_detail_errors_total"].map((name) => [name, [...TARGET_LABELS, "exported_namespace", "metric", "scaledObject", "scaler", "triggerIndex", "type"]])),
    },
    clusterAutoscaler: {
      source: "kubernetes/autoscaler cluster-autoscaler/metrics/metrics.go (namespace cluster_autoscaler)",
      metrics: {
        cluster_autoscaler_failed_scale_ups_total: [...TARGET_LABELS, "reason"],
        cluster_autoscaler_unschedulable_pods_count: [...TARGET_LABELS, "type"],
        cluster_autoscaler_scaled_down_nodes_total: [...TARGET_LABELS, "reason"],
      },
    },
  };
}

/**
 * Argo's custom metrics of our workflows: `argo_workflows_` + the metric's name, counters without a `_total`
 * suffix added (argoproj/argo-workflows v4.0.6 util/telemetry/exporter_prometheus.go: WithNamespace, and
 * WithoutCounterSuffixes), its labels as labels.
 */
type MetricsHolder = { metrics?: { prometheus?: { name: string; labels?: { key: string }[] }[] } };

export function argoCustomMetrics(workflowSpecs: (MetricsHolder & { templates?: MetricsHolder[] })[]): Record<string, string[]> {
  const metrics: Record<string, string[]> = {};
  // Workflow-level and template-level metrics (metrics.md: both are emitted under the same prefix).
  for (const holder of workflowSpecs.flatMap((spec) => [spec, ...(spec.templates ?? [])])) {
    for (const metric of holder.metrics?.prometheus ?? []) metrics[`argo_workflows_${metric.name}`] = [...TARGET_LABELS, ...(metric.labels ?? []).map((l) => l.key)];
  }
  return metrics;
}

/**
 * Every series selector of a PromQL expression: the metric name and the label names it matches on, read with
 * the Prometheus 3 grammar (lezer-promql, as test/promtool.ts), so functions, keywords and label lists never
 * pass for metrics.
 */
export function selectors(expr: string): { metric: string; labels: string[] }[] {
  const found: { metric: string; labels: string[] }[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.name !== "VectorSelector") return;
      const text = (n: { from: number; to: number }) => expr.slice(n.from, n.to);
      const identifier = node.node.getChild("Identifier");
      const labels = node.node.getChild("LabelMatchers")?.getChildren("UnquotedLabelMatcher").map((matcher) => text(matcher.getChild("LabelName")!)) ?? [];
      found.push({ metric: identifier ? text(identifier) : "", labels });
      return false;
    },
  });
  return found;
}
