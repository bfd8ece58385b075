/** Guard rails for the data services, their backups and the data namespaces. */
import { BUCKET, both, forTypes, KAFKA, KAFKA_NODE_POOL, NAMESPACE, NETWORK_POLICY, PG_CLUSTER, prodOnly, SCHEDULED_BACKUP, type Resource, type Rule } from "./rule";

/** Namespaces holding data or credentials: each needs a default-deny NetworkPolicy. */
export const DATA_NAMESPACES = ["pipelines", "kafka", "postgres"];

function requiresOnDemandStateful(affinity: any): boolean {
  const terms: any[] = affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  return terms.length > 0 && terms.every((term) => (term.matchExpressions ?? []).some((e: any) => e.key === "etl-platform/capacity" && e.operator === "In" && e.values?.length === 1 && e.values[0] === "on-demand"));
}

/** Bucket settings live in resources of their own; each is found by the bucket it names. */
function bucketSettings(resources: Resource[], bucket: Resource, type: string): Resource | undefined {
  return resources.find((r) => r.type === type && (r.propertyDependencies?.bucket ?? []).some((source) => source.urn === bucket.urn));
}

/** Input names that hold a credential itself (not the name of a Secret that holds it). */
const CREDENTIAL_KEY = /^(password|passwd|token|secret|api[-_]?key|private[-_]?key|client[-_]?secret|secret[-_]?access[-_]?key)$/i;

function plaintextCredentials(value: unknown, path: string): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => plaintextCredentials(item, `${path}[${i}]`));
  if (!value || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const at = path ? `${path}.${key}` : key;
    if (CREDENTIAL_KEY.test(key) && typeof child === "string" && child !== "" && child !== "[secret]" && child !== "[unknown]") return [at];
    return plaintextCredentials(child, at);
  });
}

