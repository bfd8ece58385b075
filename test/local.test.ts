/**
 * The local stack (target: kubernetes): only the platform layer, no AWS resource; the in-cluster object store
 * wired to backups and step logs with per-workload keys; no placement; NetworkPolicies derived from the target;
 * the same upstream and policy checks as the AWS stacks (policy.test.ts, stacks.test.ts run it too).
 */
import { parse as parseYaml } from "yaml";
import { parsePlatformConfig, rawPlatformConfig } from "../config/load";
import { seaweedActions } from "../components/platform/inClusterObjectStore";
import { configProblems, plan, stackSettings, type Plan } from "./harness";
import { variants } from "./variants";
import { allowed } from "./runtime/networkPolicy";
import { customResourceProblems, KUBE_PROMETHEUS_STACK_SUBCHARTS, unknownValuesKeys } from "./upstream";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const FIXTURES: Record<string, string> = {
  "strimzi-kafka-operator": "strimzi-kafka-operator-1.2.0",
  "cloudnative-pg": "cloudnative-pg-0.29.0",
  "kube-prometheus-stack": "kube-prometheus-stack-88.5.3",
  "argo-workflows": "argo-workflows-1.0.18",
};
const FREE_FORM: Record<string, string[]> = {
  "argo-workflows": ["controller.workflowDefaults", "controller.persistence"],
};

