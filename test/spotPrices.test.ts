/**
 * Actual spot prices (cost/feedSnapshot.ts trimSpotPriceFeed, applyFeeds; cost/prices.ts spotHour): the spot
 * pricing page's feed is read as alexei-led/spotinfo reads it (internal/spot/types.go rawPriceData:
 * config.regions[].instanceTypes[].sizes[].valueColumns[{ name: "linux" | "mswin", prices: { USD: "<string>" } }],
 * and docs/data-sources.md: plain JSON at website.spot.ec2.aws.a2z.com/spot.json, "N/A" or $0 where AWS has no
 * price), and the estimate prefers what it gives to on-demand less the advisor's savings, saying which it used.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { applyFeeds, FEEDS_DIR, readFeeds, trimSpotPriceFeed, type Feeds, type SpotPriceFeed } from "../cost/feedSnapshot";
import { estimateCost } from "../cost/estimate";
import { SPOT_PRICES_URL } from "../cost/priceFeeds";
import { priceSnapshotSchema } from "../cost/priceSnapshotSchema";
import { priceSnapshot } from "../cost/prices";
import type { PlannedResource } from "../cost/plannedResource";

const committed = priceSnapshot();
const feeds = readFeeds();
const DAY = new Date("2026-12-01T12:00:00Z");
const source = { feed: "AWS EC2 Spot pricing page", url: SPOT_PRICES_URL, fetched_at: "2026-12-01T06:00:00Z", sha256: "a".repeat(64) };

/** A size of the raw feed, with its Linux and Windows columns. */
const size = (name: string, linux: string, windows = "0.5") => ({ size: name, valueColumns: [{ name: "linux", prices: { USD: linux } }, { name: "mswin", prices: { USD: windows } }] });
const rawFeed = (regions: unknown[], config: Record<string, unknown> = {}) => ({ vers: 0.01, config: { rate: "perhr", valueColumns: ["linux", "mswin"], currencies: ["USD"], regions, ...config } });

const spotPool = (types: string[]): PlannedResource[] => [{
  type: "aws:eks/nodeGroup:NodeGroup", name: "batch",
  inputs: { capacityType: "SPOT", instanceTypes: types, scalingConfig: { minSize: 0, desiredSize: 0, maxSize: 2 }, labels: { "etl-platform/pool": "batch" }, taints: [{ key: "etl-platform/batch", value: "true", effect: "NO_SCHEDULE" }] },
} as PlannedResource];

const withSpotPrices = (spotPrices: SpotPriceFeed["spotPrices"], file = "spot-prices-2026-12-01.json"): Feeds => ({ ...feeds, spotPrices: [{ file, feed: { source, currency: "USD", unit: "instance-hour", spotPrices } }] });

