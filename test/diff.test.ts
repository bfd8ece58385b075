/**
 * The upgrade-safety diff of two plans (diff/): a base and a head for each rule, with the expected action and
 * risk; every declared type has a replace rule; the JSON shape; the exit codes; the worktree mode on a real commit.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DiffInputError, headResources, runDiff } from "../diff/command";
import { diffPlans, type BaseResource, type Change, type HeadResource } from "../diff/planDiff";
import { REPLACE_RULES, replaceRule } from "../diff/replaceRules";
import { diffMarkdown, diffText } from "../diff/report";
import { diffExitCode, EXIT } from "../scripts/plan";
import { parseArgs } from "../plan/options";
import type { StackSettings } from "../plan/stackFile";
import { plan, STACK_NAMES, stackSettings } from "./harness";
import { variants } from "./variants";

const ROOT = path.join(__dirname, "..");

async function head(stack: string, settings: StackSettings = stackSettings(stack)): Promise<HeadResource[]> {
  return headResources(await plan(stack, settings, "plan"));
}

/** The base as a plan JSON would give it: a copy, edited by `edit` as an older commit would have declared it. */
const baseOf = (resources: HeadResource[], edit: (resource: BaseResource) => BaseResource = (r) => r): BaseResource[] =>
  resources.map(({ type, name, parent, inputs, protect }) => edit(JSON.parse(JSON.stringify({ type, name, parent, inputs, protect }))));

/** A resource of the root stack, for diffs of one resource on its own. */
const root = "urn:pulumi:prod::etl-platform::pulumi:pulumi:Stack::etl-platform-prod";
/** The one change of a resource of `type` whose inputs go from `before` to `after`. */
const pair = (type: string, before: Record<string, any>, after: Record<string, any>) =>
  diffPlans([{ type, name: "x", parent: root, protect: false, inputs: before }], [{ type, name: "x", parent: root, protect: false, inputs: after, urn: "urn:x", propertyDependencies: {} }], { headDir: ROOT })[0];
const find = (changes: Change[], type: string, name: string) => changes.find((change) => change.type === type && change.name === name);
const risks = (changes: Change[]) => new Set(changes.map((change) => change.risk));

describe("every resource type has its replacement rule", () => {
  it.each(STACK_NAMES)("in the plan of %s", async (stack) => {
    const types = new Set((await head(stack)).map((resource) => resource.type));
    expect([...types].filter((type) => !replaceRule(type))).toEqual([]);
  });

  it("cites a source for each", () => {
    for (const rule of Object.values(REPLACE_RULES)) expect(rule.source.length).toBeGreaterThan(10);
  });
});