export const dataRules: Rule[] = [
  {
    name: "no-plaintext-secrets",
    description: "No input named like a password, token or key holds a literal value: keep credentials in etl-platform:secrets (Pulumi secrets) and pass them as secrets or Secret references.",
    level: both("mandatory"),
    resource: (resource) => (resource.type === "kubernetes:core/v1:Secret" ? [] : plaintextCredentials(resource.props, "").map((at) => `${at} holds a credential in plain text`)),
  },
  {
    name: "stateful-on-demand-only",
    description: "Kafka and Postgres run only on on-demand nodes of the stateful pool: a spot reclaim would take a broker or a database with it. Applies to stacks that declare our node pools (target: aws); on another cluster the nodes are its owner's.",
    level: both("mandatory"),
    stack: (resources) => {
      if (!resources.some((r) => r.type === "aws:eks/nodeGroup:NodeGroup")) return [];
      return resources.filter((r) => r.type === KAFKA_NODE_POOL || r.type === PG_CLUSTER).flatMap((resource) => {
        const props = resource.props;
        const affinity = resource.type === KAFKA_NODE_POOL ? props.spec?.template?.pod?.affinity : { nodeAffinity: props.spec?.affinity?.nodeAffinity };
        return requiresOnDemandStateful(affinity) ? [] : [{ resource, message: "may be scheduled on spot or non-stateful nodes" }];
      });
    },
  },
  {
    name: "kafka-highly-available",
    description: "In prod Kafka survives a zone: replication factor 3, min.insync.replicas 2, at least 3 brokers and controllers, a PodDisruptionBudget allowing one broker down.",
    level: prodOnly,
    stack: (resources) => {
      const violations: { resource: Resource; message: string }[] = [];
      for (const kafka of resources.filter((r) => r.type === KAFKA)) {
        const spec = kafka.props.spec?.kafka ?? {};
        if ((spec.config?.["default.replication.factor"] ?? 1) < 3) violations.push({ resource: kafka, message: "default.replication.factor below 3" });
        if ((spec.config?.["min.insync.replicas"] ?? 1) < 2) violations.push({ resource: kafka, message: "min.insync.replicas below 2" });
        if (spec.template?.podDisruptionBudget?.maxUnavailable !== 1) violations.push({ resource: kafka, message: "no PodDisruptionBudget with maxUnavailable 1" });
      }
      const pools = resources.filter((r) => r.type === KAFKA_NODE_POOL);
      for (const role of ["broker", "controller"]) {
        const replicas = pools.filter((p) => (p.props.spec?.roles ?? []).includes(role)).reduce((sum, p) => sum + (p.props.spec?.replicas ?? 0), 0);
        if (pools.length > 0 && replicas < 3) violations.push({ resource: pools[0], message: `${replicas} ${role}s, expected at least 3` });
      }
      return violations;
    },
  },
  {
    name: "postgres-highly-available",
    description: "In prod Postgres survives a zone: 3 instances, required anti-affinity by zone, a synchronous standby, a PodDisruptionBudget.",
    level: prodOnly,
    resource: forTypes([PG_CLUSTER], (props) => {
      const spec = props.spec ?? {};
      return [
        (spec.instances ?? 1) < 3 && `${spec.instances ?? 1} instances, expected at least 3`,
        spec.affinity?.podAntiAffinityType !== "required" && "anti-affinity is not required",
        !(spec.postgresql?.synchronous?.number >= 1) && "no synchronous standby",
        spec.enablePDB !== true && "no PodDisruptionBudget",
      ];
    }),
  },
  {
    name: "postgres-backups",
    description: "In prod Postgres archives its WAL and takes scheduled base backups. Set postgres.backup.enabled.",
    level: prodOnly,
    stack: (resources) => resources.filter((r) => r.type === PG_CLUSTER).flatMap((cluster) => {
      const archiving = (cluster.props.spec?.plugins ?? []).some((p: any) => p.isWALArchiver) || cluster.props.spec?.backup?.barmanObjectStore;
      const scheduled = resources.some((r) => r.type === SCHEDULED_BACKUP && r.props.spec?.cluster?.name === cluster.props.metadata?.name);
      return [
        ...(archiving ? [] : [{ resource: cluster, message: "WAL is not archived" }]),
        ...(scheduled ? [] : [{ resource: cluster, message: "no ScheduledBackup" }]),
      ];
    }),
  },
  {
    name: "buckets-private-encrypted-versioned",
    description: "Every bucket blocks public access and is encrypted with KMS (an access-log bucket, tagged etl-platform/purpose=access-logs, with SSE-S3: S3 server access logging cannot deliver into SSE-KMS); buckets that hold backups are versioned. Use the BackupBucket component.",
    level: both("mandatory"),
    stack: (resources) => resources.filter((r) => r.type === BUCKET).flatMap((bucket) => {
      const block = bucketSettings(resources, bucket, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")?.props;
      const sse = bucketSettings(resources, bucket, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")?.props;
      const versioning = bucketSettings(resources, bucket, "aws:s3/bucketVersioning:BucketVersioning")?.props;
      const holdsBackups = /backup/i.test(bucket.name);
      const accessLogTarget = bucket.props.tags?.["etl-platform/purpose"] === "access-logs";
      const algorithm = sse?.rules?.[0]?.applyServerSideEncryptionByDefault?.sseAlgorithm;
      const messages = [
        !(block && block.blockPublicAcls && block.blockPublicPolicy && block.ignorePublicAcls && block.restrictPublicBuckets) && "public access is not fully blocked",
        !accessLogTarget && algorithm !== "aws:kms" && "not encrypted with KMS",
        accessLogTarget && algorithm !== "AES256" && "an access-log target not encrypted with SSE-S3 (S3 cannot deliver access logs into SSE-KMS)",
        holdsBackups && versioning?.versioningConfiguration?.status !== "Enabled" && "holds backups but is not versioned",
      ];
      return messages.filter((m): m is string => typeof m === "string").map((message) => ({ resource: bucket, message }));
    }),
  },
  {
    name: "data-namespaces-default-deny",
    description: "Every data namespace (pipelines, kafka, postgres) has a NetworkPolicy denying all ingress by default; traffic is then allowed case by case.",
    level: both("mandatory"),
    stack: (resources) => {
      const namespaces = resources.filter((r) => r.type === NAMESPACE && DATA_NAMESPACES.includes(r.props.metadata?.name));
      return namespaces.flatMap((namespace) => {
        const name = namespace.props.metadata.name;
        const denies = resources.some((r) => r.type === NETWORK_POLICY && r.props.metadata?.namespace === name
          && Object.keys(r.props.spec?.podSelector ?? {}).length === 0 && (r.props.spec?.policyTypes ?? []).includes("Ingress") && !(r.props.spec?.ingress ?? []).length);
        return denies ? [] : [{ resource: namespace, message: `namespace ${name} has no default-deny NetworkPolicy` }];
      });
    },
  },
];
