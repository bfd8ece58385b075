/**
 * The diff's engine (diff/planDiff.ts) on small hand-made plans, one behaviour at a time with its exact result:
 * URNs and components, changed paths, chart bumps against CRD fixtures, aliases and moves, ignored inputs, the
 * cascades and the order of the report. The scenario suite (diff.test.ts) runs the same code on whole stacks.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { changedPaths, componentOf, diffPlans, engineUrns, type BaseResource, type Change, type HeadResource } from "../diff/planDiff";

const ROOT = path.join(__dirname, "..");
const STACK = "urn:pulumi:prod::etl-platform";
const ROOT_URN = `${STACK}::pulumi:pulumi:Stack::etl-platform-prod`;
const ADD_ALIAS = "add an alias (the `aliases` option naming its old parent or type) so that the engine sees the same resource";

/** The URN the offline run gives a resource under `parent`: the mock qualifies its type with the parent's last type. */
const offlineUrn = (type: string, name: string, parent = ROOT_URN) => `${STACK}::${parent.split("::")[2].split("$").pop()}$${type}::${name}`;
const before = (type: string, name: string, inputs: Record<string, any> = {}, options: Partial<BaseResource> = {}): BaseResource =>
  ({ type, name, parent: ROOT_URN, protect: false, inputs, ...options });
const after = (type: string, name: string, inputs: Record<string, any> = {}, options: Partial<HeadResource> = {}): HeadResource =>
  ({ type, name, parent: ROOT_URN, protect: false, inputs, urn: offlineUrn(type, name, options.parent), propertyDependencies: {}, ...options });
/** The head's resource as the base declared it: the same type, name, parent and inputs. */
const asBase = ({ type, name, parent, inputs, protect }: HeadResource): BaseResource => ({ type, name, parent, protect, inputs: structuredClone(inputs) });
const diff = (base: BaseResource[], head: HeadResource[], baseDir?: string, headDir = ROOT) => diffPlans(base, head, { baseDir, headDir });
const change = (type: string, name: string, action: Change["action"], risk: Change["risk"], reason: string, paths: string[] = [], component = "(platform)"): Change =>
  ({ type, name, component, action, risk, paths, reason });

const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const BUCKET = "aws:s3/bucket:Bucket";
const NODE_GROUP = "aws:eks/nodeGroup:NodeGroup";
const UNRULED = "acme:index:Thing";

describe("URNs and components", () => {
  it("names a resource as the engine does: the parent's whole type chain, without the root stack's", () => {
    const kafka = after("etl-platform:data:Kafka", "kafka");
    const topics = after("etl-platform:data:Topics", "topics", {}, { parent: kafka.urn });
    const topic = after("kubernetes:kafka.strimzi.io/v1:KafkaTopic", "orders", {}, { parent: topics.urn });
    // A parent missing from the plan, itself under the root stack: its offline URN still gives the whole chain.
    const orphan = after(CONFIG_MAP, "lost", {}, { parent: offlineUrn("etl-platform:gone:Thing", "gone") });
    const stack = { type: "pulumi:pulumi:Stack", name: "etl-platform-prod" };
    const urns = engineUrns([topic, topics, kafka, orphan, stack]);
    expect(urns.get(kafka)).toBe(`${STACK}::etl-platform:data:Kafka::kafka`);
    expect(urns.get(topic)).toBe(`${STACK}::etl-platform:data:Kafka$etl-platform:data:Topics$kubernetes:kafka.strimzi.io/v1:KafkaTopic::orders`);
    expect(urns.get(orphan)).toBe(`${STACK}::etl-platform:gone:Thing$${CONFIG_MAP}::lost`);
    expect(urns.get(stack)).toBe("urn:pulumi:stack::project::pulumi:pulumi:Stack::etl-platform-prod");
  });

  it.each<[string, { type: string; parent?: string }, string]>([
    ["a resource of the root stack", { type: BUCKET, parent: ROOT_URN }, "(platform)"],
    ["a resource without a parent", { type: "etl-platform:data:Kafka" }, "(platform)"],
    ["a resource under a layer only", { type: BUCKET, parent: `${STACK}::pulumi:pulumi:Stack$etl-platform:index:Platform::platform` }, "(platform)"],
    ["a resource under a component of a layer", { type: CONFIG_MAP, parent: `${STACK}::etl-platform:index:Platform$etl-platform:data:Kafka::kafka` }, "data:Kafka"],
    ["a resource under another package's component", { type: NODE_GROUP, parent: `${STACK}::pulumi:pulumi:Stack$eks:index:Cluster::etl` }, "eks:index:Cluster"],
  ])("%s belongs to %j", (_what, resource, component) => {
    expect(componentOf(resource)).toBe(component);
  });
});

