/**
 * Karpenter's pure rules one case at a time, each with its exact outcome and both sides of each boundary: the
 * engine's config keys and rules (config/karpenter.ts), the price of a NodePool (cost/karpenterPools.ts) and the
 * policy pack's rules (policy/karpenterRules.ts).
 */
import { checkKarpenter, engineKeyProblems, karpenterWarnings, longestBatchDeadline } from "../config/karpenter";
import { durationSeconds } from "../lib/duration";
import { parsePlatformConfig, rawPlatformConfig } from "../config/load";
import type { BatchPoolConfig, PlatformConfig } from "../config/schema";
import { allowedTypes, consolidateAfterHours, priceNodePools } from "../cost/karpenterPools";
import type { PlannedResource } from "../cost/plannedResource";
import { priceSnapshot, regionPrices } from "../cost/prices";
import { karpenterRules } from "../policy/karpenterRules";
import type { Resource } from "../policy/rule";
import { karpenterStack } from "./karpenterStacks";

describe("engineKeyProblems", () => {
  const paths = (raw: Record<string, unknown>) => engineKeyProblems(raw).map((problem) => problem.path.join("."));

  it("on target: kubernetes names only the Karpenter engine", () => {
    expect(paths({ target: "kubernetes", autoscaler: { engine: "karpenter" } })).toEqual(["autoscaler.engine"]);
    expect(paths({ target: "kubernetes", autoscaler: { engine: "cluster-autoscaler", karpenter: {} } })).toEqual([]);
    expect(paths({ target: "kubernetes" })).toEqual([]);
  });

  it("with Karpenter names each cluster autoscaler flag, nothing else", () => {
    expect(paths({ autoscaler: { engine: "karpenter", scaleDownUnneededTime: "1m" } })).toEqual(["autoscaler.scaleDownUnneededTime"]);
    expect(paths({ autoscaler: { engine: "karpenter", maxNodeProvisionTime: "1m" } })).toEqual(["autoscaler.maxNodeProvisionTime"]);
    expect(paths({ autoscaler: { engine: "karpenter", karpenter: {}, enabled: true }, nodePools: { batch: [{ onDemandFallback: true }] } })).toEqual([]);
  });

  it("with the cluster autoscaler (named or default) names Karpenter's settings and each Karpenter pool key", () => {
    expect(paths({ autoscaler: { karpenter: { replicas: 2 } } })).toEqual(["autoscaler.karpenter"]);
    expect(paths({ autoscaler: { engine: "cluster-autoscaler", scaleDownUnneededTime: "1m" } })).toEqual([]);
    for (const key of ["instanceCategories", "instanceGenerations", "onDemandFallback"]) {
      expect(paths({ nodePools: { batch: [{ name: "a" }, { [key]: true }] } })).toEqual([`nodePools.batch.1.${key}`]);
    }
  });

  it("reads past what is not an object or a list (the schema reports those)", () => {
    expect(paths({ autoscaler: ["karpenter"], nodePools: { batch: "pools" } })).toEqual([]);
    expect(paths({ autoscaler: null, nodePools: { batch: ["pool", null, [{ onDemandFallback: true }]] } })).toEqual([]);
    expect(paths({ autoscaler: { engine: "karpenter" }, nodePools: [] })).toEqual([]);
  });
});

describe("durations and deadlines", () => {
  it("reads seconds, minutes and hours, and nothing else", () => {
    expect([durationSeconds("90s"), durationSeconds("30m"), durationSeconds("6h")]).toEqual([90, 1800, 21600]);
    for (const bad of ["1h30m", "x5m", "5m ", "5", "m"]) expect(() => durationSeconds(bad)).toThrow(`not a duration: ${bad}`);
  });

  it("takes the longest deadline of the batch pipelines of one placement", () => {
    const cfg = {
      pipelines: [
        { mode: "batch", placement: "spot", activeDeadlineSeconds: 600 },
        { mode: "batch", placement: "spot", activeDeadlineSeconds: 1200 },
        { mode: "batch", placement: "on-demand", activeDeadlineSeconds: 9000 },
        { mode: "streaming", placement: "spot", activeDeadlineSeconds: 99999 },
      ],
    } as unknown as Pick<PlatformConfig, "pipelines">;
    expect(longestBatchDeadline(cfg, "spot")).toBe(1200);
    expect(longestBatchDeadline(cfg, "on-demand")).toBe(9000);
    expect(longestBatchDeadline({ pipelines: [] }, "spot")).toBe(0);
  });
});

