/** The capacity alerts (pure: no SDK, so the rule tests load fast). */
import { counterIncrease, type RuleGroup } from "../../lib/alerts";

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
