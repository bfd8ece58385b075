/**
 * A monthly cost estimate of what an offline plan declares, from the dated price snapshot: at deploy (every node
 * group at its desired size, where EKS starts it: the first month's bill if nothing scales), the idle floor (at
 * their minimum: what the autoscaler can shrink to; streaming consumers at their minimum included), the ceiling
 * (at their maximum), the expected batch cost of the pipelines, and what spot saves on it. Every figure is a line
 * of quantity × unit price (cost/lines.ts).
 */
import { eksCalendar, supportPhase } from "../eksCalendar";
import type { KubernetesVersion } from "../versions";
import { batchLines, pipelineRuns } from "./batch";
import { cents, HOURS_PER_MONTH, line, total, usageLine, type CostLine } from "./lines";
import { nodeGroupLines, priceNodeGroups, type PricedNodeGroup, type SpotBand } from "./nodes";
import { ofType, type PlannedResource } from "./plannedResource";
import { PriceError, regionPrices, type PriceSnapshot } from "./prices";
import { volumeLines } from "./volumes";
import { gravitonNote, gravitonSwitches, type GravitonSwitch } from "./graviton";
import { streamingConsumers, streamingLines, streamingNotes } from "./streaming";

/** The share of the all-on-demand cost that spot must save for the seed paper's claim (25–35 %) to hold. */
export const CLAIMED_SAVINGS_SHARE = 0.25;
/** A snapshot older than this gets a warning: AWS changes prices, and the advisor's figures move monthly. */
export const STALE_SNAPSHOT_DAYS = 90;

/** The day a feed file on record was fetched (its fetchedAt's date), undefined for a file the snapshot does not list. */
const fetchedOn = (prices: PriceSnapshot, file: string) => prices.feeds[file]?.fetchedAt.slice(0, 10);

/**
 * The age of the prices: the snapshot's date, and the fetch date of each feed file that decides figures in the region.
 * A hand-entered snapshot can be dated after the feeds its verified figures come from (the advisor's savings move
 * monthly), so a recent snapshot date alone would hide old figures; a generated one fetches its feeds on its date.
 */
function ageNotes(options: EstimateOptions): string[] {
  const daysSince = (date: string) => Math.floor((options.date.getTime() - Date.parse(date)) / 86400000);
  const { snapshotDate } = options.prices;
  const notes: string[] = [];
  const ageDays = daysSince(snapshotDate);
  if (ageDays > STALE_SNAPSHOT_DAYS) notes.push(`The price snapshot of ${snapshotDate} is ${ageDays} days old (over ${STALE_SNAPSHOT_DAYS}): refresh it with npm run refresh-prices.`);
  const fieldsBySource = new Map<string, string[]>();
  for (const [field, state] of Object.entries(options.prices.regions[options.region].verified)) {
    if (state.verified) fieldsBySource.set(state.source, [...(fieldsBySource.get(state.source) ?? []), field]);
  }
  for (const [source, fields] of fieldsBySource) {
    const fetched = fetchedOn(options.prices, source);
    if (fetched === undefined || fetched >= snapshotDate || daysSince(fetched) <= STALE_SNAPSHOT_DAYS) continue;
    notes.push(`${fields.join(", ")} in ${options.region} come from ${source}, fetched ${fetched}: ${daysSince(fetched)} days old (over ${STALE_SNAPSHOT_DAYS}), older than the snapshot's date; refresh them with npm run refresh-prices.`);
  }
  return notes;
}

/** The notes on how far the prices can be trusted: age, unverified figures, interruption-prone spot pools. */
function priceNotes(options: EstimateOptions, groups: PricedNodeGroup[]): string[] {
  const notes = ageNotes(options);
  const region = options.prices.regions[options.region];
  for (const [field, state] of Object.entries(region.verified)) {
    if (!state.verified) notes.push(`Unverified in ${options.region}: ${field}, ${state.reason} (npm run refresh-prices reads them from AWS's Price List).`);
  }
  // T3 instances start in unlimited mode: CPU above the baseline is billed as surplus credits, beyond the hourly price.
  const burstable = groups.filter((group) => group.instanceTypes.some((type) => /^t\d/.test(type)));
  for (const group of burstable) notes.push(`${group.name} uses burstable types (${group.instanceTypes.filter((type) => /^t\d/.test(type)).join(", ")}): CPU above their baseline is billed as surplus CPU credits on top of the hourly price (T3's default unlimited mode), not in this estimate.`);
  notes.push(...spotPriceNotes(options, groups.filter((group) => group.capacityType === "SPOT")));
  const bands = options.prices.spotInterruptionBands;
  const highest = bands[bands.length - 1];
  for (const group of groups.filter((candidate) => candidate.interruption)) {
    const frequent = group.interruption!.filter(({ band }) => band === highest.index);
    if (frequent.length * 2 > group.interruption!.length) {
      notes.push(`Spot pool ${group.pool}: ${frequent.length} of its ${group.interruption!.length} types (${frequent.map(({ type }) => type).join(", ")}) are in the Spot Instance Advisor's highest interruption band (${highest.label} of instances interrupted a month): runs there are interrupted often; prefer types in lower bands.`);
    }
  }
  return notes;
}

