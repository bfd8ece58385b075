/** The capacity alerts under the real rule engine (test/promtool.ts). */
import { checkRules, testRules } from "../../test/promtool";
import { prometheusRuleSpec } from "../../lib/alerts";
import { capacityAlertRules } from "./capacityAlerts";

const groups = capacityAlertRules();
const spot = (node: string) => `kube_node_labels{node="${node}", label_eks_amazonaws_com_capacity_type="SPOT"}`;
const target = 'namespace="kube-system", pod="cluster-autoscaler-0", job="cluster-autoscaler"';

describe("capacity alerts (promtool)", () => {
  it("parse: SpotCapacityLost puts its offset on the selector, which PromQL requires", () => {
    const result = checkRules({ capacity: prometheusRuleSpec(groups) });
    expect(result.output).not.toContain("offset modifier must be preceded by an instant vector selector");
    expect(result.ok).toBe(true);
  });

  it("fires on reclaimed spot nodes, not on the autoscaler's own scale-down, even its first (a counter born at 1)", () => {
    const result = testRules(groups, [
      {
        name: "AWS reclaims one of three spot nodes at 30m",
        series: [
          { series: spot("a"), values: "1x60" },
          { series: spot("b"), values: "1x60" },
          { series: spot("c"), values: "1x29 stale" },
        ],
        checks: [
          { at: "20m", alert: "SpotCapacityLost", fires: [] },
          { at: "35m", alert: "SpotCapacityLost", fires: [{}] },
          { at: "55m", alert: "SpotCapacityLost", fires: [] },
        ],
      },
      {
        name: "the autoscaler removes a node at 30m: its first scale-down since it started, the counter appearing at 1",
        series: [
          { series: spot("a"), values: "1x60" },
          { series: spot("c"), values: "1x29 stale" },
          { series: `cluster_autoscaler_scaled_down_nodes_total{${target}, reason="underutilized"}`, values: "_x29 1x30" },
        ],
        checks: [{ at: "35m", alert: "SpotCapacityLost", fires: [] }],
      },
    ]);
    expect(result.output).toBe("Unit Testing:  tests.yaml\n  SUCCESS\n\n");
    expect(result.ok).toBe(true);
  });

  it("AutoscalerScaleUpFailing fires on the first failed scale-up at once, and on pods pending for 15 minutes", () => {
    const result = testRules(groups, [
      {
        name: "first failed scale-up since the autoscaler started (born at 1)",
        series: [{ series: `cluster_autoscaler_failed_scale_ups_total{${target}, reason="cloudProviderError"}`, values: "_x9 1x30" }],
        checks: [{ at: "5m", alert: "AutoscalerScaleUpFailing", fires: [] }, { at: "12m", alert: "AutoscalerScaleUpFailing", fires: [{ cause: "failed-scale-up" }] }, { at: "35m", alert: "AutoscalerScaleUpFailing", fires: [] }],
      },
      {
        name: "pods unschedulable from 10m",
        series: [{ series: `cluster_autoscaler_unschedulable_pods_count{${target}, type="unschedulable"}`, values: "0x9 2x40" }],
        checks: [{ at: "20m", alert: "AutoscalerScaleUpFailing", fires: [] }, { at: "27m", alert: "AutoscalerScaleUpFailing", fires: [{ cause: "pods-unschedulable" }] }],
      },
    ]);
    expect(result.output).toContain("SUCCESS");
    expect(result.ok).toBe(true);
  });
});

describe("Karpenter's capacity alerts (promtool)", () => {
  const karpenter = capacityAlertRules("karpenter");
  const controller = 'namespace="karpenter", pod="karpenter-0", job="karpenter"';

  it("SpotCapacityLost fires on the first spot interruption message (a counter born at 1), not on other kinds", () => {
    const result = testRules(karpenter, [
      {
        name: "a spot interruption warning at 10m, the controller's first",
        series: [{ series: `karpenter_interruption_received_messages_total{${controller}, message_type="spot_interrupted"}`, values: "_x9 1x30" }],
        checks: [{ at: "5m", alert: "SpotCapacityLost", fires: [] }, { at: "12m", alert: "SpotCapacityLost", fires: [{}] }, { at: "35m", alert: "SpotCapacityLost", fires: [] }],
      },
      {
        name: "rebalance recommendations and state changes only",
        series: [
          { series: `karpenter_interruption_received_messages_total{${controller}, message_type="rebalance_recommendation"}`, values: "_x9 1+1x30" },
          { series: `karpenter_interruption_received_messages_total{${controller}, message_type="instance_terminated"}`, values: "_x9 1+1x30" },
        ],
        checks: [{ at: "20m", alert: "SpotCapacityLost", fires: [] }],
      },
    ]);
    expect(result.output).toContain("SUCCESS");
    expect(result.ok).toBe(true);
  });

  it("BatchPodsUnschedulable fires after 15 minutes of a pod waiting, not before", () => {
    const result = testRules(karpenter, [{
      name: "a pod unschedulable from 10m",
      series: [{ series: 'kube_pod_status_unschedulable{namespace="pipelines", pod="run-1", uid="u"}', values: "_x9 1x40" }],
      checks: [{ at: "20m", alert: "BatchPodsUnschedulable", fires: [] }, { at: "27m", alert: "BatchPodsUnschedulable", fires: [{}] }],
    }]);
    expect(result.output).toContain("SUCCESS");
    expect(result.ok).toBe(true);
  });
});