describe("checkKarpenter", () => {
  const karpenter = parsePlatformConfig(rawPlatformConfig(karpenterStack("staging").config));
  const problems = (edit: (cfg: PlatformConfig) => PlatformConfig) => {
    const found: string[] = [];
    checkKarpenter(edit(structuredClone(karpenter)), (path, message) => found.push(`${path.join(".")}: ${message}`));
    return found;
  };

  it("holds nothing against the cluster autoscaler, whatever the sizes", () => {
    expect(problems((cfg) => ({ ...cfg, autoscaler: { ...cfg.autoscaler, engine: "cluster-autoscaler", enabled: false }, nodePools: { ...cfg.nodePools, system: { ...cfg.nodePools.system, maxSize: 9 } } }))).toEqual([]);
  });

  it("takes replicas up to the system nodes, not one more", () => {
    const replicas = (n: number) => problems((cfg) => ({ ...cfg, autoscaler: { ...cfg.autoscaler, karpenter: { ...cfg.autoscaler.karpenter, replicas: n } } }));
    expect(replicas(karpenter.nodePools.system.desiredSize)).toEqual([]);
    expect(replicas(karpenter.nodePools.system.desiredSize + 1)).toHaveLength(1);
  });

  it("allows a fallback on a spot pool only, and generations with categories", () => {
    const pool = (edit: Record<string, unknown>) => problems((cfg) => ({ ...cfg, nodePools: { ...cfg.nodePools, batch: [{ ...cfg.nodePools.batch[0], ...edit }] } }));
    expect(pool({ capacityType: "spot", onDemandFallback: true })).toEqual([]);
    expect(pool({ capacityType: "on-demand", onDemandFallback: true })).toEqual(["nodePools.batch.0.onDemandFallback: expected nothing on an on-demand pool (a fallback from spot to on-demand), got true"]);
    expect(pool({ capacityType: "on-demand", onDemandFallback: false })).toEqual([]);
    expect(pool({ instanceCategories: ["m"], instanceGenerations: [6] })).toEqual([]);
  });

  it("needs a grace period only with expiry", () => {
    const settings = (edit: Record<string, unknown>) => problems((cfg) => ({ ...cfg, autoscaler: { ...cfg.autoscaler, karpenter: { ...cfg.autoscaler.karpenter, ...edit } } }));
    expect(settings({ terminationGracePeriod: "24h" })).toEqual([]);
    expect(settings({ expireAfter: "720h", terminationGracePeriod: "24h" })).toEqual([]);
    expect(settings({ expireAfter: "720h" })).toHaveLength(1);
  });
});

describe("karpenterWarnings", () => {
  const cfg = { autoscaler: { engine: "karpenter" }, cluster: { kubernetesVersion: "1.35" } } as unknown as PlatformConfig;
  it("warns only without a pin for the cluster's version", () => {
    expect(karpenterWarnings(cfg, {})).toEqual(["autoscaler.engine karpenter: versions.ts pins no eks-pod-identity-agent add-on for Kubernetes 1.35; EKS installs its default version at creation and keeps it. Pin it with npm run refresh-addons (needs AWS credentials)"]);
    expect(karpenterWarnings(cfg, { "1.35": "v1.3.10-eksbuild.1" })).toEqual([]);
    expect(karpenterWarnings(cfg, { "1.34": "v1.3.10-eksbuild.1" })).toHaveLength(1);
  });
});

