/**
 * The stack config schema: the one source of the platform's config types and of each field's own validation.
 * Stack files set each section under the `etl-platform:` namespace. The folder's modules import in one
 * direction: schema <- defaults, kubernetesVersion, target, timeZones <- rules <- load (per-environment
 * defaults in defaults.ts, cross-field rules in rules.ts, reading and reporting in load.ts); jsonSchema.ts and
 * reference.ts generate the editor schema and docs/config.md from it.
 */
import { z } from "zod";
import { DURATION_PATTERN } from "../lib/duration";
import { hostBitsProblem } from "../lib/cidr";
import { cronProblem, expandCronMacro } from "../lib/cron";
import { DIGEST_PATTERN, TAG_PATTERN, parseImage, repositoryProblem } from "../lib/image";
import { memoryUnitProblem, QUANTITY_PATTERN, storageSizeProblem } from "../lib/quantity";
import { ARCHITECTURES } from "../lib/instanceTypes";
import { supportedKubernetesVersions } from "../versions";
import { timeZoneProblem } from "./timeZones";
import { CRON_JSON_PATTERN, IMAGE_JSON_PATTERN, TIME_ZONE_JSON_PATTERN } from "./jsonPatterns";

// A program parses its config once: compiling each object schema into a function first (zod's default, with
// `new Function`) costs more than it saves, and the plan has a time budget (https://zod.dev/api, z.config jitless).
// For the same budget, a schema built for one field is described with `.register(z.globalRegistry, ...)`, which
// keeps the instance, and `.describe()`, which clones it (zod v4 classic/schemas), only for shared schemas.
z.config({ jitless: true });

/** Adds a check that reports its own message (or nothing) as a custom issue. */
function check<T extends z.ZodType>(schema: T, problem: (value: z.output<T>) => string | undefined): T {
  return schema.superRefine((value, ctx) => {
    const message = problem(value as z.output<T>);
    if (message) ctx.addIssue({ code: "custom", message });
  }) as unknown as T;
}

/** A Kubernetes resource quantity such as `500m`, `2`, `512Mi` or `100Gi`. */
export const quantity = z.string({
  // YAML reads `cpu: 1` as a number; the API takes quantities as strings.
  error: (issue) => (typeof issue.input === "number" ? `expected a quantity as a string, e.g. "${issue.input}" (quoted: YAML reads an unquoted ${issue.input} as a number), got ${issue.input}` : undefined),
}).regex(QUANTITY_PATTERN, "expected a Kubernetes quantity such as 500m, 2, 512Mi or 100Gi");
/** CPU: cores or millicores (`500m`, `2`). */
const cpuQuantity = quantity.describe("CPU in cores or millicores, e.g. 500m or 2.");
/** Memory with a unit: `512m` (milli-bytes) and `512` (bytes) are legal for the API but surely not meant. */
const memoryQuantity = check(quantity, memoryUnitProblem).register(z.globalRegistry, { description: "Memory with a binary unit, e.g. 512Mi or 4Gi." });
/** A volume size: a unit, and within what a gp3 volume can be. */
const storageQuantity = check(quantity, storageSizeProblem).register(z.globalRegistry, { description: "Volume size with a unit, e.g. 20Gi (gp3: 1Gi to 16Ti)." });

/** A DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit. */
const dnsLabel = (maxLength: number) =>
  z
    .string()
    .max(maxLength, `expected at most ${maxLength} characters`)
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "expected a DNS-1123 label (lower-case letters, digits and '-')");

/** An IPv4 network range; EC2 and EKS refuse one with host bits set. */
const cidrBlock = check(z.cidrv4(), hostBitsProblem);
const envVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected an environment variable name");
const secretName = z.string().regex(/^[A-Za-z][A-Za-z0-9-]*$/, "expected the name of an entry under etl-platform:secrets");
const positiveInt = z.number().int().min(1);
/** A 5-field cron, or a macro (`@daily`) translated to one at load time (lib/cron.ts CRON_MACROS). */
const cronSchedule = z.string().superRefine((value, ctx) => {
  const problem = cronProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
  // overwrite, not transform: the same type in and out, so the JSON Schema keeps its defaults (a pipe loses them).
}).overwrite(expandCronMacro).meta({ pattern: CRON_JSON_PATTERN });
const timeZone = check(z.string(), timeZoneProblem).meta({ pattern: TIME_ZONE_JSON_PATTERN });
/** An unquoted Postgres identifier (a schema): lower case, as CREATE SCHEMA folds it, at most 63 bytes. */
const postgresIdentifier = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "expected a lower-case Postgres identifier (letters, digits, _; at most 63)");
const awsArn = z.string().regex(/^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+$/, "expected an AWS ARN");

/** A container image pinned by tag (never `latest`), optionally also by digest (required in prod). */
export const imageReference = z.string().superRefine((value, ctx) => {
  const { repository, tag, digest } = parseImage(value);
  const problem = repositoryProblem(repository);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
  if (!tag) ctx.addIssue({ code: "custom", message: `expected an image pinned by tag (repo:tag), got ${JSON.stringify(value)}` });
  else if (!TAG_PATTERN.test(tag)) ctx.addIssue({ code: "custom", message: `expected a valid image tag, got ${JSON.stringify(tag)}` });
  else if (tag === "latest") ctx.addIssue({ code: "custom", message: `expected a pinned tag, got "latest" (it changes under a running platform)` });
  if (digest !== undefined && !DIGEST_PATTERN.test(digest)) {
    ctx.addIssue({ code: "custom", message: `expected a digest of the form sha256:<64 hex>, got ${JSON.stringify(digest)}` });
  }
}).meta({ pattern: IMAGE_JSON_PATTERN });

