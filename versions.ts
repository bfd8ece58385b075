import type { Input } from "@pulumi/pulumi";
import type { Architecture } from "./lib/instanceTypes";

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
  /**
   * Scales the streaming pipelines on their Kafka lag (components/platform/keda.ts). kedacore/charts. Kubernetes
   * compatibility: the chart's Chart.yaml `kubeVersion: ">=v1.23.0-0"` admits every version in kubernetesVersions,
   * and KEDA 2.20.2 is built against client-go v0.35.5 (kedacore/keda v2.20.2 go.mod `replace`), i.e. Kubernetes
   * 1.35, the newest minor here: check both when adding a Kubernetes version.
   */
  keda: { chart: "keda", version: "2.20.2", repository: "https://kedacore.github.io/charts" },
  // The charts below keep their values minimal (cert-manager and the plugin have fixtures in test/fixtures/upstream).
  /**
   * The Barman Cloud plugin: CloudNativePG's recommended backup mechanism since 1.26. 0.7.0 (plugin v0.13.0) is the
   * newest release the chart repository lists in ../shared/upstream's copy (README there: its index.yaml has no
   * 0.8.1, the version pinned before, which would have failed `pulumi up` at this release). `npm run check-pins`
   * confirms it on every pull request.
   */
  barmanCloudPlugin: { chart: "plugin-barman-cloud", version: "0.7.0", repository: "https://cloudnative-pg.github.io/charts" },
  /**
   * Issues the TLS certificates between the CloudNativePG operator and the Barman Cloud plugin. v1.21.1: the newest
   * cert-manager tag in ../shared/upstream's copy (none of v1.21.2, pinned before, was found).
   */
  certManager: { chart: "cert-manager", version: "v1.21.1", repository: "https://charts.jetstack.io" },
  /** Mirrors the Postgres app secret and the Kafka cluster CA into the pipelines namespace. */
  reflector: { chart: "reflector", version: "9.1.34", repository: "https://emberstack.github.io/helm-charts" },
  /**
   * The S3-compatible object store of target: kubernetes (backups, step logs). Not MinIO, whose community
   * edition was archived and its images withdrawn; SeaweedFS is maintained and Apache-2.0. No fixture yet.
   */
  seaweedfs: { chart: "seaweedfs", version: "4.44.0", repository: "https://seaweedfs.github.io/seaweedfs/helm" },
  /**
   * Karpenter, the batch pools' autoscaler when `autoscaler.engine: karpenter` (components/aws/karpenter/). Published
   * only as an OCI chart. Kubernetes compatibility (website/content/en/preview/upgrading/compatibility.md at tag
   * v1.14.1): 1.32 needs >= 1.2, 1.33 >= 1.5, 1.34 >= 1.6, 1.35 >= 1.9, so 1.14 covers every version in
   * kubernetesVersions; check that table when adding one (1.36 needs >= 1.13).
   */
  karpenter: { chart: "karpenter", version: "1.14.1", repository: "oci://public.ecr.aws/karpenter" },
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

/** A file the program applies at deploy, and the sha256 its content must have. */
export interface PinnedFile {
  url: string;
  sha256: string;
}

/**
 * The sha256 of each CRD file below, of the file as its repository holds it at the pinned tag (the bytes
 * raw.githubusercontent.com serves): `git show <tag>:<path> | sha256sum`. `npm run refresh-crds` rewrites them
 * after a chart bump (it downloads each file); `pulumi up` refuses a file whose content differs.
 */