describe("the price of a NodePool", () => {
  const region = regionPrices(priceSnapshot(), "eu-west-1");
  const context = { region, regionName: "eu-west-1", poolKey: (pool: string) => `key(${pool})` };
  type Req = { key: string; operator: string; values: string[] };
  const req = (key: string, values: string[], operator = "In"): Req => ({ key, operator, values });
  const family = (...values: string[]) => req("karpenter.k8s.aws/instance-family", values);
  const size = (...values: string[]) => req("karpenter.k8s.aws/instance-size", values);
  const resources = (requirements: Req[], extra: { labels?: Record<string, string>; cpu?: string; taints?: { key: string }[]; classRef?: string } = {}): PlannedResource[] => [
    {
      type: "kubernetes:karpenter.sh/v1:NodePool", name: "np", inputs: {
        spec: {
          template: { metadata: { labels: extra.labels ?? { "etl-platform/pool": "batch" } }, spec: { nodeClassRef: { name: extra.classRef ?? "batch" }, taints: extra.taints ?? [{ key: "etl-platform/batch" }], requirements } },
          disruption: { consolidateAfter: "1m" },
          limits: { cpu: extra.cpu ?? "16" },
        },
      },
    },
    { type: "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", name: "c", inputs: { metadata: { name: "batch" }, spec: { blockDeviceMappings: [{ ebs: { volumeSize: "64Gi" } }] } } },
  ];

  it("allows by In requirements only, in order of on-demand price, known shapes only", () => {
    expect(allowedTypes([family("m6i", "m5"), size("xlarge", "2xlarge")], region)).toEqual(["m5.xlarge", "m6i.xlarge", "m5.2xlarge", "m6i.2xlarge"].sort((a, b) => region.onDemand[a] - region.onDemand[b]));
    // A NotIn is not an In: it does not narrow the families here.
    expect(allowedTypes([req("karpenter.k8s.aws/instance-family", ["m5"], "NotIn"), family("m6i"), size("xlarge")], region)).toEqual(["m6i.xlarge"]);
    const byCategory = allowedTypes([req("karpenter.k8s.aws/instance-category", ["r"]), req("karpenter.k8s.aws/instance-generation", ["6"]), size("large")], region);
    expect(byCategory.length).toBeGreaterThan(1);
    for (const type of byCategory) expect(type).toMatch(/^r6[a-z]*\.large$/);
    expect(allowedTypes([size("large")], region).every((type) => /^[a-z]+\d[a-z]*\.large$/.test(type))).toBe(true);
  });

  it("uses the cheapest type to size runs and the dearest to price them; no capacity requirement is on-demand", () => {
    const [pool] = priceNodePools(resources([family("m6i", "m5", "m6a", "m7i"), size("xlarge")]), context);
    expect(pool.onDemandHour).toBe(Math.min(...pool.instanceTypes.map((type) => region.onDemand[type])));
    expect(pool).toMatchObject({ capacityType: "ON_DEMAND", maxSize: 4, diskGiB: 64, batch: true, pool: "batch" });
    expect([pool.spotHour, pool.interruption, pool.actualSpotPrices]).toEqual([undefined, undefined, undefined]);
    expect(pool.nodeHour).toBe(Math.max(...pool.instanceTypes.map((type) => region.onDemand[type])));
  });

  it("reads millicores, falls back to the NodePool's name for its pool, and tells a batch pool by its taint", () => {
    const [pool] = priceNodePools(resources([family("m6i"), size("xlarge")], { cpu: "8000m", labels: {}, taints: [{ key: "other" }] }), context);
    expect(pool).toMatchObject({ maxSize: 2, pool: "np", batch: false });
  });

  it("refuses a NodePool that allows nothing priced, or names an EC2NodeClass the plan lacks", () => {
    expect(() => priceNodePools(resources([family("x9z")]), context)).toThrow(/^key\(batch\): the NodePool allows no instance type the price snapshot has in [a-z0-9-]+; refresh it/);
    expect(() => priceNodePools(resources([family("m6i")], { classRef: "gone" }), context)).toThrow("key(batch): the NodePool's EC2NodeClass gone is not in the plan");
  });

  it("keeps an empty node for the longest consolidateAfter; Never or a malformed value counts nothing", () => {
    const pool = (value: string) => ({ type: "kubernetes:karpenter.sh/v1:NodePool", name: value, inputs: { spec: { disruption: { consolidateAfter: value } } } });
    expect(consolidateAfterHours([pool("2h"), pool("30m")])).toBe(2);
    expect(consolidateAfterHours([pool("Never"), pool("5m x")])).toBe(0);
    expect(consolidateAfterHours([pool("36s")])).toBe(0.01);
  });
});