describe("changed input paths", () => {
  it.each<[string, unknown, unknown, string, string[]]>([
    ["equal values", { a: [1] }, { a: [1] }, "", []],
    ["two scalars", 1, 2, "", ["(all)"]],
    ["a scalar at a path", "a", "b", "spec.x", ["spec.x"]],
    ["null to an object", null, { a: 1 }, "", ["(all)"]],
    ["a string to an object", "x", { a: 1 }, "v", ["v"]],
    ["an array to an object", [1], { a: 1 }, "", ["(all)"]],
    ["arrays, by index", [1, 2], [1, 3, 4], "list", ["list[1]", "list[2]"]],
    ["keys added and removed", { a: { b: 1, c: 2 } }, { a: { b: 1, d: 2 } }, "", ["a.c", "a.d"]],
  ])("%s", (_what, was, now, at, paths) => {
    expect(changedPaths(was, now, at)).toEqual(paths);
  });
});

describe("a chart bump, against the CRD fixtures of both checkouts", () => {
  const RELEASE = "kubernetes:helm.sh/v3:Release";
  const crd = (kind: string, schema?: Record<string, unknown>) => stringify({
    apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: `${kind.toLowerCase()}s.example.com` },
    spec: { group: "example.com", names: { kind }, versions: [{ name: "v1", served: true, storage: true, ...(schema ? { schema: { openAPIV3Schema: schema } } : {}) }] },
  });
  const withSpec = (...fields: string[]) => ({ type: "object", properties: { spec: { type: "object", properties: Object.fromEntries(fields.map((field) => [field, { type: "string" }])) } } });
  /** A checkout holding `test/fixtures/upstream/<folder>/crds.yaml` of the given CRDs. */
  const checkout = (folders: Record<string, string[]>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bump-"));
    for (const [folder, crds] of Object.entries(folders)) {
      fs.mkdirSync(path.join(dir, "test", "fixtures", "upstream", folder), { recursive: true });
      fs.writeFileSync(path.join(dir, "test", "fixtures", "upstream", folder, "crds.yaml"), crds.join("---\n"));
    }
    return dir;
  };
  const release = (version: string, values: Record<string, any> = {}, chart = "demo") => after(RELEASE, chart, { chart, version, values });
  const bump = (baseDir: string | undefined, headDir: string, others: HeadResource[] = []) => {
    const head = [release("2.0.0"), ...others];
    return diff([asBase(release("1.0.0")), ...others.map(asBase)], head, baseDir, headDir);
  };

  it("names the CRDs that changed and the fields we set that the new schema lacks", () => {
    const baseDir = checkout({ "demo-1.0.0": [crd("Widget", withSpec("size", "color")), crd("Gadget", withSpec("a")), crd("Gizmo", withSpec("x")), crd("Bare", withSpec("z")), crd("Schemaless", withSpec("z"))] });
    const headDir = checkout({ "demo-2.0.0": [crd("Widget", withSpec("size")), crd("Gizmo", withSpec("x")), crd("Sprocket", withSpec("a")), crd("Bare", { type: "object" }), crd("Schemaless")] });
    const ours = [
      after("kubernetes:example.com/v1:Widget", "w1", { spec: { size: "1", color: "red" } }),
      after("kubernetes:example.com/v1:Gadget", "g1", { spec: { a: "1" } }),
      // An added kind is new to both: nothing of ours can have lost a field of it.
      after("kubernetes:example.com/v1:Sprocket", "s1", { spec: { bogus: "1" } }),
      after("kubernetes:example.com/v1:Bare", "b1", { spec: { z: "1" } }),
      after("kubernetes:example.com/v1:Schemaless", "n1", { spec: { z: "1" } }),
      // Another package's type of the same kind name is no custom resource of the chart.
      after("other:index:Widget", "o1", { spec: { color: "red" } }),
    ];
    expect(bump(baseDir, headDir, ours)).toEqual([change(RELEASE, "demo", "update", "caution",
      "demo 1.0.0 → 2.0.0: CRDs Bare (changed), Gadget (removed), Schemaless (changed), Sprocket (added), Widget (changed); fields we set that the new schema lacks: g1: (the kind itself), w1: spec.color", ["version"])]);
  });

  it("says when no CRD schema changed, also for a chart that has none", () => {
    const same = [crd("Widget", withSpec("size"))];
    expect(bump(checkout({ "demo-1.0.0": same }), checkout({ "demo-2.0.0": same }))[0].reason).toBe("demo 1.0.0 → 2.0.0: no CRD schema changed");
    expect(bump(checkout({ "demo-1.0.0": [] }), checkout({ "demo-2.0.0": [] }))[0].reason).toBe("demo 1.0.0 → 2.0.0: no CRD schema changed");
  });

  it("names the version whose fixture is missing, and says when there is no base checkout", () => {
    const fixture = [crd("Widget", withSpec("size"))];
    expect(bump(checkout({}), checkout({ "demo-2.0.0": fixture }))[0].reason).toBe("demo 1.0.0 → 2.0.0: no fixture of demo 1.0.0 in test/fixtures/upstream; compare the CRDs by hand");
    expect(bump(checkout({ "demo-1.0.0": fixture }), checkout({}))[0].reason).toBe("demo 1.0.0 → 2.0.0: no fixture of demo 2.0.0 in test/fixtures/upstream; compare the CRDs by hand");
    expect(bump(undefined, ROOT)[0].reason).toBe("demo 1.0.0 → 2.0.0: CRD changes not compared (no base checkout; plan against a git ref, or give --base-dir)");
  });

  it("keeps a riskier change's risk and reason beside the bump; a replaced release is no bump", () => {
    const storage = (size: string) => ({ prometheus: { prometheusSpec: { storageSpec: { volumeClaimTemplate: { spec: { resources: { requests: { storage: size } } } } } } } });
    const [shrunk] = diff([asBase(release("1.0.0", storage("100Gi"), "kube-prometheus-stack"))], [release("2.0.0", storage("50Gi"), "kube-prometheus-stack")]);
    expect(shrunk).toMatchObject({ risk: "danger", reason: "Prometheus's volume cannot shrink (100Gi → 50Gi): prometheus-operator cannot apply it to the existing volumes; kube-prometheus-stack 1.0.0 → 2.0.0: CRD changes not compared (no base checkout; plan against a git ref, or give --base-dir)" });
    const renamed = { ...release("2.0.0"), inputs: { ...release("2.0.0").inputs, name: "demo-2" } };
    expect(diff([asBase(release("1.0.0"))], [renamed])).toEqual([change(RELEASE, "demo", "replace", "caution", "replaced (it holds no data)", ["version", "name"])]);
  });
});

