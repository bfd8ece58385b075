/**
 * The price snapshot against the feed files it is derived from (cost/data/feeds/, cost/feedSnapshot.ts): every
 * feed-decided figure regenerates exactly, a changed feed value changes the estimate, the snapshot's us-east-1
 * on-demand prices agree with Karpenter's table, and the estimate says how far its prices can be trusted.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { applyFeeds, FEEDS_DIR, readFeeds, trimAdvisorFeed } from "../cost/feedSnapshot";
import { estimateCost } from "../cost/estimate";
import { priceSnapshotSchema, type PriceSnapshot } from "../cost/priceSnapshotSchema";
import { priceSnapshot } from "../cost/prices";
import type { PlannedResource } from "../cost/plannedResource";

const committed = priceSnapshot();
const feeds = readFeeds();
const DAY = new Date("2026-11-25T12:00:00Z");

/** One spot batch pool of four xlarge types, and nothing else: the estimate's spot lines on their own. */
const spotPool = (types = ["m6i.xlarge", "m6a.xlarge", "m5.xlarge", "m7i.xlarge"]): PlannedResource[] => [{
  type: "aws:eks/nodeGroup:NodeGroup", name: "batch", inputs: { capacityType: "SPOT", instanceTypes: types, scalingConfig: { minSize: 0, desiredSize: 0, maxSize: 2 }, labels: { "etl-platform/pool": "batch" }, taints: [{ key: "etl-platform/batch", value: "true", effect: "NO_SCHEDULE" }] },
} as PlannedResource];
const estimate = (prices: PriceSnapshot, resources = spotPool(), region = "us-east-1", date = DAY) => estimateCost(resources, { region, date, prices });

describe("the snapshot and its feed files", () => {
  it("regenerates exactly from the committed feed files (npm run refresh-prices -- --from-feeds)", () => {
    expect(priceSnapshotSchema.parse(applyFeeds(committed, feeds))).toEqual(committed);
  });

  it("takes spot savings and interruption bands per region and type from the advisor feed, not per family", () => {
    const advisor = feeds.advisor.feed.spot_advisor;
    for (const [region, prices] of Object.entries(committed.regions)) {
      for (const type of Object.keys(prices.onDemand)) {
        expect([region, type, prices.spotSavings[type], prices.spotInterruption[type]]).toEqual([region, type, advisor[region].Linux[type].s, advisor[region].Linux[type].r]);
      }
    }
    // The same type saves differently by region (us-east-1 and eu-west-1 m5.large, in the 2026-08-10 feed).
    expect(committed.regions["us-east-1"].spotSavings["m5.large"]).not.toBe(committed.regions["eu-west-1"].spotSavings["m5.large"]);
    expect(committed.spotInterruptionBands.map((band) => band.label)).toEqual(["<5%", "5-10%", "10-15%", "15-20%", ">20%"]);
  });

  it("agrees with Karpenter's us-east-1 on-demand table within 1 %, and marks what no feed file checks", () => {
    const karpenter = feeds.onDemand.find(({ file }) => file.startsWith("on-demand-2026-07-06"))!.feed.onDemand["us-east-1"];
    for (const [type, price] of Object.entries(committed.regions["us-east-1"].onDemand)) expect(Math.abs(price - karpenter[type]) / karpenter[type]).toBeLessThanOrEqual(0.01);
    expect(committed.regions["us-east-1"].verified.onDemand).toEqual({ verified: true, source: "cost/data/feeds/on-demand-2026-07-06.json" });
    for (const region of ["us-east-2", "us-west-2", "eu-west-1", "eu-central-1"]) expect(committed.regions[region].verified.onDemand.verified).toBe(false);
    for (const region of Object.keys(committed.regions)) expect(committed.regions[region].verified.services).toMatchObject({ verified: false, reason: expect.stringContaining("entered by hand") });
  });

  it("moves the estimate when a feed value moves", () => {
    const changed = structuredClone(feeds);
    changed.advisor.feed.spot_advisor["us-east-1"].Linux["m6i.xlarge"].s = 90;
    const before = estimate(committed).batchPools[0].spotHour!;
    const after = estimate(applyFeeds(committed, changed)).batchPools[0].spotHour!;
    expect(after.low).toBeCloseTo(committed.regions["us-east-1"].onDemand["m6i.xlarge"] * 0.1, 6);
    expect(after.low).toBeLessThan(before.low);
  });

  it("refuses a feed file without its provenance, and a feed that lacks a region or type", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "feeds-"));
    const advisor = JSON.parse(fs.readFileSync(path.join(FEEDS_DIR, feeds.advisor.file), "utf8"));
    fs.writeFileSync(path.join(dir, "spot-advisor-2026-12-01.json"), JSON.stringify({ ...advisor, source: { feed: "typed in", url: advisor.source.url } }));
    expect(() => readFeeds(dir)).toThrow("spot-advisor-2026-12-01.json: no fetched_at, sha256 in its source: a feed file is written by npm run refresh-prices, never by hand");
    const withoutRegion = structuredClone(feeds);
    delete withoutRegion.advisor.feed.spot_advisor["eu-west-1"];
    expect(() => applyFeeds(committed, withoutRegion)).toThrow("cost/data/feeds/spot-advisor-2026-08-10.json: no Linux figures for eu-west-1");
    const withoutType = structuredClone(feeds);
    delete withoutType.advisor.feed.spot_advisor["eu-west-1"].Linux["m5.large"];
    expect(() => applyFeeds(committed, withoutType)).toThrow("cost/data/feeds/spot-advisor-2026-08-10.json: no eu-west-1 figures for m5.large");
  });

  it("trims a raw advisor feed to our regions and types, failing on a missing figure", () => {
    const source = { feed: "AWS Spot Instance Advisor", url: "https://spot-bid-advisor.s3.amazonaws.com/spot-advisor-data.json", fetched_at: "2026-12-01T00:00:00Z", sha256: "0".repeat(64) };
    const raw = { ranges: feeds.advisor.feed.ranges, instance_types: {}, spot_advisor: { "us-east-1": { Linux: { "m5.large": { s: 59, r: 4 }, "m5.xlarge": { s: 50, r: 1 } }, Windows: { "m5.large": { s: 10, r: 0 } } }, "ap-south-1": {} } };
    expect(trimAdvisorFeed(raw, { "us-east-1": ["m5.large"] }, source)).toEqual({ source, ranges: feeds.advisor.feed.ranges, spot_advisor: { "us-east-1": { Linux: { "m5.large": { s: 59, r: 4 } } } } });
    expect(() => trimAdvisorFeed(raw, { "us-east-1": ["m5.large", "m6i.large"] }, source)).toThrow("the Spot Instance Advisor feed lacks us-east-1 figures for m6i.large");
    expect(() => trimAdvisorFeed(raw, { "ap-south-1": ["m5.large"] }, source)).toThrow("the Spot Instance Advisor feed has no Linux data for ap-south-1");
  });
});

