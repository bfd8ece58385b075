import * as fs from "fs";
import * as path from "path";
import type { Resource } from "../policy/rule";
import { policyConfig, rules, type Environment } from "../policy/rules";
import { plan, STACK_NAMES } from "./harness";
import { asPolicyResources, violations } from "./policyResources";

const ruleByName = (name: string) => {
  const rule = rules.find((r) => r.name === name);
  if (!rule) throw new Error(`no rule ${name}`);
  return rule;
};

describe("the policy pack", () => {
  it("has unique rule names, each with a description, and is never weaker in prod than in staging", () => {
    expect(new Set(rules.map((r) => r.name)).size).toBe(rules.length);
    for (const rule of rules) {
      expect(rule.description.length).toBeGreaterThan(40);
      expect(rule.level.staging === "mandatory" ? rule.level.prod : "mandatory").toBe("mandatory");
      expect(Boolean(rule.resource) !== Boolean(rule.stack)).toBe(true);
    }
  });

  it.each(["staging", "prod"] as Environment[])("ships a policy config for %s matching the rules", (environment) => {
    const file = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "policy", `config.${environment}.json`), "utf8"));
    expect(file).toEqual(policyConfig(environment));
  });
});

describe.each(STACK_NAMES)("the %s stack under the policy pack", (stack) => {
  let resources: Resource[];
  beforeAll(async () => {
    resources = asPolicyResources(await plan(stack));
  });

  it("has no mandatory violation", () => {
    // The local stack is a staging environment on target: kubernetes.
    const environment: Environment = stack === "prod" ? "prod" : "staging";
    const mandatory = rules.filter((rule) => rule.level[environment] === "mandatory");
    expect(mandatory.length).toBeGreaterThan(15);
    const found = mandatory.flatMap((rule) => violations(rule, resources).map((v) => `${rule.name}: ${v}`));
    expect(found).toEqual([]);
  });

  if (stack === "staging") {
    it("reports the prod-only rules it breaks as advisory only", () => {
      const advisory = rules.filter((rule) => rule.level.staging === "advisory").flatMap((rule) => violations(rule, resources).map((v) => `${rule.name}: ${v}`));
      expect(advisory.some((v) => v.startsWith("eks-control-plane-logs"))).toBe(true);
      expect(advisory.some((v) => v.startsWith("image-pinned-by-digest"))).toBe(true);
    });
  }
});

const r = (type: string, props: Record<string, any>, name = "bad"): Resource => ({ type, name, urn: `urn:pulumi:test::etl-platform::${type}::${name}`, props });
const goodContainer = { name: "main", image: "x:1.0@sha256:" + "a".repeat(64), resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "1Gi" } }, securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } } };
const cronJob = (container: object, extra: Record<string, any> = {}, jobExtra: Record<string, any> = {}) => r("kubernetes:batch/v1:CronJob", {
  spec: {
    schedule: "0 * * * *", timeZone: "UTC", concurrencyPolicy: "Forbid", startingDeadlineSeconds: 60, successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1, ...extra,
    jobTemplate: { spec: { backoffLimit: 1, activeDeadlineSeconds: 60, podFailurePolicy: { rules: [{ action: "Ignore", onPodConditions: [{ type: "DisruptionTarget" }] }] }, ...jobExtra, template: { spec: { automountServiceAccountToken: false, containers: [container], volumes: [] } } } },
  },
});
const policy = (statement: object) => r("aws:iam/rolePolicy:RolePolicy", { policy: JSON.stringify({ Version: "2012-10-17", Statement: [statement] }) });
const subnet = r("aws:ec2/subnet:Subnet", { tags: { "kubernetes.io/role/elb": "1" } }, "public-0");
const bucket = r("aws:s3/bucket:Bucket", {}, "postgres-backups");