describe("trimming the spot price feed", () => {
  const raw = rawFeed([
    { region: "us-east-1", footnotes: { "*": "notAvailableForCCorCGPU" }, instanceTypes: [
      { type: "generalCurrentGen", sizes: [size("m5.large", "0.0399"), size("m5.xlarge", "N/A*"), size("m6i.large", "0.0412")] },
      // The same size under a second family heading, at the same price: one price.
      { type: "generalPreviousGen", sizes: [size("m6i.large", "0.0412")] },
    ] },
    { region: "me-central-1", instanceTypes: [{ type: "generalCurrentGen", sizes: [size("m5.large", "0")] }] },
    { region: "eu-west-1", instanceTypes: [{ type: "generalCurrentGen", sizes: [size("m5.large", "0.0451", "0.01")] }] },
  ]);

  it("keeps the Linux price of our regions and types, and leaves out a type without a positive price", () => {
    expect(trimSpotPriceFeed(raw, { "us-east-1": ["m5.large", "m5.xlarge", "m6i.large"], "eu-west-1": ["m5.large", "m7i.large"], "me-central-1": ["m5.large"], "ap-south-1": ["m5.large"] }, source)).toEqual({
      source, currency: "USD", unit: "instance-hour",
      // m5.xlarge "N/A*", me-central-1's $0 and the absent ap-south-1 and m7i.large are no price: those keep the derived one.
      spotPrices: { "us-east-1": { "m5.large": 0.0399, "m6i.large": 0.0412 }, "eu-west-1": { "m5.large": 0.0451 } },
    });
  });

  it("refuses two prices for one size in a region instead of letting the last row win", () => {
    const twice = rawFeed([{ region: "us-east-1", instanceTypes: [{ type: "a", sizes: [size("g6.12xlarge", "1.1")] }, { type: "b", sizes: [size("g6.12xlarge", "1.2")] }] }]);
    expect(() => trimSpotPriceFeed(twice, { "us-east-1": ["g6.12xlarge"] }, source)).toThrow("the spot price feed gives us-east-1 g6.12xlarge 2 different prices (1.1, 1.2)");
    // A size we do not price may disagree with itself: it is not read.
    expect(trimSpotPriceFeed(twice, { "us-east-1": ["m5.large"] }, source).spotPrices).toEqual({});
  });

  it("refuses a document that is not the hourly USD feed", () => {
    expect(() => trimSpotPriceFeed({ spot_advisor: {} }, { "us-east-1": ["m5.large"] }, source)).toThrow("the spot price feed has no config.regions priced per hour (perhr)");
    expect(() => trimSpotPriceFeed(rawFeed([], { rate: "permonth" }), { "us-east-1": ["m5.large"] }, source)).toThrow("priced per hour");
    expect(() => trimSpotPriceFeed(rawFeed([], { currencies: ["EUR"] }), { "us-east-1": ["m5.large"] }, source)).toThrow("the spot price feed is not in USD");
  });
});

