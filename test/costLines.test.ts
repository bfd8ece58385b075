/**
 * The estimate (cost/estimate.ts and its line builders) on small hand-made plans, each line exact: interface
 * endpoints, every usage-priced line and when it appears, a stack without spot, a spot discount too small to ever
 * save 25 %, an on-demand pipeline, a multi-step pipeline's widest level, and the refusals.
 */
import { estimateCost } from "../cost/estimate";
import { HOURS_PER_MONTH } from "../cost/lines";
import type { PlannedResource } from "../cost/plannedResource";
import { priceSnapshot, PriceError } from "../cost/prices";
import { BATCH_TAINT_KEY, CAPACITY_LABEL, POOL_LABEL } from "../lib/placement";

const prices = priceSnapshot();
const REGION = "us-east-1";
const region = prices.regions[REGION];
const DAY = new Date("2026-11-25T12:00:00Z");
const estimate = (resources: PlannedResource[], snapshot = prices) => estimateCost(resources, { region: REGION, date: DAY, prices: snapshot });
const resource = (type: string, name: string, inputs: Record<string, any> = {}) => ({ type, name, inputs }) as PlannedResource;

const group = (name: string, capacityType: "ON_DEMAND" | "SPOT", instanceTypes: string[], sizes: [number, number, number], batch = true, diskSize?: number) =>
  resource("aws:eks/nodeGroup:NodeGroup", name, {
    capacityType, instanceTypes, diskSize, scalingConfig: { minSize: sizes[0], desiredSize: sizes[1], maxSize: sizes[2] },
    labels: { [POOL_LABEL]: name }, taints: batch ? [{ key: BATCH_TAINT_KEY, value: "true", effect: "NO_SCHEDULE" }] : [],
  });
const onDemandPool = group("batch-ondemand", "ON_DEMAND", ["m6i.xlarge"], [0, 0, 2], true, 40);
const spotPool = group("batch", "SPOT", ["m6i.xlarge", "m6a.xlarge", "m5.xlarge", "m7i.xlarge"], [0, 0, 4], true, 40);
/** A daily CronJob of one pod, on the capacity its affinity asks for. */
const cronJob = (name: string, capacity: "spot" | "on-demand", cpu = "500m") => resource("kubernetes:batch/v1:CronJob", name, {
  metadata: { name },
  spec: {
    schedule: "0 2 * * *",
    concurrencyPolicy: "Forbid",
    jobTemplate: { spec: { activeDeadlineSeconds: 3600, template: { spec: {
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: CAPACITY_LABEL, operator: "In", values: [capacity] }] }] } } },
      containers: [{ resources: { requests: { cpu, memory: "1Gi" } } }],
    } } } },
  },
});
const line = (resources: PlannedResource[], id: string) => estimate(resources).lines.find((candidate) => candidate.id === id);

describe("fixed lines", () => {
  it("prices an interface endpoint per zone it sits in, and no gateway endpoint", () => {
    const endpoints = [
      resource("aws:ec2/vpcEndpoint:VpcEndpoint", "sts", { vpcEndpointType: "Interface", subnetIds: ["a", "b", "c"] }),
      resource("aws:ec2/vpcEndpoint:VpcEndpoint", "ecr", { vpcEndpointType: "Interface", subnetIds: "[unknown]" }),
      resource("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", { vpcEndpointType: "Gateway" }),
    ];
    const lines = estimate(endpoints).lines;
    expect(lines.find((candidate) => candidate.id === "network/endpoint/sts")).toEqual({ id: "network/endpoint/sts", component: "network", item: `interface endpoint sts: 3 zones × ${HOURS_PER_MONTH} h`, quantity: 3 * HOURS_PER_MONTH, unit: "endpoint-hour", unitPrice: region.interfaceEndpointHour, monthly: Math.round(3 * HOURS_PER_MONTH * region.interfaceEndpointHour * 100) / 100, basis: "fixed" });
    // Subnets unknown offline: one zone at least.
    expect(lines.find((candidate) => candidate.id === "network/endpoint/ecr")?.quantity).toBe(HOURS_PER_MONTH);
    expect(lines.find((candidate) => candidate.id === "network/endpoint/s3")).toBeUndefined();
  });

  it("counts a node group's root volumes from its diskSize, its launch template, or EKS's 20 GiB default", () => {
    const withTemplate = group("system", "ON_DEMAND", ["m6i.large"], [1, 1, 1], false);
    const template = resource("aws:ec2/launchTemplate:LaunchTemplate", "system", { blockDeviceMappings: [{ ebs: { volumeSize: 75 } }] });
    expect(line([withTemplate, template], "nodes/system/root-volumes/floor")?.quantity).toBe(75);
    expect(line([withTemplate], "nodes/system/root-volumes/floor")?.quantity).toBe(20);
    expect(line([group("system", "ON_DEMAND", ["m6i.large"], [2, 2, 2], false, 30)], "nodes/system/root-volumes/floor")?.quantity).toBe(60);
  });
});