describe("what decides a replacement", () => {
  it("a clusterIdentifier only narrows a Kubernetes provider's rule, and a new provider with one is just new", () => {
    const named = (name: string) => ({ clusterIdentifier: "same", metadata: { name } });
    expect(diff([before(CONFIG_MAP, "cm", named("a"))], [after(CONFIG_MAP, "cm", named("b"))])).toMatchObject([{ action: "replace", paths: ["metadata.name"] }]);
    expect(diff([], [after("pulumi:providers:kubernetes", "k8s", { clusterIdentifier: "id" })])).toEqual([change("pulumi:providers:kubernetes", "k8s", "create", "safe", "new")]);
  });

  it("ignoreChanges covers the path and what lies under it, not a longer name", () => {
    const group = (desiredSize: number, taint: string, options: Partial<HeadResource>) =>
      [before(NODE_GROUP, "ng", { scalingConfig: { desiredSize: 1 }, taints: [{ value: "a" }] }), after(NODE_GROUP, "ng", { scalingConfig: { desiredSize }, taints: [{ value: taint }] }, options)] as const;
    const ignoring = (ignoreChanges: string[], desiredSize: number, taint: string) => {
      const [was, now] = group(desiredSize, taint, { ignoreChanges });
      return diff([was], [now]);
    };
    expect(ignoring(["scalingConfig", "taints"], 3, "b")).toEqual([]);
    expect(ignoring(["scaling"], 3, "a")).toEqual([change(NODE_GROUP, "ng", "update", "safe", "updated in place", ["scalingConfig.desiredSize"])]);
  });

  it("a custom resource's replacement is no refused update, whatever its CRD holds immutable", () => {
    const postgres = "kubernetes:postgresql.cnpg.io/v1:Cluster";
    const cluster = (name: string, serviceAccountName: string) => ({ metadata: { name }, spec: { serviceAccountName } });
    expect(diff([before(postgres, "pg", cluster("a", "x"))], [after(postgres, "pg", cluster("b", "y"))])).toMatchObject([{ action: "replace", risk: "danger", reason: "replaced: the Postgres cluster: a new Cluster starts empty (restore it from backup instead)" }]);
  });

  it("components carry no changes of their own, and a type without a rule is checked by hand", () => {
    expect(diff([before("etl-platform:data:Kafka", "k", { a: 1 })], [after("etl-platform:data:Kafka", "k", { a: 2 })])).toEqual([]);
    expect(diff([before(UNRULED, "t", { a: 1 })], [after(UNRULED, "t", { a: 1 })])).toEqual([]);
    expect(diff([before(UNRULED, "t", { a: 1 })], [after(UNRULED, "t", { a: 2 })])).toEqual([
      change(UNRULED, "t", "update", "caution", "no replace rule for acme:index:Thing in diff/replaceRules.ts: check by hand whether these inputs replace it", ["a"])]);
    expect(diff([], [after(UNRULED, "t")])).toEqual([change(UNRULED, "t", "create", "safe", "new")]);
  });

  it("an EKS version step names the deprecated objects one by one; other cluster changes say nothing of APIs", () => {
    const eks = "eks:index:Cluster";
    const endpoints = ["e1", "e2"].map((name) => after("kubernetes:core/v1:Endpoints", name));
    const [step] = diff([before(eks, "etl", { version: "1.32" }), ...endpoints.map(asBase)], [after(eks, "etl", { version: "1.33" }), ...endpoints]);
    expect(step.reason).toMatch(/; e1 \(v1 Endpoints\) is deprecated in 1\.33: use discovery\.k8s\.io\/v1 EndpointSlice; e2 \(v1 Endpoints\) is deprecated in 1\.33: use discovery\.k8s\.io\/v1 EndpointSlice$/);
    expect(diff([before(eks, "etl", { version: "1.33", tags: { a: "1" } })], [after(eks, "etl", { version: "1.33", tags: { a: "2" } })])).toEqual([change(eks, "etl", "update", "safe", "updated in place", ["tags.a"])]);
  });
});

