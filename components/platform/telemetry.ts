/**
 * The OpenTelemetry Collector (contrib distribution) in the monitoring namespace: it receives OTLP from the
 * pipelines, exposes their metrics to Prometheus (its `prometheus` exporter, scraped) and sends their traces to
 * the target's trace sink (X-Ray's OTLP endpoint, signed with SigV4) or nowhere.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Environment, TelemetryConfig } from "../../config/schema";
import type { Placements } from "../../lib/placement";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../../lib/podSecurity";
import type { TraceAccess, TraceSink } from "./target";
import { charts, images, pinnedRelease, withDigest } from "../../versions";
import { allowIngress } from "./networkPolicies";

export const COLLECTOR_NAME = "otel-collector";
export const OTLP_GRPC_PORT = 4317;
export const OTLP_HTTP_PORT = 4318;
/** The `prometheus` exporter's port, which Prometheus scrapes. */
export const PROMETHEUS_EXPORTER_PORT = 8889;
/** The pods' label (the chart's selector labels, fullnameOverride as the name). */
export const COLLECTOR_POD_LABELS = { "app.kubernetes.io/name": "opentelemetry-collector", "app.kubernetes.io/instance": COLLECTOR_NAME };

/** The collector's OTLP/gRPC address, as pipelines' SDKs take it (OTEL_EXPORTER_OTLP_ENDPOINT). */
export const collectorEndpoint = (namespace: string) => `http://${COLLECTOR_NAME}.${namespace}.svc:${OTLP_GRPC_PORT}`;

/**
 * Resource attributes that identify a run or a process: kept on traces, removed from metrics before the
 * `prometheus` exporter turns resource attributes into labels, so a run never makes a series of its own.
 * `service.instance.id` (which SDKs set to a fresh UUID per process) would become the `instance` label.
 */
export const PER_RUN_ATTRIBUTES = ["etl.run", "service.instance.id", "k8s.pod.name", "k8s.pod.uid", "process.pid", "host.name"];

/** The collector's configuration (the chart's `alternateConfig`, used instead of its defaults, not merged). */
export function collectorConfig(traces: Pick<TraceAccess, "region" | "endpoint" | "signingService"> | undefined) {
  const memory = { check_interval: "5s", limit_percentage: 80, spike_limit_percentage: 25 };
  return {
    extensions: {
      health_check: { endpoint: "${env:MY_POD_IP}:13133" },
      ...(traces ? { sigv4auth: { region: traces.region, service: traces.signingService } } : {}),
    },
    receivers: {
      otlp: { protocols: { grpc: { endpoint: `\${env:MY_POD_IP}:${OTLP_GRPC_PORT}` }, http: { endpoint: `\${env:MY_POD_IP}:${OTLP_HTTP_PORT}` } } },
    },
    processors: {
      memory_limiter: memory,
      batch: {},
      "resource/per-run": { attributes: PER_RUN_ATTRIBUTES.map((key) => ({ key, action: "delete" })) },
    },
    exporters: {
      // OTel names become Prometheus names: dots as underscores, the unit appended (s: _seconds, By: _bytes),
      // _total on monotonic sums; resource attributes (per-run ones removed above) become labels.
      prometheus: { endpoint: `\${env:MY_POD_IP}:${PROMETHEUS_EXPORTER_PORT}`, resource_to_telemetry_conversion: { enabled: true }, metric_expiration: "15m" },
      ...(traces ? { "otlphttp/xray": { traces_endpoint: traces.endpoint, auth: { authenticator: "sigv4auth" }, compression: "gzip" } } : { nop: {} }),
    },
    service: {
      extensions: ["health_check", ...(traces ? ["sigv4auth"] : [])],
      pipelines: {
        metrics: { receivers: ["otlp"], processors: ["memory_limiter", "resource/per-run", "batch"], exporters: ["prometheus"] },
        traces: { receivers: ["otlp"], processors: ["memory_limiter", "batch"], exporters: [traces ? "otlphttp/xray" : "nop"] },
      },
    },
  };
}

const DISABLED_PORTS = ["jaeger-compact", "jaeger-thrift", "jaeger-grpc", "zipkin"];

export function collectorValues(args: { config: TelemetryConfig; environment: Environment; placement: Placements; traces?: TraceAccess }) {
  const { config } = args;
  return {
    fullnameOverride: COLLECTOR_NAME,
    mode: "deployment",
    replicaCount: config.collectorReplicas,
    // opentelemetry-collector chart 0.170.0 values.yaml `image.digest`: "pulled by digest (regardless of tag value)".
    image: { repository: images.otelCollectorContrib.repository, tag: images.otelCollectorContrib.tag, ...withDigest(images.otelCollectorContrib) },
    command: { name: images.otelCollectorContrib.command },
    alternateConfig: collectorConfig(args.traces),
    serviceAccount: { create: true, annotations: args.traces?.serviceAccountAnnotations ?? {} },
    podSecurityContext: restrictedPodSecurityContext,
    securityContext: restrictedContainerSecurityContext,
    resources: config.collectorResources,
    nodeSelector: args.placement.system.nodeSelector ?? {},
    ports: {
      ...Object.fromEntries(DISABLED_PORTS.map((port) => [port, { enabled: false }])),
      "prom-exporter": { enabled: true, containerPort: PROMETHEUS_EXPORTER_PORT, servicePort: PROMETHEUS_EXPORTER_PORT, protocol: "TCP" },
      metrics: { enabled: true },
    },
    serviceMonitor: { enabled: true, metricsEndpoints: [{ port: "prom-exporter" }, { port: "metrics" }] },
    podDisruptionBudget: config.collectorReplicas > 1 ? { enabled: true, maxUnavailable: 1 } : { enabled: false },
  };
}