export const resources = z.strictObject({
  requests: z.strictObject({ cpu: cpuQuantity, memory: memoryQuantity }).register(z.globalRegistry, { description: "What the scheduler and the autoscaler plan by; both are required." }),
  limits: z.strictObject({
    memory: memoryQuantity,
    cpu: cpuQuantity.optional(),
  }).register(z.globalRegistry, { description: "A memory limit is required (no noisy neighbours); a CPU limit is optional (throttling)." }),
}).register(z.globalRegistry, { description: "Requests and limits. A request may not exceed its limit (the API server refuses it)." });

/** Karpenter's instance categories the pools may widen to (memory per vCPU: c 2 GiB, m 4, r 8). */
export const KARPENTER_CATEGORIES = ["c", "m", "r"] as const;

const nodePool = z.strictObject({
  instanceTypes: z.array(z.string()).min(1).register(z.globalRegistry, { description: "EC2 instance types, e.g. m6i.large." }),
  minSize: z.number().int().min(0).register(z.globalRegistry, { description: "Fewest nodes of the group." }),
  desiredSize: z.number().int().min(0).register(z.globalRegistry, { description: "Nodes at creation; afterwards the cluster autoscaler owns it." }),
  maxSize: positiveInt.max(1000).register(z.globalRegistry, { description: "Most nodes of the group." }),
  diskSizeGiB: z.number().int().min(20).max(1000).register(z.globalRegistry, { description: "Root volume size in GiB (encrypted gp3)." }),
  architecture: z.enum(ARCHITECTURES).default("amd64").register(z.globalRegistry, { description: "amd64 (default) or arm64: Graviton instance types (AL2023_ARM_64_STANDARD nodes), cheaper per vCPU; only where every image that runs there is built for arm64 (versions.ts imageArchitectures; a pipeline's imageArchitectures)." }),
});

const batchPool = nodePool.extend({
  name: dnsLabel(20).register(z.globalRegistry, { description: "Pool name, used in node group names and the etl-platform/pool label." }),
  capacityType: z.enum(["spot", "on-demand"]).default("spot").register(z.globalRegistry, { description: "spot (default) or on-demand, for pipelines that must not be interrupted. The autoscaler prefers spot." }),
  instanceCategories: z.array(z.enum(KARPENTER_CATEGORIES)).min(1).optional().register(z.globalRegistry, { description: "Karpenter only: instead of the instance types' families, any family of these categories (c, m, r) in the types' sizes, for a wider choice of spot capacity." }),
  instanceGenerations: z.array(z.number().int().min(5).max(8)).min(1).optional().register(z.globalRegistry, { description: "Karpenter only, with instanceCategories: the generations allowed (e.g. [6, 7])." }),
  onDemandFallback: z.boolean().optional().register(z.globalRegistry, { description: "Karpenter only, on a spot pool: also allow on-demand capacity when no spot capacity is available (Karpenter prefers spot). Off unless set." }),
});

const subnetIds = z.array(z.string().regex(/^subnet-[0-9a-f]+$/, "expected a subnet id (subnet-...)")).min(2).max(4);

const networkSection = z.strictObject({
  cidr: cidrBlock.describe("The VPC's IPv4 range, /20 or larger."),
  availabilityZones: z.number().int().min(2).max(4).register(z.globalRegistry, { description: "How many availability zones to spread over (2 to 4): 3 in prod, so Kafka and Postgres survive losing one." }),
  privateSubnetCidrs: z.array(cidrBlock).optional().register(z.globalRegistry, { description: "Private (node) subnets, one per zone, inside cidr; computed from cidr when omitted." }),
  publicSubnetCidrs: z.array(cidrBlock).optional().register(z.globalRegistry, { description: "Public (load balancer, NAT) subnets, one per zone, inside cidr; computed from cidr when omitted." }),
  natGateways: z.enum(["single", "perZone"]).register(z.globalRegistry, { description: "single: one NAT gateway (cheap; one zone's outage cuts egress); perZone: one per zone (required in prod)." }),
  existing: z
    .strictObject({
      vpcId: z.string().regex(/^vpc-[0-9a-f]+$/, "expected a VPC id (vpc-...)").register(z.globalRegistry, { description: "The VPC to use." }),
      privateSubnetIds: subnetIds.describe("Its private subnets, one per zone."),
      publicSubnetIds: subnetIds.describe("Its public subnets, one per zone."),
    })
    .optional()
    .register(z.globalRegistry, { description: "Use an existing VPC and subnets instead of creating them." }),
});

export const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"] as const;

/**
 * The retention periods CloudWatch Logs accepts, in days (PutRetentionPolicy, `retentionInDays`:
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html).
 */
export const CLOUDWATCH_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const loggingSection = z.strictObject({
  retentionDays: check(z.number().int(), (days) => ((CLOUDWATCH_RETENTION_DAYS as readonly number[]).includes(days)
    ? undefined
    : `expected a retention CloudWatch Logs accepts (${CLOUDWATCH_RETENTION_DAYS.join(", ")}), got ${days}`))
    .register(z.globalRegistry, { description: `How long every log group of the platform (control plane, VPC flow logs, container logs) keeps its events, and the buckets' access logs their objects, in days: one of ${CLOUDWATCH_RETENTION_DAYS.join(", ")}.` }),
  containerLogs: z.strictObject({
    enabled: z.boolean().register(z.globalRegistry, { description: "Ship every container's log to CloudWatch Logs with Fluent Bit (a DaemonSet): a log group per platform namespace and per pipeline." }),
    refreshIntervalSeconds: positiveInt.max(60).register(z.globalRegistry, { description: "How often the agent looks for new log files, in seconds: a Job that lives less than this may be missed (Fluent Bit's default is 60)." }),
    bufferMiB: positiveInt.min(64).max(10240).register(z.globalRegistry, { description: "Per node, how much log the agent buffers on disk while CloudWatch cannot be reached, in MiB; older chunks are dropped beyond it." }),
  }).register(z.globalRegistry, { description: "Container logs shipped to CloudWatch Logs." }),
});