const crdSha256: Record<string, string> = {
  "040-Crd-kafka.yaml": "c03fc9679a6edb13f3826cd3b5505183a21bb436ada484c7ed93f55f6a010aa8",
  "041-Crd-kafkaconnect.yaml": "4da4a4b2d58bc07edcd0d92b5f459faf15b0de98e98765a4883fdcda8e202859",
  "042-Crd-strimzipodset.yaml": "10c7a92e5262de11a46dc8ac69d2581ed5410f6cb60109ef037fe702b20d4cae",
  "043-Crd-kafkatopic.yaml": "4f2849dc0c8ddde306074648df5fb631fd43d042c4827f4391e97861596899a3",
  "044-Crd-kafkauser.yaml": "e4b6aa159bbeac133b254903b12759cd5fa64ff391c8c5f92a4b189a8154b0f0",
  "045-Crd-kafkanodepool.yaml": "f900373d08f199ef5bfa8eb22d6396326aac6a65403b115481655310d6b48696",
  "046-Crd-kafkabridge.yaml": "c0d4e308e69a3803fd089c37045c23f629c951411631d090392595e66d948be6",
  "047-Crd-kafkaconnector.yaml": "1bac2691433f55f3c5aaf1306ff1a31eb4a9c4257f3ffc56a0b32bcb168075eb",
  "048-Crd-kafkamirrormaker2.yaml": "76b0358edcb7fa3e04189cec72690b1d849a362ac2bfc24ccb2b09fd9a235521",
  "049-Crd-kafkarebalance.yaml": "ae3fc33d7431b1d333916fe54ad0564afced0967a50134f977f138f7eff160b3",
  "crd-alertmanagerconfigs.yaml": "8b99c40209fe22cf825ac86aca786d4864f627fde51b1eb5316bda78cd4080d0",
  "crd-alertmanagers.yaml": "afe1da0b7be024c656a7ae387576caac97c3f057b953e169ffa9fee854417496",
  "crd-podmonitors.yaml": "41de2587baafa31240438654a3ae5dc19ef40296c31cb186855fa4ce85b03fb9",
  "crd-probes.yaml": "ecdd35902462d861ea824669008546563c5c0b3308e58622865c83d5b0475262",
  "crd-prometheusagents.yaml": "62f6cdac08e5c188d9ed3873f252708b91d4cc984996948566402c02c89e5ddf",
  "crd-prometheuses.yaml": "69e7ba4f57570bf1181f7f63aab42fd916caccf6a9c5bc8519ff55b64a9ac147",
  "crd-prometheusrules.yaml": "72b1e5f9959e67990d1598eb31b24ca4415007e31df3916356ef216316b2bf40",
  "crd-scrapeconfigs.yaml": "64d41ae0db231a1db450b3b268bc99a29cdc8b5f11f3cb62be140e91e0a36838",
  "crd-servicemonitors.yaml": "3322d612f23bf144c887c94bf247b0b4a69189adf37c0d482d2c6267ffe906ab",
  "crd-thanosrulers.yaml": "5c4e7bad31aedf4f5d77a1c30d4ea4b288bedf86fa2e77588d068057d5b00628",
  "karpenter.sh_nodepools.yaml": "3bb64a20c80776b77aa19a699ebdaf34480a7b2e7ec4ef890b43225b3517f878",
  "karpenter.sh_nodeclaims.yaml": "96037dc241031fe0f7a09ddf78183d885ce6a1dfe115f7b3fbf8a12c564be694",
  "karpenter.k8s.aws_ec2nodeclasses.yaml": "62dec59f01c0972d4503ca3ed25f243ba9c2f561be0d964ce7a14c8df406132f",
};

const pinned = (base: string, files: string[]): PinnedFile[] => files.map((file) => ({ url: `${base}/${file}`, sha256: crdSha256[file] ?? "" }));

/**
 * CRDs of the charts that keep them in `crds/`, which Helm installs once and never upgrades: the program applies
 * them itself (server-side), each chart's own files at its release tag, so a chart bump upgrades its CRDs.
 * Strimzi's chart (`packaging/helm-charts/helm3/strimzi-kafka-operator/crds/`, the release's strimzi-crds asset
 * split per CRD) and kube-prometheus-stack's `charts/crds/crds/` (the Prometheus Operator's CRDs at the chart's
 * appVersion, each file naming its upstream URL in its first line). The other charts render their CRDs as
 * templates, which Helm upgrades with the chart.
 */
