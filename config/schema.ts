/**
 * The stack config schema: the one source of the platform's config types and of each field's own validation.
 * Stack files set each section under the `etl-platform:` namespace. The folder's modules import in one
 * direction: schema <- defaults <- rules <- load (per-environment defaults in defaults.ts, cross-field rules in
 * rules.ts, reading and reporting in load.ts).
 */
import { z } from "zod";
import { cronProblem, isValidTimeZone } from "../lib/cron";
import { DIGEST_PATTERN, TAG_PATTERN, parseImage } from "../lib/image";
import { supportedKubernetesVersions } from "../versions";

/** A Kubernetes resource quantity such as `500m`, `2`, `512Mi` or `100Gi`. */
export const quantity = z
  .string()
  .regex(/^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/, "expected a Kubernetes quantity such as 500m, 2, 512Mi or 100Gi");

/** A DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit. */
const dnsLabel = (maxLength: number) =>
  z
    .string()
    .max(maxLength, `expected at most ${maxLength} characters`)
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "expected a DNS-1123 label (lower-case letters, digits and '-')");

const envVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected an environment variable name");
const secretName = z.string().regex(/^[A-Za-z][A-Za-z0-9-]*$/, "expected the name of an entry under etl-platform:secrets");
const positiveInt = z.number().int().min(1);
const cronSchedule = z.string().superRefine((value, ctx) => {
  const problem = cronProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
const timeZone = z.string().superRefine((value, ctx) => {
  if (!isValidTimeZone(value)) ctx.addIssue({ code: "custom", message: `expected an IANA time zone such as UTC or Europe/Berlin, got ${JSON.stringify(value)}` });
});
const awsArn = z.string().regex(/^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+$/, "expected an AWS ARN");

/** A container image pinned by tag (never `latest`), optionally also by digest (required in prod). */
export const imageReference = z.string().superRefine((value, ctx) => {
  const { tag, digest } = parseImage(value);
  if (!tag) ctx.addIssue({ code: "custom", message: `expected an image pinned by tag (repo:tag), got ${JSON.stringify(value)}` });
  else if (!TAG_PATTERN.test(tag)) ctx.addIssue({ code: "custom", message: `expected a valid image tag, got ${JSON.stringify(tag)}` });
  else if (tag === "latest") ctx.addIssue({ code: "custom", message: `expected a pinned tag, got "latest" (it changes under a running platform)` });
  if (digest !== undefined && !DIGEST_PATTERN.test(digest)) {
    ctx.addIssue({ code: "custom", message: `expected a digest of the form sha256:<64 hex>, got ${JSON.stringify(digest)}` });
  }
});

/** Requests are required (the scheduler and autoscaler plan by them); a memory limit is required (no noisy neighbours). */
export const resources = z.strictObject({
  requests: z.strictObject({ cpu: quantity, memory: quantity }),
  limits: z.strictObject({ memory: quantity, cpu: quantity.optional() }),
});

const nodePool = z.strictObject({
  /** EC2 instance types, e.g. `m6i.large`. */
  instanceTypes: z.array(z.string()).min(1),
  minSize: z.number().int().min(0),
  desiredSize: z.number().int().min(0),
  maxSize: positiveInt,
  /** Root volume size (encrypted gp3). */
  diskSizeGiB: z.number().int().min(20).max(1000),
});

const batchPool = nodePool.extend({
  /** Pool name, used in node group names and the `etl-platform/pool` label. */
  name: dnsLabel(20),
  /** `spot` (default) or `on-demand`, for pipelines that must not be interrupted. The autoscaler prefers spot. */
  capacityType: z.enum(["spot", "on-demand"]).default("spot"),
});

const networkSection = z.strictObject({
  /** The VPC's IPv4 range. */
  cidr: z.cidrv4(),
  /** How many availability zones to spread over: 3 in prod, so Kafka and Postgres survive losing one. */
  availabilityZones: z.number().int().min(2).max(4),
  /** Private (node) subnets, one per zone; computed from `cidr` when omitted. */
  privateSubnetCidrs: z.array(z.cidrv4()).optional(),
  /** Public (load balancer, NAT) subnets, one per zone; computed from `cidr` when omitted. */
  publicSubnetCidrs: z.array(z.cidrv4()).optional(),
  /** `single`: one NAT gateway (cheap, one zone's outage cuts egress); `perZone`: one per zone. */
  natGateways: z.enum(["single", "perZone"]),
  /** Use an existing VPC and subnets instead of creating them. */
  existing: z
    .strictObject({
      vpcId: z.string().regex(/^vpc-[0-9a-f]+$/, "expected a VPC id (vpc-...)"),
      privateSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, "expected a subnet id (subnet-...)")).min(2),
      publicSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, "expected a subnet id (subnet-...)")).min(2),
    })
    .optional(),
});