// One deliberately bad resource (or stack) per rule, and the words its message must contain.
const badCases: [string, Resource[], RegExp][] = [
  ["eks-version-pinned", [r("eks:index:Cluster", { encryptionConfigKeyArn: "k" })], /no Kubernetes version/],
  ["eks-control-plane-logs", [r("eks:index:Cluster", { enabledClusterLogTypes: ["api"] })], /missing: audit, authenticator/],
  ["eks-secrets-encrypted", [r("eks:index:Cluster", { version: "1.34" })], /not encrypted/],
  ["eks-endpoint-restricted", [r("eks:index:Cluster", { endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/0"] })], /open to the world/],
  ["nodes-in-private-subnets", [subnet, { ...r("aws:eks/nodeGroup:NodeGroup", {}), propertyDependencies: { subnetIds: [subnet] } }], /public subnets: public-0/],
  ["imdsv2-required", [r("aws:ec2/launchTemplate:LaunchTemplate", { metadataOptions: { httpTokens: "optional", httpPutResponseHopLimit: 2 } })], /IMDSv1 is allowed/],
  ["node-volumes-encrypted", [r("aws:ec2/launchTemplate:LaunchTemplate", { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "false" } }] })], /not encrypted/],
  ["no-ssh-access", [r("aws:eks/nodeGroup:NodeGroup", { remoteAccess: { ec2SshKey: "k" } })], /allows SSH/],
  ["spot-pools-diversified", [r("aws:eks/nodeGroup:NodeGroup", { capacityType: "SPOT", instanceTypes: ["m6i.xlarge", "m5.xlarge"] })], /2 types from 2 families/],
  // EKS API CreateNodegroup amiType: AL2023_x86_64_STANDARD and AL2023_ARM_64_STANDARD are each one architecture's AMI.
  ["node-ami-matches-architecture", [r("aws:eks/nodeGroup:NodeGroup", { amiType: "AL2023_x86_64_STANDARD", instanceTypes: ["m7g.large", "m6i.large"] })], /AL2023_x86_64_STANDARD on arm64 instance types \(m7g.large\)/],
  ["autoscaler-iam-scoped", [policy({ Effect: "Allow", Action: ["autoscaling:SetDesiredCapacity"], Resource: "*" })], /any Auto Scaling group/],
  ["no-iam-wildcard-admin", [policy({ Sid: "Admin", Effect: "Allow", Action: "*", Resource: "*" })], /allows every action/],
  ["iam-role-permissions-boundary", [r("aws:iam/role:Role", { assumeRolePolicy: "{}" })], /no permissions boundary/],
  ["karpenter-nodes-hardened", [r("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", { spec: { metadataOptions: { httpTokens: "optional", httpPutResponseHopLimit: 2 }, blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: false } }], amiSelectorTerms: [{ alias: "al2023@latest" }] } })], /IMDSv1 is allowed[\s\S]*hop limit is 2[\s\S]*not encrypted[\s\S]*al2023@latest drifts/],
  ["karpenter-pools-limited", [r("kubernetes:karpenter.sh/v1:NodePool", { spec: { limits: { cpu: "20" } } })], /no limits.memory/],
  ["karpenter-interruption-handled", [r("kubernetes:helm.sh/v3:Release", { chart: "oci://public.ecr.aws/karpenter/karpenter", values: { settings: { interruptionQueue: "etl" } } }), r("aws:sqs/queue:Queue", { name: "other" })], /interruption queue etl is not declared/],
  ["karpenter-batch-runs-protected", [r("kubernetes:karpenter.sh/v1:NodePool", {}), cronJob(goodContainer)], /no karpenter.sh\/do-not-disrupt annotation/],
  ["workload-resources", [cronJob({ ...goodContainer, resources: { requests: { cpu: "1" } } })], /no CPU or memory request/],
  ["workload-restricted-security", [cronJob({ ...goodContainer, securityContext: { runAsNonRoot: true } })], /allows privilege escalation/],
  ["workload-no-host-access", [r("kubernetes:batch/v1:CronJob", { spec: { jobTemplate: { spec: { template: { spec: { hostNetwork: true, containers: [], volumes: [{ name: "docker", hostPath: { path: "/" } }] } } } } } })], /volume docker is a hostPath/],
  ["image-pinned", [cronJob({ ...goodContainer, image: "x:latest" })], /not pinned by tag/],
  ["platform-images-pinned-by-digest", [r("kubernetes:postgresql.cnpg.io/v1:Cluster", { spec: { imageName: "ghcr.io/cloudnative-pg/postgresql:17.6" } })], /has no digest/],
  ["image-pinned-by-digest", [cronJob({ ...goodContainer, image: "x:1.0" })], /has no digest/],
  ["service-account-token-not-mounted", [r("kubernetes:batch/v1:CronJob", { spec: { jobTemplate: { spec: { template: { spec: { containers: [] } } } } } })], /mounts a service account token/],
  ["no-plaintext-secret-env", [cronJob({ ...goodContainer, env: [{ name: "DB_PASSWORD", value: "hunter2" }] })], /DB_PASSWORD has a literal value/],
  ["cronjob-reliability", [cronJob(goodContainer, { concurrencyPolicy: undefined, timeZone: undefined })], /no concurrencyPolicy/],
  ["cronjob-ignores-disruptions", [cronJob(goodContainer, {}, { podFailurePolicy: undefined })], /disruptions count against the retries/],
  ["streaming-consumer-scaled-and-drainable", [r("kubernetes:apps/v1:Deployment", { metadata: { name: "c", namespace: "p" }, spec: { template: { metadata: { labels: { app: "c" } } } } }), r("kubernetes:policy/v1:PodDisruptionBudget", { metadata: { namespace: "p" }, spec: { minAvailable: 2, selector: { matchLabels: { app: "c" } } } })], /no ScaledObject[\s\S]*no PodDisruptionBudget with maxUnavailable/],
  ["streaming-replicas-within-partitions", [r("kubernetes:keda.sh/v1alpha1:ScaledObject", { metadata: { name: "c" }, spec: { maxReplicaCount: 5, triggers: [{ type: "kafka", metadata: { topic: "a" } }, { type: "kafka", metadata: { topic: "b" } }] } }), r("kubernetes:kafka.strimzi.io/v1:KafkaTopic", { metadata: { name: "a" }, spec: { partitions: 3 } }, "a"), r("kubernetes:kafka.strimzi.io/v1:KafkaTopic", { metadata: { name: "b" }, spec: { partitions: 1 } }, "b")], /may run 5 consumers for 4 partitions/],
  ["no-plaintext-secrets", [r("kubernetes:helm.sh/v3:Release", { values: { grafana: { adminPassword: "x", admin: { password: "admin123" } } } })], /values.grafana.admin.password holds a credential/],
  ["stateful-on-demand-only", [r("aws:eks/nodeGroup:NodeGroup", {}), r("kubernetes:kafka.strimzi.io/v1:KafkaNodePool", { spec: { template: { pod: { affinity: {} } } } })], /spot or non-stateful/],
  ["kafka-highly-available", [r("kubernetes:kafka.strimzi.io/v1:Kafka", { spec: { kafka: { config: { "default.replication.factor": 1, "min.insync.replicas": 1 } } } })], /default.replication.factor below 3/],
  ["postgres-highly-available", [r("kubernetes:postgresql.cnpg.io/v1:Cluster", { spec: { instances: 1 } })], /1 instances, expected at least 3/],
  ["postgres-backups", [r("kubernetes:postgresql.cnpg.io/v1:Cluster", { metadata: { name: "etl" }, spec: {} })], /WAL is not archived/],
  ["buckets-private-encrypted-versioned", [bucket], /public access is not fully blocked/],
  ["data-namespaces-default-deny", [r("kubernetes:core/v1:Namespace", { metadata: { name: "kafka" } })], /namespace kafka has no default-deny/],
];