describe("the local stack", () => {
  let result: Plan;
  beforeAll(async () => {
    // The stack has a steps pipeline (report-steps), so step logs are wired to the in-cluster store too.
    result = await plan("local");
  });

  it("declares no AWS resource and no EKS component", () => {
    expect(result.all.filter((r) => /^(aws|eks):/.test(r.type) || r.type.startsWith("etl-platform:aws:")).map((r) => r.type)).toEqual([]);
    expect(result.ofType("kubernetes:yaml/v2:ConfigGroup").length).toBe(2);
    const provider = result.one("pulumi:providers:kubernetes", "etl-k8s").inputs;
    expect(provider).toMatchObject({ context: "kind-etl-local", enableServerSideApply: "true" });
  });

  it("backs Postgres up to the in-cluster store with its own keys and boto3's checksums only when required", () => {
    const store = result.one("kubernetes:barmancloud.cnpg.io/v1:ObjectStore", "etl-postgres-object-store").inputs.spec;
    expect(store.configuration).toMatchObject({
      destinationPath: "s3://postgres-backups/etl",
      endpointURL: "http://seaweedfs-all-in-one.objectstore.svc:8333",
      s3Credentials: { accessKeyId: { name: "etl-object-store", key: "ACCESS_KEY_ID" }, secretAccessKey: { name: "etl-object-store", key: "ACCESS_SECRET_KEY" } },
    });
    expect(store.instanceSidecarConfiguration.env).toEqual([
      { name: "AWS_REQUEST_CHECKSUM_CALCULATION", value: "when_required" },
      { name: "AWS_RESPONSE_CHECKSUM_VALIDATION", value: "when_required" },
    ]);
    const secret = result.one("kubernetes:core/v1:Secret", "etl-postgres-backup-object-store").inputs;
    expect(secret.metadata).toEqual({ name: "etl-object-store", namespace: "postgres" });
    expect(Object.keys(secret.stringData).sort()).toEqual(["ACCESS_KEY_ID", "ACCESS_SECRET_KEY"]);
    expect(result.one("kubernetes:postgresql.cnpg.io/v1:Cluster", "etl-postgres-cluster").inputs.spec.serviceAccountTemplate).toBeUndefined();
  });

  it("gives each workload an identity in the store scoped to its grants, and creates the buckets", () => {
    const config = JSON.parse(result.one("kubernetes:core/v1:Secret", "etl-object-store-s3-config").inputs.stringData.seaweedfs_s3_config);
    const byName = Object.fromEntries(config.identities.map((i: any) => [i.name, i]));
    expect(byName["etl-postgres-backup"].actions).toEqual(["List:postgres-backups", "Read:postgres-backups", "Write:postgres-backups"]);
    // Its step logs: written, and read back with its keys when the Argo server opens one (static keys here).
    expect(byName["etl-pipelines-report-steps"].actions).toEqual(["Write:argo-artifacts/report-steps/*", "Read:argo-artifacts/report-steps/*"]);
    // The restore drill's identity may only list and read the backups.
    expect(byName["etl-restore-drill-reader"].actions).toEqual(["List:postgres-backups", "Read:postgres-backups"]);
    expect(Object.keys(byName).sort()).toEqual(["etl-pipelines-report-steps", "etl-postgres-backup", "etl-restore-drill-reader"]);
    expect(seaweedActions("b", { prefix: "p/", actions: ["list", "read"] })).toEqual(["List:b/p/*", "Read:b/p/*"]);
    const values = result.one(RELEASE, "etl-object-store").inputs;
    expect(values).toMatchObject({ chart: "seaweedfs", namespace: "objectstore" });
    expect(values.values.allInOne.s3).toMatchObject({ enabled: true, enableAuth: true, existingConfigSecret: "seaweedfs-s3-config" });
    expect(values.values.allInOne.s3.createBuckets.map((b: any) => b.name).sort()).toEqual(["argo-artifacts", "postgres-backups"]);
  });

  it("lets each identity do exactly what it needs in the store (identity × action)", () => {
    const config = JSON.parse(result.one("kubernetes:core/v1:Secret", "etl-object-store-s3-config").inputs.stringData.seaweedfs_s3_config);
    const actionsOf = (name: string): string[] => config.identities.find((i: any) => i.name === name).actions;
    /**
     * SeaweedFS's check of an identity's actions (seaweedfs weed/s3api/auth_credentials.go, CanDo): `Verb:bucket`
     * allows the verb on the whole bucket, `Verb:bucket/prefix*` on the keys (and listings) under the prefix.
     */
    const can = (name: string, verb: "Read" | "Write" | "List", bucket: string, key: string) => actionsOf(name).some((action) => {
      const [granted, scope] = action.split(":");
      if (granted !== verb) return false;
      if (scope === bucket) return true;
      return scope.endsWith("*") && `${bucket}/${key}`.startsWith(scope.slice(0, -1));
    });
    const cases: [string, "Read" | "Write" | "List", string, string, boolean][] = [
      ["etl-pipelines-report-steps", "Write", "argo-artifacts", "report-steps/wf-1/pod-1/main.log", true],
      ["etl-pipelines-report-steps", "Read", "argo-artifacts", "report-steps/wf-1/pod-1/main.log", true],
      ["etl-pipelines-report-steps", "Read", "argo-artifacts", "other/wf-1/pod-1/main.log", false],
      // The prefix ends with a slash: report-steps' grant does not reach a pipeline named report-steps-2.
      ["etl-pipelines-report-steps", "Read", "argo-artifacts", "report-steps-2/wf-1/pod-1/main.log", false],
      ["etl-pipelines-report-steps", "Write", "argo-artifacts", "other/wf-1/pod-1/main.log", false],
      ["etl-pipelines-report-steps", "List", "argo-artifacts", "", false],
      ["etl-pipelines-report-steps", "Write", "postgres-backups", "etl/base/x", false],
      ["etl-postgres-backup", "Write", "postgres-backups", "etl/wals/0000", true],
      ["etl-postgres-backup", "List", "postgres-backups", "etl/", true],
      ["etl-postgres-backup", "Read", "argo-artifacts", "report-steps/x", false],
      ["etl-restore-drill-reader", "Read", "postgres-backups", "etl/base/x", true],
      ["etl-restore-drill-reader", "Write", "postgres-backups", "etl/base/x", false],
    ];
    for (const [name, verb, bucket, key, expected] of cases) expect({ name, verb, key, allowed: can(name, verb, bucket, key) }).toEqual({ name, verb, key, allowed: expected });
  });

  it("rolls the store when its identities change, which it reads only at start-up", () => {
    const { identitiesDigest, IDENTITIES_ANNOTATION } = require("../components/platform/inClusterObjectStore") as typeof import("../components/platform/inClusterObjectStore");
    const config = JSON.parse(result.one("kubernetes:core/v1:Secret", "etl-object-store-s3-config").inputs.stringData.seaweedfs_s3_config);
    const identities = config.identities.map((i: any) => ({ name: i.name, accessKey: i.credentials[0].accessKey, actions: i.actions }));
    const annotations = result.one(RELEASE, "etl-object-store").inputs.values.allInOne.podAnnotations;
    expect(annotations).toEqual({ [IDENTITIES_ANNOTATION]: identitiesDigest(identities) });
    // Another grant, another action, another key: another hash. The order of the identities does not matter.
    const [first, ...rest] = identities;
    expect(identitiesDigest([...rest, first])).toBe(identitiesDigest(identities));
    expect(identitiesDigest([...identities, { name: "new", accessKey: "K", actions: ["Write:b/new/*"] }])).not.toBe(identitiesDigest(identities));
    expect(identitiesDigest([{ ...first, actions: [...first.actions, "List:b"] }, ...rest])).not.toBe(identitiesDigest(identities));
    expect(identitiesDigest([{ ...first, accessKey: "OTHER" }, ...rest])).not.toBe(identitiesDigest(identities));
    // No secret key goes into the hash (it is in plain Helm values).
    expect(identitiesDigest([{ ...first, secretKey: "a" } as any, ...rest])).toBe(identitiesDigest([{ ...first, secretKey: "b" } as any, ...rest]));
  });

  it("archives step logs with the pipeline's own keys, over plain HTTP inside the cluster", () => {
    const repositories = result.one("kubernetes:core/v1:ConfigMap", "etl-pipelines-artifact-repositories").inputs.data;
    expect(parseYaml(repositories["report-steps"]).s3).toEqual({
      bucket: "argo-artifacts", endpoint: "seaweedfs-all-in-one.objectstore.svc:8333", region: "us-east-1", insecure: true,
      accessKeySecret: { name: "report-steps-object-store", key: "ACCESS_KEY_ID" }, secretKeySecret: { name: "report-steps-object-store", key: "ACCESS_SECRET_KEY" },
      keyFormat: "report-steps/{{workflow.name}}/{{pod.name}}",
    });
  });

  it("places nothing: no node selectors, tolerations or zones on a cluster whose nodes are not ours", () => {
    const pool = result.one("kubernetes:kafka.strimzi.io/v1:KafkaNodePool", "etl-kafka-combined").inputs.spec.template.pod;
    expect(pool.tolerations).toEqual([]);
    expect(pool.affinity).toBeUndefined();
    expect(pool.topologySpreadConstraints[0].topologyKey).toBe("kubernetes.io/hostname");
    expect(result.one("kubernetes:kafka.strimzi.io/v1:Kafka", "etl-kafka-cluster").inputs.spec.kafka.rack).toBeUndefined();
    const job = result.one("kubernetes:batch/v1:CronJob", "etl-pipelines-postgres-write").inputs.spec.jobTemplate.spec.template.spec;
    expect(job.tolerations).toEqual([]);
    expect(job.affinity).toBeUndefined();
  });

  it("passes the upstream values and CRD checks", () => {
    for (const release of result.ofType(RELEASE)) {
      const fixture = FIXTURES[release.inputs.chart];
      if (fixture) expect(unknownValuesKeys(fixture, release.inputs.values, FREE_FORM[release.inputs.chart], release.inputs.chart === "kube-prometheus-stack" ? KUBE_PROMETHEUS_STACK_SUBCHARTS : {})).toEqual([]);
    }
    // The resources whose spec the target changes (placement, zones, credentials); the others are the AWS stacks'.
    const customResources = result.all.filter((r) => /^kubernetes:(kafka\.strimzi\.io|postgresql\.cnpg\.io)\//.test(r.type));
    expect(customResources.length).toBeGreaterThan(4);
    for (const resource of customResources) {
      const { apiVersion, kind, metadata, spec } = resource.inputs;
      expect({ name: resource.name, problems: customResourceProblems({ apiVersion, kind, metadata, spec }) }).toEqual({ name: resource.name, problems: [] });
    }
  });

  it("lets pipelines reach the in-cluster store and the kind API server, and nothing public", () => {
    const policies = result.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((p) => p.inputs);
    const report = { namespace: "pipelines", labels: { "etl-platform/pipeline": "report-steps" } };
    const store = { namespace: "objectstore", labels: { "app.kubernetes.io/name": "seaweedfs", "app.kubernetes.io/component": "seaweedfs-all-in-one" } };
    const controlPlaneNode = { namespace: "", labels: {}, ip: "172.18.0.2" };
    expect(allowed(policies, { from: report, to: store, port: 8333 })).toBe(true);
    expect(allowed(policies, { from: report, to: controlPlaneNode, port: 6443 })).toBe(true);
    expect(allowed(policies, { from: { namespace: "pipelines", labels: { "etl-platform/pipeline": "postgres-write" } }, to: store, port: 8333 })).toBe(false);
    expect(allowed(policies, { from: { namespace: "pipelines", labels: { "etl-platform/pipeline": "kafka-roundtrip" } }, to: { namespace: "", labels: {}, ip: "52.218.0.10" }, port: 443 })).toBe(false);
  });
});

describe("target: kubernetes with an external object store", () => {
  let result: Plan;
  beforeAll(async () => {
    result = await plan("local", variants.localExternalStore());
  });

  it("installs no in-cluster store and creates no bucket", () => {
    expect(result.ofType(RELEASE).map((r) => r.inputs.chart)).not.toContain("seaweedfs");
    expect(result.ofType("kubernetes:core/v1:Namespace").map((ns) => ns.inputs.metadata.name)).not.toContain("objectstore");
  });

  it("backs Postgres up to the configured bucket at the endpoint, with the given keys in a Secret", () => {
    const store = result.one("kubernetes:barmancloud.cnpg.io/v1:ObjectStore", "etl-postgres-object-store").inputs.spec;
    expect(store.configuration).toMatchObject({
      destinationPath: "s3://acme-etl-backups/etl",
      endpointURL: "https://minio.backup.example.com:9000",
      s3Credentials: { accessKeyId: { name: "etl-object-store", key: "ACCESS_KEY_ID" }, secretAccessKey: { name: "etl-object-store", key: "ACCESS_SECRET_KEY" } },
    });
    const secret = result.one("kubernetes:core/v1:Secret", "etl-postgres-backup-object-store");
    expect(secret.inputs.stringData).toEqual({ ACCESS_KEY_ID: "AKIAEXAMPLEKEYID0000", ACCESS_SECRET_KEY: "external-store-secret-key" });
    // Kept secret: the engine gets the values marked secret (Pulumi's signature key), so state and previews hold them encrypted.
    expect((secret.rawInputs.stringData as Record<string, unknown>)["4dabf18193072939515e22adb298388d"]).toBe("1b47061264138c4ac30d75fd1eb44270");
  });

  it("lets the drill's instances and the pipelines that use the store reach it on its port, nothing else", () => {
    const policies = result.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((p) => p.inputs);
    const endpoint = { namespace: "", labels: {}, ip: "198.51.100.5" };
    const drillInstance = { namespace: "postgres-drill", labels: { "cnpg.io/cluster": "etl-drill", "cnpg.io/podRole": "instance" } };
    expect(allowed(policies, { from: drillInstance, to: endpoint, port: 9000 })).toBe(true);
    expect(allowed(policies, { from: drillInstance, to: endpoint, port: 443 })).toBe(false);
    expect(allowed(policies, { from: drillInstance, to: { namespace: "", labels: {}, ip: "203.0.113.9" }, port: 9000 })).toBe(false);
  });
});

describe("target: kubernetes in config", () => {
  const problemsOf = configProblems;
  it("requires an external store on https in prod, and the secrets it names", () => {
    const store = { endpoint: "http://minio.example.com", buckets: { postgresBackups: "b1x", argoArtifacts: "b2x" }, cidrs: ["198.51.100.0/28"], accessKeyIdSecret: "id", secretAccessKeySecret: "key" };
    const prod = (kubernetesTarget: Record<string, unknown>, secrets: Record<string, string> = {}) =>
      problemsOf({ environment: "prod", target: "kubernetes", kubernetesTarget, secrets }).filter((line) => line.startsWith("etl-platform:kubernetesTarget"));
    expect(prod({})).toEqual(["etl-platform:kubernetesTarget.externalObjectStore: expected an S3-compatible store outside the cluster in prod (the in-cluster store would lose the backups with the cluster), got nothing"]);
    expect(prod({ externalObjectStore: store }, { id: "x" })).toEqual([
      "etl-platform:kubernetesTarget.externalObjectStore.endpoint: expected an https URL in prod (the backups and the keys cross the network), got \"http://minio.example.com\"",
      "etl-platform:kubernetesTarget.externalObjectStore.secretAccessKeySecret: expected an entry of etl-platform:secrets, got \"key\" (set it with pulumi config set --secret --path 'etl-platform:secrets.key' <value>)",
    ]);
    expect(prod({ externalObjectStore: { ...store, endpoint: "https://minio.example.com" } }, { id: "x", key: "y" })).toEqual([]);
    expect(problemsOf({ environment: "staging", target: "kubernetes", kubernetesTarget: { externalObjectStore: { ...store, endpoint: "s3.example.com" } }, secrets: { id: "x", key: "y" } }))
      .toEqual([expect.stringMatching(/^etl-platform:kubernetesTarget\.externalObjectStore\.endpoint: expected an http\(s\) URL/)]);
  });

  it("refuses the AWS layer's keys and a pipeline's S3 access, naming the key", () => {
    expect(problemsOf({ environment: "staging", target: "kubernetes", network: { cidr: "10.0.0.0/16" }, pipelines: [{ s3: { read: [] } }] })).toEqual([
      "etl-platform:network: expected nothing on target: kubernetes (AWS only: it configures the EKS cluster, its VPC, node pools, log groups or the AWS cost budget); remove it, or set target: aws",
      "etl-platform:pipelines[0].s3: expected nothing on target: kubernetes (S3 access is an AWS IAM role); read and write through the in-cluster object store instead, or set target: aws",
    ]);
    expect(problemsOf({ environment: "staging", kubernetesTarget: { storageClassName: "standard" } })).toEqual([
      "etl-platform:kubernetesTarget: expected nothing on target: \"aws\" (it configures target: kubernetes)",
    ]);
    expect(parsePlatformConfig({ environment: "staging", target: "kubernetes" }).target).toBe("kubernetes");
  });
});

describe("the end-to-end script's manifests (scripts/e2e-local.sh), run here as far as they can be", () => {
  const fs = require("fs") as typeof import("fs");
  const os = require("os") as typeof import("os");
  const path = require("path") as typeof import("path");
  const { execFileSync } = require("child_process") as typeof import("child_process");
  const ROOT = path.join(__dirname, "..");
  const script = fs.readFileSync(path.join(ROOT, "scripts", "e2e-local.sh"), "utf8");
  /** A single-quoted shell variable of the script, as the script's shell gives it to jq or node. */
  const variable = (name: string) => new RegExp(`^${name}='([^']*)'$`, "m").exec(script)![1];

  it("submits a run of a CronWorkflow as a Workflow with the CronWorkflow's workflowSpec (jq)", async () => {
    const result = await plan("local");
    const cron = result.ofType("kubernetes:argoproj.io/v1alpha1:CronWorkflow").find((c) => c.inputs.metadata.name === "report-steps")!.inputs;
    const live = { apiVersion: "argoproj.io/v1alpha1", kind: "CronWorkflow", ...cron };
    const workflow = JSON.parse(execFileSync("jq", ["--arg", "name", "report-steps", variable("WORKFLOW_FROM_CRON")], { input: JSON.stringify(live), encoding: "utf8" }));
    expect(workflow).toEqual({
      apiVersion: "argoproj.io/v1alpha1", kind: "Workflow",
      metadata: { generateName: "report-steps-e2e-", namespace: "pipelines", labels: { "etl-platform/pipeline": "report-steps" } },
      spec: cron.spec.workflowSpec,
    });
    // Argo's controller takes the run under the pipeline's own identity, semaphore and artifact repository.
    expect(workflow.spec).toMatchObject({ serviceAccountName: "report-steps", artifactRepositoryRef: { key: "report-steps" } });
  });

  it("adds a steps pipeline to the stack file for its second pulumi up, which the config accepts", () => {
    const { readStackFile } = require("../plan/stackFile") as typeof import("../plan/stackFile");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-stack-"));
    fs.mkdirSync(path.join(dir, "stacks"));
    fs.copyFileSync(path.join(ROOT, "stacks", "Pulumi.local.yaml"), path.join(dir, "stacks", "Pulumi.local.yaml"));
    execFileSync(process.execPath, ["-e", variable("ADD_LATE_PIPELINE")], { cwd: dir, env: { ...process.env, NODE_PATH: path.join(ROOT, "node_modules") } });
    const settings = readStackFile(path.join(dir, "stacks", "Pulumi.local.yaml"));
    const pipelines = JSON.parse(settings.config["etl-platform:pipelines"]);
    expect(pipelines.map((p: any) => p.name)).toEqual([...JSON.parse(stackSettings("local").config["etl-platform:pipelines"]).map((p: any) => p.name), "late-steps"]);
    expect(configProblems(rawPlatformConfig(settings.config))).toEqual([]);
    // The comments of the stack file survive the edit.
    expect(fs.readFileSync(path.join(dir, "stacks", "Pulumi.local.yaml"), "utf8")).toContain("# Local: the platform layer alone");
  });
});
