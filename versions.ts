import type { Input } from "@pulumi/pulumi";

/**
 * Every Helm chart and image version the platform installs: the one place to bump each. When a chart version
 * changes here, bump its upstream fixture in `test/fixtures/upstream/` too, so the values checks test it.
 */

export interface ChartVersion {
  chart: string;
  version: string;
  repository: string;
}

export const charts = {
  clusterAutoscaler: { chart: "cluster-autoscaler", version: "9.59.0", repository: "https://kubernetes.github.io/autoscaler" },
  strimzi: { chart: "strimzi-kafka-operator", version: "1.2.0", repository: "https://strimzi.io/charts/" },
  cloudnativePg: { chart: "cloudnative-pg", version: "0.29.0", repository: "https://cloudnative-pg.github.io/charts" },
  kubePrometheusStack: { chart: "kube-prometheus-stack", version: "88.5.3", repository: "https://prometheus-community.github.io/helm-charts" },
  argoWorkflows: { chart: "argo-workflows", version: "1.0.18", repository: "https://argoproj.github.io/argo-helm" },
  /** The log agent on every node (components/platform/logShipping.ts). fluent/helm-charts. */
  fluentBit: { chart: "fluent-bit", version: "0.58.1", repository: "https://fluent.github.io/helm-charts" },
  /** Receives the pipelines' OTLP (components/platform/telemetry.ts). open-telemetry/opentelemetry-helm-charts. */
  openTelemetryCollector: { chart: "opentelemetry-collector", version: "0.170.0", repository: "https://open-telemetry.github.io/opentelemetry-helm-charts" },
  // The charts below have no upstream fixture in test/fixtures/upstream yet, so their values are kept minimal.
  /** The Barman Cloud plugin: CloudNativePG's recommended backup mechanism since 1.26. */
  barmanCloudPlugin: { chart: "plugin-barman-cloud", version: "0.8.1", repository: "https://cloudnative-pg.github.io/charts" },
  /** Issues the TLS certificates between the CloudNativePG operator and the Barman Cloud plugin. */
  certManager: { chart: "cert-manager", version: "v1.21.2", repository: "https://charts.jetstack.io" },
  /** Mirrors the Postgres app secret and the Kafka cluster CA into the pipelines namespace. */
  reflector: { chart: "reflector", version: "9.1.34", repository: "https://emberstack.github.io/helm-charts" },
  /**
   * The S3-compatible object store of target: kubernetes (backups, step logs). Not MinIO, whose community
   * edition was archived and its images withdrawn; SeaweedFS is maintained and Apache-2.0. No fixture yet.
   */
  seaweedfs: { chart: "seaweedfs", version: "4.44.0", repository: "https://seaweedfs.github.io/seaweedfs/helm" },
} as const satisfies Record<string, ChartVersion>;

/**
 * The Prometheus Operator release whose CRDs kube-prometheus-stack ships: the chart's appVersion
 * (test/fixtures/upstream/kube-prometheus-stack-88.5.3/Chart.yaml). Bump it with the chart.
 */
export const prometheusOperatorVersion = "v0.93.1";
const PROMETHEUS_OPERATOR_CRDS = [
  "alertmanagerconfigs", "alertmanagers", "podmonitors", "probes", "prometheusagents", "prometheuses", "prometheusrules",
  "scrapeconfigs", "servicemonitors", "thanosrulers",
];

/**
 * CRDs of the charts that keep them in `crds/`, which Helm installs once and never upgrades: the program applies
 * them itself (server-side) from the upstream release of the pinned version, so a chart bump upgrades its CRDs.
 * These are the files each project's upgrade guide applies: strimzi-kafka-operator README ("kubectl apply -f
 * .../strimzi-crds-<version>.yaml") and kube-prometheus-stack UPGRADE.md (one file per CRD at the operator's tag).
 * The other charts render their CRDs as templates, which Helm upgrades with the chart.
 */
export const chartCrdFiles = {
  strimzi: [`https://github.com/strimzi/strimzi-kafka-operator/releases/download/${charts.strimzi.version}/strimzi-crds-${charts.strimzi.version}.yaml`],
  kubePrometheusStack: PROMETHEUS_OPERATOR_CRDS.map((crd) =>
    `https://raw.githubusercontent.com/prometheus-operator/prometheus-operator/${prometheusOperatorVersion}/example/prometheus-operator-crd/monitoring.coreos.com_${crd}.yaml`),
};