export const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"] as const;

/**
 * The retention periods CloudWatch Logs accepts, in days (PutRetentionPolicy, `retentionInDays`:
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html).
 */
export const CLOUDWATCH_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const loggingSection = z.strictObject({
  /**
   * How long every log group of the platform keeps its events (control plane, VPC flow logs) and how long the
   * buckets' access logs are kept: one of CloudWatch's values.
   */
  retentionDays: z.number().int().refine((days) => (CLOUDWATCH_RETENTION_DAYS as readonly number[]).includes(days), {
    message: `expected a retention CloudWatch Logs accepts (${CLOUDWATCH_RETENTION_DAYS.join(", ")})`,
  }),
});

const clusterSection = z.strictObject({
  /** EKS cluster name; also the autoscaler's discovery tag. */
  name: dnsLabel(40),
  /** A version with an entry in versions.ts and eksCalendar.ts; refused once EKS no longer supports it. */
  kubernetesVersion: z.enum(supportedKubernetesVersions),
  /**
   * What EKS does when the version's standard support ends: `STANDARD` upgrades the control plane to the next
   * version, `EXTENDED` keeps it for 12 more months at $0.60 instead of $0.10 per cluster-hour.
   */
  upgradePolicy: z.enum(["STANDARD", "EXTENDED"]),
  /** CIDRs allowed to reach the public API endpoint (the private endpoint is always on). Empty: private only. */
  publicAccessCidrs: z.array(z.cidrv4()),
  /** IAM role ARNs given cluster-admin through EKS access entries. */
  adminRoleArns: z.array(awsArn),
  /** Control-plane log types sent to CloudWatch (kept for `logging.retentionDays`); all five in prod. */
  logTypes: z.array(z.enum(CONTROL_PLANE_LOG_TYPES)),
});

const nodePoolsSection = z.strictObject({
  /** On-demand nodes for cluster add-ons and operators. */
  system: nodePool,
  /** On-demand nodes for Kafka, Postgres and Prometheus; in prod one group per zone, sized per group. */
  stateful: nodePool,
  /** Pools for pipelines, scaling to zero. Spot pools take at least 4 instance types of one shape from at least 2 families. */
  batch: z.array(batchPool).min(1),
});

const autoscalerSection = z.strictObject({
  enabled: z.boolean(),
  /** How long a node must be unneeded before it is removed, e.g. `10m`. */
  scaleDownUnneededTime: z.string().regex(/^\d+[smh]$/, "expected a duration such as 10m"),
  /** How long to wait for a node before giving up on its group (e.g. when spot capacity is short), e.g. `5m`. */
  maxNodeProvisionTime: z.string().regex(/^\d+[smh]$/, "expected a duration such as 5m"),
  resources,
});

const kafkaTopic = z.strictObject({
  name: dnsLabel(63),
  partitions: positiveInt,
  replicas: positiveInt,
  retentionHours: positiveInt,
});