const clusterSection = z.strictObject({
  name: dnsLabel(40).register(z.globalRegistry, { description: "EKS cluster name; also the autoscaler's discovery tag." }),
  kubernetesVersion: z.enum(supportedKubernetesVersions).register(z.globalRegistry, { description: "A version of versions.ts; refused once EKS no longer supports it (eksCalendar.ts). The plan warns 60 days before its standard support ends." }),
  upgradePolicy: z.enum(["STANDARD", "EXTENDED"]).register(z.globalRegistry, { description: "What EKS does when the version's standard support ends: STANDARD upgrades the control plane; EXTENDED keeps it 12 more months at $0.60 instead of $0.10 per cluster-hour." }),
  publicAccessCidrs: z.array(cidrBlock).register(z.globalRegistry, { description: "CIDRs allowed to reach the public API endpoint (the private endpoint is always on). Empty: private only. Never /0 in prod." }),
  adminRoleArns: z.array(awsArn).register(z.globalRegistry, { description: "IAM role ARNs given cluster-admin through EKS access entries." }),
  logTypes: z.array(z.enum(CONTROL_PLANE_LOG_TYPES)).register(z.globalRegistry, { description: "Control-plane log types sent to CloudWatch (kept for logging.retentionDays); all five in prod." }),
});

const securitySection = z.strictObject({
  breakGlassRoleArns: z.array(awsArn).register(z.globalRegistry, { description: "In prod, the only IAM roles that may schedule the deletion of, or disable, the keys of the backups and the audit logs. None: nobody can, until the key policy is changed." }),
});

const nodePoolsSection = z.strictObject({
  system: nodePool.describe("On-demand nodes for cluster add-ons and operators."),
  stateful: nodePool.describe("On-demand nodes for Kafka, Postgres and Prometheus, tainted; in prod one group per zone, sized per group."),
  batch: z.array(batchPool).min(1).register(z.globalRegistry, { description: "Pools for pipelines, scaling to zero. Spot pools take at least 4 instance types of one shape from at least 2 families." }),
});

const duration = (example: string) => z.string().regex(DURATION_PATTERN, `expected a duration such as ${example}`);

const karpenterSettings = z.strictObject({
  replicas: z.number().int().min(1).max(3).default(2).register(z.globalRegistry, { description: "Controller replicas (2: one leads, one stands by); each needs its own system node (the chart's required pod anti-affinity)." }),
  consolidateAfter: duration("1m").default("1m").register(z.globalRegistry, { description: "How long a batch node must be empty or underutilized before Karpenter removes or replaces it." }),
  disruptionBudget: z.string().regex(/^(\d+|\d+%)$/, "expected a node count or a percentage, e.g. 10%").default("10%").register(z.globalRegistry, { description: "The most nodes of a pool Karpenter disrupts at once for consolidation and drift (a count or a percentage)." }),
  expireAfter: duration("720h").optional().register(z.globalRegistry, { description: "Replace batch nodes older than this (forceful: drains regardless of budgets). Needs terminationGracePeriod. Unset: nodes never expire." }),
  terminationGracePeriod: duration("6h").optional().register(z.globalRegistry, { description: "How long a draining batch node may wait for its pods before they are deleted: at least the longest deadline of the pipelines it runs." }),
}).register(z.globalRegistry, { description: "Karpenter's settings (autoscaler.engine: karpenter)." });

const autoscalerSection = z.strictObject({
  engine: z.enum(["cluster-autoscaler", "karpenter"]).default("cluster-autoscaler").register(z.globalRegistry, { description: "cluster-autoscaler (default): scales every node group; karpenter: launches the batch pools' nodes per pending pod, and the system and stateful groups stay at desiredSize." }),
  enabled: z.boolean().register(z.globalRegistry, { description: "Run the autoscaler (required with engine karpenter: nothing else adds batch nodes)." }),
  scaleDownUnneededTime: duration("10m").register(z.globalRegistry, { description: "Cluster autoscaler only: how long a node must be unneeded before it is removed, e.g. 10m." }),
  maxNodeProvisionTime: duration("5m").register(z.globalRegistry, { description: "Cluster autoscaler only: how long to wait for a node before giving up on its group (e.g. when spot capacity is short), e.g. 5m." }),
  resources: resources.describe("The autoscaler's (or Karpenter controller's) requests and limits."),
  karpenter: karpenterSettings.default({ replicas: 2, consolidateAfter: "1m", disruptionBudget: "10%" }),
});

const kafkaTopic = z.strictObject({
  name: dnsLabel(63).register(z.globalRegistry, { description: "Topic name." }),
  partitions: positiveInt.max(10000).register(z.globalRegistry, { description: "Partitions: the most consumers of one group that can read in parallel." }),
  replicas: positiveInt.describe("Copies of each partition, at most the number of brokers."),
  retentionHours: positiveInt.max(24 * 365 * 10).register(z.globalRegistry, { description: "How long messages are kept, in hours." }),
});