describe("the snapshot with a spot price feed", () => {
  const spotPrices = { "us-east-1": { "m6i.xlarge": 0.0701, "m6a.xlarge": 0.0655, "m5.xlarge": 0.0722 } };
  const snapshot = priceSnapshotSchema.parse(applyFeeds(committed, withSpotPrices(spotPrices)));

  it("takes each priced type's actual price into its region, marked verified by the file, and nothing elsewhere", () => {
    expect(snapshot.regions["us-east-1"].spotPrice).toEqual(spotPrices["us-east-1"]);
    expect(snapshot.regions["us-east-1"].verified.spotPrice).toEqual({ verified: true, source: "cost/data/feeds/spot-prices-2026-12-01.json" });
    expect(snapshot.feeds["cost/data/feeds/spot-prices-2026-12-01.json"]).toEqual({ url: SPOT_PRICES_URL, fetchedAt: source.fetched_at, sha256: source.sha256 });
    expect(snapshot.regions["eu-west-1"].spotPrice).toBeUndefined();
    expect(snapshot.regions["eu-west-1"].verified.spotPrice).toBeUndefined();
    // Without the feed file the prices go again: the snapshot is whatever the feed files give.
    expect(applyFeeds(snapshot, feeds).regions["us-east-1"].spotPrice).toBeUndefined();
    // A type the snapshot does not price is not carried in.
    expect(applyFeeds(committed, withSpotPrices({ "us-east-1": { "x9.huge": 1 } })).regions["us-east-1"].spotPrice).toEqual({});
  });

  it("uses the newest spot price feed that prices the region", () => {
    const older = withSpotPrices({ "us-east-1": { "m5.xlarge": 0.09 }, "eu-west-1": { "m5.xlarge": 0.08 } }, "spot-prices-2026-11-01.json");
    const both: Feeds = { ...feeds, spotPrices: [...older.spotPrices, ...withSpotPrices(spotPrices).spotPrices] };
    const applied = applyFeeds(committed, both);
    expect(applied.regions["us-east-1"].spotPrice!["m5.xlarge"]).toBe(0.0722);
    expect(applied.regions["eu-west-1"].spotPrice).toEqual({ "m5.xlarge": 0.08 });
    expect(applied.regions["eu-west-1"].verified.spotPrice).toEqual({ verified: true, source: "cost/data/feeds/spot-prices-2026-11-01.json" });
  });

  it("prices spot from the actual prices, on-demand less the advisor's savings for a type without one, and says which", () => {
    const types = ["m6i.xlarge", "m6a.xlarge", "m5.xlarge", "m7i.xlarge"];
    const priced = estimateCost(spotPool(types), { region: "us-east-1", date: DAY, prices: snapshot });
    const region = committed.regions["us-east-1"];
    const derived = region.onDemand["m7i.xlarge"] * (1 - region.spotSavings["m7i.xlarge"] / 100);
    const hours = [0.0701, 0.0655, 0.0722, derived];
    expect(priced.batchPools[0].spotHour).toEqual({ low: Math.round(Math.min(...hours) * 1e6) / 1e6, high: Math.round(Math.max(...hours) * 1e6) / 1e6 });
    expect(priced.notes.filter((note) => note.startsWith("Spot prices:"))).toEqual([
      "Spot prices: actual spot prices (cost/data/feeds/spot-prices-2026-12-01.json, fetched 2026-12-01) for m6i.xlarge, m6a.xlarge, m5.xlarge.",
      "Spot prices: on-demand less the Spot Instance Advisor's savings (cost/data/feeds/spot-advisor-2026-08-10.json, fetched 2026-08-10) for m7i.xlarge, which cost/data/feeds/spot-prices-2026-12-01.json does not price in us-east-1.",
    ]);
    const allActual = estimateCost(spotPool(types.slice(0, 3)), { region: "us-east-1", date: DAY, prices: snapshot });
    expect(allActual.batchPools[0].spotHour).toEqual({ low: 0.0655, high: 0.0722 });
    expect(allActual.notes.filter((note) => note.startsWith("Spot prices:"))).toEqual(["Spot prices: actual spot prices (cost/data/feeds/spot-prices-2026-12-01.json, fetched 2026-12-01) for m6i.xlarge, m6a.xlarge, m5.xlarge."]);
    // A long list is cut (a Karpenter pool may allow dozens of types).
    const many = ["m5.large", "m5.xlarge", "m5.2xlarge", "m5.4xlarge", "m6i.large", "m6i.xlarge", "m6i.2xlarge", "m6i.4xlarge"];
    const manyPriced = priceSnapshotSchema.parse(applyFeeds(committed, withSpotPrices({ "us-east-1": Object.fromEntries(many.map((type) => [type, 0.05])) })));
    expect(estimateCost(spotPool(many), { region: "us-east-1", date: DAY, prices: manyPriced }).notes.filter((note) => note.startsWith("Spot prices:"))).toEqual([
      "Spot prices: actual spot prices (cost/data/feeds/spot-prices-2026-12-01.json, fetched 2026-12-01) for m5.large, m5.xlarge, m5.2xlarge, m5.4xlarge, m6i.large, m6i.xlarge and 2 more.",
    ]);
  });

  it("reads spot price feed files from the feed folder, and refuses one without provenance", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "feeds-"));
    for (const file of fs.readdirSync(FEEDS_DIR)) fs.copyFileSync(path.join(FEEDS_DIR, file), path.join(dir, file));
    fs.writeFileSync(path.join(dir, "spot-prices-2026-12-01.json"), JSON.stringify({ source, currency: "USD", unit: "instance-hour", spotPrices }));
    expect(readFeeds(dir).spotPrices).toEqual([{ file: "spot-prices-2026-12-01.json", feed: { source, currency: "USD", unit: "instance-hour", spotPrices } }]);
    fs.writeFileSync(path.join(dir, "spot-prices-2026-12-01.json"), JSON.stringify({ source: { feed: "typed in", url: SPOT_PRICES_URL }, spotPrices }));
    expect(() => readFeeds(dir)).toThrow("spot-prices-2026-12-01.json: no fetched_at, sha256 in its source: a feed file is written by npm run refresh-prices, never by hand");
  });
});