const kafkaSection = z.strictObject({
  namespace: dnsLabel(63),
  brokers: positiveInt,
  controllers: positiveInt,
  /** One node pool with both roles (staging only: a combined node restarts both roles at once). */
  combinedRoles: z.boolean(),
  brokerStorageSize: quantity,
  controllerStorageSize: quantity,
  brokerResources: resources,
  controllerResources: resources,
  defaultReplicationFactor: positiveInt,
  minInsyncReplicas: positiveInt,
  /** Adds a plain-text listener on 9092 (TLS on 9093 is always there). */
  plainListener: z.boolean(),
  /** How clients authenticate: SCRAM-SHA-512 passwords or mutual TLS. */
  authentication: z.enum(["scram-sha-512", "tls"]),
  /** Delete broker volumes when the Kafka resource is deleted. */
  deleteClaim: z.boolean(),
  topics: z.array(kafkaTopic),
});

const postgresSection = z.strictObject({
  namespace: dnsLabel(63),
  /** Postgres major version; the exact image is pinned in versions.ts. */
  majorVersion: z.enum(["16", "17"]),
  instances: positiveInt,
  storageSize: quantity,
  walStorageSize: quantity,
  resources,
  database: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "expected a Postgres identifier"),
  owner: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "expected a Postgres identifier"),
  backup: z.strictObject({
    enabled: z.boolean(),
    /** When base backups run (5-field cron, UTC). WAL is archived continuously. */
    schedule: cronSchedule,
    retentionDays: positiveInt,
  }),
});

const alertReceiver = z.strictObject({
  name: dnsLabel(40),
  type: z.enum(["slack", "pagerduty", "webhook"]),
  /** The `etl-platform:secrets` entry holding the webhook URL or routing key. */
  secret: secretName,
  /** Slack channel, for `slack` receivers. */
  channel: z.string().optional(),
});

const monitoringSection = z.strictObject({
  namespace: dnsLabel(63),
  /** Prometheus retention, e.g. `15d`. */
  retention: z.string().regex(/^\d+[hdwy]$/, "expected a duration such as 15d"),
  storageSize: quantity,
  prometheusResources: resources,
  /** Extra time past a pipeline's longest schedule gap before its freshness alert fires. */
  freshnessMarginMinutes: positiveInt,
  receivers: z.array(alertReceiver),
});

const argoSection = z.strictObject({
  namespace: dnsLabel(63),
  /** `client` (a Kubernetes bearer token) or `sso` (needs `sso`); `server` lets anyone who reaches the UI act as the server. */
  serverAuthMode: z.enum(["sso", "client", "server"]),
  /** Single sign-on through an OIDC provider; the client id and secret are `etl-platform:secrets` entries. */
  sso: z.strictObject({
    issuer: z.url(),
    redirectUrl: z.url(),
    clientIdSecret: secretName,
    clientSecretSecret: secretName,
  }).optional(),
  /** Days workflow artifacts and logs are kept in S3. */
  artifactRetentionDays: positiveInt,
  /** Archive finished workflows in Postgres. */
  archive: z.boolean(),
  /**
   * Defaults for every workflow: how long it may run and how long it is kept. Retries are per step (each
   * pipeline's `backoffLimit`), never workflow-wide: a workflow-level retry would re-run a whole DAG.
   */
  workflowDefaults: z.strictObject({
    activeDeadlineSeconds: z.number().int().min(60).max(7 * 24 * 3600).default(6 * 3600),
    ttlSecondsAfterFinished: z.number().int().min(60).max(30 * 24 * 3600).default(24 * 3600),
  }).default({ activeDeadlineSeconds: 6 * 3600, ttlSecondsAfterFinished: 24 * 3600 }),
});

const s3Uri = z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^*]*)?$/, "expected an S3 URI such as s3://bucket/prefix/");

const pipelineStep = z.strictObject({
  name: dnsLabel(40),
  /** Defaults to the pipeline's image. */
  image: imageReference.optional(),
  command: z.array(z.string()).min(1),
  args: z.array(z.string()).default([]),
  dependsOn: z.array(z.string()).default([]),
});