describe("every rule fires on a bad resource", () => {
  it("covers every rule", () => {
    expect(badCases.map(([name]) => name).sort()).toEqual(rules.map((rule) => rule.name).sort());
  });

  it.each(badCases)("%s", (name, resources, message) => {
    const found = violations(ruleByName(name), resources);
    expect(found.join("\n")).toMatch(message);
  });
});

describe("platform images pinned by digest", () => {
  const digest = `sha256:${"c".repeat(64)}`;
  const rule = rules.find((candidate) => candidate.name === "platform-images-pinned-by-digest")!;

  it("flags the Postgres image, a Job's and the images set in Helm values without a digest, and passes each pinned", () => {
    const cluster = (imageName: string) => r("kubernetes:postgresql.cnpg.io/v1:Cluster", { spec: { imageName } });
    expect(violations(rule, [cluster("ghcr.io/cloudnative-pg/postgresql:17.6")])).toEqual([expect.stringContaining("imageName ghcr.io/cloudnative-pg/postgresql:17.6 has no digest")]);
    expect(violations(rule, [cluster(`ghcr.io/cloudnative-pg/postgresql:17.6@${digest}`)])).toEqual([]);
    const job = (image: string) => r("kubernetes:batch/v1:Job", { spec: { template: { spec: { containers: [{ name: "grants", image }] } } } });
    expect(violations(rule, [job("x:1")])).toHaveLength(1);
    expect(violations(rule, [job(`x:1@${digest}`)])).toEqual([]);
    const release = (values: object) => r("kubernetes:helm.sh/v3:Release", { values });
    expect(violations(rule, [release({ image: { repository: "otel/c", tag: "1" }, sub: { image: { tag: "v1.35.1" } } })]).map((v) => v.replace(/^[^:]*: /, "")))
      .toEqual(["values.image: image otel/c:1 has no digest", "values.sub.image: image (the chart's repository):v1.35.1 has no digest"]);
    expect(violations(rule, [release({ image: { repository: "otel/c", tag: "1", digest }, a: { image: { repository: "g", tag: "2", sha: "c".repeat(64) } }, b: { image: { tag: `v1@${digest}` } } })])).toEqual([]);
  });

  it("is mandatory in prod exactly when every image the program names has a pinned digest (today none: no registry was reachable)", () => {
    const { imageDigests, platformImages } = require("../versions") as typeof import("../versions");
    const { platformDigestsPinned } = require("../policy/workloadRules") as typeof import("../policy/workloadRules");
    const images = platformImages();
    expect(images).toEqual(expect.arrayContaining(["ghcr.io/cloudnative-pg/postgresql:17.6", "cr.fluentbit.io/fluent/fluent-bit:5.1.1", "otel/opentelemetry-collector-contrib:0.158.0"]));
    expect(platformDigestsPinned()).toBe(images.every((image) => imageDigests[image] !== undefined));
    expect(rule.level.prod).toBe(platformDigestsPinned() ? "mandatory" : "advisory");
  });

  it("reach the charts and the Postgres image once pinned", () => {
    const versions = require("../versions") as typeof import("../versions");
    const { collectorValues } = require("../components/platform/telemetry") as typeof import("../components/platform/telemetry");
    const { nodePoolPlacements } = require("../lib/placement") as typeof import("../lib/placement");
    const image = `${versions.images.otelCollectorContrib.repository}:${versions.images.otelCollectorContrib.tag}`;
    versions.imageDigests[image] = digest;
    versions.imageDigests[versions.postgresImages["17"]] = digest;
    try {
      expect(versions.pinnedImage(versions.postgresImages["17"])).toBe(`${versions.postgresImages["17"]}@${digest}`);
      // opentelemetry-collector 0.170.0 values.yaml: "When digest is set to a non-empty value, images will be pulled by digest".
      const values = collectorValues({ config: { enabled: true, collectorReplicas: 1 } as any, environment: "prod", placement: nodePoolPlacements });
      expect(values.image).toEqual({ repository: versions.images.otelCollectorContrib.repository, tag: versions.images.otelCollectorContrib.tag, digest });
    } finally {
      delete versions.imageDigests[image];
      delete versions.imageDigests[versions.postgresImages["17"]];
    }
    expect(versions.pinnedImage(versions.postgresImages["17"])).toBe(versions.postgresImages["17"]);
  });

  it("are read from each registry by npm run refresh-digests, with an anonymous pull token where asked", async () => {
    const { manifestDigest, parseReference, rewriteImageDigests } = require("../scripts/refreshImageDigests") as typeof import("../scripts/refreshImageDigests");
    expect(parseReference("otel/opentelemetry-collector-contrib:0.158.0")).toEqual({ host: "registry-1.docker.io", repository: "otel/opentelemetry-collector-contrib", tag: "0.158.0" });
    expect(parseReference("busybox:1.37.0")).toEqual({ host: "registry-1.docker.io", repository: "library/busybox", tag: "1.37.0" });
    expect(parseReference("ghcr.io/cloudnative-pg/postgresql:17.6")).toEqual({ host: "ghcr.io", repository: "cloudnative-pg/postgresql", tag: "17.6" });
    expect(parseReference("localhost:5000/x")).toEqual({ host: "localhost:5000", repository: "x", tag: "latest" });
    // A registry as the distribution spec has it: 401 with a Bearer challenge, a token endpoint, then the digest.
    const calls: string[] = [];
    const registry = (async (url: string, init?: RequestInit) => {
      calls.push(`${init?.method ?? "GET"} ${url}`);
      if (url.startsWith("https://auth.example/token")) return Response.json({ token: "t0k" });
      const authorized = (init?.headers as Record<string, string>)?.Authorization === "Bearer t0k";
      return authorized
        ? new Response(null, { status: 200, headers: { "Docker-Content-Digest": digest } })
        : new Response(null, { status: 401, headers: { "WWW-Authenticate": 'Bearer realm="https://auth.example/token",service="ghcr.io",scope="repository:cloudnative-pg/postgresql:pull"' } });
    }) as typeof fetch;
    await expect(manifestDigest("ghcr.io/cloudnative-pg/postgresql:17.6", registry)).resolves.toBe(digest);
    expect(calls).toEqual([
      "HEAD https://ghcr.io/v2/cloudnative-pg/postgresql/manifests/17.6",
      "GET https://auth.example/token?service=ghcr.io&scope=repository%3Acloudnative-pg%2Fpostgresql%3Apull",
      "HEAD https://ghcr.io/v2/cloudnative-pg/postgresql/manifests/17.6",
    ]);
    const noDigest = (async () => new Response(null, { status: 200 })) as typeof fetch;
    await expect(manifestDigest("x:1", noDigest)).rejects.toThrow("gave no sha256 digest");
    const source = "export const imageDigests: Record<string, string> = {\n};\nrest";
    expect(rewriteImageDigests(source, { "b:1": digest, "a:1": digest })).toBe(`export const imageDigests: Record<string, string> = {\n  "a:1": "${digest}",\n  "b:1": "${digest}",\n};\nrest`);
  });
});

