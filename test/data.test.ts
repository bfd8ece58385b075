import { present } from "../plan/present";
import { kafkaUser } from "../components/platform/kafka";
import { grantPolicy } from "../components/aws/s3ObjectStore";
import { plan, AWS_STACKS, type Declared, type Plan } from "./harness";
import { customResourceProblems, unknownValuesKeys } from "./upstream";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const asObject = (r: Declared) => ({ apiVersion: r.inputs.apiVersion, kind: r.inputs.kind, metadata: r.inputs.metadata, spec: r.inputs.spec });

describe.each(AWS_STACKS)("data services of %s", (stack) => {
  let result: Plan;
  const prod = stack === "prod";
  beforeAll(async () => {
    result = await plan(stack);
  });
  const customResources = () => result.all.filter((r) => /^kubernetes:(kafka\.strimzi\.io|postgresql\.cnpg\.io|barmancloud\.cnpg\.io)\//.test(r.type));

  it("declares custom resources that validate against the upstream CRDs", () => {
    const kinds = customResources().map((r) => r.inputs.kind);
    // ObjectStore against the Barman Cloud plugin's CRD of the pinned chart (plugin-barman-cloud 0.7.0, crds.yaml).
    expect(new Set(kinds)).toEqual(new Set(["Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser", "Cluster", "ScheduledBackup", "ObjectStore"]));
    for (const resource of customResources()) expect([resource.name, customResourceProblems(asObject(resource))]).toEqual([resource.name, []]);
  });

  it("passes the upstream values check for the Strimzi and CloudNativePG charts", () => {
    expect(unknownValuesKeys("strimzi-kafka-operator-1.2.0", result.one(RELEASE, "etl-kafka-operator").inputs.values)).toEqual([]);
    expect(unknownValuesKeys("cloudnative-pg-0.29.0", result.one(RELEASE, "etl-postgres-cnpg").inputs.values)).toEqual([]);
    // The fixtures are of the pinned versions: a bump without its fixture fails here.
    const cert = result.one(RELEASE, "etl-postgres-cert-manager").inputs;
    const plugin = result.one(RELEASE, "etl-postgres-barman-cloud").inputs;
    expect(unknownValuesKeys(`cert-manager-${cert.version}`, cert.values)).toEqual([]);
    expect(unknownValuesKeys(`plugin-barman-cloud-${plugin.version}`, plugin.values)).toEqual([]);
  });

  it("runs the operators on the system pool, Strimzi in its own namespace watching Kafka's", () => {
    const strimzi = result.one(RELEASE, "etl-kafka-operator").inputs;
    expect(strimzi.namespace).toBe("strimzi");
    expect(strimzi.values.watchNamespaces).toEqual(["kafka", "pipelines"]);
    expect(strimzi.values.nodeSelector).toEqual({ "etl-platform/pool": "system" });
    expect(strimzi.values.resources.requests).toBeDefined();
    expect(result.one(RELEASE, "etl-postgres-cnpg").inputs.values.nodeSelector).toEqual({ "etl-platform/pool": "system" });
  });

  it("applies custom resources only after their operator is installed", () => {
    const releases = result.ofType(RELEASE);
    const operatorOf = (type: string) => releases.find((r) => r.name === (type.includes("strimzi") ? "etl-kafka-operator" : "etl-postgres-cnpg"))!;
    for (const resource of customResources().filter((r) => r.inputs.kind !== "KafkaTopic" && r.inputs.kind !== "ScheduledBackup")) {
      expect(resource.dependsOn).toContain(operatorOf(resource.type).urn);
    }
  });

  it("never schedules Kafka or Postgres on a spot or non-stateful node", () => {
    const requiresStateful = (affinity: any) => {
      const terms = affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
      return terms.every((term: any) => term.matchExpressions.some((e: any) => e.key === "etl-platform/capacity" && e.operator === "In" && e.values.join() === "on-demand")
        && term.matchExpressions.some((e: any) => e.key === "etl-platform/pool" && e.values.join() === "stateful"));
    };
    for (const pool of customResources().filter((r) => r.inputs.kind === "KafkaNodePool")) {
      expect(requiresStateful(pool.inputs.spec.template.pod.affinity)).toBe(true);
      expect(pool.inputs.spec.template.pod.tolerations).toEqual([{ key: "etl-platform/stateful", operator: "Equal", value: "true", effect: "NoSchedule" }]);
    }
    const pg = result.one("kubernetes:postgresql.cnpg.io/v1:Cluster", "etl-postgres-cluster").inputs.spec;
    expect(requiresStateful({ nodeAffinity: pg.affinity.nodeAffinity })).toBe(true);
  });

  it("stores data on gp3 volumes that outlive the custom resources", () => {
    for (const pool of customResources().filter((r) => r.inputs.kind === "KafkaNodePool")) {
      for (const volume of pool.inputs.spec.storage.volumes) expect(volume).toMatchObject({ type: "persistent-claim", class: "gp3", deleteClaim: false });
    }
    const pg = result.one("kubernetes:postgresql.cnpg.io/v1:Cluster", "etl-postgres-cluster").inputs.spec;
    expect(pg.storage.storageClass).toBe("gp3");
    expect(pg.walStorage.storageClass).toBe("gp3");
  });

  it("runs Kafka in KRaft with a TLS listener, authentication, authorization and rack awareness", () => {
    const kafka = result.one("kubernetes:kafka.strimzi.io/v1:Kafka", "etl-kafka-cluster").inputs.spec.kafka;
    expect(kafka.listeners).toEqual([{ name: "tls", port: 9093, type: "internal", tls: true, authentication: { type: "scram-sha-512" } }]);
    expect(kafka.authorization).toEqual({ type: "simple" });
    expect(kafka.rack).toEqual({ topologyKey: "topology.kubernetes.io/zone" });
    expect(kafka.config["unclean.leader.election.enable"]).toBe(false);
    expect(kafka.template.podDisruptionBudget).toEqual({ maxUnavailable: 1 });
    const roles = customResources().filter((r) => r.inputs.kind === "KafkaNodePool").flatMap((r) => r.inputs.spec.roles);
    expect(new Set(roles)).toEqual(new Set(["controller", "broker"]));
  });

  it("declares the configured topics", () => {
    const topic = result.one("kubernetes:kafka.strimzi.io/v1:KafkaTopic", "etl-kafka-topic-orders").inputs;
    expect(topic.metadata.labels["strimzi.io/cluster"]).toBe("etl");
    expect(topic.spec).toMatchObject({ partitions: prod ? 12 : 3, replicas: prod ? 3 : 1, config: { "retention.ms": (prod ? 168 : 72) * 3600000 } });
  });

  it("backs Postgres up to a versioned, KMS-encrypted, private bucket through a scoped workload identity", () => {
    expect(result.one("aws:s3/bucketVersioning:BucketVersioning", "etl-postgres-backups").inputs.versioningConfiguration.status).toBe("Enabled");
    const sse = result.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "etl-postgres-backups").inputs;
    expect(sse.rules[0].applyServerSideEncryptionByDefault).toEqual({ sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:mock:eu-west-1:123456789012:Key/etl-postgres-backups" });
    expect(result.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "etl-postgres-backups").inputs).toMatchObject({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    const lifecycle = result.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "etl-postgres-backups").inputs;
    expect(lifecycle.rules[0].noncurrentVersionExpiration.noncurrentDays).toBe(prod ? 30 : 7);
    const trust = JSON.parse(result.one("aws:iam/role:Role", "etl-postgres-backup").inputs.assumeRolePolicy);
    // The cluster's own service account only: a restore has a role of its own (runtime.test.ts).
    expect(trust.Statement[0].Condition.StringEquals["oidc.eks.eu-west-1.amazonaws.com/id/MOCK:sub"]).toBe("system:serviceaccount:postgres:etl");
    const policy = JSON.parse(result.one("aws:iam/rolePolicy:RolePolicy", "etl-postgres-backup").inputs.policy);
    expect(policy).toEqual(grantPolicy([{ bucketArn: "arn:aws:mock:eu-west-1:123456789012:Bucket/etl-postgres-backups", keyArn: "arn:aws:mock:eu-west-1:123456789012:Key/etl-postgres-backups", prefix: "", actions: ["list", "read", "write", "delete"] }]));
    const pg = result.one("kubernetes:postgresql.cnpg.io/v1:Cluster", "etl-postgres-cluster").inputs.spec;
    // The name the plugin registers under: plugin-barman-cloud v0.13.0 (chart 0.7.0) internal/cnpgi/metadata/constants.go PluginName.
    expect(pg.plugins).toEqual([{ name: "barman-cloud.cloudnative-pg.io", isWALArchiver: true, parameters: { barmanObjectName: "etl-backups" } }]);
    expect(pg.serviceAccountTemplate.metadata.annotations["eks.amazonaws.com/role-arn"]).toBe("arn:aws:mock:eu-west-1:123456789012:Role/etl-postgres-backup");
    const store = result.one("kubernetes:barmancloud.cnpg.io/v1:ObjectStore", "etl-postgres-object-store").inputs.spec;
    expect(store).toEqual({
      configuration: { destinationPath: "s3://etl-postgres-backups/etl", s3Credentials: { inheritFromIAMRole: true }, wal: { compression: "gzip", maxParallel: 4 }, data: { compression: "gzip", jobs: 2 } },
      retentionPolicy: prod ? "30d" : "7d",
    });
    const backup = result.one("kubernetes:postgresql.cnpg.io/v1:ScheduledBackup", "etl-postgres-scheduled-backup").inputs.spec;
    expect(backup).toMatchObject({ schedule: prod ? "0 0 2 * * *" : "0 0 3 * * *", method: "plugin", cluster: { name: "etl" } });
  });

  it("denies ingress to the data namespaces except from their known clients", () => {
    const policies = result.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy");
    const inNamespace = (ns: string) => policies.filter((p) => p.inputs.metadata.namespace === ns).map((p) => p.inputs);
    for (const ns of ["kafka", "postgres"]) expect(inNamespace(ns)).toContainEqual(expect.objectContaining({ spec: { podSelector: {}, policyTypes: ["Ingress"] } }));
    const allowed = inNamespace("postgres").filter((p) => p.spec.ingress).map((p) => [
      p.metadata.name,
      p.spec.ingress[0].from.map((f: any) => f.namespaceSelector?.matchLabels["kubernetes.io/metadata.name"] ?? "same-namespace").join(","),
      p.spec.ingress[0].ports.map((port: any) => port.port).join(","),
    ]).sort();
    expect(allowed).toEqual([["allow-clients", "pipelines,same-namespace", "5432"], ["allow-grants", "same-namespace", "5432"], ["allow-metrics", "monitoring", "9187"], ["allow-operator", "cnpg-system", "8000"]]);
  });

  it("keeps credentials out of every input and output, but as Pulumi secrets (the pipelines' role passwords)", () => {
    // Inputs as the plan shows them (secrets as "[secret]"): a credential may only travel as a Pulumi secret.
    const texts = JSON.stringify([result.all.map((r) => present(r.rawInputs)), present(result.rawOutputs)]);
    expect(texts).not.toMatch(/"(password|secretAccessKey|awsSecretAccessKey)":\s*"[^"]+"/i);
    const pg = result.one("kubernetes:postgresql.cnpg.io/v1:Cluster", "etl-postgres-cluster").inputs.spec;
    expect(pg.bootstrap.initdb).toEqual({ database: "etl", owner: "etl" });
  });

  it("protects stateful resources from deletion in prod only", () => {
    const stateful = [
      result.one("kubernetes:kafka.strimzi.io/v1:Kafka", "etl-kafka-cluster"),
      result.one("kubernetes:postgresql.cnpg.io/v1:Cluster", "etl-postgres-cluster"),
      result.one("aws:s3/bucket:Bucket", "etl-postgres-backups"),
      result.one("kubernetes:core/v1:Namespace", "etl-postgres-ns"),
      ...customResources().filter((r) => r.inputs.kind === "KafkaNodePool"),
    ];
    for (const resource of stateful) expect([resource.name, resource.protect]).toEqual([resource.name, prod]);
    expect(result.one("aws:s3/bucket:Bucket", "etl-postgres-backups").inputs.forceDestroy).toBe(!prod);
  });

  if (prod) {
    it("survives the loss of a zone by construction", () => {
      const kafka = result.one("kubernetes:kafka.strimzi.io/v1:Kafka", "etl-kafka-cluster").inputs.spec.kafka.config;
      expect(kafka).toMatchObject({ "default.replication.factor": 3, "min.insync.replicas": 2, "offsets.topic.replication.factor": 3, "transaction.state.log.replication.factor": 3, "transaction.state.log.min.isr": 2 });
      const pools = customResources().filter((r) => r.inputs.kind === "KafkaNodePool");
      expect(pools.map((p) => [p.inputs.metadata.name, p.inputs.spec.replicas])).toEqual([["controllers", 3], ["brokers", 3]]);
      for (const pool of pools) expect(pool.inputs.spec.template.pod.topologySpreadConstraints[0]).toMatchObject({ topologyKey: "topology.kubernetes.io/zone", maxSkew: 1, whenUnsatisfiable: "DoNotSchedule" });
      const pg = result.one("kubernetes:postgresql.cnpg.io/v1:Cluster", "etl-postgres-cluster").inputs.spec;
      expect(pg.instances).toBe(3);
      expect(pg.affinity).toMatchObject({ enablePodAntiAffinity: true, topologyKey: "topology.kubernetes.io/zone", podAntiAffinityType: "required" });
      expect(pg.postgresql.synchronous).toEqual({ method: "any", number: 1, dataDurability: "required" });
      expect(pg.enablePDB).toBe(true);
    });
  }
});

describe("a pipeline's KafkaUser", () => {
  const user = kafkaUser("orders-load", { read: ["orders"], write: ["orders-enriched"] }, "scram-sha-512");

  it("validates against the upstream CRD", () => {
    expect(customResourceProblems(user)).toEqual([]);
  });

  it("may touch only its own topics and its own consumer group", () => {
    expect(user.spec.authorization.acls).toEqual([
      { resource: { type: "topic", name: "orders", patternType: "literal" }, operations: ["Read", "Describe"] },
      { resource: { type: "topic", name: "orders-enriched", patternType: "literal" }, operations: ["Write", "Describe"] },
      { resource: { type: "group", name: "orders-load", patternType: "literal" }, operations: ["Read"] },
    ]);
  });
});