const kafkaSection = z.strictObject({
  namespace: dnsLabel(63).register(z.globalRegistry, { description: "Namespace of the Kafka cluster." }),
  brokers: positiveInt.max(100).register(z.globalRegistry, { description: "Broker count: at least 3 in prod, one per zone." }),
  controllers: positiveInt.max(9).register(z.globalRegistry, { description: "KRaft controller count, odd: at least 3 in prod." }),
  combinedRoles: z.boolean().register(z.globalRegistry, { description: "One node pool with both roles (staging only: a combined node restarts both roles at once)." }),
  brokerStorageSize: storageQuantity.describe("Volume size of each broker, e.g. 200Gi."),
  controllerStorageSize: storageQuantity.describe("Volume size of each controller, e.g. 20Gi."),
  brokerResources: resources.describe("Requests and limits of each broker."),
  controllerResources: resources.describe("Requests and limits of each controller."),
  defaultReplicationFactor: positiveInt.describe("Replication factor of topics created without one, and of Kafka's internal topics."),
  minInsyncReplicas: positiveInt.describe("Replicas that must have a write before it is acknowledged (acks=all): below the replication factor."),
  plainListener: z.boolean().register(z.globalRegistry, { description: "Adds a plain-text listener on 9092 (TLS on 9093 is always there)." }),
  authentication: z.enum(["scram-sha-512", "tls"]).register(z.globalRegistry, { description: "How clients authenticate: SCRAM-SHA-512 passwords or mutual TLS." }),
  deleteClaim: z.boolean().register(z.globalRegistry, { description: "Delete broker volumes when the Kafka resource is deleted." }),
  topics: z.array(kafkaTopic).register(z.globalRegistry, { description: "Topics, declared here (automatic topic creation is off)." }),
});

const pgIdentifier = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "expected a Postgres identifier");

const postgresSection = z.strictObject({
  namespace: dnsLabel(63).register(z.globalRegistry, { description: "Namespace of the Postgres cluster." }),
  majorVersion: z.enum(["16", "17"]).register(z.globalRegistry, { description: "Postgres major version; the exact image is pinned in versions.ts." }),
  instances: positiveInt.max(9).register(z.globalRegistry, { description: "Instances: a primary and standbys; at least 3 in prod, one per zone." }),
  storageSize: storageQuantity.describe("Data volume size of each instance."),
  walStorageSize: storageQuantity.describe("WAL volume size of each instance."),
  resources: resources.describe("Requests and limits of each instance."),
  database: pgIdentifier.describe("The application database, created at bootstrap."),
  owner: pgIdentifier.describe("Its owner; CloudNativePG generates the password into the Secret etl-app, which no client gets (each has a role of its own)."),
  retiredRoles: z.array(z.string().regex(/^[a-z_][a-z0-9_-]{0,62}$/, "expected a role name (a pipeline's)")).default([])
    .register(z.globalRegistry, { description: "Roles of pipelines that were removed or no longer use Postgres: the grants Job revokes what the owner granted them and CloudNativePG drops them (ensure: absent). A role that still owns tables is not dropped until they are reassigned (docs/operations.md)." }),
  backup: z.strictObject({
    enabled: z.boolean().register(z.globalRegistry, { description: "WAL archiving and base backups to S3 (required in prod)." }),
    schedule: cronSchedule.describe("When base backups run (5-field cron, UTC). WAL is archived continuously."),
    retentionDays: positiveInt.max(3650).register(z.globalRegistry, { description: "Days backups are kept." }),
  }).register(z.globalRegistry, { description: "Backups through the Barman Cloud plugin." }),
  restoreDrill: z.strictObject({
    enabled: z.boolean().default(true).register(z.globalRegistry, { description: "Restore the latest backup into a throwaway cluster on a schedule, check it, and delete it (needs backup.enabled)." }),
    schedule: cronSchedule.default("0 5 * * 0").register(z.globalRegistry, { description: "When the drill runs (5-field cron, UTC); weekly by default." }),
    rtoMinutes: positiveInt.max(24 * 60).default(60).register(z.globalRegistry, { description: "The restore time objective: an alert fires when a restore takes longer." }),
    deadlineMinutes: positiveInt.max(24 * 60).default(180).register(z.globalRegistry, { description: "How long a whole drill may run before it is stopped and cleaned up." }),
    checkQuery: z.string().min(1).default("SELECT 1").register(z.globalRegistry, { description: "A query that must return a row on the restored database, e.g. SELECT 1 FROM orders WHERE created_at > now() - interval '26 hours' LIMIT 1." }),
    storageSize: storageQuantity.optional().register(z.globalRegistry, { description: "Data volume of the throwaway cluster; defaults to the production cluster's storageSize." }),
    resources: resources.default({ requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } })
      .register(z.globalRegistry, { description: "Requests and limits of the throwaway cluster: small, so a drill never crowds production out." }),
  }).default({ enabled: true, schedule: "0 5 * * 0", rtoMinutes: 60, deadlineMinutes: 180, checkQuery: "SELECT 1", resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } } })
    .register(z.globalRegistry, { description: "The scheduled restore drill: proves the backups restore, and measures how long it takes." }),
});

const alertReceiver = z.strictObject({
  name: dnsLabel(40).register(z.globalRegistry, { description: "Receiver name." }),
  type: z.enum(["slack", "pagerduty", "webhook"]).register(z.globalRegistry, { description: "Where alerts go." }),
  secret: secretName.describe("The etl-platform:secrets entry holding the webhook URL or routing key."),
  channel: z.string().optional().register(z.globalRegistry, { description: "Slack channel, for slack receivers." }),
});

const monitoringSection = z.strictObject({
  namespace: dnsLabel(63).register(z.globalRegistry, { description: "Namespace of Prometheus, Alertmanager and Grafana." }),
  retention: z.string().regex(/^\d+[hdwy]$/, "expected a duration such as 15d").register(z.globalRegistry, { description: "Prometheus retention, e.g. 15d." }),
  storageSize: storageQuantity.describe("Prometheus volume size."),
  prometheusResources: resources.describe("Requests and limits of Prometheus."),
  freshnessMarginMinutes: positiveInt.max(7 * 24 * 60).register(z.globalRegistry, { description: "Extra time past a pipeline's longest schedule gap and deadline before its freshness alert fires." }),
  receivers: z.array(alertReceiver).register(z.globalRegistry, { description: "Where warning and critical alerts go." }),
});