describe("usage-priced lines", () => {
  it("appear with what makes them, as rates outside the totals", () => {
    const resources = [
      resource("aws:ec2/natGateway:NatGateway", "nat"),
      resource("aws:ec2/subnet:Subnet", "a"),
      resource("aws:s3/bucket:Bucket", "backups"),
      resource("aws:s3/bucketV2:BucketV2", "logs"),
      resource("aws:cloudwatch/logGroup:LogGroup", "cluster", { name: "/aws/eks/etl/cluster" }),
      resource("aws:cloudwatch/logGroup:LogGroup", "containers", { name: "/etl/containers/pipelines" }),
      resource("aws:iam/rolePolicy:RolePolicy", "traces", { policy: JSON.stringify({ Statement: [{ Action: ["xray:PutTraceSegments"] }] }) }),
    ];
    const usage = estimate(resources).lines.filter((candidate) => candidate.basis === "usage").map(({ id, item, unit, unitPrice, quantity, monthly }) => ({ id, item, unit, unitPrice, quantity, monthly }));
    expect(usage).toEqual([
      { id: "network/nat-data", item: "NAT data processed (pipelines' internet and AWS API traffic not through the S3 endpoint)", unit: "GB", unitPrice: region.natGatewayGB, quantity: null, monthly: null },
      { id: "network/cross-zone", item: "data between Availability Zones (Kafka and Postgres replication, pods reaching services in another zone), charged on each side of the transfer", unit: "GB", unitPrice: region.crossZoneGB, quantity: null, monthly: null },
      { id: "object storage/s3", item: "S3 Standard storage in 2 buckets (backups, logs, pipeline artifacts)", unit: "GB-month", unitPrice: region.s3StandardGBMonth, quantity: null, monthly: null },
      { id: "logs/ingestion", item: "CloudWatch Logs ingestion into 2 log groups (control plane, VPC flow logs, container logs in 1)", unit: "GB", unitPrice: region.logsIngestionGB, quantity: null, monthly: null },
      { id: "logs/storage", item: "CloudWatch Logs storage in 2 log groups", unit: "GB-month", unitPrice: region.logsStorageGBMonth, quantity: null, monthly: null },
      { id: "traces/spans", item: "X-Ray spans through CloudWatch Transaction Search (ingested into aws/spans as CloudWatch Logs)", unit: "GB", unitPrice: region.logsIngestionGB, quantity: null, monthly: null },
    ]);
    const totals = estimate(resources).monthly;
    expect(totals).toEqual({ atDeploy: totals.idleFloor, idleFloor: Math.round(HOURS_PER_MONTH * region.natGatewayHour * 100) / 100, ceiling: totals.idleFloor, batchExpected: 0 });
  });

  it("leaves out what nothing declares: no line for a plan of none of those", () => {
    const logGroupWithoutContainers = resource("aws:cloudwatch/logGroup:LogGroup", "cluster", { name: "/aws/eks/etl/cluster" });
    expect(estimate([logGroupWithoutContainers]).lines.map((candidate) => candidate.item)).toEqual([
      "CloudWatch Logs ingestion into 1 log groups (control plane, VPC flow logs)", "CloudWatch Logs storage in 1 log groups",
    ]);
    expect(estimate([resource("aws:iam/rolePolicy:RolePolicy", "other", { policy: JSON.stringify({ Statement: [{ Action: ["s3:GetObject"] }] }) })]).lines).toEqual([]);
  });
});

