/**
 * Cross-field rules of the stack config: what no single field can say on its own. Each problem names the key
 * it is about, says what was expected and what was found.
 */
import { z } from "zod";
import { pipelineSteps, type BatchPipelineConfig, type PlatformConfig } from "./schema";
import { cidrContains, cidrsOverlap, defaultSubnetLayout, parseCidr } from "../lib/cidr";
import { cronProblem, scheduleGaps } from "../lib/cron";
import { isValidTimeZone } from "./timeZones";
import { instanceShape, KNOWN_FAMILIES } from "../lib/instanceTypes";
import { parseImage } from "../lib/image";
import { parseQuantity } from "../lib/quantity";
import { kubernetesVersionNotes } from "./kubernetesVersion";
import { findCycle } from "./steps";
import { parallelProblems } from "./parallel";
import { streamingProblems } from "./streaming";
import { nearest } from "./suggest";
import { peakFootprint, quotaProblems } from "./footprint";
import { checkKarpenter } from "./karpenter";
import { checkArchitectures } from "./architecture";
import { nodePoolsWithPaths } from "./nodePoolPaths";

type Path = (string | number)[];
type Report = (path: Path, message: string) => void;

export const PROD_ZONES = 3;
export const MIN_SPOT_TYPES = 4;
export const MIN_SPOT_FAMILIES = 2;
const MAX_VPC_PREFIX = 20;
const ipv4Cidr = z.cidrv4();
const ALL_CONTROL_PLANE_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

/** What the rules below check, for the generated reference (docs/config.md). */
export const CROSS_FIELD_RULES = [
  "`target`: on `kubernetes`, none of the AWS-only sections (`network`, `cluster`, `logging`, `nodePools`, `autoscaler`) nor a pipeline's `s3`; `kubernetesTarget` only on `kubernetes`; in prod `kubernetesTarget.externalObjectStore` is set, on https, and the secrets it names exist.",
  "`network`: prod spreads over at least 3 zones with a NAT gateway per zone; the VPC range is /20 or larger; subnets, one per zone, lie inside it and do not overlap.",
  "`cluster`: the Kubernetes version is still supported by EKS on the day of the plan, and in standard support with `upgradePolicy: STANDARD` (the plan warns 60 days before it ends); prod has all five control-plane log types and no endpoint CIDR open to the world.",
  "`nodePools`: min <= desired <= max; known instance types; batch pools scale to zero, have unique names; spot pools take at least 4 types of one vCPU/memory shape from at least 2 families.",
  "`kafka`: prod has 3+ brokers, 3+ controllers, separate roles, replication factor 3+, min ISR 2+; the controller quorum is odd; replication factor <= brokers; min ISR below the factor; topics are unique, with replicas between min ISR and the broker count, and in prod above min ISR (a broker restart then never blocks acks=all producers).",
  "`postgres`: prod has 3+ instances and backups on; the restore drill needs backups, and its RTO is below its deadline; the owner is not `argo_archive`, and no pipeline's `postgresSchemas` names it (Argo's archive role and schema); `retiredRoles` are unique and none is in use (the owner, a pipeline's with `postgres`, `argo_archive` with the archive on).",
  "`argo`, `monitoring`: prod never uses `serverAuthMode: server`; `sso` is set with `serverAuthMode: sso`; every secret a receiver or SSO names exists under `secrets`.",
  "`pipelines`: `postgresSchemas` only with `postgres`; unique names, none the platform reserves in the pipelines namespace (`default`, `restore-drill`, `postgres-restore-drill`, `argo-executor`, `etl-cluster-ca-cert`, `default-deny`, `allow-dns`, names ending in `-env` or `-object-store`, a name that is another pipeline's plus `-postgres`, names with a segment of 8 or more digits); a batch pool of the placement's capacity type exists; prod images are pinned by digest; `startingDeadlineSeconds` is below the shortest gap between runs; Kafka topics are declared in `kafka.topics`; `secretEnv` names existing secrets; no secret in plain `env`; steps have unique names, known dependencies and no cycle; `parallelism`, `backoffLimitPerIndex` and `maxFailedIndexes` only with `completions` (an Indexed Job) and never on multi-step pipelines; `parallelism` and `maxFailedIndexes` at most `completions`; `parallelism` at most `pipelineLimits.maxParallelism`; `pipelineLimits.quota` overrides at least the pipelines' concurrent peak (a streaming pipeline counted at `scaling.maxReplicas`); a streaming pipeline (`mode: streaming`) takes none of the batch keys (`schedule`, `completions`, deadlines, history, `steps`, ...) and a batch pipeline none of `scaling`, `startFrom`, `terminationGracePeriodSeconds`; its `scaling.minReplicas` and `fallbackReplicas` are at most `maxReplicas`, `maxReplicas` at most the summed partitions of the topics it reads and at most `pipelineLimits.maxParallelism`, and `activationLagThreshold` only with `minReplicas` 0.",
  "every `resources` block: a request is at most its limit (the API server refuses it otherwise).",
  "`architecture` (node pools) and `imageArchitectures` (pipelines), on `target: aws`: a pool's instance types are of its architecture; an `arm64` pool only while every image the platform runs is recorded as built for arm64 (versions.ts `imageArchitectures`), and with `instanceGenerations` only with a Graviton generation (6, 7, 8); a pipeline has a batch pool of its capacity type in one of its `imageArchitectures`.",
  "`autoscaler.engine`: `karpenter` only on `target: aws` and with `enabled: true`; the cluster autoscaler's flags (`scaleDownUnneededTime`, `maxNodeProvisionTime`) only with `cluster-autoscaler`, and `autoscaler.karpenter` and a batch pool's `instanceCategories`, `instanceGenerations` and `onDemandFallback` only with `karpenter`; with `karpenter` the system and stateful pools have min = desired = max (nothing scales them), batch pools start at 0, the system pool has a node per controller replica, `expireAfter` comes with a `terminationGracePeriod`, and that is at least the longest `activeDeadlineSeconds` of the batch pipelines; `onDemandFallback` only on spot pools, `instanceGenerations` only with `instanceCategories`.",
];

