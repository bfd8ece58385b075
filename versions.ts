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
} as const satisfies Record<string, ChartVersion>;

/**
 * Kubernetes versions this platform is tested with, each with the cluster-autoscaler release of the same minor
 * version (the autoscaler's scheduler simulation must match the cluster's; upstream supports only that pairing).
 */
export const kubernetesVersions = {
  "1.32": { clusterAutoscalerImageTag: "v1.32.5" },
  "1.33": { clusterAutoscalerImageTag: "v1.33.5" },
  "1.34": { clusterAutoscalerImageTag: "v1.34.4" },
  "1.35": { clusterAutoscalerImageTag: "v1.35.1" },
} as const;

export type KubernetesVersion = keyof typeof kubernetesVersions;
export const supportedKubernetesVersions = Object.keys(kubernetesVersions) as [KubernetesVersion, ...KubernetesVersion[]];