const telemetrySection = z.strictObject({
  enabled: z.boolean().register(z.globalRegistry, { description: "An OpenTelemetry Collector receiving OTLP from the pipelines: their metrics go to Prometheus, their traces to `traces`." }),
  traces: z.enum(["xray", "none"]).optional().register(z.globalRegistry, { description: "Where traces go: xray (AWS X-Ray's OTLP endpoint; needs CloudWatch Transaction Search turned on in the account and region) or none. Default: xray on target aws, none on target kubernetes (AWS only)." }),
  collectorReplicas: positiveInt.max(5).register(z.globalRegistry, { description: "Collector replicas; 2 or more keep telemetry flowing through a node's loss." }),
  collectorResources: resources.describe("Requests and limits of each collector replica."),
});

const argoSection = z.strictObject({
  namespace: dnsLabel(63).register(z.globalRegistry, { description: "Namespace of the Argo controller and server." }),
  serverAuthMode: z.enum(["sso", "client", "server"]).register(z.globalRegistry, { description: "client (a Kubernetes bearer token) or sso (needs sso); server lets anyone who reaches the UI act as the server (never in prod)." }),
  sso: z.strictObject({
    issuer: z.url().register(z.globalRegistry, { description: "The OIDC issuer URL." }),
    redirectUrl: z.url().register(z.globalRegistry, { description: "The UI's callback URL, https://<host>/oauth2/callback." }),
    clientIdSecret: secretName.describe("The etl-platform:secrets entry with the client id."),
    clientSecretSecret: secretName.describe("The etl-platform:secrets entry with the client secret."),
  }).optional().register(z.globalRegistry, { description: "Single sign-on through an OIDC provider." }),
  artifactRetentionDays: positiveInt.max(3650).register(z.globalRegistry, { description: "Days workflow artifacts and step logs are kept in S3." }),
  archive: z.boolean().register(z.globalRegistry, { description: "Archive finished workflows in Postgres." }),
  workflowDefaults: z.strictObject({
    activeDeadlineSeconds: z.number().int().min(60).max(7 * 24 * 3600).default(6 * 3600).register(z.globalRegistry, { description: "How long a workflow may run, in seconds." }),
    ttlSecondsAfterFinished: z.number().int().min(60).max(30 * 24 * 3600).default(24 * 3600).register(z.globalRegistry, { description: "How long a finished workflow is kept, in seconds." }),
  }).default({ activeDeadlineSeconds: 6 * 3600, ttlSecondsAfterFinished: 24 * 3600 })
    .register(z.globalRegistry, { description: "Defaults for every workflow. Retries are per step (each pipeline's backoffLimit), never workflow-wide: a workflow-level retry would re-run a whole DAG." }),
});

const s3Uri = z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^*]*)?$/, "expected an S3 URI such as s3://bucket/prefix/");

/** A path under /tmp: a step's root filesystem is read-only, /tmp is its writable emptyDir. */
const tmpPath = z.string().regex(/^\/tmp\/[^\0]+$/, "expected an absolute path under /tmp/ (the root filesystem is read-only)");

const pipelineStep = z.strictObject({
  name: dnsLabel(40).register(z.globalRegistry, { description: "Step name, unique in the pipeline." }),
  image: imageReference.optional().register(z.globalRegistry, { description: "The step's image; defaults to the pipeline's." }),
  command: z.array(z.string()).min(1).register(z.globalRegistry, { description: "The command the step runs." }),
  args: z.array(z.string()).default([]).register(z.globalRegistry, { description: "Its arguments." }),
  dependsOn: z.array(z.string()).default([]).register(z.globalRegistry, { description: "Steps that must succeed before this one runs." }),
  outputs: z.array(z.strictObject({
    name: dnsLabel(40).register(z.globalRegistry, { description: "The artifact's name, unique in the step." }),
    path: tmpPath.register(z.globalRegistry, { description: "The file or directory the step leaves there, under /tmp (the only writable place)." }),
  })).default([]).register(z.globalRegistry, { description: "Files the step hands on: Argo archives each under the pipeline's prefix of the artifact bucket." }),
  inputs: z.array(z.strictObject({
    from: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\.[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "expected <step>.<artifact>").register(z.globalRegistry, { description: "An earlier step's output, as <step>.<artifact>: the step must depend on it." }),
    path: tmpPath.register(z.globalRegistry, { description: "Where the step finds it, under /tmp." }),
  })).default([]).register(z.globalRegistry, { description: "Outputs of the steps this one depends on, fetched before it starts." }),
});