/** Each cross-field rule with the top-level sections it reads. */
const RULES: [(cfg: PlatformConfig, report: Report) => void, string[]][] = [
  [checkNetwork, ["environment", "network"]],
  [checkCluster, ["environment", "cluster", "target"]],
  [checkNodePools, ["nodePools"]],
  [checkKafka, ["environment", "kafka"]],
  [checkPostgres, ["environment", "postgres", "pipelines", "argo"]],
  [checkKubernetesTarget, ["environment", "target", "kubernetesTarget", "secrets"]],
  [checkObservability, ["environment", "argo", "monitoring", "secrets"]],
  [checkPipelines, ["environment", "pipelines", "kafka", "nodePools", "secrets", "pipelineLimits", "postgres"]],
  [checkResources, ["autoscaler", "kafka", "postgres", "monitoring", "pipelines"]],
  [checkKarpenter, ["autoscaler", "nodePools", "pipelines"]],
  [checkArchitectures, ["target", "nodePools", "pipelines"]],
];

export interface RuleProblem {
  path: (string | number)[];
  message: string;
}

/**
 * The cross-field problems of a config whose fields are valid; a rule that throws is a bug. With
 * `invalidSections` (the top-level sections that have a field problem), the config is the unvalidated input, and
 * only the rules that read none of those sections run, so that one run still reports every problem it can.
 */
export function crossFieldProblems(cfg: PlatformConfig, invalidSections: string[] = []): RuleProblem[] {
  const problems: RuleProblem[] = [];
  for (const [rule, sections] of RULES) {
    if (sections.some((section) => invalidSections.includes(section))) continue;
    rule(cfg, (path, message) => problems.push({ path, message }));
  }
  return problems;
}

type Resources = PlatformConfig["kafka"]["brokerResources"];

