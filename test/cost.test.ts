/**
 * The cost estimate of the plan (cost/): its snapshot, every line's arithmetic on both stacks, what a config
 * change moves, refusals, the diff of two estimates, the budget guard, and the price-feed parsers.
 */
import * as fs from "fs";
import * as path from "path";
import { estimateCost, type CostEstimate } from "../cost/estimate";
import { cents, HOURS_PER_MONTH } from "../cost/lines";
import { csvFields, extractOffer, mergeOffers, offerFileUrl, offerRows, SERVICE_FIGURES, SPOT_ADVISOR_URL, type OfferCode } from "../cost/priceFeeds";
import { trimAdvisorFeed } from "../cost/feedSnapshot";
import { priceSnapshotSchema } from "../cost/priceSnapshotSchema";
import { priceSnapshot, PriceError } from "../cost/prices";
import { costDiffMarkdown, diffCosts } from "../cost/report";
import { instanceShape, KNOWN_INSTANCE_TYPES } from "../lib/instanceTypes";
import { budgetProblem, planCost } from "../cost/planCost";
import { planDocument } from "../plan/document";
import type { StackSettings } from "../plan/stackFile";
import { AWS_STACKS, configProblems, plan, stackSettings, withConfig } from "./harness";
import { variants } from "./variants";

const DAY = new Date("2026-11-25T12:00:00Z");
const prices = priceSnapshot();

async function costOf(stack: string, settings: StackSettings = stackSettings(stack), date = DAY): Promise<CostEstimate> {
  const estimate = planCost(planDocument(await plan(stack, settings, "plan")).resources as any[], settings, date);
  if (!estimate) throw new Error(`no estimate for ${stack}`);
  return estimate;
}

const byId = (estimate: CostEstimate, id: string) => {
  const found = estimate.lines.find((line) => line.id === id);
  if (!found) throw new Error(`no line ${id}: ${estimate.lines.map((line) => line.id).join(", ")}`);
  return found;
};

describe("the price snapshot", () => {
  it("has the shape the estimate reads, with a date and a source for every figure", () => {
    const parsed = priceSnapshotSchema.parse(JSON.parse(fs.readFileSync(path.join(__dirname, "..", "cost", "data", "prices.json"), "utf8")));
    const figures = Object.keys(parsed.regions["eu-west-1"]).filter((key) => key !== "verified");
    for (const figure of figures) expect(parsed.sources[figure]).toMatch(/https:\/\/|offer file/);
  });

  // The x86 types are priced in every region; the Graviton ones only once npm run refresh-prices has read them from
  // AWS's Price List (none of the feed files on file has them), and then with both figures.
  it.each(["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1"])("prices every x86 instance type the node pools accept in %s, and a Graviton one only in full", (region) => {
    const priced = (type: string) => prices.regions[region].onDemand[type] !== undefined && prices.regions[region].spotSavings[type] !== undefined;
    expect(KNOWN_INSTANCE_TYPES.filter((type) => instanceShape(type)!.architecture === "amd64" && !priced(type))).toEqual([]);
    for (const type of KNOWN_INSTANCE_TYPES.filter((candidate) => instanceShape(candidate)!.architecture === "arm64")) {
      expect(prices.regions[region].onDemand[type] === undefined).toBe(prices.regions[region].spotSavings[type] === undefined);
    }
  });
});