describe("batch and spot", () => {
  it("has no spot figures on a stack without spot, and runs an on-demand pipeline on the on-demand pool", () => {
    const priced = estimate([onDemandPool, cronJob("report", "on-demand")]);
    expect(priced.spot).toBeNull();
    expect(priced.batchPools).toEqual([{ pool: "batch-ondemand", nodeGroup: "batch-ondemand", instanceType: "m6i.xlarge", onDemandHour: region.onDemand["m6i.xlarge"], spotHour: null, interruption: null }]);
    // Daily: 30.42 runs a month × 1 h (no autoscaler in this plan: nothing adds a scale-down delay) × 1 node.
    expect(priced.lines.find((candidate) => candidate.id === "batch/report")).toMatchObject({ quantity: 30.42, unitPrice: region.onDemand["m6i.xlarge"], item: "report: 30.42 runs × 1 h (1 h deadline) × 1 m6i.xlarge node (on-demand; upper bound: the full deadline on whole nodes)" });
    expect(() => estimate([spotPool, cronJob("report", "on-demand")])).toThrow(new PriceError("etl-platform:pipelines (report): no on-demand batch pool to run it on"));
  });

  it("never reaches 25 % when spot's discount is too small, and counts a spot run's savings from its pool's on-demand price", () => {
    const small = structuredClone(prices);
    for (const type of ["m6i.xlarge", "m6a.xlarge", "m5.xlarge", "m7i.xlarge"]) small.regions[REGION].spotSavings[type] = 20;
    const priced = estimate([spotPool, onDemandPool, cronJob("extract", "spot")], small);
    expect(priced.spot!.breakEvenNodeHours25).toBeNull();
    const spotHigh = priced.batchPools.find((pool) => pool.pool === "batch")!.spotHour!.high;
    expect(priced.spot!.savingsMonthly).toBe(Math.round(30.42 * (region.onDemand["m6i.xlarge"] - spotHigh) * 100) / 100);
    expect(priced.spot!.expectedNodeHours).toBe(30.42);
    // The advisor's discount reaches 25 % of the all-on-demand total at some volume: with a NAT gateway's $F a month
    // as the rest of the stack, at H = 0.25·F / (0.75·od − spot).
    const deeper = estimate([spotPool, onDemandPool, cronJob("extract", "spot"), resource("aws:ec2/natGateway:NatGateway", "nat")]);
    const pool = deeper.batchPools.find((candidate) => candidate.pool === "batch")!;
    const floor = Math.round(HOURS_PER_MONTH * region.natGatewayHour * 100) / 100;
    expect(deeper.spot!.breakEvenNodeHours25).toBe(Math.round((0.25 * floor) / (0.75 * pool.onDemandHour - pool.spotHour!.high)));
  });

  it("holds whole nodes: a run needing more than one node's CPU takes two", () => {
    const wide = estimate([spotPool, cronJob("wide", "spot", "6")]);
    expect(wide.lines.find((candidate) => candidate.id === "batch/wide")).toMatchObject({ quantity: 2 * 30.42, item: expect.stringContaining("× 2 m6i.xlarge node") });
  });

  it("refuses an instance type the snapshot has no price for, naming the pool's key", () => {
    expect(() => estimate([group("system", "ON_DEMAND", ["m6i.48xlarge"], [1, 1, 1], false)])).toThrow("etl-platform:nodePools.system.instanceTypes: no on-demand price for m6i.48xlarge in us-east-1");
  });
});