/**
 * Images whose chart leaves the choice to us. Each tag is its chart's appVersion (test/fixtures/upstream/<chart>/
 * Chart.yaml), the version the chart is released and tested with: bump them with the chart.
 */
export const images = {
  /** fluent-bit chart 0.58.1 appVersion; the chart's default repository. */
  fluentBit: { repository: "cr.fluentbit.io/fluent/fluent-bit", tag: "5.1.1" },
  /**
   * opentelemetry-collector chart 0.170.0 appVersion. The chart names no default image; the contrib distribution
   * is the one with the sigv4auth extension that X-Ray's OTLP endpoint needs (its executable: otelcol-contrib).
   */
  otelCollectorContrib: { repository: "otel/opentelemetry-collector-contrib", tag: "0.158.0", command: "otelcol-contrib" },
} as const;

/** Postgres images by major version (CloudNativePG's operand images). */
export const postgresImages = {
  "16": "ghcr.io/cloudnative-pg/postgresql:16.10",
  "17": "ghcr.io/cloudnative-pg/postgresql:17.6",
} as const;

/** The EKS add-ons the platform manages, so they follow the cluster's Kubernetes version. */
export const EKS_ADDONS = ["vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver"] as const;
export type EksAddon = (typeof EKS_ADDONS)[number];

/**
 * Per Kubernetes version: the cluster-autoscaler release of the same minor version (its scheduler simulation must
 * match the cluster's; upstream supports only that pairing) and the EKS add-on versions. EKS upgrades neither
 * CoreDNS, kube-proxy nor the CNI when the control plane moves, so each version pins its own. Refresh the add-on
 * versions with `npm run refresh-addons` (`aws eks describe-addon-versions`, needs AWS credentials); the dates
 * of each version's support are in eksCalendar.ts.
 */
export const kubernetesVersions = {
  "1.32": {
    clusterAutoscalerImageTag: "v1.32.5",
    addons: { "vpc-cni": "v1.19.2-eksbuild.1", coredns: "v1.11.4-eksbuild.2", "kube-proxy": "v1.32.0-eksbuild.2", "aws-ebs-csi-driver": "v1.54.0-eksbuild.1" },
  },
  "1.33": {
    clusterAutoscalerImageTag: "v1.33.5",
    addons: { "vpc-cni": "v1.19.5-eksbuild.1", coredns: "v1.12.1-eksbuild.2", "kube-proxy": "v1.33.0-eksbuild.2", "aws-ebs-csi-driver": "v1.54.0-eksbuild.1" },
  },
  "1.34": {
    clusterAutoscalerImageTag: "v1.34.4",
    addons: { "vpc-cni": "v1.20.4-eksbuild.2", coredns: "v1.12.3-eksbuild.1", "kube-proxy": "v1.34.0-eksbuild.2", "aws-ebs-csi-driver": "v1.54.0-eksbuild.1" },
  },
  "1.35": {
    clusterAutoscalerImageTag: "v1.35.1",
    addons: { "vpc-cni": "v1.21.1-eksbuild.3", coredns: "v1.13.2-eksbuild.1", "kube-proxy": "v1.35.0-eksbuild.2", "aws-ebs-csi-driver": "v1.54.0-eksbuild.1" },
  },
} as const satisfies Record<string, { clusterAutoscalerImageTag: string; addons: Record<EksAddon, string> }>;

export type KubernetesVersion = keyof typeof kubernetesVersions;
export const supportedKubernetesVersions = Object.keys(kubernetesVersions) as [KubernetesVersion, ...KubernetesVersion[]];

/** The arguments of a Helm release of a pinned chart: the chart's name, version and repository come from here. */
export function pinnedRelease(releaseName: string, chart: ChartVersion, namespace: Input<string>, values: Record<string, unknown>) {
  return { name: releaseName, namespace, chart: chart.chart, version: chart.version, repositoryOpts: { repo: chart.repository }, values };
}