describe("the diff of two plans", () => {
  let prod: HeadResource[];
  beforeAll(async () => {
    prod = await head("prod");
  });

  it("finds nothing between a plan and itself", () => {
    expect(diffPlans(baseOf(prod), prod, { headDir: ROOT })).toEqual([]);
  });

  it("adding a pipeline only creates and updates: safe", async () => {
    const changes = diffPlans(baseOf(prod), await head("prod", variants.prodWithNewPipeline()), { headDir: ROOT });
    expect(risks(changes)).toEqual(new Set(["safe"]));
    expect(find(changes, "kubernetes:batch/v1:CronJob", "etl-pipelines-new-extract")).toMatchObject({ action: "create" });
    // Its log group is new; the pipelines dashboard (a ConfigMap, replaced on change) lists it: safe, the sidecar reloads it.
    expect(find(changes, "aws:cloudwatch/logGroup:LogGroup", "etl-logs-pipelines-new-extract")).toMatchObject({ action: "create", risk: "safe" });
    expect(find(changes, "kubernetes:core/v1:ConfigMap", "etl-monitoring-dashboard-etl-pipelines")).toMatchObject({ action: "replace", risk: "safe" });
    expect(changes.filter((change) => change.action === "replace").map((change) => change.name)).toEqual(["etl-monitoring-dashboard-etl-pipelines"]);
  });

  it("shrinking Kafka storage is an update Strimzi ignores: danger", () => {
    // The base as a stack with brokerStorageSize 400Gi declared it (prod's is 200Gi).
    const base = baseOf(prod, (resource) => {
      if (resource.type === "kubernetes:kafka.strimzi.io/v1:KafkaNodePool" && resource.inputs.spec.roles.includes("broker")) resource.inputs.spec.storage.volumes[0].size = "400Gi";
      return resource;
    });
    const changes = diffPlans(base, prod, { headDir: ROOT });
    expect(changes).toEqual([expect.objectContaining({ type: "kubernetes:kafka.strimzi.io/v1:KafkaNodePool", name: "etl-kafka-brokers", action: "update", risk: "danger", paths: ["spec.storage.volumes[0].size"] })]);
    expect(changes[0].reason).toMatch(/^Strimzi does not shrink a Kafka volume \(volume 0: 400Gi → 200Gi\)/);
  });

  it("changing the Postgres storage class is an update CloudNativePG's webhook refuses: danger", () => {
    const base = baseOf(prod, (resource) => {
      if (resource.type === "kubernetes:postgresql.cnpg.io/v1:Cluster") resource.inputs.spec.storage.storageClass = "gp2";
      return resource;
    });
    const changes = diffPlans(base, prod, { headDir: ROOT });
    expect(changes).toEqual([expect.objectContaining({ name: "etl-postgres-cluster", action: "update", risk: "danger", paths: ["spec.storage.storageClass"] })]);
    expect(changes[0].reason).toContain("CloudNativePG's webhook refuses changing spec.storage.storageClass (gp2 → gp3)");
  });

  it("removing brokers, a Postgres major downgrade or a smaller Prometheus volume is refused: danger; a major upgrade is caution", () => {
    const edit = (type: string, change: (inputs: any) => void) => baseOf(prod, (resource) => {
      if (resource.type === type && (type !== "kubernetes:helm.sh/v3:Release" || resource.inputs.chart === "kube-prometheus-stack")) change(resource.inputs);
      return resource;
    });
    const brokers = diffPlans(edit("kubernetes:kafka.strimzi.io/v1:KafkaNodePool", (inputs) => { if (inputs.spec.roles.includes("broker")) inputs.spec.replicas = 5; }), prod, { headDir: ROOT });
    expect(brokers).toEqual([expect.objectContaining({ name: "etl-kafka-brokers", risk: "danger", reason: expect.stringContaining("Strimzi refuses to remove brokers that still hold partition replicas (5 → 3)") })]);
    const newer = diffPlans(edit("kubernetes:postgresql.cnpg.io/v1:Cluster", (inputs) => { inputs.spec.imageName = "ghcr.io/cloudnative-pg/postgresql:18.1"; }), prod, { headDir: ROOT });
    expect(newer[0]).toMatchObject({ risk: "danger", reason: "CloudNativePG's webhook refuses a Postgres major downgrade (18 → 17)" });
    const older = diffPlans(edit("kubernetes:postgresql.cnpg.io/v1:Cluster", (inputs) => { inputs.spec.imageName = "ghcr.io/cloudnative-pg/postgresql:16.10"; }), prod, { headDir: ROOT });
    expect(older[0]).toMatchObject({ risk: "caution", reason: expect.stringContaining("a Postgres major upgrade (16 → 17)") });
    const prometheus = diffPlans(edit("kubernetes:helm.sh/v3:Release", (inputs) => { inputs.values.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage = "500Gi"; }), prod, { headDir: ROOT });
    expect(prometheus[0]).toMatchObject({ name: "etl-monitoring", action: "update", risk: "danger", reason: expect.stringContaining("Prometheus's volume cannot shrink (500Gi → 200Gi)") });
  });

  it("renaming the stateful pool deletes it: danger", () => {
    const base = baseOf(prod, (resource) => (resource.type === "aws:eks/nodeGroup:NodeGroup" && resource.name === "etl-nodes-stateful-0" ? { ...resource, name: "etl-nodes-data-0" } : resource));
    const changes = diffPlans(base, prod, { headDir: ROOT });
    expect(find(changes, "aws:eks/nodeGroup:NodeGroup", "etl-nodes-data-0")).toMatchObject({ action: "delete", risk: "danger" });
    expect(find(changes, "aws:eks/nodeGroup:NodeGroup", "etl-nodes-data-0")!.reason).toContain("renamed to etl-nodes-stateful-0?");
    expect(find(changes, "aws:eks/nodeGroup:NodeGroup", "etl-nodes-stateful-0")).toMatchObject({ action: "create", risk: "safe" });
  });

  it("renaming the cluster replaces it, and everything that takes its name: danger", async () => {
    const staging = await head("staging");
    const changes = diffPlans(baseOf(staging), await head("staging", variants.stagingRenamedCluster()), { headDir: ROOT });
    expect(find(changes, "eks:index:Cluster", "etl-cluster")).toMatchObject({ action: "replace", risk: "danger", paths: expect.arrayContaining(["name"]) });
    // Node groups take the cluster's name (clusterName forces a new node group), the stateful one holds data.
    expect(find(changes, "aws:eks/nodeGroup:NodeGroup", "etl-nodes-stateful")).toMatchObject({ action: "replace", risk: "danger" });
    expect(find(changes, "aws:eks/addon:Addon", "etl-cluster-coredns")).toMatchObject({ action: "replace" });
    // The Kubernetes provider takes the new cluster's kubeconfig and is replaced; the engine replaces every resource
    // it manages with it (pulumi/pulumi pkg/resource/deploy/step_generator.go, providerChanged): the data services
    // and protected namespaces included.
    expect(find(changes, "pulumi:providers:kubernetes", "etl-cluster-k8s")).toMatchObject({ action: "replace" });
    for (const [type, name] of [["kubernetes:kafka.strimzi.io/v1:Kafka", "etl-kafka-cluster"], ["kubernetes:postgresql.cnpg.io/v1:Cluster", "etl-postgres-cluster"], ["kubernetes:core/v1:Namespace", "etl-pipelines-ns"]]) {
      expect(find(changes, type, name)).toMatchObject({ action: "replace", risk: "danger", reason: expect.stringContaining("its provider etl-cluster-k8s is replaced") });
    }
    expect(changes.filter((change) => change.type.startsWith("kubernetes:") && change.action === "replace").length).toBeGreaterThan(80);
  });

  describe("identity is the URN, as the engine keys resources", () => {
    /** The base as it was before `name` (of `type`) moved under `oldParent`'s component. */
    const movedFrom = (type: string, name: string, oldParent: string) => baseOf(prod, (resource) => (resource.type === type && resource.name === name ? { ...resource, parent: oldParent } : resource));
    const parentOf = (type: string, name: string) => prod.find((resource) => resource.type === type && resource.name === name)!.parent!;

    it("a protected resource under another component is a new resource and a delete the engine refuses: danger", () => {
      const oldParent = parentOf("kubernetes:kafka.strimzi.io/v1:Kafka", "etl-kafka-cluster");
      const changes = diffPlans(movedFrom("kubernetes:postgresql.cnpg.io/v1:Cluster", "etl-postgres-cluster", oldParent), prod, { headDir: ROOT });
      const moves = changes.filter((change) => change.name === "etl-postgres-cluster").sort((a, b) => a.action.localeCompare(b.action));
      expect(moves.map((change) => [change.action, change.risk])).toEqual([["create", "danger"], ["delete", "danger"]]);
      expect(moves[0].reason).toMatch(/it moved \(.*Kafka.* → .*Postgres.*\).*marked for protection.*add an alias/);
      expect(changes).toHaveLength(2);
    });

    it("a named Kubernetes object under another component fails its create with AlreadyExists: danger", () => {
      const oldParent = parentOf("kubernetes:kafka.strimzi.io/v1:Kafka", "etl-kafka-cluster");
      const changes = diffPlans(movedFrom("kubernetes:networking.k8s.io/v1:NetworkPolicy", "etl-postgres-allow-metrics", oldParent), prod, { headDir: ROOT });
      expect(find(changes, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "etl-postgres-allow-metrics")).toMatchObject({ risk: "danger", reason: expect.stringContaining("AlreadyExists") });
    });

    it("an alias naming the old parent keeps it the same resource", () => {
      const oldParent = parentOf("kubernetes:kafka.strimzi.io/v1:Kafka", "etl-kafka-cluster");
      const aliased = prod.map((resource) => (resource.name === "etl-postgres-cluster" ? { ...resource, aliases: [{ parentUrn: oldParent }] } : resource));
      expect(diffPlans(movedFrom("kubernetes:postgresql.cnpg.io/v1:Cluster", "etl-postgres-cluster", oldParent), aliased, { headDir: ROOT })).toEqual([]);
    });

    it("derives the engine's URN: the parent's whole type chain, without the root stack (pulumi/pulumi resource/urn.go NewURN)", () => {
      const { engineUrns } = require("../diff/planDiff") as typeof import("../diff/planDiff");
      const urns = engineUrns(prod);
      const cluster = prod.find((resource) => resource.name === "etl-postgres-cluster")!;
      expect(urns.get(cluster)).toBe("urn:pulumi:prod::etl-platform::etl-platform:index:Platform$etl-platform:platform:Platform$etl-platform:data:Postgres$kubernetes:postgresql.cnpg.io/v1:Cluster::etl-postgres-cluster");
      expect(urns.get(prod.find((resource) => resource.type === "etl-platform:index:Platform")!)).toBe("urn:pulumi:prod::etl-platform::etl-platform:index:Platform::etl");
    });
  });

  it("ignores changes inside ignoreChanges, as the engine does (processIgnoreChanges): a node group's desiredSize", () => {
    const base = baseOf(prod, (resource) => {
      if (resource.type === "aws:eks/nodeGroup:NodeGroup") resource.inputs.scalingConfig.desiredSize += 1;
      return resource;
    });
    expect(prod.find((resource) => resource.type === "aws:eks/nodeGroup:NodeGroup")!.ignoreChanges).toEqual(["scalingConfig.desiredSize"]);
    expect(diffPlans(base, prod, { headDir: ROOT })).toEqual([]);
  });

  it("weakened protection is danger even when nothing is replaced", () => {
    const headWith = (type: string, edit: (inputs: any) => void, name?: string) => prod.map((resource) => {
      if (resource.type !== type || (name && resource.name !== name)) return resource;
      const copy = JSON.parse(JSON.stringify(resource));
      edit(copy.inputs);
      return { ...resource, inputs: copy.inputs };
    });
    const weakened = (after: HeadResource[]) => diffPlans(baseOf(prod), after, { headDir: ROOT }).filter((change) => change.risk === "danger").map((change) => change.reason);
    const cases: [string, (inputs: any) => void, RegExp][] = [
      ["aws:s3/bucketVersioning:BucketVersioning", (inputs) => { inputs.versioningConfiguration.status = "Suspended"; }, /versioning leaves Enabled/],
      ["aws:s3/bucket:Bucket", (inputs) => { inputs.forceDestroy = true; }, /forceDestroy turns true/],
      ["aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", (inputs) => { inputs.rule.defaultRetention.days = 7; }, /Object Lock keeps versions for less \(30 → 7 days\)/],
      ["aws:cloudwatch/logGroup:LogGroup", (inputs) => { inputs.retentionInDays = 1; }, /retention shortened/],
      ["eks:index:Cluster", (inputs) => { inputs.deletionProtection = false; }, /deletionProtection turns false/],
      ["kubernetes:kafka.strimzi.io/v1:KafkaNodePool", (inputs) => { for (const volume of inputs.spec.storage.volumes ?? [inputs.spec.storage]) volume.deleteClaim = true; }, /deleteClaim turns true/],
    ];
    for (const [type, edit, message] of cases) {
      expect({ type, reasons: weakened(headWith(type, edit)) }).toEqual({ type, reasons: expect.arrayContaining([expect.stringMatching(message)]) });
    }
    const lifecycle = prod.find((resource) => resource.type === "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration" && resource.inputs.rules.some((rule: any) => rule.noncurrentVersionExpiration))!;
    expect(weakened(headWith(lifecycle.type, (inputs) => { for (const rule of inputs.rules) if (rule.noncurrentVersionExpiration) rule.noncurrentVersionExpiration.noncurrentDays = 1; }, lifecycle.name))).toEqual([expect.stringMatching(/keeps old versions for less \(\d+ → 1 days\)/)]);
    // The ObjectStore's spec is unknown offline (it names the bucket): a pair of its own.
    const store = (retentionPolicy: string) => ({ type: "kubernetes:barmancloud.cnpg.io/v1:ObjectStore", name: "store", parent: root, protect: false, inputs: { spec: { retentionPolicy } } });
    expect(diffPlans([store("30d")], [{ ...store("1d"), urn: "urn:x", propertyDependencies: {} }], { headDir: ROOT })).toEqual([expect.objectContaining({ risk: "danger", reason: "protection weakened: backups kept for less (30d → 1d)" })]);
    // Protection lifted, with no input changed: the engine compares the option too.
    const unprotected = diffPlans(baseOf(prod, (resource) => (resource.name === "etl-postgres-allow-metrics" ? { ...resource, protect: true } : resource)), prod, { headDir: ROOT });
    expect(unprotected).toEqual([expect.objectContaining({ name: "etl-postgres-allow-metrics", action: "update", risk: "danger", reason: expect.stringContaining("protection lifted") })]);
  });

  it("a streaming consumer: a Deployment's selector replaces it (an outage: caution), its template rolls; KEDA's objects and a policy/v1 PDB update", () => {
    // pulumi-kubernetes provider/pkg/provider/diff.go (v4.32.0): apps/v1 Deployment `.spec.selector` is force-new;
    // PodDisruptionBudget's `.spec` only for policy/v1beta1.
    const selector = (value: string) => ({ spec: { selector: { matchLabels: { "etl-platform/pipeline": value } }, template: {} } });
    expect(pair("kubernetes:apps/v1:Deployment", selector("a"), selector("b"))).toMatchObject({ action: "replace", risk: "caution", reason: expect.stringContaining("an outage of the consumer group") });
    expect(pair("kubernetes:apps/v1:Deployment", { spec: { template: { spec: { terminationGracePeriodSeconds: 60 } } } }, { spec: { template: { spec: { terminationGracePeriodSeconds: 90 } } } })).toMatchObject({ action: "update", risk: "safe" });
    expect(pair("kubernetes:policy/v1:PodDisruptionBudget", { spec: { maxUnavailable: 1 } }, { spec: { maxUnavailable: 2 } })).toMatchObject({ action: "update", risk: "safe" });
    expect(pair("kubernetes:keda.sh/v1alpha1:ScaledObject", { spec: { maxReplicaCount: 3 } }, { spec: { maxReplicaCount: 6 } })).toMatchObject({ action: "update", risk: "safe" });
    expect(pair("kubernetes:keda.sh/v1alpha1:TriggerAuthentication", { spec: { secretTargetRef: [] } }, { spec: { env: [] } })).toMatchObject({ action: "update", risk: "safe" });
    expect(pair("kubernetes:keda.sh/v1alpha1:ScaledObject", { metadata: { name: "a" } }, { metadata: { name: "b" } })).toMatchObject({ action: "replace", risk: "caution" });
  });

  it("says unknown, not safe, where a change goes through a value only the deploy knows", () => {
    // An input that is "[unknown]" offline on one side: whether it really changes cannot be decided here.
    expect(pair("kubernetes:core/v1:ConfigMap", { data: { a: "1" }, metadata: { annotations: { arn: "[unknown]" } } }, { data: { a: "1" }, metadata: { annotations: { arn: "arn:aws:iam::1:role/x" } } }))
      .toMatchObject({ action: "update", risk: "unknown", paths: ["metadata.annotations.arn"], reason: expect.stringMatching(/^metadata\.annotations\.arn: only known at deploy/) });
    expect(pair("kubernetes:networking.k8s.io/v1:NetworkPolicy", { spec: { egress: [{ to: [{ ipBlock: { cidr: "[unknown]" } }] }] } }, { spec: { egress: [{ to: [{ ipBlock: { cidr: "[unknown]" } }, { ipBlock: { cidr: "10.0.0.0/16" } }] }] } }))
      .toMatchObject({ risk: "safe" });
    expect(pair("kubernetes:networking.k8s.io/v1:NetworkPolicy", { spec: { egress: [{ to: [{ ipBlock: { cidr: "10.1.0.0/16" } }] }] } }, { spec: { egress: [{ to: [{ ipBlock: { cidr: "[unknown]" } }] }] } }))
      .toMatchObject({ risk: "unknown", paths: ["spec.egress[0].to[0].ipBlock.cidr"] });
    // A verdict the rules can give without the value stands: a refused or dangerous change is never softened.
    expect(pair("kubernetes:kafka.strimzi.io/v1:KafkaTopic", { spec: { partitions: 12, config: "[unknown]" } }, { spec: { partitions: 6, config: "x" } })).toMatchObject({ risk: "danger" });
    const { valueAt, holdsUnknown } = require("../diff/planDiff") as typeof import("../diff/planDiff");
    expect(valueAt({ a: { b: [{ c: 1 }, { c: 2 }] } }, "a.b[1].c")).toBe(2);
    expect(valueAt({ a: 1 }, "(all)")).toEqual({ a: 1 });
    expect(valueAt({ a: null }, "a.b")).toBeUndefined();
    expect([holdsUnknown("[unknown]"), holdsUnknown({ x: ["a", "prefix [unknown] suffix"] }), holdsUnknown({ x: ["a"] }), holdsUnknown(null)]).toEqual([true, true, false, false]);
  });

  it("immutable fields the provider sends as updates are refused updates: danger, not replacements; its force-new fields replace", () => {
    // pulumi-kubernetes provider/pkg/provider/diff.go (v4.32.0): StorageClass parameters/provisioner, a PVC's
    // accessModes/selector/storageClassName/volumeName, Secret type/data/stringData force a replacement; nothing else.
    expect(pair("kubernetes:scheduling.k8s.io/v1:PriorityClass", { value: 100000 }, { value: 200000 })).toMatchObject({ action: "update", risk: "danger", reason: expect.stringContaining("refuses changing a PriorityClass's value") });
    expect(pair("kubernetes:storage.k8s.io/v1:StorageClass", { reclaimPolicy: "Retain" }, { reclaimPolicy: "Delete" })).toMatchObject({ action: "update", risk: "danger", reason: expect.stringContaining("refuses changing a StorageClass's reclaimPolicy") });
    expect(pair("kubernetes:storage.k8s.io/v1:StorageClass", { parameters: { type: "gp3" } }, { parameters: { type: "io2" } })).toMatchObject({ action: "replace" });
    expect(pair("kubernetes:core/v1:PersistentVolumeClaim", { spec: { resources: { requests: { storage: "10Gi" } } } }, { spec: { resources: { requests: { storage: "20Gi" } } } })).toMatchObject({ action: "update", risk: "safe" });
    expect(pair("kubernetes:core/v1:PersistentVolumeClaim", { spec: { storageClassName: "gp2" } }, { spec: { storageClassName: "gp3" } })).toMatchObject({ action: "replace", risk: "danger" });
    expect(pair("kubernetes:core/v1:Secret", { stringData: { a: "1" } }, { stringData: { a: "2" } })).toMatchObject({ action: "replace" });
    expect(pair("aws:s3/bucketVersioning:BucketVersioning", { versioningConfiguration: { status: "Suspended" } }, { versioningConfiguration: { status: "Disabled" } })).toMatchObject({ risk: "danger", reason: expect.stringContaining("refuses versioning Disabled") });
    expect(pair("eks:index:Cluster", { encryptionConfigKeyArn: "arn:a" }, { encryptionConfigKeyArn: "arn:b" })).toMatchObject({ action: "update", risk: "danger", reason: expect.stringContaining("never changes the key") });
    expect(pair("aws:autoscaling/tag:Tag", { tag: { key: "k", value: "1" } }, { tag: { key: "k", value: "2" } })).toMatchObject({ action: "update" });
    expect(pair("aws:autoscaling/tag:Tag", { tag: { key: "k", value: "1" } }, { tag: { key: "j", value: "1" } })).toMatchObject({ action: "replace" });
  });

  it("a node disk change updates the launch template, and EKS then replaces every node of the group: caution, zone after zone", () => {
    const base = baseOf(prod, (resource) => {
      if (resource.type === "aws:ec2/launchTemplate:LaunchTemplate" && resource.name === "etl-nodes-stateful-1") resource.inputs.blockDeviceMappings[0].ebs.volumeSize += 10;
      return resource;
    });
    const changes = diffPlans(base, prod, { headDir: ROOT });
    expect(find(changes, "aws:ec2/launchTemplate:LaunchTemplate", "etl-nodes-stateful-1")).toMatchObject({ action: "update" });
    expect(find(changes, "aws:eks/nodeGroup:NodeGroup", "etl-nodes-stateful-1")).toMatchObject({ action: "update", risk: "caution", paths: ["launchTemplate.version"], reason: expect.stringContaining("EKS replaces every node of the group, one at a time; a stateful group") });
    expect(changes).toHaveLength(2);
  });

  it("a custom resource field its CRD holds immutable (a transition rule) is a refused update: danger", () => {
    // cloudnative-pg 0.29.0 crds.yaml: Cluster spec.serviceAccountName has `x-kubernetes-validations: [{ rule: self == oldSelf }]`.
    const base = baseOf(prod, (resource) => {
      if (resource.type === "kubernetes:postgresql.cnpg.io/v1:Cluster") resource.inputs.spec.serviceAccountName = "other";
      return resource;
    });
    const withAccount = prod.map((resource) => (resource.type === "kubernetes:postgresql.cnpg.io/v1:Cluster" ? { ...resource, inputs: { ...resource.inputs, spec: { ...resource.inputs.spec, serviceAccountName: "etl" } } } : resource));
    expect(diffPlans(base, withAccount, { headDir: ROOT })).toEqual([expect.objectContaining({ name: "etl-postgres-cluster", action: "update", risk: "danger", reason: expect.stringContaining('changing spec.serviceAccountName: "serviceAccountName is immutable"') })]);
    const { immutableChange } = require("../diff/crdChanges") as typeof import("../diff/crdChanges");
    const schema = { properties: { spec: { properties: { a: { "x-kubernetes-validations": [{ rule: "oldSelf == self", message: "a is fixed" }], properties: { b: {} } }, c: { "x-kubernetes-validations": [{ rule: "self.x == oldSelf.x" }] } } } } };
    expect(immutableChange(schema, ["spec.a.b"])).toEqual({ path: "spec.a.b", message: "a is fixed" });
    expect(immutableChange(schema, ["spec.c"])).toBeUndefined();
  });

  it("a Kubernetes provider with a clusterIdentifier is replaced only when that changes; setting it the first time replaces nothing", () => {
    // pulumi-kubernetes provider/pkg/provider/provider.go (DiffConfig, v4.32.0).
    const provider = prod.find((resource) => resource.type === "pulumi:providers:kubernetes")!;
    // The cluster's OIDC issuer: known only once the cluster exists, so "[unknown]" in an offline plan.
    expect(provider.inputs.clusterIdentifier).toBe("[unknown]");
    expect(provider.propertyDependencies.clusterIdentifier).toEqual([prod.find((resource) => resource.type === "eks:index:Cluster")!.urn]);
    const withProvider = (edit: (inputs: any) => void) => baseOf(prod, (resource) => {
      if (resource.type === "pulumi:providers:kubernetes") edit(resource.inputs);
      return resource;
    });
    const firstTime = diffPlans(withProvider((inputs) => { delete inputs.clusterIdentifier; }), prod, { headDir: ROOT });
    expect(firstTime).toEqual([expect.objectContaining({ type: "pulumi:providers:kubernetes", action: "update", paths: ["clusterIdentifier"] })]);
    expect(diffPlans(withProvider((inputs) => { inputs.kubeconfig = "another"; }), prod, { headDir: ROOT })).toEqual([expect.objectContaining({ type: "pulumi:providers:kubernetes", action: "update" })]);
    const another = diffPlans(withProvider((inputs) => { inputs.clusterIdentifier = "https://oidc.eks.eu-west-1.amazonaws.com/id/OTHER"; }), prod, { headDir: ROOT });
    expect(find(another, "pulumi:providers:kubernetes", provider.name)).toMatchObject({ action: "replace" });
    expect(find(another, "kubernetes:postgresql.cnpg.io/v1:Cluster", "etl-postgres-cluster")).toMatchObject({ action: "replace", risk: "danger" });
  });

  it("the operators' refusals, field by field (cloudnative-pg cluster_webhook.go, Strimzi StorageDiff, prometheus-operator, the API server)", () => {
    const PG = "kubernetes:postgresql.cnpg.io/v1:Cluster";
    const wal = (walStorage: object | undefined) => ({ spec: { storage: { size: "10Gi", storageClass: "gp3" }, ...(walStorage ? { walStorage } : {}) } });
    const cases: [string, Record<string, any>, Record<string, any>, string | RegExp][] = [
      [PG, wal({ size: "5Gi", storageClass: "gp3" }), wal({ size: "5Gi", storageClass: "gp2" }), "refuses changing spec.walStorage.storageClass (gp3 → gp2)"],
      [PG, wal({ size: "5Gi", storageClass: "gp3" }), wal({ size: "2Gi", storageClass: "gp3" }), "refuses shrinking spec.walStorage.size (5Gi → 2Gi)"],
      [PG, wal({ size: "5Gi", storageClass: "gp3" }), wal(undefined), "refuses changing spec.walStorage.storageClass (gp3 → undefined)"],
      [PG, { spec: { imageName: "x:17.6" } }, { spec: { imageName: "x:16.10" } }, "refuses a Postgres major downgrade (17 → 16)"],
      ["kubernetes:kafka.strimzi.io/v1:KafkaNodePool", { spec: { roles: ["broker"], storage: { type: "jbod", volumes: [{ id: 0, type: "persistent-claim", size: "10Gi" }] } } }, { spec: { roles: ["broker"], storage: { type: "jbod", volumes: [{ id: 0, type: "ephemeral", size: "10Gi" }] } } }, "cannot turn volume 0 from persistent-claim into ephemeral"],
      ["kubernetes:kafka.strimzi.io/v1:KafkaTopic", { spec: { partitions: 12 } }, { spec: { partitions: 6 } }, "cannot reduce a topic's partitions (12 → 6)"],
      ["kubernetes:helm.sh/v3:Release", { chart: "kube-prometheus-stack", values: { prometheus: { prometheusSpec: { storageSpec: { volumeClaimTemplate: { spec: { storageClassName: "gp3", resources: { requests: { storage: "50Gi" } } } } } } } } },
        { chart: "kube-prometheus-stack", values: { prometheus: { prometheusSpec: { storageSpec: { volumeClaimTemplate: { spec: { storageClassName: "gp2", resources: { requests: { storage: "50Gi" } } } } } } } } }, "cannot move to another storage class (gp3 → gp2)"],
      ["kubernetes:core/v1:PersistentVolumeClaim", { spec: { resources: { requests: { storage: "20Gi" } } } }, { spec: { resources: { requests: { storage: "10Gi" } } } }, "the API server refuses shrinking a PersistentVolumeClaim"],
    ];
    for (const [type, before, after, reason] of cases) {
      expect({ type, change: pair(type, before, after) }).toEqual({ type, change: expect.objectContaining({ action: "update", risk: "danger", reason: expect.stringContaining(reason as string) }) });
    }
    // Fewer replicas of a controller-only pool is not the broker scale-down check; a new jbod volume is no refusal.
    expect(pair("kubernetes:kafka.strimzi.io/v1:KafkaNodePool", { spec: { roles: ["controller"], replicas: 5 } }, { spec: { roles: ["controller"], replicas: 3 } })).toMatchObject({ risk: "safe" });
    expect(pair("kubernetes:kafka.strimzi.io/v1:KafkaNodePool", { spec: { roles: ["broker"], storage: { type: "jbod", volumes: [{ id: 0, size: "10Gi" }] } } }, { spec: { roles: ["broker"], storage: { type: "jbod", volumes: [{ id: 0, size: "10Gi" }, { id: 1, size: "10Gi" }] } } })).toMatchObject({ risk: "safe" });
  });

  it("every type that holds data or an identity is danger when deleted, stateless ones caution", () => {
    const side = (type: string, inputs: Record<string, any> = {}) => ({ type, name: "x", parent: root, protect: false, inputs });
    const holders: [string, Record<string, any>?][] = [
      ["eks:index:Cluster"], ["aws:ec2/vpc:Vpc"], ["aws:ec2/subnet:Subnet"], ["aws:kms/key:Key"], ["aws:s3/bucket:Bucket"],
      ["kubernetes:core/v1:Namespace"], ["kubernetes:kafka.strimzi.io/v1:Kafka"], ["kubernetes:kafka.strimzi.io/v1:KafkaNodePool"],
      ["kubernetes:kafka.strimzi.io/v1:KafkaTopic"], ["kubernetes:postgresql.cnpg.io/v1:Cluster"], ["kubernetes:core/v1:PersistentVolumeClaim"],
      ["random:index/randomPassword:RandomPassword"], ["aws:cloudwatch/logGroup:LogGroup"], ["aws:eks/nodeGroup:NodeGroup", { labels: { "etl-platform/pool": "stateful" } }],
    ];
    for (const [type, inputs] of holders) {
      const deleted = diffPlans([side(type, inputs)], [], { headDir: ROOT });
      expect({ type, action: deleted[0]?.action, risk: deleted[0]?.risk }).toEqual({ type, action: "delete", risk: "danger" });
    }
    for (const type of ["aws:eks/nodeGroup:NodeGroup", "kubernetes:networking.k8s.io/v1:NetworkPolicy", "kubernetes:batch/v1:CronJob"]) {
      expect(diffPlans([side(type, { labels: { "etl-platform/pool": "batch" } })], [], { headDir: ROOT })[0]).toMatchObject({ action: "delete", risk: "caution" });
    }
    // Anything protected is danger whatever its type: the engine refuses until protect is lifted.
    expect(diffPlans([{ ...side("kubernetes:networking.k8s.io/v1:NetworkPolicy"), protect: true }], [], { headDir: ROOT })[0]).toMatchObject({ risk: "danger", reason: expect.stringContaining("protected") });
  });

  describe("scenario suite: realistic prod changes, each with what the providers and the engine do", () => {
    type Expected = [type: string, name: string, action: string, risk: string];
    /** The base is what the older commit declared: `edit` turns the head's resource back into it. */
    const olderWith = (type: string, name: string | undefined, edit: (resource: any) => any) => () =>
      baseOf(prod, (resource) => (resource.type === type && (!name || resource.name === name) ? edit(resource) ?? resource : resource));
    const set = (path: string, value: unknown) => (resource: any) => {
      const keys = path.split(".");
      const target = keys.slice(0, -1).reduce((node, key) => node[key], resource.inputs);
      target[keys[keys.length - 1]] = value;
    };
    const NG = "aws:eks/nodeGroup:NodeGroup";
    const LT = "aws:ec2/launchTemplate:LaunchTemplate";
    const scenarios: [string, () => BaseResource[], Expected[], string][] = [
      ["stateful pool: other instance types", olderWith(NG, "etl-nodes-stateful-0", set("instanceTypes", ["r6i.2xlarge"])), [[NG, "etl-nodes-stateful-0", "replace", "danger"]], "terraform-provider-aws eks node group instance_types ForceNew"],
      ["batch pool: other instance types", olderWith(NG, "etl-nodes-batch", set("instanceTypes", ["c6i.xlarge", "c5.xlarge", "c6a.xlarge", "c5a.xlarge"])), [[NG, "etl-nodes-batch", "replace", "caution"]], "same; a batch pool holds no data"],
      ["batch pool: higher maximum", olderWith(NG, "etl-nodes-batch", (r) => { r.inputs.scalingConfig.maxSize -= 1; }), [[NG, "etl-nodes-batch", "update", "safe"]], "scaling_config updates in place"],
      ["pulumi-eks's bootstrapSelfManagedAddons (its cluster ignores it)", olderWith("eks:index:Cluster", undefined, set("bootstrapSelfManagedAddons", true)), [], "pulumi-eks cluster.ts ignoreChanges"],
      ["a node group's desired size (the autoscaler's)", olderWith(NG, "etl-nodes-system", (r) => { r.inputs.scalingConfig.desiredSize += 2; }), [], "ignoreChanges scalingConfig.desiredSize"],
      ["system pool disk size", olderWith(LT, "etl-nodes-system", (r) => { r.inputs.blockDeviceMappings[0].ebs.volumeSize -= 10; }), [[LT, "etl-nodes-system", "update", "safe"], [NG, "etl-nodes-system", "update", "caution"]], "launch template latest_version recomputed; EKS rolls the nodes"],
      ["IMDS hop limit", olderWith(LT, "etl-nodes-batch", set("metadataOptions.httpPutResponseHopLimit", 2)), [[LT, "etl-nodes-batch", "update", "safe"], [NG, "etl-nodes-batch", "update", "caution"]], "same"],
      ["the VPC's range", olderWith("aws:ec2/vpc:Vpc", undefined, set("cidrBlock", "10.31.0.0/16")), [["aws:ec2/vpc:Vpc", "etl-network-vpc", "replace", "danger"]], "aws_vpc cidr_block ForceNew"],
      ["the cluster's name", olderWith("eks:index:Cluster", undefined, set("name", "etl-prod-old")), [["eks:index:Cluster", "etl-cluster", "replace", "danger"], ["kubernetes:kafka.strimzi.io/v1:Kafka", "etl-kafka-cluster", "replace", "danger"]], "aws_eks_cluster name ForceNew; provider cascade"],
      ["Kubernetes one minor up", olderWith("eks:index:Cluster", undefined, set("version", "1.34")), [["eks:index:Cluster", "etl-cluster", "update", "caution"]], "UpdateClusterVersion"],
      ["Kubernetes two minors up", olderWith("eks:index:Cluster", undefined, set("version", "1.33")), [["eks:index:Cluster", "etl-cluster", "update", "danger"]], "one minor at a time"],
      ["the backup bucket's name", olderWith("aws:s3/bucket:Bucket", "etl-postgres-backups", set("bucket", "postgres-backups-old")), [["aws:s3/bucket:Bucket", "etl-postgres-backups", "replace", "danger"]], "aws_s3_bucket bucket ForceNew"],
      ["versioning enabled again", olderWith("aws:s3/bucketVersioning:BucketVersioning", undefined, (r) => { r.inputs.versioningConfiguration.status = "Suspended"; }), [["aws:s3/bucketVersioning:BucketVersioning", undefined as unknown as string, "update", "safe"]], "versioning_configuration updates in place"],
      ["a KMS key's spec", olderWith("aws:kms/key:Key", "etl-postgres-backups", set("customerMasterKeySpec", "RSA_2048")), [["aws:kms/key:Key", "etl-postgres-backups", "replace", "danger"]], "aws_kms_key customer_master_key_spec ForceNew"],
      ["Kafka storage grows", olderWith("kubernetes:kafka.strimzi.io/v1:KafkaNodePool", "etl-kafka-brokers", (r) => { for (const v of r.inputs.spec.storage.volumes ?? [r.inputs.spec.storage]) v.size = "100Gi"; }), [["kubernetes:kafka.strimzi.io/v1:KafkaNodePool", "etl-kafka-brokers", "update", "safe"]], "Strimzi resizes a volume up (allowVolumeExpansion)"],
      ["Kafka storage class", olderWith("kubernetes:kafka.strimzi.io/v1:KafkaNodePool", "etl-kafka-brokers", (r) => { for (const v of r.inputs.spec.storage.volumes ?? [r.inputs.spec.storage]) v.class = "gp2"; }), [["kubernetes:kafka.strimzi.io/v1:KafkaNodePool", "etl-kafka-brokers", "update", "danger"]], "Strimzi ignores a class change"],
      ["fewer brokers", olderWith("kubernetes:kafka.strimzi.io/v1:KafkaNodePool", "etl-kafka-brokers", set("spec.replicas", 4)), [["kubernetes:kafka.strimzi.io/v1:KafkaNodePool", "etl-kafka-brokers", "update", "danger"]], "Strimzi's scale-down check"],
      ["fewer partitions", olderWith("kubernetes:kafka.strimzi.io/v1:KafkaTopic", undefined, (r) => { r.inputs.spec.partitions += 6; }), [["kubernetes:kafka.strimzi.io/v1:KafkaTopic", "etl-kafka-topic-orders", "update", "danger"]], "Kafka cannot drop partitions"],
      ["more partitions", olderWith("kubernetes:kafka.strimzi.io/v1:KafkaTopic", undefined, (r) => { r.inputs.spec.partitions -= 1; }), [["kubernetes:kafka.strimzi.io/v1:KafkaTopic", "etl-kafka-topic-orders", "update", "safe"]], "an update the topic operator applies"],
      ["Postgres storage grows", olderWith("kubernetes:postgresql.cnpg.io/v1:Cluster", undefined, set("spec.storage.size", "10Gi")), [["kubernetes:postgresql.cnpg.io/v1:Cluster", "etl-postgres-cluster", "update", "safe"]], "CloudNativePG resizes up"],
      ["Postgres storage shrinks", olderWith("kubernetes:postgresql.cnpg.io/v1:Cluster", undefined, set("spec.storage.size", "2000Gi")), [["kubernetes:postgresql.cnpg.io/v1:Cluster", "etl-postgres-cluster", "update", "danger"]], "CloudNativePG's webhook"],
      ["Postgres major upgrade", olderWith("kubernetes:postgresql.cnpg.io/v1:Cluster", undefined, set("spec.imageName", "ghcr.io/cloudnative-pg/postgresql:16.10")), [["kubernetes:postgresql.cnpg.io/v1:Cluster", "etl-postgres-cluster", "update", "caution"]], "pg_upgrade in place"],
      ["a chart bump", olderWith("kubernetes:helm.sh/v3:Release", "etl-argo", set("version", "1.0.17")), [["kubernetes:helm.sh/v3:Release", "etl-argo", "update", "caution"]], "a chart version change"],
      ["a pipeline removed", () => [...baseOf(prod), ...baseOf(prod.filter((r) => r.name === "etl-pipelines-orders-shard-aggregate" && r.type === "kubernetes:batch/v1:CronJob")).map((r) => ({ ...r, name: "etl-pipelines-old-job" }))], [["kubernetes:batch/v1:CronJob", "etl-pipelines-old-job", "delete", "caution"]], "a CronJob holds no data"],
      ["a namespace renamed", olderWith("kubernetes:core/v1:Namespace", "etl-pipelines-ns", set("metadata.name", "jobs")), [["kubernetes:core/v1:Namespace", "etl-pipelines-ns", "replace", "danger"]], "metadata.name force-new; a namespace's delete deletes its objects"],
      ["log retention shortened", olderWith("aws:cloudwatch/logGroup:LogGroup", "etl-logs-kafka", (r) => { r.inputs.retentionInDays = 400; }), [["aws:cloudwatch/logGroup:LogGroup", "etl-logs-kafka", "update", "danger"]], "older events are deleted"],
      ["log retention longer", olderWith("aws:cloudwatch/logGroup:LogGroup", "etl-logs-kafka", (r) => { r.inputs.retentionInDays = 1; }), [["aws:cloudwatch/logGroup:LogGroup", "etl-logs-kafka", "update", "safe"]], "an update"],
      ["PriorityClass value", olderWith("kubernetes:scheduling.k8s.io/v1:PriorityClass", undefined, set("value", 1000)), [["kubernetes:scheduling.k8s.io/v1:PriorityClass", "etl-data-priority", "update", "danger"]], "ValidatePriorityClassUpdate"],
      ["StorageClass parameters", olderWith("kubernetes:storage.k8s.io/v1:StorageClass", undefined, (r) => { r.inputs.parameters = { ...r.inputs.parameters, iops: "4000" }; }), [["kubernetes:storage.k8s.io/v1:StorageClass", undefined as unknown as string, "replace", "caution"]], "parameters force-new"],
      ["a NetworkPolicy's rule", olderWith("kubernetes:networking.k8s.io/v1:NetworkPolicy", "etl-kafka-allow-metrics", (r) => { r.inputs.spec.ingress[0].ports[0].port = 9999; }), [["kubernetes:networking.k8s.io/v1:NetworkPolicy", "etl-kafka-allow-metrics", "update", "safe"]], "an update"],
      ["the grants Job's SQL", olderWith("kubernetes:batch/v1:Job", "etl-postgres-grants", (r) => { r.inputs.spec.template.spec.containers[0].command[4] = "SELECT 1"; }), [["kubernetes:batch/v1:Job", "etl-postgres-grants", "replace", "caution"]], "Job spec.template force-new"],
      ["protection lifted", () => baseOf(prod, (r) => (r.name === "etl-kafka-allow-metrics" ? { ...r, protect: true } : r)), [["kubernetes:networking.k8s.io/v1:NetworkPolicy", "etl-kafka-allow-metrics", "update", "danger"]], "protect compared even with equal inputs"],
      ["EKS deletion protection turned on", olderWith("eks:index:Cluster", undefined, set("deletionProtection", false)), [["eks:index:Cluster", "etl-cluster", "update", "safe"]], "deletion_protection updates in place"],
    ];
    it.each(scenarios)("%s", (_name, base, expected) => {
      const changes = diffPlans(base(), prod, { headDir: ROOT });
      for (const [type, name, action, risk] of expected) {
        const change = changes.find((candidate) => candidate.type === type && (name === undefined || candidate.name === name));
        expect({ type, name, action: change?.action, risk: change?.risk }).toEqual({ type, name, action, risk });
      }
      if (expected.length === 0) expect(changes).toEqual([]);
    });
    it("has at least 30 scenarios", () => expect(scenarios.length).toBeGreaterThanOrEqual(30));
  });

  it("a deleted log group takes its events with it: danger; Prometheus's volume growth needs the claims grown by hand: caution", () => {
    const group = prod.find((resource) => resource.type === "aws:cloudwatch/logGroup:LogGroup")!;
    const changes = diffPlans([...baseOf(prod), { ...JSON.parse(JSON.stringify(group)), name: "etl-logs-pipelines-gone" }], prod, { headDir: ROOT });
    expect(find(changes, "aws:cloudwatch/logGroup:LogGroup", "etl-logs-pipelines-gone")).toMatchObject({ action: "delete", risk: "danger", reason: expect.stringContaining("retained events") });
    const smaller = baseOf(prod, (resource) => {
      if (resource.type === "kubernetes:helm.sh/v3:Release" && resource.inputs.chart === "kube-prometheus-stack") resource.inputs.values.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage = "10Gi";
      return resource;
    });
    expect(diffPlans(smaller, prod, { headDir: ROOT })[0]).toMatchObject({ name: "etl-monitoring", risk: "caution", reason: expect.stringContaining("does not resize the existing claims") });
  });

  it("a new VPC CIDR replaces the VPC and subnets, and the cluster's update is refused: danger by cascade", async () => {
    const staging = await head("staging");
    const changes = diffPlans(baseOf(staging), await head("staging", variants.stagingNewVpcCidr()), { headDir: ROOT });
    expect(find(changes, "aws:ec2/vpc:Vpc", "etl-network-vpc")).toMatchObject({ action: "replace", risk: "danger", paths: ["cidrBlock"] });
    // Offline the new VPC's id is unknown on both sides: only the dependency says the NAT gateway's subnet is new.
    expect(find(changes, "aws:ec2/natGateway:NatGateway", "etl-network-nat-0")).toMatchObject({ action: "replace", risk: "caution", paths: ["subnetId"] });
    expect(find(changes, "eks:index:Cluster", "etl-cluster")).toMatchObject({ action: "update", risk: "danger" });
    expect(find(changes, "eks:index:Cluster", "etl-cluster")!.reason).toContain("EKS accepts new subnets only within the cluster's VPC");
  });

  it("a Kubernetes step of two minors, or down, is danger; one minor is caution with the APIs it removes", () => {
    const withVersion = (version: string) => baseOf(prod, (resource) => (resource.type === "eks:index:Cluster" ? { ...resource, inputs: { ...resource.inputs, version } } : resource));
    expect(diffPlans(withVersion("1.33"), prod, { headDir: ROOT })).toEqual([expect.objectContaining({ type: "eks:index:Cluster", action: "update", risk: "danger", paths: ["version"] })]);
    const headAt = (version: string) => prod.map((resource) => (resource.type === "eks:index:Cluster" ? { ...resource, inputs: { ...resource.inputs, version } } : resource));
    // EKS version rollback (EKS User Guide, "Roll back a cluster to a previous Kubernetes version"): one minor,
    // within 7 days of the upgrade, node groups and add-ons first; further down is refused.
    expect(diffPlans(baseOf(prod), headAt("1.34"), { headDir: ROOT })[0]).toMatchObject({ risk: "danger", reason: expect.stringMatching(/rollback \(1\.35 → 1\.34\).*within 7 days.*node groups and add-ons must go back first/) });
    expect(diffPlans(baseOf(prod), headAt("1.33"), { headDir: ROOT })[0]).toMatchObject({ risk: "danger", reason: expect.stringContaining("downgrade of 2 minors") });
    const oneMinor = diffPlans(withVersion("1.34"), prod, { headDir: ROOT })[0];
    expect(oneMinor).toMatchObject({ risk: "caution", reason: expect.stringContaining("no declared object uses an API removed or deprecated") });
    expect(oneMinor.reason).toContain("within 7 days EKS can roll the control plane back one minor");
    // An object on an API removed on the way is named.
    const flowSchema = { type: "kubernetes:flowcontrol.apiserver.k8s.io/v1beta3:FlowSchema", name: "etl-flow", urn: "urn:x", inputs: {}, protect: false, propertyDependencies: {} };
    const withOld = [...prod, flowSchema];
    const fromOld = diffPlans(baseOf(withOld).map((r) => (r.type === "eks:index:Cluster" ? { ...r, inputs: { ...r.inputs, version: "1.31" } } : r)), withOld.map((r) => (r.type === "eks:index:Cluster" ? { ...r, inputs: { ...r.inputs, version: "1.32" } } : r)), { headDir: ROOT });
    expect(fromOld[0].reason).toContain("etl-flow (flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema) is removed in 1.32");
  });

  it("other CRD manifests applied by a ConfigGroup are caution, naming the files", () => {
    const group = prod.find((resource) => resource.type === "kubernetes:yaml/v2:ConfigGroup")!;
    const base = baseOf(prod, (resource) => (resource.name === group.name ? { ...resource, inputs: { ...resource.inputs, files: ["https://example.com/old-crds.yaml"] } } : resource));
    const [change] = diffPlans(base, prod, { headDir: ROOT });
    expect(change).toMatchObject({ name: group.name, action: "update", risk: "caution", paths: expect.arrayContaining(["files[0]"]) });
    expect(change.reason).toContain(group.inputs.files[0]);
  });

  it("a chart bump is caution, naming the CRDs whose schema changed and the fields we set that the new one lacks", () => {
    // A base checkout whose Strimzi fixture is an older version without KafkaNodePool's spec.storage.
    const release = prod.find((resource) => resource.type === "kubernetes:helm.sh/v3:Release" && resource.inputs.chart === "strimzi-kafka-operator")!;
    const version = release.inputs.version;
    const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), "diff-base-"));
    const headFixture = path.join(ROOT, "test", "fixtures", "upstream", `strimzi-kafka-operator-${version}`);
    const baseFixture = path.join(baseDir, "test", "fixtures", "upstream", "strimzi-kafka-operator-1.1.0");
    fs.cpSync(headFixture, baseFixture, { recursive: true });
    // The head's schema is the base's with spec.storage dropped: our KafkaNodePools set it, so it must be named.
    const headDir = fs.mkdtempSync(path.join(os.tmpdir(), "diff-head-"));
    const headCopy = path.join(headDir, "test", "fixtures", "upstream", `strimzi-kafka-operator-${version}`);
    fs.cpSync(headFixture, headCopy, { recursive: true });
    const poolCrd = fs.readdirSync(path.join(headCopy, "crds")).find((file) => /kafkanodepool/i.test(file))!;
    const { parse, stringify } = require("yaml");
    const crd = parse(fs.readFileSync(path.join(headCopy, "crds", poolCrd), "utf8"));
    for (const served of crd.spec.versions) delete served.schema.openAPIV3Schema.properties.spec.properties.storage;
    fs.writeFileSync(path.join(headCopy, "crds", poolCrd), stringify(crd));

    const base = baseOf(prod, (resource) => (resource.name === release.name ? { ...resource, inputs: { ...resource.inputs, version: "1.1.0" } } : resource));
    const [change] = diffPlans(base, prod, { baseDir, headDir });
    expect(change).toMatchObject({ name: release.name, action: "update", risk: "caution", paths: ["version"] });
    expect(change.reason).toBe(`strimzi-kafka-operator 1.1.0 → ${version}: CRDs KafkaNodePool (changed); fields we set that the new schema lacks: etl-kafka-controllers: spec.storage, etl-kafka-brokers: spec.storage`);
    expect(diffPlans(base, prod, { headDir: ROOT })[0].reason).toContain("CRD changes not compared (no base checkout");
  });
});