describe("chart images pinned by digest", () => {
  const fs = require("fs") as typeof import("fs");
  const path = require("path") as typeof import("path");
  const { parse } = require("yaml") as typeof import("yaml");
  const { UPSTREAM } = require("./upstream") as typeof import("./upstream");
  const fixtures: Record<string, string> = {
    "kube-prometheus-stack": "kube-prometheus-stack-88.5.3", "kube-state-metrics": "kube-state-metrics-8.4.0",
    "prometheus-node-exporter": "prometheus-node-exporter-4.56.1", "argo-workflows": "argo-workflows-1.0.18", "cloudnative-pg": "cloudnative-pg-0.29.0",
    grafana: "grafana-12.11.1", "strimzi-kafka-operator": "strimzi-kafka-operator-1.2.0", reflector: "reflector-9.1.34", keda: "keda-2.20.2",
    karpenter: "karpenter-1.14.1",
  };
  // Where git's values.yaml holds another release's tag: Karpenter's release script (hack/release/common.sh at v1.14.1)
  // writes the published version into `controller.image.tag` when it packages the chart.
  const publishedTags: Record<string, string> = { karpenter: "1.14.1" };
  // Where a fixture's Chart.yaml does not say the app version the chart is released with: reflector's says 0.1.0 in
  // git, and CI packages it with the tag as its app version (../shared/upstream README); Strimzi's has none.
  const appVersions: Record<string, string> = { reflector: "9.1.34" };
  const read = (chart: string, file: string) => parse(fs.readFileSync(path.join(UPSTREAM, fixtures[chart], file), "utf8"));
  const at = (values: any, keys: string[]) => keys.reduce((node, key) => node?.[key], values);

  it("name the image each chart runs by default at the pinned version, and a digest key its values have", () => {
    const { chartImages } = require("../versions") as typeof import("../versions");
    for (const entry of chartImages) {
      // A subchart's block is under its name in the parent's values; its defaults are in its own fixture.
      const [first, ...rest] = entry.path.split(".");
      const chart = fixtures[first] ? first : entry.chart;
      const keys = fixtures[first] ? rest : [first, ...rest];
      const values = read(chart, "values.yaml");
      const block = at(values, keys);
      if (chart === "strimzi-kafka-operator") {
        // templates/_helpers.tpl `strimzi.image`: registry/repository/name default to defaultImage*, the tag to
        // defaultImageTag plus the Kafka version's suffix for Kafka images (templates/_kafka_image_map.tpl; 4.3.1 is
        // kafka-versions.yaml's default at 1.2.0).
        const ref = [block.registry || values.defaultImageRegistry, block.repository || values.defaultImageRepository, block.name].join("/");
        const suffix = block.name === "kafka" ? "-kafka-4.3.1" : "";
        expect({ path: entry.path, image: `${ref}:${block.tag || block.tagPrefix || values.defaultImageTag}${suffix}` }).toEqual({ path: entry.path, image: entry.image });
        expect({ path: entry.path, style: entry.style }).toEqual({ path: entry.path, style: "digest" });
        continue;
      }
      const appVersion = appVersions[chart] ?? String(read(chart, "Chart.yaml").appVersion);
      // kube-state-metrics and node-exporter default the tag to "v" + appVersion (their templates/_helpers.tpl);
      // kube-prometheus-stack turns on node-exporter's distroless variant (values.yaml prometheus-node-exporter.image.distroless).
      const distroless = chart === "prometheus-node-exporter" && at(read("kube-prometheus-stack", "values.yaml"), ["prometheus-node-exporter", "image", "distroless"]) === true;
      const tag = publishedTags[chart] ?? (block.tag || (["kube-state-metrics", "prometheus-node-exporter"].includes(chart) ? `v${appVersion}` : appVersion)) + (distroless ? "-distroless" : "");
      const repository = block.registry ? `${block.registry}/${block.repository}` : block.repository;
      expect({ path: entry.path, image: `${repository}:${tag}` }).toEqual({ path: entry.path, image: entry.image });
      if (entry.style === "sha" || entry.style === "shaWithAlgorithm") expect({ path: entry.path, has: "sha" in block }).toEqual({ path: entry.path, has: true });
      if (entry.style === "digest") expect({ path: entry.path, has: "digest" in block }).toEqual({ path: entry.path, has: true });
    }
  });

  it("reach each release's values in the chart's own style once pinned", () => {
    const versions = require("../versions") as typeof import("../versions");
    const digest = `sha256:${"e".repeat(64)}`;
    const pinned = ["quay.io/prometheus/prometheus:v3.14.0-distroless", "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.20.0", "quay.io/prometheus/node-exporter:v1.12.1-distroless", "quay.io/argoproj/argoexec:v4.0.6"];
    for (const image of pinned) versions.imageDigests[image] = digest;
    try {
      const monitoring = versions.pinnedRelease("m", versions.charts.kubePrometheusStack, "monitoring", { prometheus: { prometheusSpec: { retention: "7d" } }, "prometheus-node-exporter": { namespaceOverride: "node-exporter" } }).values as any;
      expect(monitoring.prometheus.prometheusSpec).toEqual({ retention: "7d", image: { sha: "e".repeat(64) } });
      expect(monitoring["kube-state-metrics"]).toEqual({ image: { sha: digest } });
      expect(monitoring["prometheus-node-exporter"]).toEqual({ namespaceOverride: "node-exporter", image: { digest } });
      expect(monitoring.prometheusOperator).toBeUndefined();
      const argo = versions.pinnedRelease("a", versions.charts.argoWorkflows, "argo", {}).values as any;
      expect(argo).toEqual({ executor: { image: { tag: `v4.0.6@${digest}` } } });
    } finally {
      for (const image of pinned) delete versions.imageDigests[image];
    }
    expect(versions.pinnedRelease("a", versions.charts.argoWorkflows, "argo", {}).values).toEqual({});
  });
});