describe("aliases and moves", () => {
  const postgres = after("etl-platform:data:Postgres", "pg");
  const movedReason = (what: string, note = "") => `${what}: a new URN is a new resource: the engine creates it and deletes the old one${note}; ${ADD_ALIAS}`;

  it("an alias with no parent, another parent or another type and name finds the old resource", () => {
    const underPostgres = after(CONFIG_MAP, "cm", {}, { parent: postgres.urn, aliases: [{ noParent: true }] });
    expect(diff([asBase(postgres), before(CONFIG_MAP, "cm")], [postgres, underPostgres])).toEqual([]);

    // The old parent is found among the base's resources by its URN, not by its place in the list.
    const old = after("etl-platform:data:Old", "old");
    const fromOld = after(CONFIG_MAP, "cm", {}, { parent: postgres.urn, aliases: [{ parentUrn: old.urn }] });
    expect(diff([asBase(postgres), asBase(old), before(CONFIG_MAP, "cm", {}, { parent: old.urn })], [postgres, fromOld])).toEqual([]);

    const wholeUrn = after(CONFIG_MAP, "cm", {}, { parent: postgres.urn, aliases: [{ urn: `${STACK}::${CONFIG_MAP}::cm` }] });
    expect(diff([asBase(postgres), before(CONFIG_MAP, "cm")], [postgres, wholeUrn])).toEqual([]);

    // Three levels, so that the parent chain the alias keeps is all but the last type.
    const data = after("etl-platform:data:Data", "data", {}, { parent: postgres.urn });
    const renamed = after(BUCKET, "backups", {}, { parent: data.urn, aliases: [{ type: "aws:s3/bucketV2:BucketV2", name: "old-backups" }] });
    expect(diff([asBase(postgres), asBase(data), before("aws:s3/bucketV2:BucketV2", "old-backups", {}, { parent: data.urn })], [postgres, data, renamed])).toEqual([]);
  });

  it("an alias naming a parent neither plan has matches nothing: the move stays a create and a delete", () => {
    const aliased = after(CONFIG_MAP, "cm", {}, { parent: postgres.urn, aliases: [{ parentUrn: offlineUrn("etl-platform:data:Gone", "gone") }] });
    const reason = movedReason(`it moved (${CONFIG_MAP} → etl-platform:data:Postgres$${CONFIG_MAP})`);
    expect(diff([asBase(postgres), before(CONFIG_MAP, "cm")], [postgres, aliased])).toEqual([
      change(CONFIG_MAP, "cm", "delete", "danger", reason), change(CONFIG_MAP, "cm", "create", "danger", reason, [], "data:Postgres")]);
  });

  it("a type change is named, with what the old type held", () => {
    const holds = ", with what it holds (a bucket: its objects (backups, logs, artifacts))";
    const toV2 = movedReason(`its type changed (${BUCKET} → aws:s3/bucketV2:BucketV2)`, holds);
    expect(diff([before(BUCKET, "b")], [after("aws:s3/bucketV2:BucketV2", "b")])).toEqual([
      change("aws:s3/bucketV2:BucketV2", "b", "create", "danger", toV2), change(BUCKET, "b", "delete", "danger", toV2)]);
    const fromV2 = movedReason(`its type changed (aws:s3/bucketV2:BucketV2 → ${BUCKET})`);
    expect(diff([before("aws:s3/bucketV2:BucketV2", "b")], [after(BUCKET, "b")])).toEqual([
      change(BUCKET, "b", "create", "danger", fromV2), change("aws:s3/bucketV2:BucketV2", "b", "delete", "danger", fromV2)]);
  });

  it("only a named Kubernetes object collides with its old self; a component's move is nothing; another package is another resource", () => {
    const move = (type: string, inputs: Record<string, any>) => diff([asBase(postgres), before(type, "x", inputs)], [postgres, after(type, "x", inputs, { parent: postgres.urn })])[0].reason;
    expect(move(CONFIG_MAP, {})).toBe(movedReason(`it moved (${CONFIG_MAP} → etl-platform:data:Postgres$${CONFIG_MAP})`));
    expect(move(CONFIG_MAP, { metadata: { name: "x" } })).toMatch(/creating it fails with AlreadyExists while the old object of the same name exists/);
    // A metadata.name in another package's inputs names no Kubernetes object.
    expect(move("aws:iam/role:Role", { metadata: { name: "x" } })).toBe(movedReason("it moved (aws:iam/role:Role → etl-platform:data:Postgres$aws:iam/role:Role)"));
    expect(move(UNRULED, {})).toBe(movedReason(`it moved (${UNRULED} → etl-platform:data:Postgres$${UNRULED})`));
    expect(diff([asBase(postgres), before("etl-platform:data:Kafka", "k")], [postgres, after("etl-platform:data:Kafka", "k", {}, { parent: postgres.urn })])).toEqual([]);
    expect(diff([before("random:index/randomPassword:RandomPassword", "x")], [after("kubernetes:core/v1:Secret", "x")])).toEqual([
      change("random:index/randomPassword:RandomPassword", "x", "delete", "danger", "deleted: a generated password: whoever holds the old one is locked out"),
      change("kubernetes:core/v1:Secret", "x", "create", "safe", "new")]);
  });
});

