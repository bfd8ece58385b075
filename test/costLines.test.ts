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
    expect(priced.lines.find((candidate) => candidate.id === "batch/report")).toMatchObject({ quantity: 30.42, unitPrice: region.onDemand["m6i.xlarge"], item: expect.stringContaining("(1 h deadline)") });
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
