/**
 * The streaming pipelines' alerts under the real rule engine (test/promtool.ts): lag that keeps growing only at
 * the most consumers, lag with no ready consumer (not while a scaled-to-zero consumer waits under its activation
 * threshold), and KEDA's scaler errors, including a counter born at 1.
 */
import { parsePlatformConfig } from "../../../config/load";
import { testRules, type RuleCase } from "../../../test/promtool";
import { pipelineAlertRules } from "./alerts";

const resources = { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } };
const config = parsePlatformConfig({
  environment: "staging",
  kafka: { topics: [{ name: "orders", partitions: 4, replicas: 1, retentionHours: 24 }, { name: "orders-v2", partitions: 2, replicas: 1, retentionHours: 24 }] },
  pipelines: [
    { name: "enrich", mode: "streaming", image: "x:1", resources, kafka: { read: ["orders", "orders-v2"] }, scaling: { minReplicas: 1, maxReplicas: 4 } },
    { name: "idle", mode: "streaming", image: "x:1", resources, kafka: { read: ["orders"] }, scaling: { minReplicas: 0, maxReplicas: 2, activationLagThreshold: 50 } },
  ],
});
const groups = pipelineAlertRules(config.pipelines, "pipelines", 30);

// What Prometheus stores (test/runtime/metrics.ts): the exporter's target labels, and KEDA's own `namespace` as
// `exported_namespace` (its ServiceMonitor does not honour labels).
const exporter = 'namespace="kafka", pod="etl-kafka-exporter-0", job="kafka/kafka", container="kafka-exporter"';
const lag = (group: string, topic: string, partition: number) => `kafka_consumergroup_lag{${exporter}, consumergroup="${group}", topic="${topic}", partition="${partition}"}`;
const ksm = 'job="kube-state-metrics", instance="10.0.0.9:8080"';
const deployment = (metric: string, name: string) => `${metric}{${ksm}, namespace="pipelines", deployment="${name}"}`;
const keda = (name: string) => `keda_scaler_detail_errors_total{namespace="keda", pod="keda-operator-0", job="keda-operator", exported_namespace="pipelines", scaledObject="${name}", scaler="kafkaScaler", triggerIndex="0", metric="s0-kafka-orders", type="scaledobject"}`;

// StreamingLagGrowingAtMax: lag growing fires only at maxReplicas, on every topic read and no other.
const lagCases: RuleCase[] = [
      {
        name: "lag grows for an hour on orders-v2 with 4 consumers",
        series: [
          { series: lag("enrich", "orders-v2", 0), values: "0+10x60" },
          { series: lag("enrich", "orders", 0), values: "5x60" },
          // Another group's lag, and a topic the pipeline does not read whose name starts like one it does: never counted.
          { series: lag("other", "orders-v2", 0), values: "0+100x60" },
          { series: lag("enrich", "orders-archive", 1), values: "0+100x60" },
          { series: deployment("kube_deployment_spec_replicas", "enrich"), values: "4x60" },
        ],
        checks: [{ at: "20m", alert: "StreamingLagGrowingAtMax", fires: [] }, { at: "45m", alert: "StreamingLagGrowingAtMax", fires: [{ pipeline: "enrich" }] }],
      },
      {
        name: "only a topic it does not read, and another group, fall behind",
        series: [
          { series: lag("enrich", "orders", 0), values: "5x60" },
          { series: lag("enrich", "orders-archive", 1), values: "0+100x60" },
          { series: lag("other", "orders", 0), values: "0+100x60" },
          { series: deployment("kube_deployment_spec_replicas", "enrich"), values: "4x60" },
        ],
        checks: [{ at: "45m", alert: "StreamingLagGrowingAtMax", fires: [] }],
      },
      {
        name: "lag grows with 3 of 4 consumers: KEDA can still add one",
        series: [{ series: lag("enrich", "orders", 0), values: "0+10x60" }, { series: deployment("kube_deployment_spec_replicas", "enrich"), values: "3x60" }],
        checks: [{ at: "45m", alert: "StreamingLagGrowingAtMax", fires: [] }],
      },
      {
        name: "high but shrinking lag at 4 consumers: catching up",
        series: [{ series: lag("enrich", "orders", 0), values: "1000-10x60" }, { series: deployment("kube_deployment_spec_replicas", "enrich"), values: "4x60" }],
        checks: [{ at: "45m", alert: "StreamingLagGrowingAtMax", fires: [] }],
      },
      {
        name: "the exporter's -1 for an unknown offset is not lag",
        series: [{ series: lag("enrich", "orders", 0), values: "-1x60" }, { series: lag("enrich", "orders", 1), values: "0x60" }, { series: deployment("kube_deployment_spec_replicas", "enrich"), values: "4x60" }],
        checks: [{ at: "45m", alert: "StreamingLagGrowingAtMax", fires: [] }],
      },
];

