/**
 * Per streaming pipeline: lag still growing while KEDA already runs every consumer it may, lag with no consumer
 * ready, and KEDA unable to read the lag. Every rule is checked by promtool (streamingAlerts.rules.test.ts).
 *
 * Series, as Prometheus stores them (test/runtime/metrics.ts):
 * - `kafka_consumergroup_lag{consumergroup, topic, partition}` from Strimzi's Kafka Exporter (strimzi-kafka-operator
 *   1.2.0 packaging/examples/metrics/grafana-dashboards/strimzi-kafka-exporter.json), scraped in the Kafka namespace;
 * - `kube_deployment_spec_replicas` and `kube_deployment_status_replicas_available{namespace, deployment}` from
 *   kube-state-metrics (docs/metrics/workload/deployment-metrics.md);
 * - `keda_scaler_detail_errors_total{namespace, scaledObject, scaler, triggerIndex, metric, type}` from KEDA's
 *   operator (kedacore/keda v2.20.2 pkg/metricscollector/prommetrics.go). The chart's ServiceMonitor does not honour
 *   the series' labels (kedacore/charts v2.20.2 templates/manager/servicemonitor.yaml sets no honorLabels), so the
 *   target's `namespace` (keda) wins and the ScaledObject's namespace is stored as `exported_namespace`. Its
 *   children are created on the first error, already at 1 (client_golang CounterVec `WithLabelValues().Inc()`):
 *   counterIncrease counts them.
 */
import type { PipelineConfig, StreamingPipelineConfig } from "../../../config/schema";
import { counterIncrease, type AlertRule } from "../../../lib/alerts";

/** How long lag must keep growing at the most consumers before anyone is paged. */
const GROWTH_WINDOW = "15m";

/**
 * The consumer group's total lag over the topics it reads (never negative: the exporter reports -1 for an unknown
 * offset). Topic names are DNS labels (config/schema.ts), so no regex metacharacter needs escaping; `=~` matches
 * the whole name.
 */
export function lagExpr(pipeline: Pick<StreamingPipelineConfig, "name" | "kafka">, offset?: string): string {
  const selector = `kafka_consumergroup_lag{consumergroup="${pipeline.name}", topic=~"${pipeline.kafka.read.join("|")}"}${offset ? ` offset ${offset}` : ""}`;
  return `sum(clamp_min(${selector}, 0))`;
}

export function streamingAlertRules(pipelines: PipelineConfig[], namespace: string): AlertRule[] {
  const streaming = pipelines.filter((pipeline): pipeline is StreamingPipelineConfig => pipeline.mode === "streaming");
  return streaming.flatMap((pipeline): AlertRule[] => {
    const deployment = `namespace="${namespace}", deployment="${pipeline.name}"`;
    const base = { severity: "warning" as const, labels: { pipeline: pipeline.name } };
    const { maxReplicas, minReplicas, activationLagThreshold } = pipeline.scaling;
    // Below the activation threshold a consumer scaled to zero is meant to stay at zero.
    const idleLag = minReplicas === 0 ? activationLagThreshold ?? 0 : 0;
    return [
      {
        ...base,
        alert: "StreamingLagGrowingAtMax",
        for: GROWTH_WINDOW,
        expr: `(${lagExpr(pipeline)} > ${lagExpr(pipeline, GROWTH_WINDOW)}) and on() (max(kube_deployment_spec_replicas{${deployment}}) >= ${maxReplicas})`,
        summary: `Streaming pipeline ${pipeline.name} falls behind at its most consumers`,
        description: `The lag of ${pipeline.name} on ${pipeline.kafka.read.join(", ")} keeps growing with all ${maxReplicas} consumers (scaling.maxReplicas) running: raise maxReplicas (and the topics' partitions), or make the consumer faster.`,
      },
      {
        ...base,
        severity: "critical",
        alert: "StreamingConsumerDown",
        for: "10m",
        expr: `(${lagExpr(pipeline)} > ${idleLag}) and on() ((max(kube_deployment_status_replicas_available{${deployment}}) or vector(0)) == 0)`,
        summary: `Streaming pipeline ${pipeline.name} has lag and no consumer ready`,
        description: `Messages wait on ${pipeline.kafka.read.join(", ")} and no pod of ${pipeline.name} is ready: check its pods (crash loop, image, scheduling) and KEDA's ScaledObject.`,
      },
      {
        ...base,
        alert: "KedaScalerErrors",
        for: "10m",
        expr: `${counterIncrease(`keda_scaler_detail_errors_total{exported_namespace="${namespace}", scaledObject="${pipeline.name}"}`, "10m")} > 0`,
        summary: `KEDA cannot read the lag of ${pipeline.name}`,
        description: `KEDA's Kafka scaler of ${pipeline.name} keeps failing (credentials, the brokers, a network policy): it holds the consumers at its fallback meanwhile. See the keda-operator's log.`,
      },
    ];
  });
}