/** Instance types named in a note: a Karpenter pool may allow dozens, so past six the rest are counted. */
const typeList = (types: string[]) => (types.length > 6 ? `${types.slice(0, 6).join(", ")} and ${types.length - 6} more` : types.join(", "));

/** Which spot price the estimate used for each spot type: an actual price from a spot price feed, or on-demand less the advisor's savings. */
function spotPriceNotes(options: EstimateOptions, spotGroups: PricedNodeGroup[]): string[] {
  if (spotGroups.length === 0) return [];
  const fetched = (file: string) => `${file}, fetched ${fetchedOn(options.prices, file)}`;
  const advisor = Object.keys(options.prices.feeds).find((file) => file.includes("spot-advisor-"));
  const derivedFrom = `on-demand less the Spot Instance Advisor's savings${advisor ? ` (${fetched(advisor)})` : ""}`;
  const priceFeed = options.prices.regions[options.region].verified.spotPrice;
  if (!priceFeed?.verified) return [`Spot prices: ${derivedFrom}, not actual spot prices, which no feed file on file holds.`];
  const types = [...new Set(spotGroups.flatMap((group) => group.instanceTypes))];
  const actual = new Set(spotGroups.flatMap((group) => group.actualSpotPrices ?? []));
  const derived = types.filter((type) => !actual.has(type));
  return [
    ...(actual.size ? [`Spot prices: actual spot prices (${fetched(priceFeed.source)}) for ${typeList([...actual])}.`] : []),
    ...(derived.length ? [`Spot prices: ${derivedFrom} for ${typeList(derived)}, which ${priceFeed.source} does not price in ${options.region}.`] : []),
  ];
}

export interface BatchPoolPrice {
  pool: string;
  nodeGroup: string;
  instanceType: string;
  onDemandHour: number;
  spotHour: SpotBand | null;
  /** A spot pool's types with the Spot Instance Advisor's interruption-frequency band of each (e.g. "<5%"). */
  interruption: { type: string; band: string }[] | null;
}

export interface CostEstimate {
  currency: "USD";
  region: string;
  /** The day the estimate is for: it decides the EKS support phase. */
  priceDate: string;
  /** The day the price snapshot was taken, and whether it was generated from AWS's feeds. */
  snapshotDate: string;
  provenance: PriceSnapshot["provenance"];
  monthly: { atDeploy: number; idleFloor: number; ceiling: number; batchExpected: number };
  spot: null | {
    /** Spot savings on the expected batch volume at the high end of the spot band (the least it saves). */
    savingsMonthly: number;
    /** savingsMonthly over what the same stack costs all on-demand (idle floor + batch on-demand). */
    savingsShare: number;
    /** Spot batch node-hours a month at which the saving reaches 25 % of the all-on-demand cost; null when it never does. */
    breakEvenNodeHours25: number | null;
    expectedNodeHours: number;
    savingsMonthlyBand: { low: number; high: number };
  };
  batchPools: BatchPoolPrice[];
  /** What the system and stateful pools would save on Graviton at deploy (cost/graviton.ts). */
  graviton: GravitonSwitch[];
  lines: CostLine[];
  notes: string[];
}

export interface EstimateOptions {
  region: string;
  date: Date;
  prices: PriceSnapshot;
  /** The config key that chose a node pool's instance types (for error messages). */
  poolKey?: (pool: string) => string;
}

const defaultPoolKey = (pool: string) => (pool === "system" || pool === "stateful" ? `etl-platform:nodePools.${pool}.instanceTypes` : `etl-platform:nodePools.batch (pool "${pool}").instanceTypes`);

