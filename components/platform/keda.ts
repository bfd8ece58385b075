/**
 * KEDA, which scales the streaming pipelines on their Kafka lag: the pinned upstream chart in its own
 * `restricted` namespace on the system pool, its CRDs owned by the Helm release (KEDA ships them as chart
 * templates, so a chart bump upgrades them; applied separately they would make the release fail on ownership)
 * and kept on uninstall, its metrics scraped, and NetworkPolicies that admit only what it serves and let it reach
 * only the API server, DNS and the Kafka brokers.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Environment } from "../../config/schema";
import type { Placements } from "../../lib/placement";
import { restrictedContainerSecurityContext, restrictedNamespaceLabels, restrictedPodSecurityContext } from "../../lib/podSecurity";
import { charts, pinnedRelease } from "../../versions";
import { allowIngress, apiServerEgress, defaultDenyIngress, dnsEgress, inNamespace } from "./networkPolicies";

export const KEDA_NAMESPACE = "keda";
/** kedacore/charts v2.20.2 values.yaml: the metrics API server's HTTPS port (`service.portHttpsTarget`), the admission webhooks' (`webhooks.port`, default 9443 in templates/webhooks/deployment.yaml). */
export const KEDA_METRICS_API_PORT = 6443;
export const KEDA_WEBHOOK_PORT = 9443;
/** The operator's Prometheus port (`prometheus.operator.port`), and the gRPC port the metrics server reads the operator on (templates/manager/deployment.yaml `metricsservice`). */
export const KEDA_OPERATOR_METRICS_PORT = 8080;
export const KEDA_OPERATOR_GRPC_PORT = 9666;
/** The operator's pods (templates/manager/deployment.yaml: `app: {{ .Values.operator.name }}`, keda-operator by default). */
export const KEDA_OPERATOR_POD_LABELS = { app: "keda-operator" };

const component = (replicas: number) => ({ replicaCount: replicas });

/**
 * The chart's values. Its defaults already pass `restricted` except that the pod-level seccomp profile is unset
 * (values.yaml `podSecurityContext.*`: only runAsNonRoot; `securityContext.*` sets RuntimeDefault per container):
 * set both explicitly, so a chart bump cannot loosen them unnoticed. In prod two replicas of the operator
 * (leader election) and of the webhooks, each with a PDB; the metrics API server also runs two behind its Service.
 */
export function kedaValues(environment: Environment, placement: Pick<Placements, "system">) {
  const replicas = environment === "prod" ? 2 : 1;
  const onSystemPool = { nodeSelector: placement.system.nodeSelector ?? {}, tolerations: placement.system.tolerations ?? [] };
  const budget = replicas > 1 ? { maxUnavailable: 1 } : {};
  return {
    // Helm owns the CRDs (templates/crds/*.yaml) and keeps them on uninstall: deleting a CRD deletes every ScaledObject.
    crds: { install: true, additionalAnnotations: { "helm.sh/resource-policy": "keep" } },
    operator: { ...component(replicas), ...onSystemPool },
    metricsServer: { ...component(replicas), ...onSystemPool },
    webhooks: { enabled: true, ...component(replicas), ...onSystemPool },
    podDisruptionBudget: { operator: budget, metricServer: budget, webhooks: budget },
    podSecurityContext: { operator: restrictedPodSecurityContext, metricServer: restrictedPodSecurityContext, webhooks: restrictedPodSecurityContext },
    securityContext: { operator: restrictedContainerSecurityContext, metricServer: restrictedContainerSecurityContext, webhooks: restrictedContainerSecurityContext },
    resources: {
      operator: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
      metricServer: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
      webhooks: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
    },
    // keda_scaler_active, keda_scaler_detail_errors_total, ... (kedacore/keda v2.20.2 pkg/metricscollector/prommetrics.go).
    prometheus: { operator: { enabled: true, port: KEDA_OPERATOR_METRICS_PORT, serviceMonitor: { enabled: true } } },
  };
}