export interface TelemetryArgs {
  config: TelemetryConfig;
  environment: Environment;
  namespace: string;
  provider: k8s.Provider;
  placement: Placements;
  traceSink?: TraceSink;
  /** The Prometheus Operator's CRDs (the chart's ServiceMonitor). */
  monitoringCrds: pulumi.Resource[];
  /** The monitoring namespace. */
  ready: pulumi.Resource[];
  /** Namespaces whose pods send OTLP (the monitoring namespace admits nothing else from outside). */
  clientNamespaces: string[];
}

export class Telemetry extends pulumi.ComponentResource {
  public readonly endpoint: string;

  constructor(name: string, args: TelemetryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:observability:Telemetry", name, {}, opts);
    const access = args.traceSink?.grant(name, { namespace: args.namespace, serviceAccounts: [COLLECTOR_NAME] }, this);
    const values = collectorValues({ config: args.config, environment: args.environment, placement: args.placement, traces: access });
    new k8s.helm.v3.Release(name, pinnedRelease(COLLECTOR_NAME, charts.openTelemetryCollector, args.namespace, values), {
      parent: this, provider: args.provider, dependsOn: [...args.ready, ...args.monitoringCrds, ...(access?.ready ?? [])],
    });
    const otlp = allowIngress(args.namespace, { name: "allow-otlp", podLabels: COLLECTOR_POD_LABELS, fromNamespaces: args.clientNamespaces, ports: [OTLP_GRPC_PORT, OTLP_HTTP_PORT] });
    new k8s.networking.v1.NetworkPolicy(`${name}-${otlp.metadata.name}`, otlp, { parent: this, provider: args.provider, dependsOn: args.ready });
    this.endpoint = collectorEndpoint(args.namespace);
    this.registerOutputs({});
  }
}

/** The OTel metric types the mapping distinguishes. */
export type OtelMetricType = "counter" | "gauge" | "histogram" | "updowncounter";

const UNIT_WORDS: Record<string, string> = { s: "seconds", ms: "milliseconds", By: "bytes", KiBy: "kibibytes", MiBy: "mebibytes", "1": "ratio" };

/**
 * The Prometheus name the collector's `prometheus` exporter gives an OTel metric, as the OpenTelemetry
 * specification's Prometheus compatibility rules define it (specification/compatibility/prometheus_and_openmetrics.md,
 * "Metric Metadata", implemented by prometheus/otlptranslator): characters other than [a-zA-Z0-9_:] become `_`,
 * the unit is appended in words unless a name token already is that word (`{...}` annotations are no unit),
 * `ratio` for unit 1 on gauges only, and `_total` on monotonic sums. Histograms add _bucket, _sum and _count.
 */
export function prometheusName(name: string, unit: string, type: OtelMetricType): string {
  const tokens = name.split(/[^a-zA-Z0-9_:]+/).filter(Boolean);
  const unitWord = unit.startsWith("{") ? "" : UNIT_WORDS[unit] ?? unit.replace(/[^a-zA-Z0-9]+/g, "_");
  if (unitWord && !(unitWord === "ratio" && type !== "gauge") && !tokens.includes(unitWord)) tokens.push(unitWord);
  if (type === "counter" && tokens[tokens.length - 1] !== "total") tokens.push("total");
  return tokens.join("_");
}

/**
 * The run metrics a pipeline emits through OTLP (README, "Where a run's logs, metrics and trace are"), each with
 * its Prometheus name. Resource attributes become labels: `etl_pipeline`, `etl_step`, `deployment_environment_name`,
 * `job` (service.name); never the run (PER_RUN_ATTRIBUTES).
 */
export const RUN_METRICS = [
  { name: "etl.records.processed", unit: "{record}", type: "counter", description: "records read and written (attribute `direction`: in or out)" },
  { name: "etl.data.processed", unit: "By", type: "counter", description: "bytes read and written (attribute `direction`: in or out)" },
  { name: "etl.task.duration", unit: "s", type: "histogram", description: "how long a task of the step took (attribute `outcome`: success or failure)" },
  { name: "etl.queue.wait", unit: "s", type: "histogram", description: "how long an item waited before the step took it (a queue's or a batch's backlog)" },
] as const satisfies readonly { name: string; unit: string; type: OtelMetricType; description: string }[];

export const runMetricName = (name: (typeof RUN_METRICS)[number]["name"]) => {
  const metric = RUN_METRICS.find((candidate) => candidate.name === name)!;
  return prometheusName(metric.name, metric.unit, metric.type);
};