/** Every requests/limits block of the config, with its key path. */
function resourceBlocks(cfg: PlatformConfig): [Path, Resources][] {
  return [
    [["autoscaler", "resources"], cfg.autoscaler.resources],
    [["kafka", "brokerResources"], cfg.kafka.brokerResources],
    [["kafka", "controllerResources"], cfg.kafka.controllerResources],
    [["postgres", "resources"], cfg.postgres.resources],
    [["monitoring", "prometheusResources"], cfg.monitoring.prometheusResources],
    ...cfg.pipelines.map((pipeline, i): [Path, Resources] => [["pipelines", i, "resources"], pipeline.resources]),
  ];
}

/**
 * A request above its limit: the API server refuses the pod ("must be less than or equal to ... limit",
 * kubernetes pkg/apis/core/validation ValidateResourceRequirements), so the config refuses it.
 */
function checkResources(cfg: PlatformConfig, report: Report): void {
  for (const [path, block] of resourceBlocks(cfg)) {
    for (const resource of ["memory", "cpu"] as const) {
      const request = block.requests[resource];
      const limit = block.limits[resource];
      if (limit === undefined) continue;
      if (parseQuantity(request)! > parseQuantity(limit)!) {
        report([...path, "requests", resource], `expected at most the ${resource} limit (${limit}), got ${request}: the API server refuses a request above its limit`);
      }
    }
  }
}