describe("a whole small stack, line by line", () => {
  const cents = (value: number) => Math.round(value * 100) / 100;
  const hundredths = cents;
  const l = (id: string, component: string, item: string, quantity: number, unit: string, unitPrice: number, basis: string) => ({ id, component, item, quantity: hundredths(quantity), unit, unitPrice, monthly: cents(hundredths(quantity) * unitPrice), basis });
  const u = (id: string, component: string, item: string, unit: string, unitPrice: number) => ({ id, component, item, quantity: null, unit, unitPrice, monthly: null, basis: "usage" });
  const system = group("system", "ON_DEMAND", ["t3.large"], [1, 2, 3], false);
  const resources = [
    resource("eks:index:Cluster", "etl", { version: "1.35" }),
    resource("aws:ec2/natGateway:NatGateway", "nat-0"),
    resource("aws:ec2/eip:Eip", "nat-0"),
    resource("aws:ec2/subnet:Subnet", "private-0"),
    resource("aws:kms/key:Key", "secrets", { enableKeyRotation: true }),
    resource("aws:kms/key:Key", "logs", { enableKeyRotation: false }),
    resource("aws:s3/bucket:Bucket", "backups"),
    resource("aws:cloudwatch/logGroup:LogGroup", "cluster", { name: "/aws/eks/etl/cluster" }),
    resource("aws:cloudwatch/logGroup:LogGroup", "pipelines", { name: "/etl/pipelines" }),
    resource("aws:iam/rolePolicy:RolePolicy", "traces", { policy: JSON.stringify({ Statement: [{ Action: ["xray:PutTraceSegments"] }] }) }),
    system,
    resource("aws:ec2/launchTemplate:LaunchTemplate", "system", { blockDeviceMappings: [{ ebs: { volumeSize: 30 } }] }),
    spotPool,
    resource("kubernetes:helm.sh/v3:Release", "prometheus", { chart: "kube-prometheus-stack", values: {} }),
    resource("kubernetes:helm.sh/v3:Release", "autoscaler", { chart: "cluster-autoscaler", values: { extraArgs: { "scale-down-unneeded-time": "12m" } } }),
    cronJob("extract", "spot"),
  ];
  const priced = estimate(resources);
  const od = region.onDemand;
  const spotHigh = Math.round(Math.max(...["m6i.xlarge", "m6a.xlarge", "m5.xlarge", "m7i.xlarge"].map((type) => od[type] * (1 - region.spotSavings[type] / 100))) * 1e6) / 1e6;
  const spotLow = Math.round(Math.min(...["m6i.xlarge", "m6a.xlarge", "m5.xlarge", "m7i.xlarge"].map((type) => od[type] * (1 - region.spotSavings[type] / 100))) * 1e6) / 1e6;
  const spotTypes = "spot, high end of m6i.xlarge/m6a.xlarge/m5.xlarge/m7i.xlarge";
  // Daily for an hour, and the node kept 12 more minutes: 30.42 runs × 1.2 h.
  const nodeHours = 30.42 * 1.2;

  it("prices each line as quantity × unit price, with its component and a readable item", () => {
    expect(priced.lines).toEqual([
      l("control-plane/etl", "control plane", "EKS control plane, Kubernetes 1.35, standard support on 2026-11-25 (standard support ends 2027-03-27)", HOURS_PER_MONTH, "cluster-hour", region.eksClusterHour.standard, "fixed"),
      l("network/nat-gateways", "network", `1 NAT gateways × ${HOURS_PER_MONTH} h`, HOURS_PER_MONTH, "gateway-hour", region.natGatewayHour, "fixed"),
      l("network/public-ipv4", "network", `1 public IPv4 addresses (the NAT gateways' Elastic IPs) × ${HOURS_PER_MONTH} h`, HOURS_PER_MONTH, "address-hour", region.publicIpv4Hour, "fixed"),
      l("encryption/kms-keys", "encryption", "2 customer-managed KMS keys", 2, "key-month", region.kmsKeyMonth, "fixed"),
      l("nodes/system/deploy", "nodes", `system: 2 nodes (desired) × ${HOURS_PER_MONTH} h, on-demand t3.large`, 2 * HOURS_PER_MONTH, "node-hour", od["t3.large"], "deploy"),
      l("nodes/system/root-volumes/deploy", "storage", "system: 2 root volumes (desired) × 30 GiB gp3", 60, "GB-month", region.ebsGp3GBMonth, "deploy"),
      l("nodes/system/floor", "nodes", `system: 1 nodes (min) × ${HOURS_PER_MONTH} h, on-demand t3.large`, HOURS_PER_MONTH, "node-hour", od["t3.large"], "floor"),
      l("nodes/system/root-volumes/floor", "storage", "system: 1 root volumes (min) × 30 GiB gp3", 30, "GB-month", region.ebsGp3GBMonth, "floor"),
      l("nodes/system/ceiling", "nodes", `system: 3 nodes (max) × ${HOURS_PER_MONTH} h, on-demand t3.large`, 3 * HOURS_PER_MONTH, "node-hour", od["t3.large"], "ceiling"),
      l("nodes/system/root-volumes/ceiling", "storage", "system: 3 root volumes (max) × 30 GiB gp3", 90, "GB-month", region.ebsGp3GBMonth, "ceiling"),
      l("nodes/batch/deploy", "nodes", `batch: 0 nodes (desired) × ${HOURS_PER_MONTH} h, ${spotTypes}`, 0, "node-hour", spotHigh, "deploy"),
      l("nodes/batch/root-volumes/deploy", "storage", "batch: 0 root volumes (desired) × 40 GiB gp3", 0, "GB-month", region.ebsGp3GBMonth, "deploy"),
      l("nodes/batch/floor", "nodes", `batch: 0 nodes (min) × ${HOURS_PER_MONTH} h, ${spotTypes}`, 0, "node-hour", spotHigh, "floor"),
      l("nodes/batch/root-volumes/floor", "storage", "batch: 0 root volumes (min) × 40 GiB gp3", 0, "GB-month", region.ebsGp3GBMonth, "floor"),
      l("nodes/batch/ceiling", "nodes", `batch: 4 nodes (max) × ${HOURS_PER_MONTH} h, ${spotTypes}`, 4 * HOURS_PER_MONTH, "node-hour", spotHigh, "ceiling"),
      l("nodes/batch/root-volumes/ceiling", "storage", "batch: 4 root volumes (max) × 40 GiB gp3", 160, "GB-month", region.ebsGp3GBMonth, "ceiling"),
      l("batch/extract", "batch", "extract: 30.42 runs × 1.2 h (1 h deadline + 12 min until the autoscaler removes the node) × 1 m6i.xlarge node (spot, high end; upper bound: the full deadline on whole nodes)", nodeHours, "node-hour", spotHigh, "batch"),
      l("batch/extract/root-volumes", "storage", `extract: root volumes of its nodes, ${hundredths(nodeHours)} node-hours × 40 GiB gp3 / ${HOURS_PER_MONTH} h`, (nodeHours * 40) / HOURS_PER_MONTH, "GB-month", region.ebsGp3GBMonth, "batch"),
      u("network/nat-data", "network", "NAT data processed (pipelines' internet and AWS API traffic not through the S3 endpoint)", "GB", region.natGatewayGB),
      u("network/cross-zone", "network", "data between Availability Zones (Kafka and Postgres replication, pods reaching services in another zone), charged on each side of the transfer", "GB", region.crossZoneGB),
      u("encryption/kms-rotation", "encryption", "rotation of 1 KMS keys (yearly): each rotation adds its price a month to the key from then on, for the first two rotations only (at most twice the key's price more, from the second year)", "key-month per rotation", region.kmsKeyMonth),
      u("object storage/s3", "object storage", "S3 Standard storage in 1 buckets (backups, logs, pipeline artifacts)", "GB-month", region.s3StandardGBMonth),
      u("logs/ingestion", "logs", "CloudWatch Logs ingestion into 2 log groups (control plane, VPC flow logs, container logs in 1)", "GB", region.logsIngestionGB),
      u("logs/storage", "logs", "CloudWatch Logs storage in 2 log groups", "GB-month", region.logsStorageGBMonth),
      u("traces/spans", "traces", "X-Ray spans through CloudWatch Transaction Search (ingested into aws/spans as CloudWatch Logs)", "GB", region.logsIngestionGB),
    ]);
  });

  it("adds them up into the four totals, and describes itself", () => {
    const sum = (...bases: string[]) => cents(priced.lines.filter((candidate) => bases.includes(candidate.basis)).reduce((total, candidate) => total + (candidate.monthly ?? 0), 0));
    expect(priced.monthly).toEqual({ atDeploy: sum("fixed", "deploy"), idleFloor: sum("fixed", "floor"), ceiling: sum("fixed", "ceiling"), batchExpected: sum("batch") });
    // The system group starts at 2 nodes, one above its minimum: at deploy bills that node and its volume more.
    const monthly = (id: string) => priced.lines.find((candidate) => candidate.id === id)!.monthly!;
    expect(cents(priced.monthly.atDeploy - priced.monthly.idleFloor)).toBe(cents(monthly("nodes/system/deploy") - monthly("nodes/system/floor") + monthly("nodes/system/root-volumes/deploy") - monthly("nodes/system/root-volumes/floor")));
    expect({ currency: priced.currency, region: priced.region, priceDate: priced.priceDate, snapshotDate: priced.snapshotDate, provenance: priced.provenance }).toEqual({ currency: "USD", region: "us-east-1", priceDate: "2026-11-25", snapshotDate: prices.snapshotDate, provenance: prices.provenance });
    expect(priced.batchPools).toEqual([{ pool: "batch", nodeGroup: "batch", instanceType: "m6i.xlarge", onDemandHour: od["m6i.xlarge"], spotHour: { low: spotLow, high: spotHigh }, interruption: ["m6i.xlarge", "m6a.xlarge", "m5.xlarge", "m7i.xlarge"].map((type) => ({ type, band: prices.spotInterruptionBands[region.spotInterruption[type]].label })) }]);
    const allOnDemand = priced.monthly.idleFloor + nodeHours * od["m6i.xlarge"];
    const saved = (spotHour: number) => cents(nodeHours * (od["m6i.xlarge"] - spotHour));
    expect(priced.spot).toEqual({
      savingsMonthly: saved(spotHigh),
      savingsShare: Math.round((saved(spotHigh) / allOnDemand) * 10000) / 10000,
      breakEvenNodeHours25: Math.round((0.25 * priced.monthly.idleFloor) / (0.75 * od["m6i.xlarge"] - spotHigh)),
      expectedNodeHours: hundredths(nodeHours),
      savingsMonthlyBand: { low: saved(spotHigh), high: saved(spotLow) },
    });
    expect(priced.notes.slice(0, 2)).toEqual([
      "Upper bound for batch: every run lasts its whole activeDeadlineSeconds on whole nodes of its pool, which stay until the autoscaler removes them (scale-down-unneeded-time), root volumes included; runs that finish early or share a node cost less.",
      "Usage-priced lines (data processed, S3 and log volumes) are rates: their volume is not known before the stack runs.",
    ]);
    expect(priced.notes).toContain("system uses burstable types (t3.large): CPU above their baseline is billed as surplus CPU credits on top of the hourly price (T3's default unlimited mode), not in this estimate.");
  });

  it("prints the four totals first, named for what they are, amounts aligned", () => {
    const { costText } = require("../cost/report") as typeof import("../cost/report");
    const usd = (value: number) => `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
    const width = Math.max(...Object.values(priced.monthly).map((value) => usd(value).length));
    expect(costText(priced).split("\n").slice(1, 5)).toEqual([
      `  at deploy        ${usd(priced.monthly.atDeploy).padStart(width)}   every node group at its desired size: the first month if nothing scales`,
      `  idle floor       ${usd(priced.monthly.idleFloor).padStart(width)}   every node group at its minimum: what the autoscaler can shrink to`,
      `  ceiling          ${usd(priced.monthly.ceiling).padStart(width)}   every node group at its maximum`,
      `  batch expected   ${usd(priced.monthly.batchExpected).padStart(width)}   the pipelines' runs, an upper bound, on top of the idle floor`,
    ]);
    expect(costText(priced)).toContain("      interruption bands (Spot Instance Advisor): m6i.xlarge ");
  });
});