/** What every pipeline has, whatever runs it: its image and environment, identity, access and placement. */
const pipelineCommon = {
  name: dnsLabel(52).register(z.globalRegistry, { description: "The CronJob's name: a DNS-1123 label of at most 52 characters (Kubernetes appends 11 for each Job)." }),
  image: imageReference.describe("The image, pinned by tag (never latest); in prod also by digest."),
  command: z.array(z.string()).optional().register(z.globalRegistry, { description: "Overrides the image's entrypoint." }),
  args: z.array(z.string()).default([]).register(z.globalRegistry, { description: "Arguments." }),
  env: z.record(envVarName, z.string()).default({}).register(z.globalRegistry, { description: "Plain environment variables. A name that says it holds a secret (PASSWORD, TOKEN, ...) belongs in secretEnv." }),
  secretEnv: z.record(envVarName, secretName).default({}).register(z.globalRegistry, { description: "Environment variables whose values come from etl-platform:secrets entries, delivered as a Kubernetes Secret." }),
  resources: resources.describe("Requests and limits of the pipeline's container."),
  placement: z.enum(["spot", "on-demand"]).default("spot").register(z.globalRegistry, { description: "spot (default; interruptions are retried) or on-demand for jobs that must not be interrupted." }),
  imageArchitectures: z.array(z.enum(ARCHITECTURES)).min(1).default(["amd64"]).register(z.globalRegistry, { description: "The CPU architectures the pipeline's image (and its steps' images) is built for: [amd64] unless set; [amd64, arm64] for a multi-arch image, which may then run on arm64 (Graviton) batch pools. The pods run only on pools of these architectures." }),
  kafka: z.strictObject({
    read: z.array(z.string()).default([]).register(z.globalRegistry, { description: "Topics the pipeline reads (its consumer group is its name)." }),
    write: z.array(z.string()).default([]).register(z.globalRegistry, { description: "Topics the pipeline writes." }),
  }).optional().register(z.globalRegistry, { description: "Kafka access: the pipeline gets its own KafkaUser with exactly these ACLs." }),
  postgres: z.boolean().default(false).register(z.globalRegistry, { description: "Connect to Postgres as the pipeline's own role (PG* environment variables; a generated password)." }),
  postgresSchemas: z.strictObject({
    read: z.array(postgresIdentifier).default([]).register(z.globalRegistry, { description: "Schemas whose tables the pipeline's role may read." }),
    write: z.array(postgresIdentifier).default(["public"]).register(z.globalRegistry, { description: "Schemas the pipeline's role may create tables in and read and write; public unless set." }),
  }).optional().register(z.globalRegistry, { description: "With postgres: what the pipeline's role may do; unset, read and write in public." }),
  s3: z.strictObject({
    read: z.array(s3Uri).default([]).register(z.globalRegistry, { description: "S3 prefixes the pipeline reads, e.g. s3://bucket/in/." }),
    write: z.array(s3Uri).default([]).register(z.globalRegistry, { description: "S3 prefixes the pipeline writes." }),
  }).optional().register(z.globalRegistry, { description: "S3 access: an IAM role for exactly these prefixes." }),
  internet: z.boolean().default(false).register(z.globalRegistry, { description: "Allow HTTPS to the internet, for extract jobs that call external APIs." }),
  kubernetesApi: z.boolean().default(false).register(z.globalRegistry, { description: "Mount a service account token (only for pipelines that call the Kubernetes API)." }),
};

/** A scheduled pipeline: a CronJob (an Indexed Job with completions) or, with steps, an Argo CronWorkflow. */
const batchPipeline = z.strictObject({
  mode: z.literal("batch").optional().default("batch").register(z.globalRegistry, { description: "batch (default): runs on a schedule; streaming: a long-running Kafka consumer scaled on its lag." }),
  ...pipelineCommon,
  schedule: cronSchedule.describe("5-field cron, evaluated in timeZone; or @hourly, @daily, @weekly, @monthly, @yearly (as the CronJob controller and Argo accept them; @every is refused)."),
  timeZone: timeZone.describe("An IANA time zone as the tz database spells it (case-sensitive, no abbreviations), e.g. Europe/Berlin."),
  suspend: z.boolean().default(false).register(z.globalRegistry, { description: "Stop scheduling runs." }),
  concurrencyPolicy: z.enum(["Forbid", "Replace"]).default("Forbid").register(z.globalRegistry, { description: "What a run does when the previous one still runs: Forbid (skip) or Replace." }),
  startingDeadlineSeconds: z.number().int().min(10).optional().register(z.globalRegistry, { description: "How late a run may start; defaults to the shorter of 10 minutes and half the shortest gap between runs." }),
  backoffLimit: z.number().int().min(0).max(10).default(3).register(z.globalRegistry, { description: "Retries of a failed run (CronJobs) or of a step on infrastructure failures (multi-step pipelines)." }),
  activeDeadlineSeconds: z.number().int().min(60).max(7 * 24 * 3600).default(3600).register(z.globalRegistry, { description: "How long a run may take, in seconds." }),
  ttlSecondsAfterFinished: z.number().int().min(60).max(7 * 24 * 3600).default(24 * 3600).register(z.globalRegistry, { description: "How long a finished run is kept, in seconds." }),
  successfulJobsHistoryLimit: z.number().int().min(0).max(10).default(3).register(z.globalRegistry, { description: "Successful runs kept." }),
  failedJobsHistoryLimit: z.number().int().min(1).max(10).default(3).register(z.globalRegistry, { description: "Failed runs kept." }),
  // The API server takes a podFailurePolicy's exit codes only strictly ascending and unique, without 0 for `In`, at
  // most 255 of them (kubernetes pkg/apis/batch/validation/validation.go, validatePodFailurePolicyRuleOnExitCodes):
  // 1 to 255, sorted and deduplicated here, meets all four.
  nonRetriableExitCodes: z.array(z.number().int().min(1).max(255)).default([]).transform((codes) => [...new Set(codes)].sort((a, b) => a - b))
    .register(z.globalRegistry, { description: "Exit codes that mean retrying cannot help (bad input, bad config): the run fails at once. Taken in any order; duplicates are dropped." }),
  steps: z.array(pipelineStep).min(1).optional().register(z.globalRegistry, { description: "Multi-step pipelines become an Argo CronWorkflow with these steps as a DAG." }),
  completions: z.number().int().min(1).max(10000).optional().register(z.globalRegistry, { description: "Split a run into this many indexed tasks: an Indexed Job, each pod getting its index (0 to completions-1) in JOB_COMPLETION_INDEX." }),
  parallelism: z.number().int().min(1).max(1000).optional().register(z.globalRegistry, { description: "How many indexed tasks run at once (needs completions; at most pipelineLimits.maxParallelism). Default 1." }),
  backoffLimitPerIndex: z.number().int().min(0).max(10).optional().register(z.globalRegistry, { description: "Retries of each index on its own (needs completions); defaults to backoffLimit. The run's total retries are then unbounded, each index keeping its own count." }),
  maxFailedIndexes: z.number().int().min(0).max(10000).optional().register(z.globalRegistry, { description: "Fail the whole run once more indexes than this have failed (needs completions; at most completions). Unset: every index runs, the run fails at the end if any did." }),
});