function controlPlaneLines(resources: PlannedResource[], hourly: { standard: number; extended: number }, date: Date): CostLine[] {
  return ofType(resources, "eks:index:Cluster", "aws:eks/cluster:Cluster").map((cluster) => {
    const version = cluster.inputs.version as KubernetesVersion;
    const window = eksCalendar[version];
    if (!window) throw new PriceError(`etl-platform:cluster.kubernetesVersion: ${version} is not in eksCalendar.ts, so its support phase on ${date.toISOString().slice(0, 10)} is unknown`);
    const phase = supportPhase(version, date);
    // Past standard support a cluster with upgradePolicy STANDARD is upgraded by EKS and stays at the standard rate;
    // EXTENDED (EKS's default when unset) keeps the version at the extended rate.
    const extended = phase !== "standard" && cluster.inputs.upgradePolicy?.supportType !== "STANDARD";
    const item = `EKS control plane, Kubernetes ${version}, ${extended ? "extended" : "standard"} support on ${date.toISOString().slice(0, 10)} (standard support ends ${window.endOfStandardSupport})`;
    return line(`control-plane/${cluster.name}`, "control plane", item, HOURS_PER_MONTH, "cluster-hour", extended ? hourly.extended : hourly.standard, "fixed");
  });
}

export function estimateCost(resources: PlannedResource[], options: EstimateOptions): CostEstimate {
  const region = regionPrices(options.prices, options.region);
  const groups = priceNodeGroups(resources, { region, regionName: options.region, poolKey: options.poolKey ?? defaultPoolKey });
  const runs = pipelineRuns(resources, groups);
  const consumers = streamingConsumers(resources, groups);
  const natGateways = ofType(resources, "aws:ec2/natGateway:NatGateway").length;
  const publicIps = ofType(resources, "aws:ec2/eip:Eip").length;
  const interfaceEndpoints = ofType(resources, "aws:ec2/vpcEndpoint:VpcEndpoint").filter((endpoint) => endpoint.inputs.vpcEndpointType === "Interface");
  const keys = ofType(resources, "aws:kms/key:Key");
  const kmsKeys = keys.length;
  // KMS pricing: each automatic rotation adds $1 a month to the key, for the first and second rotation only.
  const rotatingKeys = keys.filter((key) => key.inputs.enableKeyRotation === true).length;
  const subnets = ofType(resources, "aws:ec2/subnet:Subnet").length;
  const buckets = ofType(resources, "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2").length;
  const logGroups = ofType(resources, "aws:cloudwatch/logGroup:LogGroup").length;
  const containerLogGroups = ofType(resources, "aws:cloudwatch/logGroup:LogGroup").filter((group) => typeof group.inputs.name === "string" && group.inputs.name.startsWith("/etl/")).length;
  // Spans sent to X-Ray's OTLP endpoint go through CloudWatch Transaction Search, which ingests them as
  // structured logs into the `aws/spans` log group, priced as CloudWatch Logs ingestion
  // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Transaction-Search.html).
  const sendsSpans = ofType(resources, "aws:iam/rolePolicy:RolePolicy").some((policy) => typeof policy.inputs.policy === "string" && policy.inputs.policy.includes("xray:PutTraceSegments"));

  const lines: CostLine[] = [
    ...controlPlaneLines(resources, region.eksClusterHour, options.date),
    ...(natGateways ? [line("network/nat-gateways", "network", `${natGateways} NAT gateways × ${HOURS_PER_MONTH} h`, natGateways * HOURS_PER_MONTH, "gateway-hour", region.natGatewayHour, "fixed")] : []),
    ...(publicIps ? [line("network/public-ipv4", "network", `${publicIps} public IPv4 addresses (the NAT gateways' Elastic IPs) × ${HOURS_PER_MONTH} h`, publicIps * HOURS_PER_MONTH, "address-hour", region.publicIpv4Hour, "fixed")] : []),
    ...interfaceEndpoints.map((endpoint) => {
      const zones = Array.isArray(endpoint.inputs.subnetIds) ? endpoint.inputs.subnetIds.length : 1;
      return line(`network/endpoint/${endpoint.name}`, "network", `interface endpoint ${endpoint.name}: ${zones} zones × ${HOURS_PER_MONTH} h`, zones * HOURS_PER_MONTH, "endpoint-hour", region.interfaceEndpointHour, "fixed");
    }),
    ...(kmsKeys ? [line("encryption/kms-keys", "encryption", `${kmsKeys} customer-managed KMS keys`, kmsKeys, "key-month", region.kmsKeyMonth, "fixed")] : []),
    ...nodeGroupLines(groups, region.ebsGp3GBMonth),
    ...volumeLines(resources, region.ebsGp3GBMonth),
    ...batchLines(runs, region.ebsGp3GBMonth),
    ...streamingLines(consumers),
    ...(natGateways ? [usageLine("network/nat-data", "network", "NAT data processed (pipelines' internet and AWS API traffic not through the S3 endpoint)", "GB", region.natGatewayGB)] : []),
    ...(subnets ? [usageLine("network/cross-zone", "network", "data between Availability Zones (Kafka and Postgres replication, pods reaching services in another zone), charged on each side of the transfer", "GB", region.crossZoneGB)] : []),
    ...(rotatingKeys ? [usageLine("encryption/kms-rotation", "encryption", `rotation of ${rotatingKeys} KMS keys (yearly): each rotation adds its price a month to the key from then on, for the first two rotations only (at most twice the key's price more, from the second year)`, "key-month per rotation", region.kmsKeyMonth)] : []),
    ...(buckets ? [usageLine("object storage/s3", "object storage", `S3 Standard storage in ${buckets} buckets (backups, logs, pipeline artifacts)`, "GB-month", region.s3StandardGBMonth)] : []),
    ...(logGroups ? [
      usageLine("logs/ingestion", "logs", `CloudWatch Logs ingestion into ${logGroups} log groups (control plane, VPC flow logs${containerLogGroups ? `, container logs in ${containerLogGroups}` : ""})`, "GB", region.logsIngestionGB),
      usageLine("logs/storage", "logs", `CloudWatch Logs storage in ${logGroups} log groups`, "GB-month", region.logsStorageGBMonth),
    ] : []),
    ...(sendsSpans ? [usageLine("traces/spans", "traces", "X-Ray spans through CloudWatch Transaction Search (ingested into aws/spans as CloudWatch Logs)", "GB", region.logsIngestionGB)] : []),
  ];

  const idleFloor = total(lines, ["fixed", "floor", "running"]);
  const batchExpected = total(lines, ["batch"]);
  const bandLabel = (band: number) => options.prices.spotInterruptionBands.find((candidate) => candidate.index === band)?.label ?? `band ${band}`;
  const batchPools = groups.filter((group) => group.batch).map((group) => ({
    pool: group.pool, nodeGroup: group.name, instanceType: group.instanceTypes[0], onDemandHour: group.onDemandHour, spotHour: group.spotHour ?? null,
    interruption: group.interruption?.map(({ type, band }) => ({ type, band: bandLabel(band) })) ?? null,
  }));
  const spotPool = groups.find((group) => group.batch && group.spotHour);
  let spot: CostEstimate["spot"] = null;
  if (spotPool?.spotHour) {
    const spotRuns = runs.filter((run) => run.capacity === "spot");
    const expectedNodeHours = spotRuns.reduce((sum, run) => sum + run.nodeHours, 0);
    const saved = (spotHour: number) => cents(spotRuns.reduce((sum, run) => sum + run.nodeHours * (run.pool.onDemandHour - spotHour), 0));
    const allOnDemand = idleFloor + runs.reduce((sum, run) => sum + run.nodeHours * run.pool.onDemandHour, 0);
    // Saving share s(H) = H·(od − spot) / (F + H·od), with F the all-on-demand cost without spot batch; s(H) = 25 %
    // at H = 0.25·F / (0.75·od − spot), and never when spot saves 25 % or less of a node-hour.
    const floorWithoutSpot = allOnDemand - spotRuns.reduce((sum, run) => sum + run.nodeHours * run.pool.onDemandHour, 0);
    const margin = (1 - CLAIMED_SAVINGS_SHARE) * spotPool.onDemandHour - spotPool.spotHour.high;
    const savingsMonthly = saved(spotPool.spotHour.high);
    spot = {
      savingsMonthly,
      savingsShare: allOnDemand > 0 ? Math.round((savingsMonthly / allOnDemand) * 10000) / 10000 : 0,
      breakEvenNodeHours25: margin > 0 ? Math.round((CLAIMED_SAVINGS_SHARE * floorWithoutSpot) / margin) : null,
      expectedNodeHours: Math.round(expectedNodeHours * 100) / 100,
      savingsMonthlyBand: { low: savingsMonthly, high: saved(spotPool.spotHour.low) },
    };
  }
  const graviton = gravitonSwitches(groups, region);
  const notes = [
    "Upper bound for batch: every run lasts its whole activeDeadlineSeconds on whole nodes of its pool, which stay until the autoscaler removes them (scale-down-unneeded-time), root volumes included; runs that finish early or share a node cost less.",
    "Usage-priced lines (data processed, S3 and log volumes) are rates: their volume is not known before the stack runs.",
    ...streamingNotes(consumers),
    ...priceNotes(options, groups),
    ...gravitonNote(graviton, options.region),
  ];
  return {
    currency: "USD",
    region: options.region,
    priceDate: options.date.toISOString().slice(0, 10),
    snapshotDate: options.prices.snapshotDate,
    provenance: options.prices.provenance,
    monthly: { atDeploy: total(lines, ["fixed", "deploy", "running"]), idleFloor, ceiling: total(lines, ["fixed", "ceiling"]), batchExpected },
    spot,
    batchPools,
    graviton,
    lines,
    notes,
  };
}