/** Environment variable names that say they hold a secret. */
const SECRET_NAME = /(^|_)(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?)$/i;
/** Values that are credentials whatever their name: AWS access key ids, private keys. */
const SECRET_VALUE = /(^|[^A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}([^A-Z0-9]|$)|-----BEGIN [A-Z ]*PRIVATE KEY-----/;

function secretInPlainEnv(name: string, value: string): boolean {
  return (SECRET_NAME.test(name) && value.trim() !== "") || SECRET_VALUE.test(value);
}

function checkNetwork({ environment, network }: PlatformConfig, report: Report): void {
  if (environment === "prod" && network.availabilityZones < PROD_ZONES) {
    report(["network", "availabilityZones"], `expected at least ${PROD_ZONES} in prod (Kafka and Postgres must survive losing a zone), got ${network.availabilityZones}`);
  }
  if (environment === "prod" && network.natGateways !== "perZone") {
    report(["network", "natGateways"], `expected "perZone" in prod (a single NAT gateway is a zonal single point of failure), got "${network.natGateways}"`);
  }
  // A malformed range is already reported by its field's own check; the layout below needs a valid one.
  const cidrs = [network.cidr, ...(network.privateSubnetCidrs ?? []), ...(network.publicSubnetCidrs ?? [])];
  if (network.existing || !cidrs.every((cidr) => ipv4Cidr.safeParse(cidr).success)) return;
  if (parseCidr(network.cidr).prefix > MAX_VPC_PREFIX) {
    report(["network", "cidr"], `expected a range of /${MAX_VPC_PREFIX} or larger (pods take VPC addresses), got ${network.cidr}`);
    return;
  }
  const layout = defaultSubnetLayout(network.cidr, network.availabilityZones);
  const subnets: [string, string[]][] = [
    ["privateSubnetCidrs", network.privateSubnetCidrs ?? layout.privateCidrs],
    ["publicSubnetCidrs", network.publicSubnetCidrs ?? layout.publicCidrs],
  ];
  const seen: [Path, string][] = [];
  for (const [key, cidrs] of subnets) {
    if (cidrs.length !== network.availabilityZones) {
      report(["network", key], `expected one subnet per availability zone (${network.availabilityZones}), got ${cidrs.length}`);
    }
    cidrs.forEach((cidr, i) => {
      const path = ["network", key, i];
      if (!cidrContains(network.cidr, cidr)) {
        report(path, `expected a subnet inside the VPC range ${network.cidr}, got ${cidr}`);
      }
      const clash = seen.find(([, other]) => cidrsOverlap(other, cidr));
      if (clash) report(path, `expected subnets that do not overlap, got ${cidr} overlapping ${clash[1]}`);
      seen.push([path, cidr]);
    });
  }
}

function checkCluster({ environment, cluster, target }: PlatformConfig, report: Report): void {
  if (target !== "aws") return;
  for (const problem of kubernetesVersionNotes(cluster, new Date()).problems) report(["cluster", "kubernetesVersion"], problem);
  if (environment !== "prod") return;
  cluster.publicAccessCidrs.forEach((cidr, i) => {
    if (cidr.endsWith("/0")) {
      report(["cluster", "publicAccessCidrs", i], `expected a restricted range in prod (e.g. your VPN's egress /32), got ${cidr} (open to the world)`);
    }
  });
  const missing = ALL_CONTROL_PLANE_LOGS.filter((type) => !cluster.logTypes.includes(type as never));
  if (missing.length > 0) {
    report(["cluster", "logTypes"], `expected all five control-plane log types in prod, missing ${missing.join(", ")}`);
  }
}

function checkNodePools({ nodePools }: PlatformConfig, report: Report): void {
  for (const [path, pool] of nodePoolsWithPaths(nodePools)) {
    if (pool.minSize > pool.desiredSize || pool.desiredSize > pool.maxSize) {
      report([...path, "desiredSize"], `expected minSize <= desiredSize <= maxSize, got ${pool.minSize} <= ${pool.desiredSize} <= ${pool.maxSize}`);
    }
    pool.instanceTypes.forEach((type, i) => {
      if (!instanceShape(type)) {
        report([...path, "instanceTypes", i], `expected an instance type of a known family (${KNOWN_FAMILIES.join(", ")}) and size, got "${type}"`);
      }
    });
  }
  const names = new Set<string>();
  nodePools.batch.forEach((pool, i) => {
    const path = ["nodePools", "batch", i];
    if (names.has(pool.name)) report([...path, "name"], `expected a unique pool name, got "${pool.name}" twice`);
    names.add(pool.name);
    if (pool.minSize !== 0) report([...path, "minSize"], `expected 0 for a batch pool (it scales to zero when no pipeline runs), got ${pool.minSize}`);
    if (pool.capacityType === "spot") checkSpotDiversity(pool.instanceTypes, [...path, "instanceTypes"], report);
  });
}

/** Spot capacity is reclaimed per instance type and zone: several interchangeable types keep a pool schedulable. */
function checkSpotDiversity(instanceTypes: string[], path: Path, report: Report): void {
  const shapes = instanceTypes.map(instanceShape).filter((shape) => shape !== undefined);
  const families = new Set(shapes.map((shape) => shape.family));
  if (new Set(instanceTypes).size < MIN_SPOT_TYPES || families.size < MIN_SPOT_FAMILIES) {
    report(path, `expected at least ${MIN_SPOT_TYPES} instance types from at least ${MIN_SPOT_FAMILIES} families for a spot pool, got ${instanceTypes.length} from ${families.size} (${instanceTypes.join(", ")})`);
  }
  const distinctShapes = new Set(shapes.map((shape) => `${shape.vcpus} vCPU / ${shape.memoryGiB} GiB`));
  if (distinctShapes.size > 1) {
    report(path, `expected instance types with the same vCPU and memory (the autoscaler sizes a group by one of them), got ${[...distinctShapes].join(" and ")}`);
  }
}

function checkKafka({ environment, kafka }: PlatformConfig, report: Report): void {
  const path = (key: string) => ["kafka", key];
  if (environment === "prod") {
    if (kafka.brokers < 3) report(path("brokers"), `expected at least 3 in prod (one per zone), got ${kafka.brokers}`);
    if (kafka.controllers < 3) report(path("controllers"), `expected at least 3 in prod (a KRaft quorum that survives a zone), got ${kafka.controllers}`);
    if (kafka.combinedRoles) report(path("combinedRoles"), "expected false in prod (separate controller and broker pools), got true");
    if (kafka.defaultReplicationFactor < 3) report(path("defaultReplicationFactor"), `expected at least 3 in prod, got ${kafka.defaultReplicationFactor}`);
    if (kafka.minInsyncReplicas < 2) report(path("minInsyncReplicas"), `expected at least 2 in prod, got ${kafka.minInsyncReplicas}`);
  }
  if (kafka.controllers % 2 === 0) report(path("controllers"), `expected an odd number (a quorum of n tolerates (n-1)/2 failures), got ${kafka.controllers}`);
  if (kafka.defaultReplicationFactor > kafka.brokers) {
    report(path("defaultReplicationFactor"), `expected at most the number of brokers (${kafka.brokers}), got ${kafka.defaultReplicationFactor}`);
  }
  if (kafka.defaultReplicationFactor > 1 && kafka.minInsyncReplicas >= kafka.defaultReplicationFactor) {
    report(path("minInsyncReplicas"), `expected less than defaultReplicationFactor (${kafka.defaultReplicationFactor}) so one replica may be down, got ${kafka.minInsyncReplicas}`);
  }
  if (kafka.minInsyncReplicas > kafka.defaultReplicationFactor) {
    report(path("minInsyncReplicas"), `expected at most defaultReplicationFactor (${kafka.defaultReplicationFactor}), got ${kafka.minInsyncReplicas}`);
  }
  const names = new Set<string>();
  kafka.topics.forEach((topic, i) => {
    const topicPath = ["kafka", "topics", i];
    if (names.has(topic.name)) report([...topicPath, "name"], `expected a unique topic name, got "${topic.name}" twice`);
    names.add(topic.name);
    if (topic.replicas > kafka.brokers) report([...topicPath, "replicas"], `expected at most the number of brokers (${kafka.brokers}), got ${topic.replicas}`);
    if (topic.replicas < kafka.minInsyncReplicas) {
      report([...topicPath, "replicas"], `expected at least minInsyncReplicas (${kafka.minInsyncReplicas}) or producers with acks=all are refused, got ${topic.replicas}`);
    } else if (environment === "prod" && topic.replicas === kafka.minInsyncReplicas) {
      // With replicas = min.insync.replicas every broker restart (a rolling update, a node drain) leaves a partition
      // below its ISR minimum, and acks=all producers are refused until the broker is back.
      report([...topicPath, "replicas"], `expected more than minInsyncReplicas (${kafka.minInsyncReplicas}) in prod, so a broker restart does not block acks=all producers, got ${topic.replicas}`);
    }
  });
}

/**
 * Argo's workflow archive connects as this role and keeps its tables in the schema of this name
 * (components/platform/postgresRoles.ts): the owner may not take the name, and no pipeline may be granted it.
 */
export const ARGO_ARCHIVE_ROLE = "argo_archive";

function checkKubernetesTarget({ environment, target, kubernetesTarget, secrets }: PlatformConfig, report: Report): void {
  if (target !== "kubernetes") return;
  const store = kubernetesTarget?.externalObjectStore;
  if (!store) {
    if (environment === "prod") report(["kubernetesTarget", "externalObjectStore"], "expected an S3-compatible store outside the cluster in prod (the in-cluster store would lose the backups with the cluster), got nothing");
    return;
  }
  if (environment === "prod" && !store.endpoint.startsWith("https://")) report(["kubernetesTarget", "externalObjectStore", "endpoint"], `expected an https URL in prod (the backups and the keys cross the network), got "${store.endpoint}"`);
  for (const key of ["accessKeyIdSecret", "secretAccessKeySecret"] as const) {
    if (!(store[key] in secrets)) report(["kubernetesTarget", "externalObjectStore", key], `expected an entry of etl-platform:secrets, got "${store[key]}" (set it with pulumi config set --secret --path 'etl-platform:secrets.${store[key]}' <value>)`);
  }
}

function checkPostgres({ environment, postgres, pipelines, argo }: PlatformConfig, report: Report): void {
  if (postgres.owner === ARGO_ARCHIVE_ROLE) report(["postgres", "owner"], `expected a role other than "${ARGO_ARCHIVE_ROLE}" (Argo's workflow archive's own role), got "${postgres.owner}"`);
  const inUse = new Map<string, string>([
    [postgres.owner, "the database owner"],
    ...(argo.archive ? [[ARGO_ARCHIVE_ROLE, "Argo's workflow archive's role"] as [string, string]] : []),
    ...pipelines.filter((pipeline) => pipeline.postgres).map((pipeline) => [pipeline.name, `the role of pipeline ${pipeline.name}`] as [string, string]),
  ]);
  postgres.retiredRoles.forEach((role, i) => {
    if (inUse.has(role)) report(["postgres", "retiredRoles", i], `expected a role no longer in use, got "${role}" (${inUse.get(role)})`);
    else if (postgres.retiredRoles.indexOf(role) !== i) report(["postgres", "retiredRoles", i], `expected each role once, got "${role}" again`);
  });
  if (postgres.restoreDrill.enabled && !postgres.backup.enabled) {
    report(["postgres", "restoreDrill", "enabled"], "expected false while backup.enabled is false (the drill restores the backups), got true");
  }
  if (postgres.restoreDrill.rtoMinutes >= postgres.restoreDrill.deadlineMinutes) {
    report(["postgres", "restoreDrill", "rtoMinutes"], `expected less than deadlineMinutes (${postgres.restoreDrill.deadlineMinutes}) so a slow restore is measured before the drill is stopped, got ${postgres.restoreDrill.rtoMinutes}`);
  }
  if (environment !== "prod") return;
  if (postgres.instances < 3) report(["postgres", "instances"], `expected at least 3 in prod (a primary and two standbys over three zones), got ${postgres.instances}`);
  if (!postgres.backup.enabled) report(["postgres", "backup", "enabled"], "expected true in prod (WAL archiving and base backups to S3), got false");
}

function checkObservability({ environment, argo, monitoring, secrets }: PlatformConfig, report: Report): void {
  if (environment === "prod" && argo.serverAuthMode === "server") {
    report(["argo", "serverAuthMode"], `expected "sso" or "client" in prod (no anonymous access to the Argo UI), got "server"`);
  }
  if (argo.serverAuthMode === "sso" && !argo.sso) {
    report(["argo", "sso"], "expected the OIDC settings (issuer, redirectUrl, clientIdSecret, clientSecretSecret) when serverAuthMode is \"sso\", got nothing");
  }
  for (const key of ["clientIdSecret", "clientSecretSecret"] as const) {
    const name = argo.sso?.[key];
    if (name !== undefined && !(name in secrets)) {
      report(["argo", "sso", key], `expected an entry of etl-platform:secrets, got "${name}" (set it with pulumi config set --secret --path 'etl-platform:secrets.${name}' <value>)`);
    }
  }
  monitoring.receivers.forEach((receiver, i) => {
    if (!(receiver.secret in secrets)) {
      report(["monitoring", "receivers", i, "secret"], `expected an entry of etl-platform:secrets, got "${receiver.secret}" (set it with pulumi config set --secret --path 'etl-platform:secrets.${receiver.secret}' <value>)`);
    }
  });
}

/**
 * Names a pipeline may not take: each pipeline becomes a ServiceAccount, a KafkaUser (whose Secret the User
 * Operator names after it), a NetworkPolicy and a CronJob or CronWorkflow of that name in the pipelines namespace,
 * so a pipeline named like one of the platform's own objects there would take over its identity or credentials.
 * The components' constants are checked against this list in the tests (test/config.test.ts).
 */
export const RESERVED_PIPELINE_NAMES: Record<string, string> = {
  default: "the namespace's default ServiceAccount",
  "restore-drill": "the restore drill's ServiceAccount (it may read the production backups)",
  "postgres-restore-drill": "the restore drill's CronWorkflow",
  "argo-executor": "Argo's executor ServiceAccount (its token may report workflow results)",
  "etl-cluster-ca-cert": "the Kafka cluster CA mirrored into the namespace",
  "default-deny": "the namespace's default-deny NetworkPolicy",
  "allow-dns": "the namespace's DNS NetworkPolicy",
};

/** Why a pipeline name is reserved, or undefined when it is free. */
export function reservedPipelineName(name: string): string | undefined {
  if (name in RESERVED_PIPELINE_NAMES) return RESERVED_PIPELINE_NAMES[name];
  // `<pipeline>-env` is a pipeline's Secret of secretEnv; `<account>-object-store` an in-cluster store's keys.
  if (name.endsWith("-env")) return "names ending in -env: another pipeline's secretEnv Secret (<pipeline>-env) would be this one's KafkaUser Secret";
  if (name.endsWith("-object-store")) return "names ending in -object-store: another workload's object-store keys (<account>-object-store)";
  // Jobs are `<cronjob>-<minutes, 8 digits>`, Argo workflows `<cronworkflow>-<seconds, 10 digits>`: a name with
  // such a segment is ambiguous in every place that reads the pipeline back from a run's name (alerts, logs).
  if (/(^|-)\d{8,}(-|$)/.test(name)) return "a segment of 8 or more digits: the Job and workflow names of another pipeline's runs look like that";
  return undefined;
}

function checkPipelines(cfg: PlatformConfig, report: Report): void {
  const names = new Set<string>();
  const topics = new Set(cfg.kafka.topics.map((topic) => topic.name));
  const capacityTypes = new Set(cfg.nodePools.batch.map((pool) => pool.capacityType));
  cfg.pipelines.forEach((pipeline, i) => {
    const path = (...keys: (string | number)[]) => ["pipelines", i, ...keys];
    if (!capacityTypes.has(pipeline.placement)) {
      report(path("placement"), `expected a placement with a batch pool of that capacity type in nodePools.batch (${[...capacityTypes].join(", ")}), got "${pipeline.placement}"`);
    }
    if (names.has(pipeline.name)) report(path("name"), `expected a unique pipeline name, got "${pipeline.name}" twice`);
    names.add(pipeline.name);
    if (pipeline.postgresSchemas && !pipeline.postgres) report(path("postgresSchemas"), "expected postgres: true with postgresSchemas (they are the pipeline's Postgres role's grants), got postgres: false");
    for (const access of ["read", "write"] as const) {
      pipeline.postgresSchemas?.[access].forEach((schema, s) => {
        if (schema === ARGO_ARCHIVE_ROLE) report(path("postgresSchemas", access, s), `expected a schema other than "${ARGO_ARCHIVE_ROLE}" (Argo's workflow archive's; only its role uses it), got "${schema}"`);
      });
    }
    const reserved = reservedPipelineName(pipeline.name);
    if (reserved) report(path("name"), `expected a name the platform does not use in the pipelines namespace, got "${pipeline.name}" (reserved: ${reserved})`);
    const images = [pipeline.image, ...(pipelineSteps(pipeline) ?? []).map((step) => step.image)];
    if (cfg.environment === "prod" && images.some((image) => image !== undefined && !parseImage(image).digest)) {
      report(path("image"), `expected images pinned by digest in prod (repo:tag@sha256:...), got ${images.filter((image) => image && !parseImage(image).digest).join(", ")}`);
    }
    if (pipeline.mode === "batch") {
      const scheduleIsValid = cronProblem(pipeline.schedule) === undefined && isValidTimeZone(pipeline.timeZone);
      const minSeconds = scheduleIsValid ? scheduleGaps(pipeline.schedule, pipeline.timeZone).minSeconds : Infinity;
      if (pipeline.startingDeadlineSeconds !== undefined && pipeline.startingDeadlineSeconds >= minSeconds) {
        report(path("startingDeadlineSeconds"), `expected less than the shortest gap between runs (${minSeconds}s) so a late start never overlaps the next run, got ${pipeline.startingDeadlineSeconds}`);
      }
      if (pipeline.steps) checkSteps(pipeline.steps, path("steps"), report);
      for (const { key, message } of parallelProblems(pipeline, cfg.pipelineLimits.maxParallelism)) report(path(key), message);
    } else {
      for (const { key, message } of streamingProblems(pipeline, cfg.kafka.topics, cfg.pipelineLimits.maxParallelism)) report(path(...key), message);
    }
    for (const [direction, list] of Object.entries(pipeline.kafka ?? {})) {
      list.forEach((topic, t) => {
        if (!topics.has(topic)) report(path("kafka", direction, t), `expected a topic declared in kafka.topics (${[...topics].join(", ") || "none"}), got "${topic}"`);
      });
    }
    for (const [name, value] of Object.entries(pipeline.env)) {
      if (secretInPlainEnv(name, value)) {
        report(path("env", name), `expected no secret in plain text (the stack file is in git and the value ends up in the CronJob), got a value for ${name}: set it with pulumi config set --secret --path 'etl-platform:secrets.<name>' and reference it from secretEnv`);
      }
    }
    for (const [name, secret] of Object.entries(pipeline.secretEnv)) {
      if (!(secret in cfg.secrets)) {
        const meant = nearest(secret, Object.keys(cfg.secrets));
        report(path("secretEnv", name), `expected an entry of etl-platform:secrets, got "${secret}" (${meant ? `did you mean ${meant}? or ` : ""}set it with pulumi config set --secret --path 'etl-platform:secrets.${secret}' <value>)`);
      }
    }
  });
  const drillRuns = cfg.postgres.backup.enabled && cfg.postgres.restoreDrill.enabled;
  for (const { key, message } of quotaProblems(peakFootprint(cfg.pipelines, drillRuns), cfg.pipelineLimits.quota)) report(["pipelineLimits", "quota", key], message);
  // A pipeline's Postgres credentials are the Secret `<pipeline>-postgres` in the pipelines namespace, which a
  // pipeline of that name would also claim (its KafkaUser's Secret).
  cfg.pipelines.forEach((pipeline, i) => {
    const owner = pipeline.name.endsWith("-postgres") ? pipeline.name.slice(0, -"-postgres".length) : undefined;
    if (owner && cfg.pipelines.some((other) => other.name === owner && other.postgres)) {
      report(["pipelines", i, "name"], `expected a name that is not another pipeline's Postgres credentials Secret (${owner}'s is ${pipeline.name}), got "${pipeline.name}"`);
    }
  });
}

function checkSteps(steps: NonNullable<BatchPipelineConfig["steps"]>, path: Path, report: Report): void {
  const names = steps.map((step) => step.name);
  steps.forEach((step, i) => {
    if (names.indexOf(step.name) !== i) report([...path, i, "name"], `expected a unique step name, got "${step.name}" twice`);
    step.dependsOn.forEach((dependency, d) => {
      if (!names.includes(dependency)) report([...path, i, "dependsOn", d], `expected the name of another step (${names.join(", ")}), got "${dependency}"`);
    });
    const outputs = step.outputs.map((output) => output.name);
    step.outputs.forEach((output, o) => {
      if (outputs.indexOf(output.name) !== o) report([...path, i, "outputs", o, "name"], `expected a unique output name in the step, got "${output.name}" twice`);
    });
    step.inputs.forEach((input, n) => {
      // Argo resolves {{tasks.<step>.outputs.artifacts.<name>}} only from a task this one depends on.
      const [from, artifact] = input.from.split(".");
      const source = steps.find((candidate) => candidate.name === from);
      if (!step.dependsOn.includes(from)) report([...path, i, "inputs", n, "from"], `expected an output of a step in dependsOn (${step.dependsOn.join(", ") || "none"}), got "${input.from}"`);
      else if (source && !source.outputs.some((output) => output.name === artifact)) {
        report([...path, i, "inputs", n, "from"], `expected an output of step ${from} (${source.outputs.map((output) => output.name).join(", ") || "it has none"}), got "${artifact}"`);
      }
    });
  });
  const cycle = findCycle(steps);
  if (cycle) report(path, `expected steps without circular dependencies, got ${cycle.join(" -> ")}`);
}