/**
 * A streaming pipeline: a long-running Kafka consumer (a Deployment) that KEDA scales on its consumer group's lag
 * (components/platform/pipelines/streaming.ts).
 */
const streamingScaling = z.strictObject({
  minReplicas: z.number().int().min(0).max(100).default(1).register(z.globalRegistry, { description: "Consumers kept when there is no lag; 0 scales to zero (the first message then waits for a pod to start)." }),
  maxReplicas: z.number().int().min(1).max(1000).register(z.globalRegistry, { description: "The most consumers: at most the partitions of the topics it reads, summed (more sit idle)." }),
  lagThreshold: z.number().int().min(1).max(1_000_000).default(100).register(z.globalRegistry, { description: "Target lag (messages) per consumer: KEDA adds a consumer for every lagThreshold messages behind." }),
  activationLagThreshold: z.number().int().min(0).max(1_000_000).optional().register(z.globalRegistry, { description: "With minReplicas 0: the lag above which the first consumer starts (KEDA's default 0: any message)." }),
  cooldownPeriodSeconds: z.number().int().min(30).max(24 * 3600).default(300).register(z.globalRegistry, { description: "With minReplicas 0: how long without lag before the last consumer stops." }),
  scaleDownStabilizationSeconds: z.number().int().min(0).max(3600).default(300).register(z.globalRegistry, { description: "How long the lag must stay low before consumers are removed (each removal rebalances the group)." }),
  fallbackReplicas: z.number().int().min(0).max(1000).optional().register(z.globalRegistry, { description: "Consumers kept, at least, while KEDA cannot read the lag (3 failed polls in a row); default max(1, minReplicas)." }),
});

const streamingPipeline = z.strictObject({
  mode: z.literal("streaming").register(z.globalRegistry, { description: "streaming: a long-running Kafka consumer scaled on its lag." }),
  ...pipelineCommon,
  kafka: z.strictObject({
    read: z.array(z.string()).min(1).register(z.globalRegistry, { description: "Topics the consumer reads (its consumer group is its name); its lag on them drives the scaling." }),
    write: z.array(z.string()).default([]).register(z.globalRegistry, { description: "Topics the pipeline writes." }),
  }).register(z.globalRegistry, { description: "Kafka access (required for streaming): its own KafkaUser with exactly these ACLs." }),
  scaling: streamingScaling.register(z.globalRegistry, { description: "How KEDA scales the consumers on their lag." }),
  startFrom: z.enum(["earliest", "latest"]).default("earliest").register(z.globalRegistry, { description: "Where a consumer group with no committed offset starts (KAFKA_AUTO_OFFSET_RESET, and KEDA's offsetResetPolicy so both count the same lag)." }),
  terminationGracePeriodSeconds: z.number().int().min(5).max(3600).default(60).register(z.globalRegistry, { description: "Time to commit offsets and close after SIGTERM (a scale-down, a spot reclaim, a rollout): at least the consumer's commit-and-close time." }),
});

/** Keys only one mode takes: a key of the other mode is refused by name (config/load.ts). */
export const BATCH_ONLY_KEYS: readonly string[] = Object.keys(batchPipeline.shape).filter((key) => key !== "mode" && !(key in pipelineCommon));
export const STREAMING_ONLY_KEYS: readonly string[] = Object.keys(streamingPipeline.shape).filter((key) => key !== "mode" && !(key in pipelineCommon));

const pipeline = z.discriminatedUnion("mode", [batchPipeline, streamingPipeline]);
const pipelineLimitsSection = z.strictObject({
  maxParallelism: z.number().int().min(1).max(1000).default(20).register(z.globalRegistry, { description: "The most pods one pipeline's run may start at once (its parallelism): one runaway pipeline cannot take every batch node." }),
  quota: z.strictObject({
    cpu: cpuQuantity.optional().register(z.globalRegistry, { description: "Total CPU requests of the pipelines namespace, e.g. 16." }),
    memory: memoryQuantity.optional().register(z.globalRegistry, { description: "Total memory requests of the pipelines namespace, e.g. 64Gi." }),
    pods: z.number().int().min(1).optional().register(z.globalRegistry, { description: "Running pods in the pipelines namespace." }),
  }).default({}).register(z.globalRegistry, { description: "The pipelines namespace's ResourceQuota. Each total defaults to the declared pipelines' concurrent peak plus half; an override below that peak is refused." }),
});