describe("what the estimate says about its prices", () => {
  it("shows each spot type's interruption band, and warns when most of a pool's types are in the highest", () => {
    expect(estimate(committed).batchPools[0].interruption).toEqual(["m6i.xlarge", "m6a.xlarge", "m5.xlarge", "m7i.xlarge"].map((type) => ({ type, band: committed.spotInterruptionBands[committed.regions["us-east-1"].spotInterruption[type]].label })));
    const frequent = structuredClone(committed);
    for (const type of ["m6i.xlarge", "m6a.xlarge", "m5.xlarge"]) frequent.regions["us-east-1"].spotInterruption[type] = 4;
    frequent.regions["us-east-1"].spotInterruption["m7i.xlarge"] = 0;
    expect(estimate(frequent).notes).toContain("Spot pool batch: 3 of its 4 types (m6i.xlarge, m6a.xlarge, m5.xlarge) are in the Spot Instance Advisor's highest interruption band (>20% of instances interrupted a month): runs there are interrupted often; prefer types in lower bands.");
    // Half is not most.
    frequent.regions["us-east-1"].spotInterruption["m5.xlarge"] = 0;
    expect(estimate(frequent).notes.filter((note) => note.startsWith("Spot pool"))).toEqual([]);
  });

  it("says which spot price it used, only where a pool is spot", () => {
    expect(estimate(committed).notes).toContain("Spot prices: on-demand less the Spot Instance Advisor's savings (cost/data/feeds/spot-advisor-2026-08-10.json, fetched 2026-08-10), not actual spot prices, which no feed file on file holds.");
    const onDemandOnly = [{ ...spotPool()[0], inputs: { ...spotPool()[0].inputs, capacityType: "ON_DEMAND" } }] as PlannedResource[];
    expect(estimate(committed, onDemandOnly).notes.some((note) => note.startsWith("Spot prices:"))).toBe(false);
  });

  it("warns when the snapshot is over 90 days old, and names the unverified figures of the region", () => {
    const age = (date: string) => estimate(committed, spotPool(), "eu-west-1", new Date(date)).notes.filter((note) => note.startsWith("The price snapshot"));
    expect(age("2027-02-23T12:00:00Z")).toEqual([]);
    expect(age("2027-02-24T12:00:00Z")).toEqual([`The price snapshot of ${committed.snapshotDate} is 91 days old (over 90): refresh it with npm run refresh-prices.`]);
    const notes = estimate(committed, spotPool(), "eu-west-1").notes;
    expect(notes).toContain("Unverified in eu-west-1: onDemand, on-demand prices entered by hand; no feed file on file checks it (npm run refresh-prices reads them from AWS's Price List).");
    expect(estimate(committed).notes.some((note) => note.startsWith("Unverified in us-east-1: onDemand"))).toBe(false);
  });

  it("warns when a feed its region's figures come from is over 90 days old, though the snapshot's date is newer", () => {
    // The committed snapshot (2026-11-25, hand-entered) takes us-east-1's on-demand prices from Karpenter's table of
    // 2026-07-06 and every region's spot savings from the advisor feed of 2026-08-10.
    const feedAge = (prices: PriceSnapshot, region: string, date: string) => estimate(prices, spotPool(), region, new Date(date)).notes.filter((note) => note.includes(" come from "));
    expect(feedAge(committed, "us-east-1", "2026-10-04T12:00:00Z")).toEqual([]);
    expect(feedAge(committed, "us-east-1", "2026-10-05T12:00:00Z")).toEqual(["onDemand in us-east-1 come from cost/data/feeds/on-demand-2026-07-06.json, fetched 2026-07-06: 91 days old (over 90), older than the snapshot's date; refresh them with npm run refresh-prices."]);
    expect(feedAge(committed, "eu-west-1", "2026-11-09T12:00:00Z")).toEqual(["spotSavings, spotInterruption in eu-west-1 come from cost/data/feeds/spot-advisor-2026-08-10.json, fetched 2026-08-10: 91 days old (over 90), older than the snapshot's date; refresh them with npm run refresh-prices."]);
    expect(feedAge(committed, "eu-west-1", "2026-11-08T12:00:00Z")).toEqual([]);
    // A generated snapshot fetches its feeds on its own date: the snapshot's age says it all, once.
    const generated = structuredClone(committed);
    generated.snapshotDate = "2026-08-10";
    const notes = estimate(generated, spotPool(), "eu-west-1", new Date("2026-12-01T12:00:00Z")).notes.filter((note) => note.includes("days old"));
    expect(notes).toEqual(["The price snapshot of 2026-08-10 is 113 days old (over 90): refresh it with npm run refresh-prices."]);
  });
});

