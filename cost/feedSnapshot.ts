/**
 * The price snapshot's fields that a committed feed file decides (cost/data/feeds/, each file with its source URL,
 * fetch time and sha256): spot savings and interruption bands from AWS's Spot Instance Advisor feed, on-demand
 * prices from an on-demand feed where one is on file for the region, and actual spot prices from the spot pricing
 * page's feed where one is on file (the estimate prefers them to on-demand less the advisor's savings). `applyFeeds` writes them into a snapshot and
 * marks every other figure unverified, with the reason; the refresh script and a test (which regenerates the
 * committed snapshot and fails on any difference) both go through it.
 */
import * as fs from "fs";
import * as path from "path";
import type { PriceSnapshot, RegionPrices } from "./priceSnapshotSchema";
import { KNOWN_INSTANCE_TYPES } from "../lib/instanceTypes";

export interface FeedSource {
  feed: string;
  url: string;
  fetched_at: string;
  sha256: string;
  [detail: string]: string;
}

/** One interruption-frequency band of the advisor feed's legend (`ranges`): `max` is the band's upper bound in per cent. */
export interface InterruptionBand {
  index: number;
  label: string;
  dots: number;
  max: number;
}

/** The Spot Instance Advisor feed, trimmed to our regions and types: `s` savings in per cent, `r` the band index. */
export interface SpotAdvisorFeed {
  source: FeedSource;
  ranges: InterruptionBand[];
  spot_advisor: Record<string, { Linux: Record<string, { s: number; r: number }> }>;
}

/** On-demand list prices, USD per instance-hour, Linux, shared tenancy, by region and type. */
export interface OnDemandFeed {
  source: FeedSource;
  currency: "USD";
  unit: "instance-hour";
  onDemand: Record<string, Record<string, number>>;
}

/** Actual spot prices, USD per instance-hour, Linux, by region and type: what the spot pricing page showed when fetched. */
export interface SpotPriceFeed {
  source: FeedSource;
  currency: "USD";
  unit: "instance-hour";
  spotPrices: Record<string, Record<string, number>>;
}

export interface Feeds {
  advisor: { file: string; feed: SpotAdvisorFeed };
  onDemand: { file: string; feed: OnDemandFeed }[];
  spotPrices: { file: string; feed: SpotPriceFeed }[];
}

export const FEEDS_DIR = path.join(__dirname, "data", "feeds");

/** The feed files on file: the newest advisor feed (by the date in its name), every on-demand and every spot price feed. */
export function readFeeds(dir = FEEDS_DIR): Feeds {
  const files = fs.readdirSync(dir).filter((file) => file.endsWith(".json")).sort();
  const advisorFile = files.filter((file) => file.startsWith("spot-advisor-")).at(-1);
  if (!advisorFile) throw new Error(`${dir}: no spot-advisor-<date>.json`);
  const read = (file: string) => JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));
  const feeds: Feeds = {
    advisor: { file: advisorFile, feed: read(advisorFile) },
    onDemand: files.filter((file) => file.startsWith("on-demand-")).map((file) => ({ file, feed: read(file) })),
    spotPrices: files.filter((file) => file.startsWith("spot-prices-")).map((file) => ({ file, feed: read(file) })),
  };
  for (const { file, feed } of [feeds.advisor, ...feeds.onDemand, ...feeds.spotPrices]) {
    const missing = ["url", "fetched_at", "sha256"].filter((key) => !feed.source?.[key]);
    if (missing.length) throw new Error(`${file}: no ${missing.join(", ")} in its source: a feed file is written by npm run refresh-prices, never by hand`);
  }
  return feeds;
}

const feedName = (file: string) => `cost/data/feeds/${file}`;

/** The snapshot with every feed-decided field taken from the feeds, and each region's figures marked verified or not. */
export function applyFeeds(snapshot: PriceSnapshot, feeds: Feeds): PriceSnapshot {
  const { advisor } = feeds;
  const regions: Record<string, RegionPrices> = {};
  for (const [name, region] of Object.entries(snapshot.regions)) {
    const types = Object.keys(region.onDemand);
    const linux = advisor.feed.spot_advisor[name]?.Linux;
    if (!linux) throw new Error(`${feedName(advisor.file)}: no Linux figures for ${name}; refresh the feeds (npm run refresh-prices) or drop the region`);
    const missing = types.filter((type) => !linux[type]);
    if (missing.length) throw new Error(`${feedName(advisor.file)}: no ${name} figures for ${missing.join(", ")}`);
    const onDemandFeed = [...feeds.onDemand].reverse().find(({ feed }) => feed.onDemand[name]);
    const onDemand = onDemandFeed
      ? Object.fromEntries(types.map((type) => {
        const price = onDemandFeed.feed.onDemand[name][type];
        if (price === undefined) throw new Error(`${feedName(onDemandFeed.file)}: no ${name} price for ${type}`);
        return [type, price];
      }))
      : region.onDemand;
    // The newest spot price feed that prices the region; a type it lacks keeps the advisor's derived price.
    const spotPriceFeed = [...feeds.spotPrices].reverse().find(({ feed }) => Object.keys(feed.spotPrices[name] ?? {}).length);
    const spotPrice = spotPriceFeed && Object.fromEntries(types.flatMap((type) => {
      const price = spotPriceFeed.feed.spotPrices[name][type];
      return price === undefined ? [] : [[type, price]];
    }));
    const withoutSpotPrice = { ...region };
    delete withoutSpotPrice.spotPrice;
    const unverified = (what: string) => ({ verified: false as const, reason: `${what} ${snapshot.provenance === "hand-entered" ? "entered by hand" : "read by npm run refresh-prices"}; no feed file on file checks it` });
    regions[name] = {
      ...withoutSpotPrice,
      onDemand,
      ...(spotPrice ? { spotPrice } : {}),
      spotSavings: Object.fromEntries(types.map((type) => [type, linux[type].s])),
      spotInterruption: Object.fromEntries(types.map((type) => [type, linux[type].r])),
      verified: {
        spotSavings: { verified: true, source: feedName(advisor.file) },
        spotInterruption: { verified: true, source: feedName(advisor.file) },
        onDemand: onDemandFeed ? { verified: true, source: feedName(onDemandFeed.file) } : unverified("on-demand prices"),
        services: unverified("service prices (EKS, NAT, IPv4, endpoints, EBS, S3, logs, KMS, data between zones)"),
        ...(spotPriceFeed ? { spotPrice: { verified: true as const, source: feedName(spotPriceFeed.file) } } : {}),
      },
    };
  }
  return {
    ...snapshot,
    spotInterruptionBands: advisor.feed.ranges,
    feeds: Object.fromEntries([advisor, ...feeds.onDemand, ...feeds.spotPrices].map(({ file, feed }) => [feedName(file), { url: feed.source.url, fetchedAt: feed.source.fetched_at, sha256: feed.source.sha256 }])),
    regions,
  };
}