const kubernetesTargetSection = z.strictObject({
  storageClassName: dnsLabel(63).default("standard").register(z.globalRegistry, { description: "The cluster's StorageClass for every volume (kind's is standard)." }),
  scratchStorageClassName: dnsLabel(63).default("standard").register(z.globalRegistry, { description: "A StorageClass that deletes volumes with their claims, for the restore drill's throwaway cluster (kind's standard does)." }),
  objectStoreSize: storageQuantity.default("10Gi").register(z.globalRegistry, { description: "Volume of the in-cluster S3-compatible object store (SeaweedFS) that holds backups and step logs." }),
  apiServerCidrs: z.array(cidrBlock).min(1).default(["0.0.0.0/0"]).register(z.globalRegistry, { description: "Where pods reach the API server once its Service address is translated (kind: the control-plane node's address), and where its calls to admission webhooks come from, for NetworkPolicies." }),
  apiServerPorts: z.array(z.number().int().min(1).max(65535)).min(1).default([443, 6443]).register(z.globalRegistry, { description: "The API server's ports as pods reach it (443 through the Service, 6443 on a kubeadm control-plane node)." }),
  externalObjectStore: z.strictObject({
    endpoint: z.url({ protocol: /^https?$/, error: "expected an http(s) URL, e.g. https://s3.eu-central-1.amazonaws.com" }).register(z.globalRegistry, { description: "The S3-compatible endpoint's URL (https in prod); buckets are addressed by path." }),
    region: z.string().min(1).default("us-east-1").register(z.globalRegistry, { description: "The region the endpoint signs requests for." }),
    buckets: z.strictObject({
      postgresBackups: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "expected an S3 bucket name").register(z.globalRegistry, { description: "Bucket of the Postgres backups (WAL and base backups); versioning and object lock are its owner's to set." }),
      argoArtifacts: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "expected an S3 bucket name").register(z.globalRegistry, { description: "Bucket of the steps pipelines' artifacts and logs; expire them with its lifecycle rules." }),
    }).register(z.globalRegistry, { description: "Existing buckets, one per purpose: the program creates none on an external store." }),
    cidrs: z.array(cidrBlock).min(1).register(z.globalRegistry, { description: "Where pods reach the endpoint, for the NetworkPolicies of pipelines and the restore drill." }),
    accessKeyIdSecret: secretName.describe("The etl-platform:secrets entry holding the access key id (a key allowed only these buckets)."),
    secretAccessKeySecret: secretName.describe("The etl-platform:secrets entry holding its secret access key."),
  }).optional().register(z.globalRegistry, { description: "An S3-compatible store outside the cluster, instead of the in-cluster SeaweedFS (required in prod: a store in the cluster shares its fate)." }),
});

/** The kubernetesTarget section with every default, for a stack that sets target: kubernetes and nothing else. */
const costBudgetSection = z.strictObject({
  monthlyIdleFloor: z.number().positive().register(z.globalRegistry, { description: "Most the idle floor of the plan's cost estimate may be, in USD a month: npm run plan exits 5 (and the pull-request check fails) above it." }),
});

export function kubernetesTargetDefaults(): z.output<typeof kubernetesTargetSection> {
  return kubernetesTargetSection.parse({});
}

export const platformConfigSchema = z
  .strictObject({
    environment: z.enum(["staging", "prod"]).register(z.globalRegistry, { description: "staging or prod: selects the defaults and the prod rules." }),
    target: z.enum(["aws", "kubernetes"]).default("aws").register(z.globalRegistry, { description: "aws: the whole platform on EKS in its own VPC; kubernetes: only the platform layer, on the cluster of the kubernetes:kubeconfig and kubernetes:context config, with an in-cluster object store and no AWS resource." }),
    kubernetesTarget: kubernetesTargetSection.optional().register(z.globalRegistry, { description: "Settings of target: kubernetes." }),
    network: networkSection.describe("The VPC, or an existing one."),
    cluster: clusterSection.describe("The EKS cluster."),
    logging: loggingSection.describe("Log retention of the platform's log groups and access logs."),
    security: securitySection.describe("Controls against an operator mistake or a compromised admin (AWS only)."),
    nodePools: nodePoolsSection.describe("Managed node groups."),
    autoscaler: autoscalerSection.describe("The cluster autoscaler."),
    kafka: kafkaSection.describe("Kafka on Strimzi."),
    postgres: postgresSection.describe("Postgres on CloudNativePG."),
    monitoring: monitoringSection.describe("kube-prometheus-stack."),
    telemetry: telemetrySection.describe("OpenTelemetry: the pipelines' traces and run metrics."),
    argo: argoSection.describe("Argo Workflows."),
    pipelines: z.array(pipeline).register(z.globalRegistry, { description: "The data pipelines: a CronJob each (an Indexed Job with completions), an Argo CronWorkflow with steps, or a streaming consumer (mode: streaming)." }),
    pipelineLimits: pipelineLimitsSection.prefault({}).register(z.globalRegistry, { description: "Bounds every pipeline stays within." }),
    costBudget: costBudgetSection.optional().register(z.globalRegistry, { description: "A guard rail on the plan's cost estimate (target aws only)." }),
    secrets: z.record(secretName, z.string()).default({}).register(z.globalRegistry, { description: "Secret values by name, set with pulumi config set --secret --path 'etl-platform:secrets.<name>' <value>." }),
  });

export type PlatformConfig = z.infer<typeof platformConfigSchema>;
export type NetworkConfig = PlatformConfig["network"];
export type ClusterConfig = PlatformConfig["cluster"];
export type LoggingConfig = PlatformConfig["logging"];
export type NodePoolsConfig = PlatformConfig["nodePools"];
export type NodePoolConfig = z.infer<typeof nodePool>;
export type BatchPoolConfig = z.infer<typeof batchPool>;
export type AutoscalerConfig = PlatformConfig["autoscaler"];
export type KarpenterSettings = AutoscalerConfig["karpenter"];
export type KafkaConfig = PlatformConfig["kafka"];
export type PostgresConfig = PlatformConfig["postgres"];
export type MonitoringConfig = PlatformConfig["monitoring"];
export type TelemetryConfig = PlatformConfig["telemetry"];
export type ArgoConfig = PlatformConfig["argo"];
export type PipelineConfig = PlatformConfig["pipelines"][number];
export type BatchPipelineConfig = Extract<PipelineConfig, { mode: "batch" }>;
export type StreamingPipelineConfig = Extract<PipelineConfig, { mode: "streaming" }>;
export type ResourcesConfig = z.infer<typeof resources>;
export type Environment = PlatformConfig["environment"];

/** A multi-step pipeline's steps; undefined for one-container and streaming pipelines. */
export function pipelineSteps(pipeline: PipelineConfig): BatchPipelineConfig["steps"] {
  return pipeline.mode === "batch" ? pipeline.steps : undefined;
}