export const chartCrdFiles = {
  strimzi: pinned(`https://raw.githubusercontent.com/strimzi/strimzi-kafka-operator/${charts.strimzi.version}/packaging/helm-charts/helm3/strimzi-kafka-operator/crds`, [
    "040-Crd-kafka.yaml", "041-Crd-kafkaconnect.yaml", "042-Crd-strimzipodset.yaml", "043-Crd-kafkatopic.yaml", "044-Crd-kafkauser.yaml",
    "045-Crd-kafkanodepool.yaml", "046-Crd-kafkabridge.yaml", "047-Crd-kafkaconnector.yaml", "048-Crd-kafkamirrormaker2.yaml", "049-Crd-kafkarebalance.yaml",
  ]),
  // karpenter 1.14.1's chart `crds/` are links to pkg/apis/crds/ at the release tag.
  karpenter: pinned(`https://raw.githubusercontent.com/aws/karpenter-provider-aws/v${charts.karpenter.version}/pkg/apis/crds`,
    ["karpenter.sh_nodepools.yaml", "karpenter.sh_nodeclaims.yaml", "karpenter.k8s.aws_ec2nodeclasses.yaml"]),
  kubePrometheusStack: pinned(`https://raw.githubusercontent.com/prometheus-community/helm-charts/kube-prometheus-stack-${charts.kubePrometheusStack.version}/charts/kube-prometheus-stack/charts/crds/crds`,
    PROMETHEUS_OPERATOR_CRDS.map((crd) => `crd-${crd}.yaml`)),
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

/** The cluster autoscaler chart's image (cluster-autoscaler chart 9.59.0 values.yaml `image.repository`). */
export const CLUSTER_AUTOSCALER_REPOSITORY = "registry.k8s.io/autoscaling/cluster-autoscaler";

/**
 * Digests of the images the program names itself, keyed by `repository:tag`: written by `npm run refresh-digests`,
 * which asks each image's registry for the manifest digest of its tag (needs network; never typed by hand).
 * `pinnedImage` appends a known digest; in prod the policy pack's platform-images-pinned-by-digest rule becomes
 * mandatory once every one of them has one (policy/workloadRules.ts).
 */
export const imageDigests: Record<string, string> = {
};

/** The pinned digest of `repository:tag`, for charts that take the digest apart from the tag. */
export function digestOf(repository: string, tag: string): string | undefined {
  return imageDigests[`${repository}:${tag}`];
}

/** `{ digest }` for a chart's image values when `image`'s digest is pinned, else nothing. */
export function withDigest(image: { repository: string; tag: string }): { digest?: string } {
  const digest = digestOf(image.repository, image.tag);
  return digest ? { digest } : {};
}

/** `image`, with `@sha256:...` when its digest is pinned. */
export function pinnedImage(image: string): string {
  const digest = imageDigests[image];
  return digest ? `${image}@${digest}` : image;
}

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

/**
 * The `eks-pod-identity-agent` add-on per Kubernetes version, installed with Karpenter only (its controller's identity
 * is an EKS Pod Identity association). Source: awslabs/cdk-eks-blueprints lib/addons/eks-pod-identity-agent/index.ts
 * at commit 0b82904e63fdb198505f94f27726d0da40a6dbeb (2026-04-08, "Add EKS Kubernetes 1.35 support"; the tag
 * blueprints-1.18.2 has the same for 1.32–1.34), whose versionMap gives v1.3.10-eksbuild.2 for 1.31 to 1.35.
 * `npm run refresh-addons` rewrites them with EKS's default for each version (`aws eks describe-addon-versions`).
 * An entry left undefined lets EKS install its default at creation and keep it, and the plan warns.
 */
export const podIdentityAgentVersions: Record<KubernetesVersion, string | undefined> = {
  "1.32": "v1.3.10-eksbuild.2",
  "1.33": "v1.3.10-eksbuild.2",
  "1.34": "v1.3.10-eksbuild.2",
  "1.35": "v1.3.10-eksbuild.2",
};

/**
 * The AMI release of Karpenter's nodes: EC2NodeClass `amiSelectorTerms: [{ alias: "al2023@v20260714" }]`, which
 * resolves the EKS-optimized AL2023 AMI of that release for the cluster's Kubernetes version. Never `al2023@latest`:
 * it drifts, and so replaces, every node at each AMI release. Source: awslabs/amazon-eks-ami CHANGELOG.md, "AMI Release
 * v20260714" (at tag v20260724), whose tables list amazon-eks-node-al2023-x86_64-standard-<version>-v20260714 for
 * each Kubernetes version below. A version missing here has no AMI of that release: bump the release first.
 */
export const karpenterAmi = {
  alias: "al2023@v20260714",
  kubernetesVersions: ["1.30", "1.31", "1.32", "1.33", "1.34", "1.35", "1.36"],
} as const;

/** An OCI registry rather than a chart repository with an index.yaml: Helm takes the chart as one `oci://` reference. */
export const isOciRepository = (repository: string) => repository.startsWith("oci://");

/** The arguments of a Helm release of a pinned chart: the chart's name, version and repository come from here. */
export function pinnedRelease(releaseName: string, chart: ChartVersion, namespace: Input<string>, values: Record<string, unknown>) {
  const source = isOciRepository(chart.repository) ? { chart: `${chart.repository}/${chart.chart}` } : { chart: chart.chart, repositoryOpts: { repo: chart.repository } };
  return { name: releaseName, namespace, ...source, version: chart.version, values: withChartDigests(chart, values) };
}

/**
 * How a chart's values take an image's digest, read from each chart's templates at the pinned version:
 * - `sha`: `sha: <hex>`, rendered `...:<tag>@sha256:<hex>` (kube-prometheus-stack 88.5.3 templates/prometheus/prometheus.yaml,
 *   alertmanager/alertmanager.yaml, prometheus-operator/deployment.yaml and admission-webhooks/job-patch/*.yaml);
 * - `shaWithAlgorithm`: `sha: sha256:<hex>`, rendered `...:<tag>@<sha>` (kube-state-metrics 8.4.0 templates/_helpers.tpl);
 * - `digest`: `digest: sha256:<hex>` (prometheus-node-exporter 4.56.1 templates/_helpers.tpl; `sha` is refused there);
 * - `tag`: the digest on the tag, `<tag>@sha256:<hex>`, for charts that render the tag as given (argo-workflows 1.0.18
 *   templates/_helpers.tpl documents `image.tag = v3.4.4@sha256:...`; cloudnative-pg's templates/deployment.yaml).
 */
type DigestStyle = "sha" | "shaWithAlgorithm" | "digest" | "tag";

export interface ChartImage {
  /** The chart's name (charts[...].chart). */
  chart: string;
  /** Where the image block sits in the release's values (a subchart's under its name). */
  path: string;
  /** What the chart renders by default at the pinned version: its values' repository and tag, else its appVersion. */
  image: string;
  style: DigestStyle;
}

/**
 * The images the charts pick themselves that the platform runs, each with the chart's default `repository:tag`
 * (test/fixtures/upstream values.yaml and Chart.yaml; test/policy.test.ts checks them). Not here yet: cert-manager's
 * and the Barman Cloud plugin's (their fixtures now match the pins; listing their default tags would let their
 * digests be pinned too), and SeaweedFS, which prod never runs (docs/operations.md).
 */
export const chartImages: ChartImage[] = [
  { chart: "kube-prometheus-stack", path: "prometheusOperator.image", image: "quay.io/prometheus-operator/prometheus-operator:v0.93.1", style: "sha" },
  { chart: "kube-prometheus-stack", path: "prometheusOperator.prometheusConfigReloader.image", image: "quay.io/prometheus-operator/prometheus-config-reloader:v0.93.1", style: "sha" },
  { chart: "kube-prometheus-stack", path: "prometheusOperator.admissionWebhooks.patch.image", image: "ghcr.io/jkroepke/kube-webhook-certgen:1.8.7", style: "sha" },
  { chart: "kube-prometheus-stack", path: "prometheus.prometheusSpec.image", image: "quay.io/prometheus/prometheus:v3.14.0-distroless", style: "sha" },
  { chart: "kube-prometheus-stack", path: "alertmanager.alertmanagerSpec.image", image: "quay.io/prometheus/alertmanager:v0.34.0", style: "sha" },
  { chart: "kube-prometheus-stack", path: "kube-state-metrics.image", image: "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.20.0", style: "shaWithAlgorithm" },
  { chart: "kube-prometheus-stack", path: "prometheus-node-exporter.image", image: "quay.io/prometheus/node-exporter:v1.12.1-distroless", style: "digest" },
  { chart: "argo-workflows", path: "controller.image", image: "quay.io/argoproj/workflow-controller:v4.0.6", style: "tag" },
  { chart: "argo-workflows", path: "server.image", image: "quay.io/argoproj/argocli:v4.0.6", style: "tag" },
  { chart: "argo-workflows", path: "executor.image", image: "quay.io/argoproj/argoexec:v4.0.6", style: "tag" },
  { chart: "cloudnative-pg", path: "image", image: "ghcr.io/cloudnative-pg/cloudnative-pg:1.30.0", style: "tag" },
  // grafana 12.11.1 templates/_pod.tpl: `...:<tag>@sha256:<sha>` for the server and each sidecar.
  { chart: "kube-prometheus-stack", path: "grafana.image", image: "docker.io/grafana/grafana:13.2.0", style: "sha" },
  { chart: "kube-prometheus-stack", path: "grafana.sidecar.image", image: "quay.io/kiwigrid/k8s-sidecar:2.10.1", style: "sha" },
  // strimzi-kafka-operator 1.2.0 templates/_helpers.tpl `strimzi.image`: a `digest` replaces the tag (`<ref>@<digest>`).
  // The Kafka and exporter images are those of the operator's default Kafka version (kafka-versions.yaml at 1.2.0:
  // 4.3.1, `default: true`; the Kafka CR sets none), and `kafka.image.digest` applies to every version of
  // STRIMZI_KAFKA_IMAGES (templates/_kafka_image_map.tpl): set spec.kafka.version with its own digest to run another.
  { chart: "strimzi-kafka-operator", path: "image", image: "quay.io/strimzi/operator:1.2.0", style: "digest" },
  { chart: "strimzi-kafka-operator", path: "topicOperator.image", image: "quay.io/strimzi/operator:1.2.0", style: "digest" },
  { chart: "strimzi-kafka-operator", path: "userOperator.image", image: "quay.io/strimzi/operator:1.2.0", style: "digest" },
  { chart: "strimzi-kafka-operator", path: "kafkaInit.image", image: "quay.io/strimzi/operator:1.2.0", style: "digest" },
  { chart: "strimzi-kafka-operator", path: "kafka.image", image: "quay.io/strimzi/kafka:1.2.0-kafka-4.3.1", style: "digest" },
  { chart: "strimzi-kafka-operator", path: "kafkaExporter.image", image: "quay.io/strimzi/kafka:1.2.0-kafka-4.3.1", style: "digest" },
  // keda 2.20.2 templates/manager/deployment.yaml (and metrics-server/, webhooks/): `<registry>/<repository>:<tag | default appVersion>`.
  { chart: "keda", path: "image.keda", image: "ghcr.io/kedacore/keda:2.20.2", style: "tag" },
  { chart: "keda", path: "image.metricsApiServer", image: "ghcr.io/kedacore/keda-metrics-apiserver:2.20.2", style: "tag" },
  { chart: "keda", path: "image.webhooks", image: "ghcr.io/kedacore/keda-admission-webhooks:2.20.2", style: "tag" },
  // reflector 9.1.34 templates/deployment.yaml renders `<repository>:<tag | default appVersion>`.
  { chart: "reflector", path: "image", image: "docker.io/emberstack/kubernetes-reflector:9.1.34", style: "tag" },
  // karpenter 1.14.1 templates/_helpers.tpl `karpenter.controller.image`: `<repository>:<tag>@<digest>` when a digest
  // is set. The published chart sets tag and digest itself (hack/release/common.sh at v1.14.1); the digest on main
  // beside tag 1.14.1 (commit 1d927085dd81) is the one "chore: Release v1.14.0" wrote (692ccdd06), not 1.14.1's, so
  // no digest is taken from there: refresh-digests asks the registry.
  { chart: "karpenter", path: "controller.image", image: "public.ecr.aws/karpenter/controller:1.14.1", style: "digest" },
];

/** The value a chart takes for an image's digest, in its style (chartImages). */
function digestValue(image: ChartImage, digest: string): Record<string, string> {
  switch (image.style) {
    case "sha": return { sha: digest.replace(/^sha256:/, "") };
    case "shaWithAlgorithm": return { sha: digest };
    case "digest": return { digest };
    case "tag": return { tag: `${image.image.slice(image.image.lastIndexOf(":") + 1)}@${digest}` };
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;

function mergeInto(target: Record<string, unknown>, path: string[], leaf: Record<string, unknown>): Record<string, unknown> {
  const [head, ...rest] = path;
  const current = isPlainObject(target[head]) ? target[head] as Record<string, unknown> : {};
  return { ...target, [head]: rest.length === 0 ? { ...current, ...leaf } : mergeInto(current, rest, leaf) };
}

/** A release's values with the digest of each of its chart's images that has one pinned (imageDigests). */
export function withChartDigests(chart: ChartVersion, values: Record<string, unknown>): Record<string, unknown> {
  return chartImages.filter((image) => image.chart === chart.chart && imageDigests[image.image])
    .reduce((merged, image) => mergeInto(merged, image.path.split("."), digestValue(image, imageDigests[image.image])), values);
}

/** Every image the program names itself or runs from a chart's defaults (chartImages), as `repository:tag`: what refresh-digests pins. */
export function platformImages(): string[] {
  return [...new Set([
    ...chartImages.map((image) => image.image),
    ...Object.values(postgresImages),
    `${images.fluentBit.repository}:${images.fluentBit.tag}`,
    `${images.otelCollectorContrib.repository}:${images.otelCollectorContrib.tag}`,
    ...Object.values(kubernetesVersions).map((version) => `${CLUSTER_AUTOSCALER_REPOSITORY}:${version.clusterAutoscalerImageTag}`),
  ])].sort();
}

/**
 * Images the charts pick themselves that are not in chartImages yet (their digests are not pinned; see there):
 * cert-manager v1.21.1's four (values.yaml `imageRegistry: quay.io`, `imageNamespace: jetstack`, `image.name`,
 * tag = appVersion) and the Barman Cloud plugin's two (plugin-barman-cloud 0.7.0 values.yaml `image`,
 * `sidecarImage`, tag = appVersion v0.13.0). Listed so an arm64 pool can check them too.
 */
export const unpinnedChartImages = [
  ...["controller", "cainjector", "webhook", "startupapicheck"].map((name) => `quay.io/jetstack/cert-manager-${name}:${charts.certManager.version}`),
  "ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.13.0",
  "ghcr.io/cloudnative-pg/plugin-barman-cloud-sidecar:v0.13.0",
];

/** Every image the platform itself runs on a node (not the pipelines' own, which their config declares). */
export function clusterImages(): string[] {
  return [...new Set([...platformImages(), ...unpinnedChartImages])].sort();
}

/**
 * The CPU architectures each image of the platform is published for, from each project's build configuration at
 * the pinned version (nothing here can read a registry's manifest list). An arm64 (Graviton) node pool is refused
 * while any image lacks arm64: DaemonSets (node-exporter, Fluent Bit) run on every node, and the rest may be
 * scheduled on any node of its pool. A version bump needs its record re-checked (test/versions.test.ts finds an
 * image without one). EKS's managed add-ons (vpc-cni, kube-proxy, CoreDNS, the EBS CSI driver, the Pod Identity
 * agent) are not here: EKS publishes them for both architectures of its AMI types.
 */
const both = (source: string) => ({ architectures: ["amd64", "arm64"] as Architecture[], source });
const clusterAutoscalerSource = (tag: string) => `kubernetes/autoscaler cluster-autoscaler/Makefile at cluster-autoscaler-${tag.slice(1)}: ALL_ARCH = amd64 arm64 s390x (a manifest list of them)`;
export const imageArchitectures: Record<string, { architectures: Architecture[]; source: string }> = {
  "cr.fluentbit.io/fluent/fluent-bit:5.1.1": both("fluent/fluent-bit .github/workflows/call-build-images.yaml at v5.1.1: build matrix platform amd64, arm64, arm/v7, merged into one manifest"),
  "docker.io/emberstack/kubernetes-reflector:9.1.34": both("emberstack/kubernetes-reflector .github/workflows/pipeline.yaml at v9.1.34: container_image_build_platforms linux/amd64,linux/arm/v7,linux/arm64"),
  "docker.io/grafana/grafana:13.2.0": both("grafana/grafana .github/workflows/release-build.yml (commit 0030f686ab5a70f8c607f8be46e8186839ec72c7): jobs docker / linux-amd64 and docker / linux-arm64 (build-docker-variants.yml per arch)"),
  "ghcr.io/cloudnative-pg/cloudnative-pg:1.30.0": both("cloudnative-pg/cloudnative-pg .github/workflows/release-publish.yml at v1.30.0: platforms linux/amd64,linux/arm64"),
  "ghcr.io/cloudnative-pg/postgresql:16.10": both("cloudnative-pg/postgres-containers docker-bake.hcl: platforms linux/amd64, linux/arm64 (since commit c330729d, 2025-01-16, before 16.10)"),
  "ghcr.io/cloudnative-pg/postgresql:17.6": both("cloudnative-pg/postgres-containers docker-bake.hcl: platforms linux/amd64, linux/arm64 (since commit c330729d, 2025-01-16, before 17.6)"),
  "ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.13.0": both("cloudnative-pg/plugin-barman-cloud Taskfile.yml at v0.13.0: --platform linux/amd64 --platform linux/arm64 (Dockerfile.plugin)"),
  "ghcr.io/cloudnative-pg/plugin-barman-cloud-sidecar:v0.13.0": both("cloudnative-pg/plugin-barman-cloud Taskfile.yml at v0.13.0: --platform linux/amd64 --platform linux/arm64 (Dockerfile.sidecar)"),
  "ghcr.io/jkroepke/kube-webhook-certgen:1.8.7": both("jkroepke/kube-webhook-certgen .goreleaser.yaml (commit 8df5d96, 2025-12-26): dockers platforms linux/amd64, linux/arm64, linux/s390x"),
  "ghcr.io/kedacore/keda-admission-webhooks:2.20.2": both("kedacore/keda Makefile at v2.20.2: BUILD_PLATFORMS ?= linux/amd64,linux/arm64,linux/s390x"),
  "ghcr.io/kedacore/keda-metrics-apiserver:2.20.2": both("kedacore/keda Makefile at v2.20.2: BUILD_PLATFORMS ?= linux/amd64,linux/arm64,linux/s390x"),
  "ghcr.io/kedacore/keda:2.20.2": both("kedacore/keda Makefile at v2.20.2: BUILD_PLATFORMS ?= linux/amd64,linux/arm64,linux/s390x"),
  "otel/opentelemetry-collector-contrib:0.158.0": both("open-telemetry/opentelemetry-collector-releases distributions/otelcol-contrib/.goreleaser.yaml at v0.158.0: docker_manifests of -amd64 and -arm64 (and others)"),
  "public.ecr.aws/karpenter/controller:1.14.1": both("aws/karpenter-provider-aws .ko.yaml at v1.14.1: defaultPlatforms linux/arm64, linux/amd64"),
  "quay.io/argoproj/argocli:v4.0.6": both("argoproj/argo-workflows .github/workflows/release.yaml at v4.0.6: platform matrix linux/amd64, linux/arm64; 'Push manifest with all images'"),
  "quay.io/argoproj/argoexec:v4.0.6": both("argoproj/argo-workflows .github/workflows/release.yaml at v4.0.6: platform matrix linux/amd64, linux/arm64; 'Push manifest with all images'"),
  "quay.io/argoproj/workflow-controller:v4.0.6": both("argoproj/argo-workflows .github/workflows/release.yaml at v4.0.6: platform matrix linux/amd64, linux/arm64; 'Push manifest with all images'"),
  "quay.io/jetstack/cert-manager-cainjector:v1.21.1": both("cert-manager/cert-manager make/containers.mk at v1.21.1: ARCHS = amd64 arm64 s390x ppc64le arm"),
  "quay.io/jetstack/cert-manager-controller:v1.21.1": both("cert-manager/cert-manager make/containers.mk at v1.21.1: ARCHS = amd64 arm64 s390x ppc64le arm"),
  "quay.io/jetstack/cert-manager-startupapicheck:v1.21.1": both("cert-manager/cert-manager make/containers.mk at v1.21.1: ARCHS = amd64 arm64 s390x ppc64le arm"),
  "quay.io/jetstack/cert-manager-webhook:v1.21.1": both("cert-manager/cert-manager make/containers.mk at v1.21.1: ARCHS = amd64 arm64 s390x ppc64le arm"),
  "quay.io/kiwigrid/k8s-sidecar:2.10.1": both("kiwigrid/k8s-sidecar docker-bake.hcl at 2.10.1: platforms linux/amd64, linux/arm64, linux/arm/v7, linux/ppc64le, linux/riscv64"),
  "quay.io/prometheus-operator/prometheus-config-reloader:v0.93.1": both("prometheus-operator/prometheus-operator scripts/push-docker-image.sh (release-0.93 at v0.93.0): CPU_ARCHS amd64 arm64 arm ppc64le s390x"),
  "quay.io/prometheus-operator/prometheus-operator:v0.93.1": both("prometheus-operator/prometheus-operator scripts/push-docker-image.sh (release-0.93 at v0.93.0): CPU_ARCHS amd64 arm64 arm ppc64le s390x"),
  "quay.io/prometheus/alertmanager:v0.34.0": both("prometheus/alertmanager Makefile at v0.34.0: DOCKER_ARCHS ?= amd64 armv7 arm64 ppc64le s390x"),
  "quay.io/prometheus/node-exporter:v1.12.1-distroless": both("prometheus/node_exporter Makefile at v1.12.1: DOCKER_ARCHS ?= amd64 arm64 armv7 ppc64le riscv64 s390x"),
  "quay.io/prometheus/prometheus:v3.14.0-distroless": both("prometheus/prometheus Makefile.common at v3.14.0: DOCKER_ARCHS ?= amd64 arm64 armv7 ppc64le riscv64 s390x"),
  "quay.io/strimzi/kafka:1.2.0-kafka-4.3.1": both("strimzi/strimzi-kafka-operator .azure/release-pipeline.yaml at 1.2.0: push_containers architectures amd64, arm64, s390x, ppc64le"),
  "quay.io/strimzi/operator:1.2.0": both("strimzi/strimzi-kafka-operator .azure/release-pipeline.yaml at 1.2.0: push_containers architectures amd64, arm64, s390x, ppc64le"),
  "registry.k8s.io/autoscaling/cluster-autoscaler:v1.32.5": both(clusterAutoscalerSource("v1.32.5")),
  "registry.k8s.io/autoscaling/cluster-autoscaler:v1.33.5": both(clusterAutoscalerSource("v1.33.5")),
  "registry.k8s.io/autoscaling/cluster-autoscaler:v1.34.4": both(clusterAutoscalerSource("v1.34.4")),
  "registry.k8s.io/autoscaling/cluster-autoscaler:v1.35.1": both(clusterAutoscalerSource("v1.35.1")),
  "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.20.0": both("kubernetes/kube-state-metrics Makefile at v2.20.0: ALL_ARCH = amd64 arm arm64 ppc64le s390x, one manifest"),
};

/** The platform's images that are not known to be built for an architecture (none recorded counts as not). */
export function imagesWithout(architecture: Architecture): string[] {
  return clusterImages().filter((image) => !imageArchitectures[image]?.architectures.includes(architecture));
}
