/** The capacity alerts (pure: no SDK, so the rule tests load fast). */
import { counterIncrease, type RuleGroup } from "../../lib/alerts";

/** Alerts for capacity: the autoscaler failing to add nodes, and spot nodes taken back by AWS. */
export function capacityAlertRules(): RuleGroup[] {
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