const pipeline = z.strictObject({
  /** The CronJob's name: a DNS-1123 label of at most 52 characters (Kubernetes appends 11 for each Job). */
  name: dnsLabel(52),
  /** 5-field cron, evaluated in `timeZone`. */
  schedule: cronSchedule,
  timeZone,
  image: imageReference,
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).default([]),
  env: z.record(envVarName, z.string()).default({}),
  /** Env vars whose values come from `etl-platform:secrets` entries, delivered as a Kubernetes Secret. */
  secretEnv: z.record(envVarName, secretName).default({}),
  resources,
  suspend: z.boolean().default(false),
  /** `spot` (default; interruptions are retried for free) or `on-demand` for jobs that must not be interrupted. */
  placement: z.enum(["spot", "on-demand"]).default("spot"),
  concurrencyPolicy: z.enum(["Forbid", "Replace"]).default("Forbid"),
  /** Defaults to the shorter of 10 minutes and half the shortest gap between runs. */
  startingDeadlineSeconds: z.number().int().min(10).optional(),
  backoffLimit: z.number().int().min(0).max(10).default(3),
  activeDeadlineSeconds: z.number().int().min(60).max(7 * 24 * 3600).default(3600),
  ttlSecondsAfterFinished: z.number().int().min(60).max(7 * 24 * 3600).default(24 * 3600),
  successfulJobsHistoryLimit: z.number().int().min(0).max(10).default(3),
  failedJobsHistoryLimit: z.number().int().min(1).max(10).default(3),
  /** Exit codes that mean retrying cannot help (bad input, bad config): the Job fails at once. */
  nonRetriableExitCodes: z.array(z.number().int().min(1).max(255)).default([]),
  kafka: z.strictObject({ read: z.array(z.string()).default([]), write: z.array(z.string()).default([]) }).optional(),
  postgres: z.boolean().default(false),
  s3: z.strictObject({ read: z.array(s3Uri).default([]), write: z.array(s3Uri).default([]) }).optional(),
  /** Allow egress to the internet (HTTPS) for extract jobs that call external APIs. */
  internet: z.boolean().default(false),
  /** Mount a service account token (only for pipelines that call the Kubernetes API). */
  kubernetesApi: z.boolean().default(false),
  /** Multi-step pipelines become an Argo CronWorkflow with these steps as a DAG. */
  steps: z.array(pipelineStep).min(1).optional(),
});

export const platformConfigSchema = z
  .strictObject({
    environment: z.enum(["staging", "prod"]),
    network: networkSection,
    cluster: clusterSection,
    logging: loggingSection,
    nodePools: nodePoolsSection,
    autoscaler: autoscalerSection,
    kafka: kafkaSection,
    postgres: postgresSection,
    monitoring: monitoringSection,
    argo: argoSection,
    pipelines: z.array(pipeline),
    /** Names of the secret values set with `pulumi config set --secret --path 'etl-platform:secrets.<name>'`. */
    secrets: z.record(secretName, z.string()).default({}),
  });

export type PlatformConfig = z.infer<typeof platformConfigSchema>;
export type NetworkConfig = PlatformConfig["network"];
export type ClusterConfig = PlatformConfig["cluster"];
export type LoggingConfig = PlatformConfig["logging"];
export type NodePoolsConfig = PlatformConfig["nodePools"];
export type NodePoolConfig = z.infer<typeof nodePool>;
export type BatchPoolConfig = z.infer<typeof batchPool>;
export type AutoscalerConfig = PlatformConfig["autoscaler"];
export type KafkaConfig = PlatformConfig["kafka"];
export type PostgresConfig = PlatformConfig["postgres"];
export type MonitoringConfig = PlatformConfig["monitoring"];
export type ArgoConfig = PlatformConfig["argo"];
export type PipelineConfig = PlatformConfig["pipelines"][number];
export type ResourcesConfig = z.infer<typeof resources>;
export type Environment = PlatformConfig["environment"];