describe("what the estimate counts beyond the instances", () => {
  const { scaleDownHours } = require("../cost/batch") as typeof import("../cost/batch");
  const autoscaler = (extraArgs: Record<string, string>) => ({ type: "kubernetes:helm.sh/v3:Release", name: "autoscaler", inputs: { chart: "cluster-autoscaler", values: { extraArgs } } }) as PlannedResource;

  it("keeps a batch node for the autoscaler's scale-down-unneeded-time, 10 minutes when unset, none without an autoscaler", () => {
    expect(scaleDownHours([autoscaler({ "scale-down-unneeded-time": "1h30m" })])).toBe(1.5);
    expect(scaleDownHours([autoscaler({ "scale-down-unneeded-time": "90s" })])).toBe(0.025);
    expect(scaleDownHours([autoscaler({})])).toBeCloseTo(10 / 60, 10);
    expect(scaleDownHours([])).toBe(0);
    expect(() => scaleDownHours([autoscaler({ "scale-down-unneeded-time": "10 minutes" })])).toThrow('etl-platform:autoscaler.scaleDownUnneededTime: expected a duration such as 10m, got "10 minutes"');
  });

  it("prices data between zones and KMS key rotation as rates, and notes burstable pools", () => {
    const resources: PlannedResource[] = [
      ...spotPool(),
      { type: "aws:ec2/subnet:Subnet", name: "a", inputs: {} },
      { type: "aws:kms/key:Key", name: "rotating", inputs: { enableKeyRotation: true } },
      { type: "aws:kms/key:Key", name: "fixed", inputs: { enableKeyRotation: false } },
      { type: "aws:eks/nodeGroup:NodeGroup", name: "system", inputs: { capacityType: "ON_DEMAND", instanceTypes: ["t3.large"], scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 2 } } },
    ] as PlannedResource[];
    const priced = estimate(committed, resources);
    const region = committed.regions["us-east-1"];
    expect(priced.lines.find((line) => line.id === "network/cross-zone")).toMatchObject({ unit: "GB", unitPrice: region.crossZoneGB, monthly: null, basis: "usage" });
    expect(priced.lines.find((line) => line.id === "encryption/kms-rotation")).toMatchObject({ item: expect.stringContaining("rotation of 1 KMS keys"), unitPrice: region.kmsKeyMonth, monthly: null });
    expect(priced.notes).toContain("system uses burstable types (t3.large): CPU above their baseline is billed as surplus CPU credits on top of the hourly price (T3's default unlimited mode), not in this estimate.");
    expect(estimate(committed).lines.map((line) => line.id)).not.toContain("network/cross-zone");
    expect(estimate(committed).notes.some((note) => note.includes("burstable"))).toBe(false);
  });
});