describe("the diff's output and exit status", () => {
  it("has a stable JSON shape, and text and Markdown that say why", async () => {
    const prod = await head("prod");
    const base = baseOf(prod, (resource) => (resource.type === "kubernetes:kafka.strimzi.io/v1:KafkaNodePool" ? { ...resource, inputs: { ...resource.inputs, spec: { ...resource.inputs.spec, storage: { ...resource.inputs.spec.storage, volumes: [{ ...resource.inputs.spec.storage.volumes[0], size: "500Gi" }] } } } } : resource));
    const changes = diffPlans(base, prod, { headDir: ROOT });
    for (const change of changes) expect(Object.keys(change).sort()).toEqual(["action", "component", "name", "paths", "reason", "risk", "type"]);
    expect(changes.map((change) => change.component)).toEqual(["data:Kafka", "data:Kafka"]);
    expect(diffText("prod", "base.json", changes)).toContain("DANGER  update  kubernetes:kafka.strimzi.io/v1:KafkaNodePool etl-kafka-brokers [spec.storage.volumes[0].size]");
    expect(diffMarkdown("prod", changes)).toContain("**2 danger**, 0 caution, 0 safe.");
    expect(diffMarkdown("prod", [])).toContain("Nothing changes.");
  });

  it("points danger findings at the operations guide's section on changing data safely", () => {
    expect(diffText("prod", "main", [{ type: "t", name: "n", component: "c", action: "delete", risk: "danger", paths: [], reason: "r" }])).toContain('docs/operations.md ("Change data safely")');
    expect(fs.readFileSync(path.join(ROOT, "docs", "operations.md"), "utf8")).toMatch(/^## Change data safely$/m);
  });

  it("prints each change's risk, action, first six paths and reason, grouped by sorted component; Markdown tables only what is not safe", () => {
    const changes: Change[] = [
      { type: "aws:s3/bucket:Bucket", name: "lake", component: "storage", action: "replace", risk: "danger", paths: ["a", "b", "c", "d", "e", "f", "g", "h"], reason: "holds | data" },
      { type: "aws:eks/nodeGroup:NodeGroup", name: "batch", component: "compute", action: "update", risk: "caution", paths: ["x"], reason: "rolls nodes" },
      { type: "kubernetes:core/v1:ConfigMap", name: "cm|1", component: "compute", action: "create", risk: "safe", paths: [], reason: "new" },
    ];
    expect(diffText("prod", "main", changes)).toBe(
      [
        'Offline diff of stack "prod" against main: 3 changes (1 danger, 1 caution, 1 safe).',
        "",
        "  compute",
        "    CAUTION update  aws:eks/nodeGroup:NodeGroup batch [x]",
        "            rolls nodes",
        "    SAFE    create  kubernetes:core/v1:ConfigMap cm|1",
        "            new",
        "",
        "  storage",
        "    DANGER  replace aws:s3/bucket:Bucket lake [a, b, c, d, e, f, +2 more]",
        "            holds | data",
        "",
        'Danger: docs/operations.md ("Change data safely") says how to make each of these changes without losing data; --allow-danger accepts them.',
      ].join("\n"),
    );
    expect(diffText("prod", "main", changes.slice(1))).not.toContain("Danger:");
    expect(diffText("staging", "x", [{ ...changes[0], paths: ["a", "b", "c", "d", "e", "f"] }])).toContain("lake [a, b, c, d, e, f]\n");
    expect(diffMarkdown("prod", changes)).toBe(
      [
        "#### Upgrade safety of `prod`",
        "",
        "**1 danger**, 1 caution, 1 safe.",
        "",
        "| risk | action | resource | inputs | why |",
        "|---|---|---|---|---|",
        "| danger | replace | storage: lake | a, b, c, d, e, f | holds \\| data |",
        "| caution | update | compute: batch | x | rolls nodes |",
        "",
        "<details><summary>1 safe changes</summary>",
        "",
        "- create cm\\|1 (kubernetes:core/v1:ConfigMap)",
        "",
        "</details>",
      ].join("\n"),
    );
    expect(diffMarkdown("prod", changes.slice(2))).toBe(["#### Upgrade safety of `prod`", "", "0 danger, 0 caution, 1 safe.", "", "", "<details><summary>1 safe changes</summary>", "", "- create cm\\|1 (kubernetes:core/v1:ConfigMap)", "", "</details>"].join("\n"));
    expect(diffMarkdown("prod", changes.slice(1, 2))).toBe(["#### Upgrade safety of `prod`", "", "0 danger, 1 caution, 0 safe.", "", "| risk | action | resource | inputs | why |", "|---|---|---|---|---|", "| caution | update | compute: batch | x | rolls nodes |"].join("\n"));
    expect(diffMarkdown("prod", [])).toBe("#### Upgrade safety of `prod`\n\nNothing changes.");
    // Undecidable changes are counted when there are some, and tabled with what needs a look.
    const undecided: Change = { type: "t", name: "u", component: "c", action: "update", risk: "unknown", paths: ["p"], reason: "p: only known at deploy" };
    expect(diffText("prod", "main", [undecided]).split("\n").slice(0, 4)).toEqual(['Offline diff of stack "prod" against main: 1 changes (0 danger, 0 caution, 1 unknown, 0 safe).', "", "  c", "    UNKNOWN update  t u [p]"]);
    expect(diffMarkdown("prod", [undecided])).toContain("0 danger, 0 caution, 1 unknown, 0 safe.\n\n| risk | action | resource | inputs | why |\n|---|---|---|---|---|\n| unknown | update | c: u | p | p: only known at deploy |");
  });

  it("exits 4 on danger unless --allow-danger, and takes --diff's options only with --diff", () => {
    expect(diffExitCode(true, false)).toBe(EXIT.dangerousChange);
    expect(diffExitCode(true, true)).toBe(EXIT.ok);
    expect(diffExitCode(false, false)).toBe(EXIT.ok);
    // The head over its cost budget exits 5 as a plain plan does, once nothing dangerous decides first.
    expect(diffExitCode(false, false, true)).toBe(EXIT.overBudget);
    expect(diffExitCode(true, false, true)).toBe(EXIT.dangerousChange);
    expect(diffExitCode(true, true, true)).toBe(EXIT.overBudget);
    expect(parseArgs(["--stack", "prod", "--diff", "main", "--markdown", "--allow-danger"])).toMatchObject({ diff: "main", markdown: true, allowDanger: true });
    expect(() => parseArgs(["--stack", "prod", "--allow-danger"])).toThrow("--base-dir, --markdown and --allow-danger go with --diff");
  });

  it("refuses a base that is neither a plan JSON nor a git ref (exit 2, not a crash)", async () => {
    const run = await plan("staging", stackSettings("staging"), "plan");
    const request = { stack: "staging", format: "json" as const, allowDanger: false, headStackFile: "stacks/Pulumi.staging.yaml" };
    const notPlan = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "diff-")), "x.json");
    fs.writeFileSync(notPlan, "{}");
    expect(() => runDiff({ ...request, base: notPlan }, run, ROOT)).toThrow(new DiffInputError(`--diff ${notPlan}: not a plan (no resources); give a plan written by npm run plan -- --json, or a git ref`));
    expect(() => runDiff({ ...request, base: "no-such-ref-anywhere" }, run, ROOT)).toThrow(DiffInputError);
    for (const resources of [[null], [{ type: "t" }], [{ type: "t", name: "n", inputs: "x" }], [{ type: "t", name: "n", parent: 3 }]]) {
      fs.writeFileSync(notPlan, JSON.stringify({ resources }));
      expect(() => runDiff({ ...request, base: notPlan }, run, ROOT)).toThrow(new DiffInputError(`--diff ${notPlan}: resources[0] is not a planned resource (a type and a name, inputs an object, parent a URN); give a plan written by npm run plan -- --json`));
    }
    const planFile = path.join(path.dirname(notPlan), "plan.json");
    fs.writeFileSync(planFile, JSON.stringify({ resources: baseOf(headResources(run)) }));
    expect(JSON.parse(runDiff({ ...request, base: planFile }, run, ROOT).stdout)).toEqual({ stack: "staging", base: planFile, stackFiles: { head: "stacks/Pulumi.staging.yaml", base: `the plan ${planFile}` }, summary: { danger: 0, caution: 0, unknown: 0, safe: 0 }, changes: [] });
  });

  it("plans a git ref of this repository in a temporary worktree", async () => {
    // The commit that added the cost estimate: a real commit, planned with its own program and stack file.
    const commit = execFileSync("git", ["log", "--format=%H", "-1", "--grep", "^Cost estimate of a plan"], { cwd: ROOT, encoding: "utf8" }).trim();
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
    // In-process on the cached head: only the base is planned in a subprocess, in its worktree, as the command does.
    const run = await plan("staging", stackSettings("staging"), "plan");
    const result = runDiff({ stack: "staging", base: commit, format: "json", allowDanger: false, headStackFile: "stacks/Pulumi.staging.yaml" }, run, ROOT);
    expect(diffExitCode(result.danger, false)).toBe(EXIT.ok);
    const document = JSON.parse(result.stdout);
    expect(document).toMatchObject({ stack: "staging", base: commit, stackFiles: { head: "stacks/Pulumi.staging.yaml", base: `${commit}:stacks/Pulumi.staging.yaml` }, summary: { danger: 0 } });
    expect(execFileSync("git", ["worktree", "list"], { cwd: ROOT, encoding: "utf8" }).trim().split("\n")).toHaveLength(1);
  });
});