describe("cascades", () => {
  const ROLE = "aws:iam/role:Role";
  const POLICY = "aws:s3/bucketPolicy:BucketPolicy";

  it("an input taken from a new or replaced resource updates its taker, unless the taker has a change of its own", () => {
    const role = after(ROLE, "r", { name: "r" });
    const policy = (text: string) => after(POLICY, "p", { policy: text }, { propertyDependencies: { policy: [role.urn] } });
    expect(diff([asBase(policy("a"))], [policy("a"), role])).toEqual([
      change(POLICY, "p", "update", "safe", "updated because policy comes from r, which is new", ["policy"]), change(ROLE, "r", "create", "safe", "new")]);
    expect(diff([asBase(policy("a")), before(ROLE, "r", { name: "old" })], [policy("a"), role])).toEqual([
      change(ROLE, "r", "replace", "caution", "replaced (it holds no data)", ["name"]), change(POLICY, "p", "update", "safe", "updated because policy comes from r, which is replaced", ["policy"])]);
    expect(diff([asBase(policy("a"))], [policy("b"), role])[0]).toEqual(change(POLICY, "p", "update", "safe", "updated in place", ["policy"]));
  });

  it("new subnets are refused by the cluster only with a new VPC, and only the cluster's", () => {
    const vpc = after("aws:ec2/vpc:Vpc", "v");
    const subnet = after("aws:ec2/subnet:Subnet", "s", {}, { propertyDependencies: { vpcId: [vpc.urn] } });
    const cluster = after("eks:index:Cluster", "etl", {}, { propertyDependencies: { privateSubnetIds: [subnet.urn] } });
    const endpoint = after("aws:ec2/vpcEndpoint:VpcEndpoint", "e", {}, { propertyDependencies: { subnetIds: [subnet.urn] } });
    const find = (changes: Change[], name: string) => changes.find((candidate) => candidate.name === name);
    const sameVpc = diff([asBase(vpc), asBase(cluster), asBase(endpoint)], [vpc, subnet, cluster, endpoint]);
    expect(find(sameVpc, "etl")).toEqual(change("eks:index:Cluster", "etl", "update", "safe", "updated because privateSubnetIds comes from s, which is new", ["privateSubnetIds"]));
    const newVpc = diff([asBase(cluster), asBase(endpoint)], [vpc, subnet, cluster, endpoint]);
    expect(find(newVpc, "etl")).toMatchObject({ risk: "danger", reason: expect.stringContaining("EKS accepts new subnets only within the cluster's VPC") });
    expect(find(newVpc, "e")).toEqual(change("aws:ec2/vpcEndpoint:VpcEndpoint", "e", "update", "safe", "updated because subnetIds comes from s, which is new", ["subnetIds"]));
  });

  it("a replaced provider replaces what it manages, keeping their own changed paths, and the replacements cascade on", () => {
    const provider = after("pulumi:providers:kubernetes", "k8s", { kubeconfig: "new" });
    const managed = { provider: `${provider.urn}::id` };
    const namespace = after("kubernetes:core/v1:Namespace", "ns", { metadata: { name: "etl" } }, managed);
    const labelled = after(CONFIG_MAP, "labelled", { metadata: { labels: { a: "2" } } }, managed);
    // Listed before what it depends on, so that only another round of the cascade reaches it.
    const taker = after(CONFIG_MAP, "taker", {}, { propertyDependencies: { metadata: [namespace.urn] } });
    const changes = diff([{ ...asBase(provider), inputs: { kubeconfig: "old" } }, asBase(namespace), { ...asBase(labelled), inputs: { metadata: { labels: { a: "1" } } } }, asBase(taker)], [taker, labelled, namespace, provider]);
    const because = "replaced because its provider k8s is replaced (the engine replaces every resource a replaced provider manages)";
    expect(changes).toEqual([
      change("kubernetes:core/v1:Namespace", "ns", "replace", "danger", `${because}: a namespace: deleting it deletes everything in it`),
      change("pulumi:providers:kubernetes", "k8s", "replace", "caution", "replaced (it holds no data)", ["kubeconfig"]),
      change(CONFIG_MAP, "labelled", "replace", "caution", `${because} (it holds no data)`, ["metadata.labels.a"]),
      change(CONFIG_MAP, "taker", "update", "safe", "updated because metadata comes from ns, which is replaced", ["metadata"]),
    ]);
  });

  it("a replacement forced through an input cascades as far as the inputs go", () => {
    const role = after(ROLE, "role");
    const group = after(NODE_GROUP, "ng", {}, { propertyDependencies: { nodeRoleArn: [role.urn] } });
    const tag = after("aws:autoscaling/tag:Tag", "tag", {}, { propertyDependencies: { autoscalingGroupName: [group.urn] } });
    const changes = diff([asBase(group), asBase(tag)], [tag, group, role]);
    expect(changes.map(({ name, action }) => `${name} ${action}`)).toEqual(["ng replace", "tag replace", "role create"]);
  });

  it("an updated launch template rolls the nodes of the groups that use it", () => {
    const template = after("aws:ec2/launchTemplate:LaunchTemplate", "lt", { blockDeviceMappings: [{ ebs: { volumeSize: 100 } }] });
    const group = after(NODE_GROUP, "ng", {}, { propertyDependencies: { launchTemplate: [template.urn] } });
    const changes = diff([{ ...asBase(template), inputs: { blockDeviceMappings: [{ ebs: { volumeSize: 50 } }] } }, asBase(group)], [template, group]);
    expect(changes.find((candidate) => candidate.name === "ng")).toEqual(change(NODE_GROUP, "ng", "update", "caution", "launchTemplate.version comes from lt, which is updated: EKS replaces every node of the group, one at a time", ["launchTemplate.version"]));
  });
});

describe("the order of the report", () => {
  it("is danger, caution, unknown, safe; then by component and name", () => {
    const kafka = after("etl-platform:data:Kafka", "kafka");
    const head = [
      after("aws:iam/role:Role", "z-role"),
      after("aws:iam/role:Role", "k-role", {}, { parent: kafka.urn }),
      after("aws:iam/role:Role", "a-role"),
      after("aws:s3/bucketPolicy:BucketPolicy", "p", { policy: "[unknown]" }),
      after(UNRULED, "t", { a: 2 }),
      kafka,
    ];
    const base = [before("aws:s3/bucketPolicy:BucketPolicy", "p", { policy: "{}" }), before(UNRULED, "t", { a: 1 }), before(BUCKET, "b"), asBase(kafka)];
    expect(diff(base, head).map(({ name, risk, component }) => `${risk} ${component} ${name}`)).toEqual([
      "danger (platform) b", "caution (platform) t", "unknown (platform) p", "safe (platform) a-role", "safe (platform) z-role", "safe data:Kafka k-role"]);
  });
});