describe("what a pipeline's runs hold", () => {
  const { pipelineRuns, scaleDownHours } = require("../cost/batch") as typeof import("../cost/batch");
  const { priceNodeGroups } = require("../cost/nodes") as typeof import("../cost/nodes");
  const groups = priceNodeGroups([spotPool, onDemandPool], { region, regionName: REGION, poolKey: (pool) => pool });
  const runsOf = (...resources: PlannedResource[]) => pipelineRuns(resources, groups).map(({ pipeline, capacity, runsPerMonth, hoursPerRun, nodesPerRun }) => ({ pipeline, capacity, runsPerMonth, hoursPerRun, nodesPerRun }));
  const withSpec = (job: PlannedResource, edit: (spec: any) => void) => {
    const copy = structuredClone(job);
    edit(copy.inputs.spec);
    return copy;
  };

  it("caps a run at the gap to the next when overlap is forbidden (Forbid or Replace), not when allowed", () => {
    const every20 = (policy: string) => withSpec(cronJob(`every-20-${policy.toLowerCase()}`, "spot"), (spec) => { spec.schedule = "*/20 * * * *"; spec.concurrencyPolicy = policy; });
    // 2,190 runs a month, 20 minutes apart: a one-hour deadline cannot hold a node longer than the gap when runs never overlap.
    expect(runsOf(every20("Forbid"), every20("Replace"), every20("Allow"))).toEqual([
      { pipeline: "every-20-forbid", capacity: "spot", runsPerMonth: 2190, hoursPerRun: 0.33, nodesPerRun: 1 },
      { pipeline: "every-20-replace", capacity: "spot", runsPerMonth: 2190, hoursPerRun: 0.33, nodesPerRun: 1 },
      { pipeline: "every-20-allow", capacity: "spot", runsPerMonth: 2190, hoursPerRun: 1, nodesPerRun: 1 },
    ]);
  });

  it("sums a pod's containers, a container without requests counting nothing, and skips suspended jobs", () => {
    const heavy = withSpec(cronJob("heavy", "spot"), (spec) => {
      spec.jobTemplate.spec.template.spec.containers = [{ resources: { requests: { cpu: "1", memory: "10Gi" } } }, { resources: { requests: { cpu: "1", memory: "8Gi" } } }, { name: "sidecar" }];
    });
    const suspended = withSpec(cronJob("paused", "spot"), (spec) => { spec.suspend = true; });
    const unnamed = { ...cronJob("x", "on-demand"), name: "resource-name", inputs: { ...cronJob("x", "on-demand").inputs, metadata: undefined } } as PlannedResource;
    // 18 GiB of memory on 16 GiB nodes: two nodes.
    expect(runsOf(heavy, suspended, unnamed)).toEqual([
      { pipeline: "heavy", capacity: "spot", runsPerMonth: 30.42, hoursPerRun: 1, nodesPerRun: 2 },
      { pipeline: "resource-name", capacity: "on-demand", runsPerMonth: 30.42, hoursPerRun: 1, nodesPerRun: 1 },
    ]);
  });

  it("reads the capacity from its own key among the affinity's expressions; no affinity is spot", () => {
    const mixed = withSpec(cronJob("mixed", "on-demand"), (spec) => {
      spec.jobTemplate.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions.unshift({ key: POOL_LABEL, operator: "In", values: ["batch"] });
    });
    const bare = withSpec(cronJob("bare", "on-demand"), (spec) => { delete spec.jobTemplate.spec.template.spec.affinity; });
    const empty = withSpec(cronJob("empty", "on-demand"), (spec) => { spec.jobTemplate.spec.template.spec.affinity = {}; });
    const exists = withSpec(cronJob("exists", "on-demand"), (spec) => { spec.jobTemplate.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions = [{ key: CAPACITY_LABEL, operator: "Exists" }]; });
    const noTemplate = withSpec(cronJob("no-template", "spot"), (spec) => { spec.jobTemplate = {}; });
    const noPod = withSpec(cronJob("no-pod", "spot"), (spec) => { spec.jobTemplate.spec = { activeDeadlineSeconds: 1800 }; });
    expect(runsOf(mixed, bare, empty, exists, noTemplate, noPod).map(({ pipeline, capacity, hoursPerRun }) => `${pipeline} ${capacity} ${hoursPerRun}`)).toEqual([
      "mixed on-demand 1", "bare spot 1", "empty spot 1", "exists spot 1", "no-template spot 1", "no-pod spot 0.5",
    ]);
  });

  it("holds a multi-step run's widest level, from its entrypoint's DAG, on every schedule", () => {
    const container = (memory: string) => ({ resources: { requests: { cpu: "500m", memory } } });
    const workflow = (name: string, fields: Record<string, any> = {}) => resource("kubernetes:argoproj.io/v1alpha1:CronWorkflow", name, {
      metadata: { name, labels: { "etl-platform/pipeline": name } },
      spec: {
        schedules: ["0 2 * * *", "0 14 * * *"],
        concurrencyPolicy: "Forbid",
        workflowSpec: {
          entrypoint: "main",
          activeDeadlineSeconds: 7200,
          affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: CAPACITY_LABEL, operator: "In", values: ["spot"] }] }] } } },
          templates: [
            { name: "extract", container: container("1Gi") },
            { name: "load", container: container("8Gi") },
            { name: "main", dag: { tasks: [{ name: "extract", template: "extract" }, { name: "load-a", template: "load", dependencies: ["extract"] }, { name: "load-b", template: "load", dependencies: ["extract"] }] } },
          ],
        },
        ...fields,
      },
    });
    const single = resource("kubernetes:argoproj.io/v1alpha1:CronWorkflow", "single", {
      metadata: { name: "single", labels: { "etl-platform/pipeline": "single" } },
      spec: { schedule: "0 3 * * *", workflowSpec: { entrypoint: "only", activeDeadlineSeconds: 3600, templates: [{ name: "only", container: container("20Gi") }] } },
    });
    const drill = { ...workflow("drill"), inputs: { ...workflow("drill").inputs, metadata: { name: "drill" } } } as PlannedResource;
    const unknown = { ...workflow("later"), inputs: { ...workflow("later").inputs, spec: "[unknown]" } } as PlannedResource;
    // Two loads of 8 GiB at once fill one 16 GiB node (the extract before them is a level of its own); twice a day;
    // 2 h each. Two 8.5 GiB loads need two. A lone 20 GiB pod: two nodes.
    const fanout = workflow("fanout");
    fanout.inputs.spec.workflowSpec.templates[1].container = container("8704Mi");
    // A task whose template is missing, and a workflow whose entrypoint is missing, request nothing.
    const ghost = workflow("ghost");
    ghost.inputs.spec.workflowSpec.templates[2].dag.tasks.push({ name: "ghost", template: "none", dependencies: ["extract"] });
    const lost = workflow("lost");
    lost.inputs.spec.workflowSpec.entrypoint = "missing";
    const bare = resource("kubernetes:argoproj.io/v1alpha1:CronWorkflow", "bare", { metadata: { name: "bare", labels: { "etl-platform/pipeline": "bare" } }, spec: { schedule: "0 4 * * *" } });
    const unlabelled = resource("kubernetes:argoproj.io/v1alpha1:CronWorkflow", "unlabelled", { spec: { schedule: "0 4 * * *" } });
    expect(runsOf(workflow("report"), fanout, ghost, lost, bare, unlabelled, workflow("paused", { suspend: true }), single, drill, unknown)).toEqual([
      { pipeline: "report", capacity: "spot", runsPerMonth: 60.83, hoursPerRun: 2, nodesPerRun: 1 },
      { pipeline: "fanout", capacity: "spot", runsPerMonth: 60.83, hoursPerRun: 2, nodesPerRun: 2 },
      { pipeline: "ghost", capacity: "spot", runsPerMonth: 60.83, hoursPerRun: 2, nodesPerRun: 1 },
      { pipeline: "lost", capacity: "spot", runsPerMonth: 60.83, hoursPerRun: 2, nodesPerRun: 1 },
      { pipeline: "bare", capacity: "spot", runsPerMonth: 30.42, hoursPerRun: 1, nodesPerRun: 1 },
      { pipeline: "single", capacity: "spot", runsPerMonth: 30.42, hoursPerRun: 1, nodesPerRun: 2 },
    ]);
    // Overlap: a workflow every 20 minutes holds its nodes at most until the next one unless it allows overlap,
    // and then its whole deadline plus the autoscaler's delay.
    const every20 = (policy: string) => workflow(`wf-${policy.toLowerCase()}`, { schedules: ["*/20 * * * *"], concurrencyPolicy: policy });
    const autoscaler = resource("kubernetes:helm.sh/v3:Release", "autoscaler", { chart: "cluster-autoscaler", values: { extraArgs: { "scale-down-unneeded-time": "6m" } } });
    expect(pipelineRuns([every20("Forbid"), every20("Allow"), autoscaler], groups).map(({ pipeline, hoursPerRun }) => `${pipeline} ${hoursPerRun}`)).toEqual(["wf-forbid 0.33", "wf-allow 2.1"]);
  });

  it("reads the autoscaler's delay as a duration: hours, minutes, seconds, decimals; refuses anything else", () => {
    const autoscaler = (values: Record<string, any>) => [resource("kubernetes:helm.sh/v3:Release", "autoscaler", { chart: "cluster-autoscaler", values })];
    expect(scaleDownHours(autoscaler({}))).toBeCloseTo(1 / 6, 10);
    expect(scaleDownHours(autoscaler({ extraArgs: {} }))).toBeCloseTo(1 / 6, 10);
    expect(scaleDownHours(autoscaler({ extraArgs: { "scale-down-unneeded-time": "1.5h" } }))).toBe(1.5);
    expect(scaleDownHours(autoscaler({ extraArgs: { "scale-down-unneeded-time": "1.25h" } }))).toBe(1.25);
    expect(scaleDownHours([resource("kubernetes:helm.sh/v3:Release", "autoscaler", { chart: "cluster-autoscaler" })])).toBeCloseTo(1 / 6, 10);
    expect(scaleDownHours(autoscaler({ extraArgs: { "scale-down-unneeded-time": "1h6m36s" } }))).toBeCloseTo(1.11, 10);
    for (const bad of ["", "10mx", "m10"]) expect(() => scaleDownHours(autoscaler({ extraArgs: { "scale-down-unneeded-time": bad } }))).toThrow(`expected a duration such as 10m, got ${JSON.stringify(bad)}`);
  });
});