describe("the base's stack file with --config", () => {
  const { baseStackFile } = require("../diff/baseFromRef") as typeof import("../diff/baseFromRef");
  const worktree = fs.mkdtempSync(path.join(os.tmpdir(), "worktree-"));
  fs.mkdirSync(path.join(worktree, "stacks"));
  fs.writeFileSync(path.join(worktree, "stacks", "Pulumi.copy.yaml"), "config: {}\n");

  it("is the ref's version of a stack file inside the repository, so an edited copy diffs against what the ref had", () => {
    expect(baseStackFile(ROOT, worktree, "main", "copy", path.join(ROOT, "stacks", "Pulumi.copy.yaml"))).toEqual({ args: ["--config", path.join(worktree, "stacks", "Pulumi.copy.yaml")], label: "main:stacks/Pulumi.copy.yaml" });
    expect(() => baseStackFile(ROOT, worktree, "main", "new", path.join(ROOT, "stacks", "Pulumi.new.yaml"))).toThrow(new DiffInputError("--diff main: stacks/Pulumi.new.yaml does not exist at main; give the base's stack file with --base-config"));
  });

  it("is --base-config when given, the same file for one outside the repository, the stack's otherwise", () => {
    expect(baseStackFile(ROOT, worktree, "main", "copy", "stacks/Pulumi.copy.yaml", "/tmp/old.yaml")).toEqual({ args: ["--config", "/tmp/old.yaml"], label: "/tmp/old.yaml (--base-config)" });
    expect(baseStackFile(ROOT, worktree, "main", "x", "/elsewhere/Pulumi.x.yaml").label).toBe("/elsewhere/Pulumi.x.yaml (outside the repository: the same file on both sides)");
    expect(baseStackFile(ROOT, worktree, "main", "prod")).toEqual({ args: ["--stack", "prod"], label: "main:stacks/Pulumi.prod.yaml" });
  });

  it("takes --base-config only with --diff", () => {
    const { parseArgs } = require("../plan/options") as typeof import("../plan/options");
    expect(() => parseArgs(["--stack", "staging", "--base-config", "stacks/Pulumi.prod.yaml"])).toThrow("--base-config, --base-dir, --markdown and --allow-danger go with --diff");
    expect(parseArgs(["--stack", "staging", "--diff", "main", "--base-config", path.join(ROOT, "stacks", "Pulumi.prod.yaml")]).baseConfig).toBe(path.join(ROOT, "stacks", "Pulumi.prod.yaml"));
  });
});

describe("a git ref's worktree", () => {
  it("borrows node_modules when every package the base pins is installed here at its version, not otherwise", () => {
    const { lockCovers } = require("../diff/baseFromRef") as typeof import("../diff/baseFromRef");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "locks-"));
    let files = 0;
    const lock = (packages: Record<string, { version: string; integrity: string }>) => {
      const file = path.join(dir, `lock-${files++}.json`);
      fs.writeFileSync(file, JSON.stringify({ lockfileVersion: 3, packages: { "": { name: "x" }, ...packages } }));
      return file;
    };
    const a = { "node_modules/a": { version: "1.0.0", integrity: "sha512-a" } };
    const b = { "node_modules/b": { version: "2.0.0", integrity: "sha512-b" } };
    expect(lockCovers(lock({ ...a, ...b }), lock(a))).toBe(true);
    expect(lockCovers(lock(a), lock({ ...a, ...b }))).toBe(false);
    expect(lockCovers(lock({ "node_modules/a": { version: "1.0.1", integrity: "sha512-a1" } }), lock(a))).toBe(false);
  });
});