describe("the policy pack's Karpenter rules", () => {
  const rule = (name: string) => karpenterRules.find((candidate) => candidate.name === name)!;
  const r = (type: string, props: Record<string, any>, name = "x"): Resource => ({ type, name, urn: `urn:${name}`, props });
  const nodeClass = (spec: Record<string, any>) => r("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", { spec });
  const good = { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 }, blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: true } }], amiSelectorTerms: [{ alias: "al2023@v20260714" }, { id: "ami-1" }] };

  it("karpenter-nodes-hardened: one message per defect, none for a hardened class", () => {
    const check = rule("karpenter-nodes-hardened").resource!;
    expect(check(nodeClass(good))).toEqual([]);
    expect(check(nodeClass({ ...good, metadataOptions: { httpTokens: "required" } }))).toEqual(["hop limit is unset (Karpenter's default is 1, say so), expected 1"]);
    expect(check(nodeClass({ ...good, blockDeviceMappings: [] }))).toEqual(["no block device mapping: the root volume's encryption is left to the AMI"]);
    expect(check(nodeClass({ ...good, amiSelectorTerms: [{ alias: "al2023@latest" }] }))).toEqual(["AMI alias al2023@latest drifts every node at each AMI release; pin a version"]);
    expect(check(r("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", {}))).toEqual(["IMDSv1 is allowed (metadataOptions.httpTokens is not \"required\")", "hop limit is unset (Karpenter's default is 1, say so), expected 1", "no block device mapping: the root volume's encryption is left to the AMI"]);
    expect(check(r("kubernetes:karpenter.sh/v1:NodePool", {}))).toEqual([]);
  });

  it("karpenter-pools-limited: cpu and memory each", () => {
    const check = rule("karpenter-pools-limited").resource!;
    expect(check(r("kubernetes:karpenter.sh/v1:NodePool", { spec: { limits: { cpu: "1", memory: "1Gi" } } }))).toEqual([]);
    expect(check(r("kubernetes:karpenter.sh/v1:NodePool", {}))).toEqual(["no limits.cpu", "no limits.memory"]);
  });

  it("karpenter-interruption-handled: only Karpenter's release, with a queue the stack declares", () => {
    const check = rule("karpenter-interruption-handled").stack!;
    const release = (chart: string, settings?: object) => r("kubernetes:helm.sh/v3:Release", { chart, values: settings ? { settings } : {} }, chart);
    const queue = r("aws:sqs/queue:Queue", { name: "etl" }, "q");
    expect(check([release("oci://public.ecr.aws/karpenter/karpenter", { interruptionQueue: "etl" }), queue])).toEqual([]);
    expect(check([release("cluster-autoscaler"), r("aws:sqs/queue:Queue", { name: "etl" })])).toEqual([]);
    expect(check([release("oci://public.ecr.aws/karpenter/karpenter")]).map((v) => v.message)).toEqual(["settings.interruptionQueue is not set: spot interruptions are not handled"]);
    expect(check([release("oci://public.ecr.aws/karpenter/karpenter", { interruptionQueue: "etl" }), r("aws:sqs/queuePolicy:QueuePolicy", { name: "etl" })]).map((v) => v.message)).toEqual(["the interruption queue etl is not declared by the stack"]);
  });

  it("karpenter-batch-runs-protected: only where a NodePool exists, only CronJobs without the annotation", () => {
    const check = rule("karpenter-batch-runs-protected").stack!;
    const cronJob = (annotations?: Record<string, string>) => r("kubernetes:batch/v1:CronJob", { spec: { jobTemplate: { spec: { template: { metadata: { annotations } } } } } }, annotations ? "protected" : "bare");
    const nodePool = r("kubernetes:karpenter.sh/v1:NodePool", {});
    expect(check([cronJob()])).toEqual([]);
    expect(check([nodePool, cronJob({ "karpenter.sh/do-not-disrupt": "60s" })])).toEqual([]);
    expect(check([nodePool, cronJob({ other: "x" }), cronJob()]).map((v) => v.resource!.name)).toEqual(["protected", "bare"]);
  });
});