// StreamingConsumerDown: lag and no ready consumer, also when the Deployment's series is gone; quiet under the activation threshold.
const downCases: RuleCase[] = [
      {
        name: "enrich has lag and 0 available replicas",
        series: [{ series: lag("enrich", "orders", 0), values: "100x30" }, { series: deployment("kube_deployment_status_replicas_available", "enrich"), values: "1x5 0x25" }],
        checks: [{ at: "10m", alert: "StreamingConsumerDown", fires: [] }, { at: "20m", alert: "StreamingConsumerDown", fires: [{ pipeline: "enrich" }] }],
      },
      {
        name: "enrich has lag and its Deployment is gone",
        series: [{ series: lag("enrich", "orders", 0), values: "100x30" }],
        checks: [{ at: "20m", alert: "StreamingConsumerDown", fires: [{ pipeline: "enrich" }] }],
      },
      {
        name: "enrich has lag and a ready consumer",
        series: [{ series: lag("enrich", "orders", 0), values: "100x30" }, { series: deployment("kube_deployment_status_replicas_available", "enrich"), values: "1x30" }],
        checks: [{ at: "20m", alert: "StreamingConsumerDown", fires: [] }],
      },
      {
        name: "idle is at zero with 40 messages waiting, under its activation threshold of 50; then 60 wait",
        series: [{ series: lag("idle", "orders", 0), values: "40x20 60x30" }, { series: deployment("kube_deployment_status_replicas_available", "idle"), values: "0x50" }],
        checks: [{ at: "18m", alert: "StreamingConsumerDown", fires: [] }, { at: "35m", alert: "StreamingConsumerDown", fires: [{ pipeline: "idle" }] }],
      },
];

// KedaScalerErrors: fires on errors that keep coming, including a counter born at 1, never on one old error.
const kedaCases: RuleCase[] = [
      {
        name: "the scaler fails from KEDA's start: the counter appears at 1 and grows",
        series: [{ series: keda("enrich"), values: "1+1x40" }],
        checks: [{ at: "5m", alert: "KedaScalerErrors", fires: [] }, { at: "15m", alert: "KedaScalerErrors", fires: [{ pipeline: "enrich" }] }],
      },
      {
        name: "one error at 10m, none after",
        series: [{ series: keda("enrich"), values: "_x10 1x50" }],
        checks: [{ at: "18m", alert: "KedaScalerErrors", fires: [] }, { at: "45m", alert: "KedaScalerErrors", fires: [] }],
      },
      {
        name: "another namespace's ScaledObject of the same name",
        series: [{ series: keda("enrich").replace('exported_namespace="pipelines"', 'exported_namespace="other"'), values: "1+1x40" }],
        checks: [{ at: "30m", alert: "KedaScalerErrors", fires: [] }],
      },
];

describe("streaming pipeline alerts (promtool)", () => {
  // One promtool run for the three rules' cases (each run is a process start).
  it("fire on lag growing at maxReplicas, on lag with no ready consumer, on KEDA's scaler errors; quiet otherwise", () => {
    const result = testRules(groups, [...lagCases, ...downCases, ...kedaCases]);
    expect(result.output).toContain("SUCCESS");
    expect(result.ok).toBe(true);
    expect(lagCases.length + downCases.length + kedaCases.length).toBe(12);
  });
});