describe.each(AWS_STACKS)("the cost estimate of %s", (stack) => {
  let estimate: CostEstimate;
  beforeAll(async () => {
    estimate = await costOf(stack);
  });

  it("is quantity × unit price on every line, and the totals are the sums of their lines", () => {
    for (const line of estimate.lines) {
      if (line.basis === "usage") expect(line.monthly).toBeNull();
      else expect(line.monthly).toBe(cents(line.quantity! * line.unitPrice));
    }
    const sum = (...bases: string[]) => cents(estimate.lines.filter((line) => bases.includes(line.basis)).reduce((total, line) => total + line.monthly!, 0));
    expect(estimate.monthly).toEqual({ atDeploy: sum("fixed", "deploy", "running"), idleFloor: sum("fixed", "floor", "running"), ceiling: sum("fixed", "ceiling"), batchExpected: sum("batch") });
    expect(estimate.monthly.ceiling).toBeGreaterThan(estimate.monthly.atDeploy);
    // EKS starts each group at its desiredSize, above minSize in both stacks: the first month bills more than the floor.
    expect(estimate.monthly.atDeploy).toBeGreaterThan(estimate.monthly.idleFloor);
  });

  it("prices what the stack declares, from the snapshot of its region", async () => {
    const region = prices.regions[estimate.region];
    const declared = await plan(stack, stackSettings(stack), "plan");
    const inputsOf = (type: string) => declared.ofType(type).map((resource) => resource.inputs);
    expect(byId(estimate, "control-plane/etl-cluster")).toMatchObject({ quantity: HOURS_PER_MONTH, unitPrice: region.eksClusterHour.standard });
    const nats = inputsOf("aws:ec2/natGateway:NatGateway").length;
    expect(nats).toBe(stack === "prod" ? 3 : 1);
    expect(byId(estimate, "network/nat-gateways")).toMatchObject({ quantity: nats * HOURS_PER_MONTH, unitPrice: region.natGatewayHour });
    expect(byId(estimate, "network/public-ipv4")).toMatchObject({ quantity: nats * HOURS_PER_MONTH, unitPrice: region.publicIpv4Hour });
    for (const group of declared.ofType("aws:eks/nodeGroup:NodeGroup")) {
      const { minSize, desiredSize, maxSize } = group.inputs.scalingConfig;
      const floor = byId(estimate, `nodes/${group.name}/floor`);
      const ceiling = byId(estimate, `nodes/${group.name}/ceiling`);
      const deploy = byId(estimate, `nodes/${group.name}/deploy`);
      expect([deploy.quantity, floor.quantity, ceiling.quantity]).toEqual([desiredSize * HOURS_PER_MONTH, minSize * HOURS_PER_MONTH, maxSize * HOURS_PER_MONTH]);
      const types: string[] = group.inputs.instanceTypes;
      if (group.inputs.capacityType === "ON_DEMAND") expect(floor.unitPrice).toBe(region.onDemand[types[0]]);
      // Spot: the dearest type after its advisor discount, so the estimate errs high.
      else expect(floor.unitPrice).toBeCloseTo(Math.max(...types.map((type) => region.onDemand[type] * (1 - region.spotSavings[type] / 100))), 6);
    }
    const kafkaPools = inputsOf("kubernetes:kafka.strimzi.io/v1:KafkaNodePool");
    const kafkaGiB = kafkaPools.reduce((sum, pool) => sum + pool.spec.replicas * parseInt(pool.spec.storage.volumes[0].size, 10), 0);
    const kafkaLines = estimate.lines.filter((line) => line.id.startsWith("volumes/KafkaNodePool"));
    expect(kafkaLines.reduce((sum, line) => sum + line.quantity!, 0)).toBe(kafkaGiB);
    const postgres = inputsOf("kubernetes:postgresql.cnpg.io/v1:Cluster")[0].spec;
    expect(byId(estimate, "volumes/CloudNativePG Cluster etl/data").quantity).toBe(postgres.instances * parseInt(postgres.storage.size, 10));
    expect(byId(estimate, "volumes/CloudNativePG Cluster etl/WAL").quantity).toBe(postgres.instances * parseInt(postgres.walStorage.size, 10));
    expect(byId(estimate, "encryption/kms-keys").quantity).toBe(inputsOf("aws:kms/key:Key").length);
  });

  it("bounds each pipeline's batch cost by its schedule, deadline and pool", () => {
    // orders-kafka-to-postgres runs hourly (730 runs a month) for at most 1800 s on one spot node, which the
    // autoscaler removes 10 minutes after (its default scale-down-unneeded-time): 0.67 h a run.
    const hourly = byId(estimate, "batch/orders-kafka-to-postgres");
    expect(hourly.quantity).toBe(489.1);
    expect(hourly.unitPrice).toBe(estimate.batchPools.find((pool) => pool.pool === "batch")!.spotHour!.high);
    // Daily: 28 days' runs scaled to 730 h is 30.42 runs; 7200 s each, plus the 10 minutes: 2.17 h.
    expect(byId(estimate, "batch/partner-export-extract").quantity).toBe(66.01);
    // Its nodes' root volumes for those hours: 66.01 node-hours × the pool's disk / 730 h, in GB-months.
    const disk = stack === "prod" ? 100 : 50;
    expect(byId(estimate, "batch/partner-export-extract/root-volumes")).toMatchObject({ quantity: Math.round((66.01 * disk / 730) * 100) / 100, unit: "GB-month", basis: "batch" });
    expect(estimate.spot!.savingsMonthly).toBeGreaterThan(0);
    expect(estimate.spot!.savingsShare).toBeLessThan(1);
  });

  it("is what README's \"What it costs\" table says for the snapshot's day", () => {
    const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
    const usd = (value: number) => `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
    const spot = estimate.spot!;
    const row = `| ${stack} | ${usd(estimate.monthly.atDeploy)} | ${usd(estimate.monthly.idleFloor)} | ${usd(estimate.monthly.ceiling)} | ${usd(estimate.monthly.batchExpected)} | ${usd(spot.savingsMonthly)} (${(spot.savingsShare * 100).toFixed(1)} %) | ${spot.breakEvenNodeHours25!.toLocaleString("en-US")} spot node-hours a month |`;
    expect(readme).toContain(row);
  });

  it("puts spot's break-even where the saving is 25 % of the all-on-demand total", () => {
    const spot = estimate.spot!;
    const pool = estimate.batchPools.find((candidate) => candidate.spotHour)!;
    const onDemandBatch = estimate.lines.filter((line) => line.basis === "batch" && line.unit === "node-hour").reduce((sum, line) => sum + line.quantity! * pool.onDemandHour, 0);
    const floorWithoutSpot = estimate.monthly.idleFloor + onDemandBatch - spot.expectedNodeHours * pool.onDemandHour;
    const hours = spot.breakEvenNodeHours25!;
    const share = (hours * (pool.onDemandHour - pool.spotHour!.high)) / (floorWithoutSpot + hours * pool.onDemandHour);
    expect(share).toBeCloseTo(0.25, 3);
  });
});

describe("what moves the estimate", () => {
  it("charges the EKS extended-support rate from the day after standard support ends, unless EKS upgrades the cluster", async () => {
    // 1.35's standard support ends 2027-03-27 (eksCalendar.ts). Prod keeps the version (EXTENDED); staging is upgraded (STANDARD).
    const lastDay = new Date("2027-03-27T23:00:00Z");
    const dayAfter = new Date("2027-03-28T01:00:00Z");
    expect(byId(await costOf("prod", stackSettings("prod"), lastDay), "control-plane/etl-cluster").unitPrice).toBe(0.1);
    expect(byId(await costOf("prod", stackSettings("prod"), dayAfter), "control-plane/etl-cluster").unitPrice).toBe(0.6);
    expect(byId(await costOf("staging", stackSettings("staging"), dayAfter), "control-plane/etl-cluster").unitPrice).toBe(0.1);
  });

  it("changes exactly the NAT, IPv4 and the pool's instance lines for one more NAT gateway and bigger stateful nodes", async () => {
    // One program run for both changes (each run costs the test budget a second or two): each moves only its own lines.
    const base = await costOf("staging");
    const changed = await costOf("staging", variants.stagingMoreNatBiggerStateful());
    expect(diffCosts(base, changed).changed.map((change) => change.id).sort()).toEqual(["network/nat-gateways", "network/public-ipv4", "nodes/etl-nodes-stateful/ceiling", "nodes/etl-nodes-stateful/deploy", "nodes/etl-nodes-stateful/floor"]);
    expect(byId(changed, "network/nat-gateways").quantity).toBe(2 * HOURS_PER_MONTH);
    expect(byId(changed, "network/public-ipv4").quantity).toBe(2 * HOURS_PER_MONTH);
    expect(byId(changed, "nodes/etl-nodes-stateful/floor").unitPrice).toBe(2 * byId(base, "nodes/etl-nodes-stateful/floor").unitPrice);
  });

  it("refuses a region or an instance type the snapshot has no price for, naming the key", async () => {
    const resources = planDocument(await plan("staging", stackSettings("staging"), "plan")).resources as any[];
    expect(() => estimateCost(resources, { region: "ap-south-2", date: DAY, prices })).toThrow(PriceError);
    expect(() => estimateCost(resources, { region: "ap-south-2", date: DAY, prices })).toThrow(`aws:region: no prices for "ap-south-2" in cost/data/prices.json (it has ${Object.keys(prices.regions).join(", ")}); add the region with npm run refresh-prices -- --region ap-south-2, or plan with --no-cost`);
    // t3 stops at 2xlarge, so a t3.4xlarge system pool passes the config's shape check but has no price.
    const bigSystem = resources.map((resource) => (resource.type === "aws:eks/nodeGroup:NodeGroup" && resource.name === "etl-nodes-system" ? { ...resource, inputs: { ...resource.inputs, instanceTypes: ["t3.4xlarge"] } } : resource));
    expect(() => estimateCost(bigSystem, { region: "eu-west-1", date: DAY, prices })).toThrow(/^etl-platform:nodePools\.system\.instanceTypes: no on-demand price for t3\.4xlarge in eu-west-1/);
    expect(() => estimateCost(bigSystem, { region: "eu-west-1", date: DAY, prices, poolKey: () => "the key" })).toThrow(/^the key: /);
    // A spot type with an on-demand price but no advisor figure (a snapshot edited by hand) is refused, not priced at 0 % savings.
    const { spotSavings, spotHour } = require("../cost/prices") as typeof import("../cost/prices");
    const region = structuredClone(prices.regions["eu-west-1"]);
    delete region.spotSavings["m6i.xlarge"];
    const refusal = "etl-platform:nodePools.batch.instanceTypes: no Spot Instance Advisor savings for m6i.xlarge in eu-west-1; choose a type the snapshot prices, refresh it with npm run refresh-prices, or plan with --no-cost";
    expect(() => spotSavings(region, "eu-west-1", "m6i.xlarge", "etl-platform:nodePools.batch.instanceTypes")).toThrow(new PriceError(refusal));
    expect(() => spotHour(region, "eu-west-1", "m6i.xlarge", "etl-platform:nodePools.batch.instanceTypes")).toThrow(refusal);
    expect(spotSavings(region, "eu-west-1", "m6a.xlarge", "key")).toBe(prices.regions["eu-west-1"].spotSavings["m6a.xlarge"] / 100);
  });

  it("has no estimate on target: kubernetes, which declares nothing AWS bills", async () => {
    expect(planCost(planDocument(await plan("local", stackSettings("local"), "plan")).resources as any[], stackSettings("local"), DAY)).toBeNull();
  });
});

describe("streaming pipelines in the estimate", () => {
  it("keep their consumers at minReplicas at deploy and in the idle floor, and say whether their pool's maximum holds maxReplicas", async () => {
    const prod = await costOf("prod");
    // stacks/Pulumi.prod.yaml: orders-enrich, 2 to 12 consumers of 500m / 1Gi on the on-demand batch pool (m6i.xlarge: 4 vCPU, 16 GiB).
    const floor = byId(prod, "streaming/orders-enrich");
    expect(floor).toMatchObject({ basis: "running", quantity: HOURS_PER_MONTH, unit: "node-hour" });
    expect(floor.item).toContain("2 consumers (scaling.minReplicas) on 1 m6i.xlarge nodes");
    expect(prod.notes).toContain("orders-enrich: at scaling.maxReplicas (12) its consumers need 2 m6i.xlarge nodes of etl-nodes-batch-ondemand, within the ceiling (its maxSize 5).");
    // The same consumers, bigger and scaling to zero: no floor line, and more nodes at the maximum than the pool has
    // (pure functions on the plan's resources: another whole plan would cost seconds).
    const { streamingConsumers, streamingLines, streamingNotes } = require("../cost/streaming") as typeof import("../cost/streaming");
    const { priceNodeGroups } = require("../cost/nodes") as typeof import("../cost/nodes");
    const { regionPrices } = require("../cost/prices") as typeof import("../cost/prices");
    const resources = planDocument(await plan("prod", stackSettings("prod"), "plan")).resources as any[];
    const groups = priceNodeGroups(resources, { region: regionPrices(prices, "eu-west-1"), regionName: "eu-west-1", poolKey: (pool: string) => pool });
    const heavier = resources.map((r) => {
      if (r.type === "kubernetes:apps/v1:Deployment" && r.inputs.metadata?.name === "orders-enrich") {
        const spec = r.inputs.spec;
        return { ...r, inputs: { ...r.inputs, spec: { ...spec, template: { ...spec.template, spec: { ...spec.template.spec, containers: [{ ...spec.template.spec.containers[0], resources: { requests: { cpu: "2", memory: "4Gi" } } }] } } } } };
      }
      if (r.type === "kubernetes:keda.sh/v1alpha1:ScaledObject") return { ...r, inputs: { ...r.inputs, spec: { ...r.inputs.spec, minReplicaCount: 0 } } };
      return r;
    });
    const consumers = streamingConsumers(heavier, groups);
    expect(streamingLines(consumers)).toEqual([]);
    expect(streamingNotes(consumers)).toEqual(["orders-enrich: at scaling.maxReplicas (12) its consumers need 6 m6i.xlarge nodes of etl-nodes-batch-ondemand, more than its maxSize 5: the last consumers would stay pending; raise the pool's maxSize or lower maxReplicas."]);
  });
});

describe("what the batch estimate counts", () => {
  it("reads pipelines by the label the program gives them, and leaves the restore drill out", async () => {
    const { PIPELINE_LABEL } = require("../cost/batch") as typeof import("../cost/batch");
    const pod = require("../components/platform/pipelines/pod") as typeof import("../components/platform/pipelines/pod");
    expect(PIPELINE_LABEL).toBe(pod.PIPELINE_LABEL);
    const prod = await costOf("prod");
    expect(prod.lines.filter((line) => line.basis === "batch" && line.unit === "node-hour").map((line) => line.id).sort()).toEqual(["batch/orders-daily-report", "batch/orders-kafka-to-postgres", "batch/orders-shard-aggregate", "batch/partner-export-extract"]);
  });
});

describe("two estimates and a budget", () => {
  it("diffs totals and lines, and shows them as Markdown", async () => {
    const base = await costOf("staging");
    const head = { ...base, monthly: { ...base.monthly, idleFloor: base.monthly.idleFloor + 10 }, lines: base.lines.filter((line) => line.id !== "encryption/kms-keys") };
    const diff = diffCosts(base, head);
    expect(diff.monthly.idleFloor.delta).toBe(10);
    expect(diff.changed).toEqual([{ id: "encryption/kms-keys", item: "5 customer-managed KMS keys", base: byId(base, "encryption/kms-keys"), head: null }]);
    const markdown = costDiffMarkdown("staging", diff);
    expect(markdown).toContain("| idle floor | $401.88 | $411.88 | +$10.00 |");
    expect(markdown).toContain("| 5 customer-managed KMS keys | $5.00 (5 key-month × $1) | — |");
    expect(costDiffMarkdown("staging", diffCosts(base, base))).toContain("No line changed.");
    expect(diffCosts(null, base).monthly.ceiling.delta).toBe(base.monthly.ceiling);
    expect(costDiffMarkdown("staging", diffCosts(null, base))).toContain("| idle floor | — | $401.88 | — |");
  });

  it("takes a positive budget on AWS stacks only, naming the key otherwise", () => {
    expect(configProblems({ environment: "staging", costBudget: { monthlyIdleFloor: 0 } })).toEqual([expect.stringMatching(/^etl-platform:costBudget\.monthlyIdleFloor: /)]);
    expect(configProblems({ environment: "staging", costBudget: { monthlyIdleFloor: 300, monthlyCeiling: 1 } })).toEqual(["etl-platform:costBudget.monthlyCeiling: unknown key (check its spelling against docs/config.md)"]);
    expect(configProblems({ environment: "staging", target: "kubernetes", costBudget: { monthlyIdleFloor: 300 } })).toEqual([expect.stringMatching(/^etl-platform:costBudget: expected nothing on target: kubernetes/)]);
    expect(configProblems({ environment: "staging", costBudget: { monthlyIdleFloor: 300 } })).toEqual([]);
  });

  it("is over budget only when the idle floor exceeds etl-platform:costBudget.monthlyIdleFloor", async () => {
    const estimate = await costOf("staging");
    const budget = (monthlyIdleFloor: number) => withConfig(stackSettings("staging"), { costBudget: { monthlyIdleFloor } });
    expect(budgetProblem(estimate, stackSettings("staging"))).toBeUndefined();
    expect(budgetProblem(estimate, budget(estimate.monthly.idleFloor))).toBeUndefined();
    expect(budgetProblem(estimate, budget(200))).toBe(`etl-platform:costBudget.monthlyIdleFloor: the estimated idle floor of $${estimate.monthly.idleFloor.toFixed(2)} a month is over the budget of $200.00 by $${(estimate.monthly.idleFloor - 200).toFixed(2)}; lower the node pools' minimum sizes, storage or NAT gateways, or raise the budget`);
  });
});

