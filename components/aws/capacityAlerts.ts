/** The capacity alerts and dashboard of each autoscaler engine (pure: no SDK, so the rule tests load fast). */
import { counterIncrease, type RuleGroup } from "../../lib/alerts";
import type { Dashboard } from "../../lib/dashboards";

/** Alerts for capacity: the autoscaler failing to add nodes, and spot nodes taken back by AWS. */
export function capacityAlertRules(engine: "cluster-autoscaler" | "karpenter" = "cluster-autoscaler"): RuleGroup[] {
  if (engine === "karpenter") return karpenterCapacityAlertRules();
  // `offset` applies to a selector, never to an aggregation (PromQL: "offset modifier must be preceded by an
  // instant vector selector"; kube-prometheus-stack's admission webhook refuses the whole PrometheusRule).
  const spotNodes = (offset = "") => `count(kube_node_labels{label_eks_amazonaws_com_capacity_type="SPOT"}${offset})`;
  const scaleUpFailing = {
    alert: "AutoscalerScaleUpFailing",
    severity: "warning" as const,
    summary: "The cluster autoscaler cannot add the nodes pods are waiting for",
    description: "Pods stay pending: a node group is at its maximum, spot capacity is short in every type and zone, or the autoscaler lacks permissions.",
  };
  return [{
    name: "capacity",
    rules: [
      // Two rules of one alert (a `cause` label each: promtool refuses two rules of one name and labels), each waiting once: failed scale-ups within the window (the counter is born at 1 on
      // its first failure: lib/alerts.ts counterIncrease), and pods left unschedulable for 15 minutes.
      { ...scaleUpFailing, labels: { cause: "failed-scale-up" }, for: "0m", expr: `${counterIncrease("cluster_autoscaler_failed_scale_ups_total", "15m")} > 0` },
      { ...scaleUpFailing, labels: { cause: "pods-unschedulable" }, for: "15m", expr: "max(cluster_autoscaler_unschedulable_pods_count) > 0" },
      {
        alert: "SpotCapacityLost",
        // Spot nodes that went away in 15 minutes, less those the autoscaler removed itself.
        expr: `((${spotNodes(" offset 15m")}) or vector(0)) - (${spotNodes()} or vector(0)) - ${counterIncrease("cluster_autoscaler_scaled_down_nodes_total", "15m")} > 0`,
        for: "0m",
        severity: "warning",
        summary: "Spot nodes were reclaimed",
        description: "AWS took spot nodes back. Interrupted pipeline pods are retried without using up their retries; frequent alerts mean the batch pools need more instance types.",
      },
    ],
  }];
}

/**
 * Under Karpenter the cluster autoscaler's series do not exist. Its own: the interruption queue's messages by kind
 * (aws/karpenter-provider-aws v1.14.1 pkg/controllers/interruption/metrics.go `karpenter_interruption_received_messages_total`,
 * label `message_type`; messages/types.go SpotInterruptionKind "spot_interrupted"), and kube-state-metrics'
 * unschedulable pods for capacity Karpenter cannot find (a pool at its limits, no spot capacity of any allowed type).
 */
function karpenterCapacityAlertRules(): RuleGroup[] {
  return [{
    name: "capacity",
    rules: [
      {
        alert: "BatchPodsUnschedulable",
        expr: "max(kube_pod_status_unschedulable) > 0",
        for: "15m",
        severity: "warning",
        summary: "Pods have waited 15 minutes for a node",
        description: "Karpenter launches no node for them: a NodePool is at its limits, no allowed instance type has capacity, or the controller lacks permissions (its logs say which).",
      },
      {
        alert: "SpotCapacityLost",
        expr: `${counterIncrease('karpenter_interruption_received_messages_total{message_type="spot_interrupted"}', "15m")} > 0`,
        for: "0m",
        severity: "warning",
        summary: "Spot nodes were reclaimed",
        description: "AWS warned of spot interruptions; Karpenter drained the nodes and launched replacements. Frequent alerts mean the batch pools need more instance types (instanceCategories).",
      },
    ],
  }];
}

/** The autoscaler's dashboard: from the series its engine emits (test/runtime/metrics.ts lists them with their sources). */
export function capacityDashboard(engine: "cluster-autoscaler" | "karpenter"): Dashboard {
  if (engine === "karpenter") {
    return {
      uid: "etl-autoscaler",
      title: "ETL / Karpenter",
      panels: [
        // Karpenter's nodes carry no eks.amazonaws.com/capacityType label; our pool and capacity labels they do.
        { title: "Nodes by pool and capacity type", expr: "count by (label_etl_platform_pool, label_etl_platform_capacity) (kube_node_labels)", legend: "{{label_etl_platform_pool}} {{label_etl_platform_capacity}}" },
        { title: "Unschedulable pods", expr: "sum(kube_pod_status_unschedulable)" },
        { title: "Interruption messages by kind", expr: "sum by (message_type) (rate(karpenter_interruption_received_messages_total[15m]))", legend: "{{message_type}}" },
        { title: "Interruption messages handled", expr: "sum(rate(karpenter_interruption_deleted_messages_total[15m]))" },
      ],
    };
  }
  return {
    uid: "etl-autoscaler",
    title: "ETL / Cluster autoscaler",
    panels: [
      { title: "Nodes by capacity type", expr: "count by (label_eks_amazonaws_com_capacity_type) (kube_node_labels)", legend: "{{label_eks_amazonaws_com_capacity_type}}" },
      { title: "Unschedulable pods", expr: "max(cluster_autoscaler_unschedulable_pods_count)" },
      { title: "Scale-ups and failed scale-ups", expr: "sum(rate(cluster_autoscaler_scaled_up_nodes_total[15m])) or sum(rate(cluster_autoscaler_failed_scale_ups_total[15m]))" },
      { title: "Scale-downs", expr: "sum(rate(cluster_autoscaler_scaled_down_nodes_total[15m]))" },
    ],
  };
}