export interface KafkaBrokers {
  namespace: string;
  podLabels: Record<string, string>;
  port: number;
}

/**
 * The namespace's NetworkPolicies. In: the API server calls the metrics API (the APIService `v1beta1.external.
 * metrics.k8s.io`) and the admission webhooks from the control plane's addresses (on EKS the cluster security
 * group already admits them; a policy that left them out gives `FailedDiscoveryCheck`, KEDA's troubleshooting
 * guide); the metrics server reads the operator over gRPC; Prometheus scrapes the operator. Out: DNS, the API
 * server, and the Kafka brokers the scalers read the lag from.
 */
export function kedaNetworkPolicies(args: { webhookCallers: pulumi.Input<string>[]; apiServer: { cidrs: pulumi.Input<string>[]; ports: number[] }; monitoringNamespace: string; kafka: KafkaBrokers }) {
  const namespace = KEDA_NAMESPACE;
  return [
    defaultDenyIngress(namespace),
    { metadata: { name: "default-deny-egress", namespace }, spec: { podSelector: {}, policyTypes: ["Egress"] } },
    allowIngress(namespace, { name: "allow-api-server", podLabels: {}, fromNamespaces: [], fromCidrs: args.webhookCallers, ports: [KEDA_METRICS_API_PORT, KEDA_WEBHOOK_PORT] }),
    allowIngress(namespace, { name: "allow-metrics-server", podLabels: KEDA_OPERATOR_POD_LABELS, fromNamespaces: [], fromPodsHere: [{}], ports: [KEDA_OPERATOR_GRPC_PORT] }),
    allowIngress(namespace, { name: "allow-prometheus", podLabels: KEDA_OPERATOR_POD_LABELS, fromNamespaces: [args.monitoringNamespace], ports: [KEDA_OPERATOR_METRICS_PORT] }),
    {
      metadata: { name: "allow-egress", namespace },
      spec: {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
          dnsEgress(),
          apiServerEgress(args.apiServer),
          { to: [{ podSelector: {} }], ports: [{ protocol: "TCP", port: KEDA_OPERATOR_GRPC_PORT }] },
          { to: [{ ...inNamespace(args.kafka.namespace), podSelector: { matchLabels: args.kafka.podLabels } }], ports: [{ protocol: "TCP", port: args.kafka.port }] },
        ],
      },
    },
  ];
}

export interface KedaArgs {
  environment: Environment;
  provider: k8s.Provider;
  placement: Pick<Placements, "system">;
  webhookCallers: pulumi.Input<string>[];
  apiServer: { cidrs: pulumi.Input<string>[]; ports: number[] };
  monitoringNamespace: string;
  /** The Prometheus Operator's CRDs (the chart's ServiceMonitor). */
  monitoringCrds: pulumi.Resource[];
  kafka: KafkaBrokers;
}

export class Keda extends pulumi.ComponentResource {
  /** What ScaledObjects and TriggerAuthentications wait for: the release (its CRDs and webhooks). */
  public readonly ready: pulumi.Resource[];

  constructor(name: string, args: KedaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:scaling:Keda", name, {}, opts);
    const k8sOpts = { parent: this, provider: args.provider };
    const namespace = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: KEDA_NAMESPACE, labels: restrictedNamespaceLabels } }, k8sOpts);
    const policies = kedaNetworkPolicies(args).map((policy) =>
      new k8s.networking.v1.NetworkPolicy(`${name}-${policy.metadata.name}`, policy, { ...k8sOpts, dependsOn: [namespace] }));
    const release = new k8s.helm.v3.Release(name, pinnedRelease("keda", charts.keda, KEDA_NAMESPACE, kedaValues(args.environment, args.placement)), {
      ...k8sOpts, dependsOn: [namespace, ...policies, ...args.monitoringCrds],
    });
    this.ready = [release];
    this.registerOutputs({});
  }
}