describe("the price feed readers", () => {
  const fixture = (name: string) => path.join(__dirname, "fixtures", "pricing", name);
  const lines = (name: string) => fs.readFileSync(fixture(name), "utf8").split("\n");

  it("splits quoted CSV fields, doubled quotes included", () => {
    expect(csvFields('"a","b ""c"" d","",e')).toEqual(["a", 'b "c" d', "", "e"]);
    // Empty fields at either end, and unquoted fields next to each other.
    expect(csvFields(',a,"b",')).toEqual(["", "a", "b", ""]);
    expect(csvFields("a,b")).toEqual(["a", "b"]);
    expect(() => csvFields('"a","b')).toThrow('unterminated quoted field in "\\"a\\",\\"b"');
  });

  it("reads the offer files from the URLs the snapshot names as its sources", () => {
    const snapshotSources = prices.sources;
    expect(snapshotSources.onDemand.startsWith(`${offerFileUrl("AmazonEC2", "{region}")} `)).toBe(true);
    expect(snapshotSources.spotSavings.startsWith(`${SPOT_ADVISOR_URL} `)).toBe(true);
    for (const [offer, key] of [["AmazonEKS", "eksClusterHour"], ["AmazonVPC", "publicIpv4Hour"], ["AmazonS3", "s3StandardGBMonth"], ["AmazonCloudWatch", "logsIngestionGB"], ["awskms", "kmsKeyMonth"]] as const) {
      expect(snapshotSources[key].startsWith(`${offerFileUrl(offer, "{region}")} `)).toBe(true);
    }
  });

  it("keeps the on-demand Linux, shared-tenancy price of the types the pools accept, and the EC2 network and storage rates", async () => {
    const found = await extractOffer("AmazonEC2", offerRows(lines("AmazonEC2-eu-west-1.csv")));
    // Windows, dedicated tenancy, an unused reservation and a reserved term are other rows of the same type.
    expect(found.onDemand).toEqual({ "m6i.large": 0.107, "r6i.xlarge": 0.282 });
    // A Local Zone's price of the same type is another location type: not the region's.
    expect(found).toMatchObject({ natGatewayHour: 0.048, natGatewayGB: 0.048, ebsGp3GBMonth: 0.088, crossZoneGB: 0.01 });
    expect(await extractOffer("AmazonEKS", offerRows(lines("AmazonEKS-eu-west-1.csv")))).toEqual({ eksClusterHour: { standard: 0.1, extended: 0.6 } });
  });

  it("fails on two prices for one figure instead of letting the last row win", async () => {
    const all = lines("AmazonEC2-eu-west-1.csv").filter((line) => line.trim() !== "");
    const m6i = all.find((line) => line.includes('"Linux","No License required","EU-BoxUsage:m6i.large"'))!;
    const twice = [...all, m6i.replace('"0.1070000000"', '"0.1090000000"').replace('"2BUXXGWHQ8VKE6QM"', '"2BUXXGWHQ8VKE6QN"')];
    await expect(extractOffer("AmazonEC2", offerRows(twice))).rejects.toThrow("AmazonEC2: two prices for instance type m6i.large (0.107 and 0.109): a filter no longer singles out one product");
    // The same price twice (one product listed under two SKUs) is not a conflict.
    expect((await extractOffer("AmazonEC2", offerRows([...all, m6i]))).onDemand).toEqual({ "m6i.large": 0.107, "r6i.xlarge": 0.282 });
  });

  const OFFER_COLUMNS = ["SKU", "TermType", "StartingRange", "Unit", "PricePerUnit", "Product Family", "Location Type", "From Location Type", "To Location Type", "Volume Type", "usageType"];
  /** An offer file of the given rows (column -> value) under the given header, in the Price List's CSV layout. */
  const offerFile = (offer: OfferCode, rows: Record<string, string>[], columns = OFFER_COLUMNS) => {
    const quoted = (values: string[]) => values.map((value) => `"${value.replaceAll('"', '""')}"`).join(",");
    return [...["FormatVersion", "Disclaimer", "Publication Date", "Version"].map((key) => quoted([key, "x"])), quoted(["OfferCode", offer]), quoted(columns), ...rows.map((row) => quoted(columns.map((column) => row[column] ?? "")))];
  };
  const row = (usageType: string, price: string, extra: Record<string, string> = {}) => ({ SKU: `${usageType}-${price}`, TermType: "OnDemand", StartingRange: "0", Unit: "Hrs", PricePerUnit: price, "Location Type": "AWS Region", usageType, ...extra });
  const SERVICE_ROWS: [OfferCode, Record<string, string>[], Record<string, unknown>][] = [
    ["AmazonVPC", [row("EU-PublicIPv4:InUseAddress", "0.005"), row("EU-VpcEndpoint-Hours", "0.011")], { publicIpv4Hour: 0.005, interfaceEndpointHour: 0.011 }],
    ["AmazonS3", [row("EU-TimedStorage-ByteHrs", "0.023", { "Volume Type": "Standard" }), row("EU-TimedStorage-ByteHrs", "0.022", { "Volume Type": "Standard", StartingRange: "51200" }), row("EU-TimedStorage-SIA-ByteHrs", "0.0125", { "Volume Type": "Standard - Infrequent Access" })], { s3StandardGBMonth: 0.023 }],
    ["AmazonCloudWatch", [row("EU-DataProcessing-Bytes", "0.57"), row("EU-TimedStorage-ByteHrs", "0.03")], { logsIngestionGB: 0.57, logsStorageGBMonth: 0.03 }],
    ["awskms", [row("eu-west-1-KMS-Keys", "1")], { kmsKeyMonth: 1 }],
  ];

  it("keeps the VPC, S3, CloudWatch and KMS rates, the first storage tier only, and each figure once", async () => {
    // Other usage of each service in the same file, at other prices: requests, idle addresses, metrics.
    const unrelated: Record<string, Record<string, string>[]> = {
      AmazonVPC: [row("EU-PublicIPv4:IdleAddress", "0.006"), row("EU-VpcEndpoint-Bytes", "0.02")],
      AmazonS3: [row("EU-Requests-Tier1", "0.005", { "Volume Type": "Standard" }), row("EU-TimedStorage-ByteHrs", "0.16", { "Volume Type": "High Performance" })],
      AmazonCloudWatch: [row("EU-CW:MetricMonitorUsage", "0.3"), row("EU-DataProcessingIA-Bytes", "0.25")],
      awskms: [row("eu-west-1-KMS-Requests", "0.03")],
    };
    for (const [offer, rows, expected] of SERVICE_ROWS) {
      expect([offer, await extractOffer(offer, offerRows(offerFile(offer, [...unrelated[offer], ...rows])))]).toEqual([offer, expected]);
    }
    // A second row of the same usage at another price (a product the filters no longer single out) fails, naming the figure.
    const clashes: [OfferCode, Record<string, string>, string][] = [
      ["AmazonEC2", row("EU-NatGateway-Hours", "0.048"), "NAT gateway-hours"],
      ["AmazonEC2", row("EU-NatGateway-Bytes", "0.048"), "NAT gateway data"],
      ["AmazonEC2", row("EU-EBS:VolumeUsage.gp3", "0.088"), "gp3 storage"],
      ["AmazonEC2", row("EU-DataTransfer-Regional-Bytes", "0.01"), "data transfer between zones"],
      ["AmazonEKS", row("EU-AmazonEKS-Hours:extendedSupport", "0.6"), "EKS extended-support cluster-hours"],
      ["AmazonVPC", row("EU-PublicIPv4:InUseAddress", "0.005"), "public IPv4 address-hours"],
      ["AmazonVPC", row("EU-VpcEndpoint-Hours", "0.011"), "interface endpoint-hours"],
      ["AmazonS3", row("EU-TimedStorage-ByteHrs", "0.023", { "Volume Type": "Standard" }), "S3 Standard storage"],
      ["AmazonCloudWatch", row("EU-DataProcessing-Bytes", "0.57"), "log ingestion"],
      ["AmazonCloudWatch", row("EU-TimedStorage-ByteHrs", "0.03"), "log storage"],
      ["awskms", row("eu-west-1-KMS-Keys", "1"), "KMS keys"],
    ];
    for (const [offer, first, name] of clashes) {
      const clash = { ...first, SKU: "OTHER", PricePerUnit: String(Number(first.PricePerUnit) * 2) };
      await expect(extractOffer(offer, offerRows(offerFile(offer, [first, clash])))).rejects.toThrow(`${offer}: two prices for ${name} (${Number(first.PricePerUnit)} and ${Number(first.PricePerUnit) * 2}): a filter no longer singles out one product`);
    }
    // A tier's column the file does not have counts as the first tier.
    const withoutTier = offerFile("AmazonCloudWatch", SERVICE_ROWS[2][1], OFFER_COLUMNS.filter((column) => column !== "StartingRange"));
    expect(withoutTier[5]).not.toContain("StartingRange");
    expect(await extractOffer("AmazonCloudWatch", offerRows(withoutTier))).toEqual({ logsIngestionGB: 0.57, logsStorageGBMonth: 0.03 });
  });

  it("keeps only the Linux, shared-tenancy, on-demand instance rows: every other product of the type is left out", async () => {
    // Karpenter's Price List filters (pkg/providers/pricing/pricing.go), one attribute changed at a time, at a
    // price that would clash with the Linux row if the filter let it through.
    const linux = { "Product Family": "Compute Instance", MarketOption: "OnDemand", Tenancy: "Shared", "Operating System": "Linux", "Pre Installed S/W": "NA", CapacityStatus: "Used", "License Model": "No License required", "Instance Type": "m6i.large" };
    const columns = ["SKU", "TermType", "Unit", "PricePerUnit", "Location Type", "usageType", ...Object.keys(linux)];
    const file = (rows: Record<string, string>[], header = columns) => offerFile("AmazonEC2", rows, header);
    const instance = (price: string, changed: Record<string, string> = {}) => ({ SKU: `${price}-${JSON.stringify(changed)}`, TermType: "OnDemand", Unit: "Hrs", PricePerUnit: price, "Location Type": "AWS Region", usageType: "EU-BoxUsage:m6i.large", ...linux, ...changed });
    const others: Record<string, string>[] = [{ "Product Family": "Dedicated Host" }, { MarketOption: "CapacityBlock" }, { Tenancy: "Dedicated" }, { "Operating System": "RHEL" }, { "Pre Installed S/W": "SQL Std" }, { CapacityStatus: "UnusedCapacityReservation" }, { "License Model": "Bring your own license" }, { Unit: "Quantity" }];
    for (const changed of others) {
      expect([changed, (await extractOffer("AmazonEC2", offerRows(file([instance("0.107"), instance("0.5", changed)])))).onDemand]).toEqual([changed, { "m6i.large": 0.107 }]);
    }
    // A file without a MarketOption column is on-demand only.
    const noMarketOption = file([instance("0.107")], columns.filter((column) => column !== "MarketOption"));
    expect((await extractOffer("AmazonEC2", offerRows(noMarketOption))).onDemand).toEqual({ "m6i.large": 0.107 });
  });

  it("skips blank lines, and refuses a header without a column it reads", async () => {
    const lines = offerFile("awskms", [row("eu-west-1-KMS-Keys", "1")]);
    expect(await extractOffer("awskms", offerRows([...lines.slice(0, 6), "", "   ", ...lines.slice(6), ""]))).toEqual({ kmsKeyMonth: 1 });
    for (const column of ["TermType", "Unit", "PricePerUnit", "usageType"]) {
      const header = lines[5].replace(`"${column}"`, '"Other"');
      await expect(extractOffer("awskms", offerRows([...lines.slice(0, 5), header, ...lines.slice(6)]))).rejects.toThrow(`the offer file's header has no ${column} column`);
    }
  });

  it("leaves out the rows of the region's Local Zones, Wavelength Zones and Outposts, which share its usage types", async () => {
    // The Price List names each product's location type; data transfer has a "from" and a "to" one instead.
    const rows = [
      row("EU-NatGateway-Hours", "0.048"),
      row("EU-LZ-NatGateway-Hours", "0.063", { "Location Type": "AWS Local Zone" }),
      row("EU-WL-EBS:VolumeUsage.gp3", "0.12", { "Location Type": "AWS Wavelength Zone" }),
      row("EU-EBS:VolumeUsage.gp3", "0.088"),
      row("EU-DataTransfer-Regional-Bytes", "0.01", { "Location Type": "", "From Location Type": "AWS Region", "To Location Type": "AWS Region" }),
      row("EU-LZ-DataTransfer-Regional-Bytes", "0.02", { "Location Type": "", "From Location Type": "AWS Local Zone", "To Location Type": "AWS Region" }),
      row("EU-OP-DataTransfer-Regional-Bytes", "0.03", { "Location Type": "", "From Location Type": "AWS Region", "To Location Type": "AWS Outposts" }),
    ];
    expect(await extractOffer("AmazonEC2", offerRows(offerFile("AmazonEC2", rows)))).toEqual({ natGatewayHour: 0.048, ebsGp3GBMonth: 0.088, crossZoneGB: 0.01, onDemand: {} });
    // Another EKS usage (hybrid nodes, Auto Mode) is not a cluster-hour.
    const eks = [row("EU-AmazonEKS-Hours:perCluster", "0.1"), row("EU-LZ-AmazonEKS-Hours:perCluster", "0.2", { "Location Type": "AWS Local Zone" }), row("EU-AmazonEKS-HybridNodes-vCPU-Hours", "0.02")];
    expect(await extractOffer("AmazonEKS", offerRows(offerFile("AmazonEKS", eks)))).toEqual({ eksClusterHour: { standard: 0.1 } });
    await expect(extractOffer("AmazonEKS", offerRows(offerFile("AmazonEKS", [...eks, row("EU-AmazonEKS-Hours:perCluster", "0.3")])))).rejects.toThrow("AmazonEKS: two prices for EKS cluster-hours (0.1 and 0.3)");
  });

  it("merges a region's offer files, and fails naming every service figure none of them gave", async () => {
    const offers = await Promise.all(SERVICE_ROWS.map(([offer, rows]) => extractOffer(offer, offerRows(offerFile(offer, rows)))));
    const ec2 = { natGatewayHour: 0.048, natGatewayGB: 0.048, crossZoneGB: 0.01, ebsGp3GBMonth: 0.088, onDemand: { "m6i.large": 0.107 } };
    const complete = mergeOffers("eu-west-1", [ec2, { eksClusterHour: { standard: 0.1 } }, { eksClusterHour: { extended: 0.6 } }, ...offers]);
    expect(complete).toEqual({ ...ec2, eksClusterHour: { standard: 0.1, extended: 0.6 }, publicIpv4Hour: 0.005, interfaceEndpointHour: 0.011, s3StandardGBMonth: 0.023, logsIngestionGB: 0.57, logsStorageGBMonth: 0.03, kmsKeyMonth: 1 });
    expect(Object.keys(complete).filter((key) => key !== "onDemand").sort()).toEqual([...new Set(SERVICE_FIGURES.map((figure) => figure.split(".")[0]))].sort());
    expect(() => mergeOffers("eu-west-1", [ec2, { eksClusterHour: { standard: 0.1 } }, ...offers.slice(1)])).toThrow("eu-west-1: the offer files (AmazonEC2, AmazonEKS, AmazonVPC, AmazonS3, AmazonCloudWatch, awskms) have no price for eksClusterHour.extended, publicIpv4Hour, interfaceEndpointHour: a usage type or a filter of cost/priceFeeds.ts no longer matches AWS's rows");
    // A price of zero is a price (free tier rows), not a missing one.
    expect(mergeOffers("eu-west-1", [{ ...ec2, natGatewayGB: 0 }, { eksClusterHour: { standard: 0.1, extended: 0.6 } }, ...offers]).natGatewayGB).toBe(0);
  });

  it("refuses a file that is not an offer file", async () => {
    await expect(extractOffer("AmazonEC2", offerRows(['"SKU","TermType"', '"X","OnDemand"']))).rejects.toThrow('line 1: expected the offer file\'s "FormatVersion" line, got "SKU"');
  });

  it("reads Linux spot savings and interruption bands of our types from the Spot Instance Advisor feed", () => {
    const feed = JSON.parse(fs.readFileSync(fixture("spot-advisor-data.json"), "utf8"));
    const source = { feed: "AWS Spot Instance Advisor", url: "https://spot-bid-advisor.s3.amazonaws.com/spot-advisor-data.json", fetched_at: "2026-11-20T00:00:00Z", sha256: "0".repeat(64) };
    expect(trimAdvisorFeed(feed, { "eu-west-1": ["m6i.xlarge", "m5.xlarge"] }, source).spot_advisor).toEqual({ "eu-west-1": { Linux: { "m6i.xlarge": { s: 63, r: 1 }, "m5.xlarge": { s: 66, r: 0 } } } });
    expect(() => trimAdvisorFeed(feed, { "ap-south-2": ["m5.xlarge"] }, source)).toThrow("no Linux data for ap-south-2");
  });
});