describe("feeds that are not what the refresh expects", () => {
  const { trimAdvisorFeed, refreshTypeLists } = require("../cost/feedSnapshot") as typeof import("../cost/feedSnapshot");
  const wanted = { "us-east-1": ["m5.large", "m6i.large"] };

  it("refuses an advisor feed without its legend, a region or both figures of a type, naming what", () => {
    const linux = { "m5.large": { s: 70, r: 1 }, "m6i.large": { s: 60, r: 0 } };
    const advisor = (regions: unknown, ranges: unknown = [{ index: 0, label: "<5%" }]) => trimAdvisorFeed({ ranges, spot_advisor: regions }, wanted, source);
    expect(advisor({ "us-east-1": { Linux: linux } }).spot_advisor["us-east-1"].Linux).toEqual(linux);
    expect(() => trimAdvisorFeed(undefined, wanted, source)).toThrow(/^the Spot Instance Advisor feed has no ranges legend$/);
    expect(() => advisor({ "us-east-1": { Linux: linux } }, {})).toThrow(/^the Spot Instance Advisor feed has no ranges legend$/);
    expect(() => trimAdvisorFeed({ ranges: [] }, wanted, source)).toThrow(/^the Spot Instance Advisor feed has no Linux data for us-east-1$/);
    expect(() => advisor({ "us-east-1": { Linux: { "m5.large": { s: 70 }, "m6i.large": { r: 0 } } } })).toThrow(/^the Spot Instance Advisor feed lacks us-east-1 figures for m5\.large, m6i\.large$/);
  });

  it("refuses a spot price feed without config, or not in USD; skips entries and sizes it cannot read", () => {
    expect(() => trimSpotPriceFeed(undefined, wanted, source)).toThrow(/^the spot price feed has no config\.regions priced per hour \(perhr\)$/);
    expect(() => trimSpotPriceFeed({ config: { rate: "perhr", regions: [] } }, wanted, source)).toThrow(/^the spot price feed is not in USD$/);
    const trimmed = trimSpotPriceFeed(rawFeed([
      null,
      { region: "us-east-1" },
      { region: "us-east-1", instanceTypes: [{ type: "general" }, { type: "general", sizes: [
        { size: "m5.large" },
        { size: "m5.large", valueColumns: [{ name: "mswin", prices: { USD: "0.9" } }, null] },
        { size: "m6i.large", valueColumns: [{ name: "linux" }] },
        size("m6i.large", "0.0412", "0.3"),
      ] }] },
    ]), wanted, source);
    expect(trimmed.spotPrices).toEqual({ "us-east-1": { "m6i.large": 0.0412 } });
  });

  it("reads the newest advisor feed by name, every on-demand and spot price feed, nothing but JSON; refuses a folder without an advisor feed", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "feeds-"));
    const feed = (extra: object) => JSON.stringify({ source, ...extra });
    fs.writeFileSync(path.join(dir, "README.md"), "not a feed");
    expect(() => readFeeds(dir)).toThrow(`${dir}: no spot-advisor-<date>.json`);
    fs.writeFileSync(path.join(dir, "spot-advisor-2026-01-01.json"), feed({ old: true }));
    fs.writeFileSync(path.join(dir, "spot-advisor-2026-08-10.json"), feed({ old: false }));
    fs.writeFileSync(path.join(dir, "on-demand-2026-07-06.json"), feed({ onDemand: {} }));
    fs.writeFileSync(path.join(dir, "spot-prices-2026-12-01.json"), feed({ spotPrices: {} }));
    const read = readFeeds(dir);
    expect([read.advisor.file, (read.advisor.feed as any).old, read.onDemand.map((f) => f.file), read.spotPrices.map((f) => f.file)])
      .toEqual(["spot-advisor-2026-08-10.json", false, ["on-demand-2026-07-06.json"], ["spot-prices-2026-12-01.json"]]);
  });

  it("orders the folder's files by name, whatever order the file system lists them in, and skips a partial download", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "feeds-"));
    const names = ["spot-advisor-2026-08-10.json", "on-demand-2026-09-01.json", "spot-advisor-2025-12-31.json", "on-demand-2026-07-06.json", "spot-advisor-2026-03-15.json", "on-demand-2026-10-01.json.partial"];
    for (const name of names) fs.writeFileSync(path.join(dir, name), name.endsWith(".json") ? JSON.stringify({ source, name }) : "{ cut off");
    // readdir gives no order (ext4 lists by hash): the newest advisor feed is found by name, not by listing position.
    // On the module itself, before a fresh copy of cost/feedSnapshot.ts takes its bindings (`import * as fs` copies them).
    const realFs = require("fs") as typeof fs;
    const readdir = realFs.readdirSync;
    const listing = jest.spyOn(realFs, "readdirSync").mockImplementation(((dirPath: string, ...rest: unknown[]) => (dirPath === dir ? names : (readdir as any)(dirPath, ...rest))) as any);
    try {
      let read: Feeds | undefined;
      jest.isolateModules(() => {
        read = (require("../cost/feedSnapshot") as typeof import("../cost/feedSnapshot")).readFeeds(dir);
      });
      expect(listing).toHaveBeenCalledWith(dir);
      if (!read) throw new Error("readFeeds returned nothing");
      expect([read.advisor.file, read.onDemand.map(({ file }) => file)]).toEqual(["spot-advisor-2026-08-10.json", ["on-demand-2026-07-06.json", "on-demand-2026-09-01.json"]]);
    } finally {
      listing.mockRestore();
    }
  });

  it("refuses a feed file with no source at all, naming every missing field", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "feeds-"));
    fs.writeFileSync(path.join(dir, "spot-advisor-2026-08-10.json"), JSON.stringify({ ranges: [] }));
    expect(() => readFeeds(dir)).toThrow(/^spot-advisor-2026-08-10\.json: no url, fetched_at, sha256 in its source: a feed file is written by npm run refresh-prices, never by hand$/);
  });

  it("takes a region's on-demand prices from the newest on-demand feed that prices it", () => {
    const region = "us-east-1";
    const prices = committed.regions[region].onDemand;
    const feed = (file: string, factor: number) => ({ file, feed: { source, currency: "USD" as const, unit: "instance-hour" as const, onDemand: { [region]: Object.fromEntries(Object.entries(prices).map(([type, price]) => [type, price * factor])) } } });
    const applied = applyFeeds(committed, { ...feeds, onDemand: [feed("on-demand-2026-07-06.json", 1), feed("on-demand-2026-10-01.json", 2)] });
    expect(applied.regions[region].onDemand["m5.large"]).toBeCloseTo(prices["m5.large"] * 2, 10);
    expect(applied.regions[region].verified.onDemand).toEqual({ verified: true, source: "cost/data/feeds/on-demand-2026-10-01.json" });
  });

  it("names every type an advisor feed lacks for a region", () => {
    const advisor = structuredClone(feeds.advisor);
    delete advisor.feed.spot_advisor["eu-west-1"].Linux["m5.large"];
    delete advisor.feed.spot_advisor["eu-west-1"].Linux["m5.xlarge"];
    expect(() => applyFeeds(committed, { ...feeds, advisor })).toThrow(/: no eu-west-1 figures for m5\.large, m5\.xlarge$/);
  });

  it("refuses an on-demand feed that lacks a type the snapshot prices in its region, and says who read an unverified figure", () => {
    const region = Object.keys(committed.regions).find((name) => feeds.onDemand.some(({ feed }) => feed.onDemand[name]))!;
    const type = Object.keys(committed.regions[region].onDemand)[0];
    const onDemand = feeds.onDemand.map(({ file, feed }) => ({ file, feed: { ...feed, onDemand: { ...feed.onDemand, [region]: { ...feed.onDemand[region] } } } }));
    delete onDemand[onDemand.length - 1].feed.onDemand[region][type];
    expect(() => applyFeeds(committed, { ...feeds, onDemand: onDemand.slice(-1) })).toThrow(`cost/data/feeds/${onDemand[onDemand.length - 1].file}: no ${region} price for ${type}`);
    const generated = applyFeeds({ ...committed, provenance: "generated" }, feeds);
    const reasons = Object.values(generated.regions).flatMap((prices) => Object.values(prices.verified)).filter((state) => !state.verified).map((state) => (state as { reason: string }).reason);
    expect(reasons.length).toBeGreaterThan(0);
    for (const reason of reasons) expect(reason).toMatch(/ read by npm run refresh-prices; no feed file on file checks it$/);
    expect(refreshTypeLists({}).required).toEqual([]);
  });
});