describe("the NodePool and EC2NodeClass of a pool", () => {
  const { ec2NodeClassSpec, nodePoolSpec, poolLimits, poolRequirements } = require("../components/aws/karpenter/nodeClasses") as typeof import("../components/aws/karpenter/nodeClasses");
  const spot: BatchPoolConfig = { name: "batch", capacityType: "spot", architecture: "amd64", instanceTypes: ["m6i.xlarge", "m6a.xlarge", "m5.xlarge", "m7i.xlarge"], minSize: 0, desiredSize: 0, maxSize: 5, diskSizeGiB: 50 };
  const common = [
    { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
    { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
  ];

  it("requires the pool's capacity type, x86 Linux, its families and sizes", () => {
    expect(poolRequirements({ ...spot })).toEqual([
      { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] },
      ...common,
      { key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["m6i", "m6a", "m5", "m7i"] },
      { key: "karpenter.k8s.aws/instance-size", operator: "In", values: ["xlarge"] },
    ]);
  });

  it("adds on-demand only to a spot pool that asks for the fallback", () => {
    expect(poolRequirements({ ...spot, onDemandFallback: true })[0].values).toEqual(["spot", "on-demand"]);
    expect(poolRequirements({ ...spot, onDemandFallback: false })[0].values).toEqual(["spot"]);
    expect(poolRequirements({ ...spot, capacityType: "on-demand", onDemandFallback: true })[0].values).toEqual(["on-demand"]);
  });

  it("widens to categories (and generations when given) in place of the families", () => {
    expect(poolRequirements({ ...spot, instanceCategories: ["c", "m"], instanceGenerations: [6, 7] }).slice(3)).toEqual([
      { key: "karpenter.k8s.aws/instance-category", operator: "In", values: ["c", "m"] },
      { key: "karpenter.k8s.aws/instance-generation", operator: "In", values: ["6", "7"] },
      { key: "karpenter.k8s.aws/instance-size", operator: "In", values: ["xlarge"] },
    ]);
    expect(poolRequirements({ ...spot, instanceCategories: ["r"] }).slice(3).map((r) => r.key)).toEqual(["karpenter.k8s.aws/instance-category", "karpenter.k8s.aws/instance-size"]);
  });

  it("limits the pool to maxSize nodes of its largest shape, the categories' memory included", () => {
    expect(poolLimits({ ...spot })).toEqual({ cpu: "20", memory: "80Gi" });
    expect(poolLimits({ ...spot, instanceCategories: ["c", "r"] })).toEqual({ cpu: "20", memory: "160Gi" });
    expect(poolLimits({ ...spot, instanceCategories: ["c"] })).toEqual({ cpu: "20", memory: "40Gi" });
    // An on-demand pool may mix shapes: the largest vCPUs and the largest memory per vCPU.
    expect(poolLimits({ ...spot, capacityType: "on-demand", instanceTypes: ["c6i.2xlarge", "r6i.large"], maxSize: 2 })).toEqual({ cpu: "16", memory: "128Gi" });
  });

  it("expires nodes only when asked, with the grace period when set", () => {
    const settings = { replicas: 2, consolidateAfter: "1m", disruptionBudget: "10%" };
    const template = (extra: object) => nodePoolSpec({ ...spot }, { ...settings, ...extra }).spec.template.spec;
    expect(template({})).not.toHaveProperty("terminationGracePeriod");
    expect(template({}).expireAfter).toBe("Never");
    expect(template({ expireAfter: "720h", terminationGracePeriod: "3h" })).toMatchObject({ expireAfter: "720h", terminationGracePeriod: "3h" });
    expect(nodePoolSpec({ ...spot }, settings).spec.disruption).toEqual({ consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "1m", budgets: [{ nodes: "10%" }] });
  });

  it("builds the EC2NodeClass from the pool's disk and the given role, key, alias and tags", () => {
    expect(ec2NodeClassSpec({ ...spot }, { clusterName: "etl", nodeRoleName: "role", volumeKeyArn: "arn:key", amiAlias: "al2023@v20260714", tags: { a: "b" } })).toEqual({
      apiVersion: "karpenter.k8s.aws/v1",
      kind: "EC2NodeClass",
      metadata: { name: "batch" },
      spec: {
        role: "role",
        amiSelectorTerms: [{ alias: "al2023@v20260714" }],
        subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": "etl" } }],
        securityGroupSelectorTerms: [{ tags: { "karpenter.sh/discovery": "etl" } }],
        metadataOptions: { httpEndpoint: "enabled", httpProtocolIPv6: "disabled", httpPutResponseHopLimit: 1, httpTokens: "required" },
        blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: "50Gi", volumeType: "gp3", encrypted: true, kmsKeyID: "arn:key", deleteOnTermination: true } }],
        tags: { a: "b" },
      },
    });
  });
});