/**
 * The instance types a refresh must price (those every region of the snapshot prices: missing ones fail it) and
 * those it adds where AWS prices them (every other type the platform knows, lib/instanceTypes.ts: the Graviton
 * types until a refresh has found them everywhere).
 */
export function refreshTypeLists(regions: Record<string, Pick<RegionPrices, "onDemand">>): { required: string[]; optional: string[] } {
  const perRegion = Object.values(regions).map((region) => Object.keys(region.onDemand));
  const required = perRegion.length ? perRegion[0].filter((type) => perRegion.every((types) => types.includes(type))) : [];
  return { required, optional: KNOWN_INSTANCE_TYPES.filter((type) => !required.includes(type)) };
}

/** A raw advisor feed cut to the regions and types the snapshot prices, with its provenance. */
export function trimAdvisorFeed(raw: any, regions: Record<string, string[]>, source: FeedSource): SpotAdvisorFeed {
  if (!Array.isArray(raw?.ranges)) throw new Error("the Spot Instance Advisor feed has no ranges legend");
  const spot_advisor: SpotAdvisorFeed["spot_advisor"] = {};
  for (const [region, types] of Object.entries(regions)) {
    const linux = raw.spot_advisor?.[region]?.Linux;
    if (!linux) throw new Error(`the Spot Instance Advisor feed has no Linux data for ${region}`);
    const missing = types.filter((type) => typeof linux[type]?.s !== "number" || typeof linux[type]?.r !== "number");
    if (missing.length) throw new Error(`the Spot Instance Advisor feed lacks ${region} figures for ${missing.join(", ")}`);
    spot_advisor[region] = { Linux: Object.fromEntries(types.map((type) => [type, { s: linux[type].s, r: linux[type].r }])) };
  }
  return { source, ranges: raw.ranges, spot_advisor };
}

/**
 * A raw spot price feed (https://website.spot.ec2.aws.a2z.com/spot.json, the document behind
 * https://aws.amazon.com/ec2/spot/pricing/) cut to our regions and types: `config.regions[].instanceTypes[].sizes[]`,
 * each size with `valueColumns` named `linux` and `mswin` whose `prices.USD` is a string per hour (format as read by
 * alexei-led/spotinfo, internal/spot/types.go and docs/data-sources.md). A price that is not a positive number
 * ("N/A*", or $0 where AWS leaves a region out) is no price: the type keeps its derived price. A size listed twice
 * in a region must have one price, or the feed is refused rather than letting the last row win.
 */
export function trimSpotPriceFeed(raw: any, regions: Record<string, string[]>, source: FeedSource): SpotPriceFeed {
  const config = raw?.config;
  if (config?.rate !== "perhr" || !Array.isArray(config.regions)) throw new Error("the spot price feed has no config.regions priced per hour (perhr)");
  if (!config.currencies?.includes("USD")) throw new Error("the spot price feed is not in USD");
  const spotPrices: SpotPriceFeed["spotPrices"] = {};
  for (const [region, types] of Object.entries(regions)) {
    const seen = new Map<string, Set<number>>();
    for (const entry of config.regions.filter((candidate: any) => candidate?.region === region)) {
      for (const family of entry.instanceTypes ?? []) {
        for (const size of family.sizes ?? []) {
          const usd = Number(size.valueColumns?.find((column: any) => column?.name === "linux")?.prices?.USD);
          if (Number.isFinite(usd) && usd > 0) seen.set(size.size, (seen.get(size.size) ?? new Set()).add(usd));
        }
      }
    }
    const priced = types.filter((type) => seen.has(type));
    for (const type of priced) {
      if (seen.get(type)!.size > 1) throw new Error(`the spot price feed gives ${region} ${type} ${seen.get(type)!.size} different prices (${[...seen.get(type)!].join(", ")})`);
    }
    if (priced.length) spotPrices[region] = Object.fromEntries(priced.map((type) => [type, [...seen.get(type)!][0]]));
  }
  return { source, currency: "USD", unit: "instance-hour", spotPrices };
}
