/**
 * The price snapshot's fields that a committed feed file decides (cost/data/feeds/, each file with its source URL,
 * fetch time and sha256): spot savings and interruption bands from AWS's Spot Instance Advisor feed, on-demand
 * prices from an on-demand feed where one is on file for the region. `applyFeeds` writes them into a snapshot and
 * marks every other figure unverified, with the reason; the refresh script and a test (which regenerates the
 * committed snapshot and fails on any difference) both go through it.
 */
import * as fs from "fs";
import * as path from "path";
import type { PriceSnapshot, RegionPrices } from "./priceSnapshotSchema";

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

export interface Feeds {
  advisor: { file: string; feed: SpotAdvisorFeed };
  onDemand: { file: string; feed: OnDemandFeed }[];
}

export const FEEDS_DIR = path.join(__dirname, "data", "feeds");

/** The feed files on file: the newest advisor feed (by the date in its name) and every on-demand feed. */
export function readFeeds(dir = FEEDS_DIR): Feeds {
  const files = fs.readdirSync(dir).filter((file) => file.endsWith(".json")).sort();
  const advisorFile = files.filter((file) => file.startsWith("spot-advisor-")).at(-1);
  if (!advisorFile) throw new Error(`${dir}: no spot-advisor-<date>.json`);
  const read = (file: string) => JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));
  const feeds: Feeds = {
    advisor: { file: advisorFile, feed: read(advisorFile) },
    onDemand: files.filter((file) => file.startsWith("on-demand-")).map((file) => ({ file, feed: read(file) })),
  };
  for (const { file, feed } of [feeds.advisor, ...feeds.onDemand]) {
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
    const unverified = (what: string) => ({ verified: false as const, reason: `${what} ${snapshot.provenance === "hand-entered" ? "entered by hand" : "read by npm run refresh-prices"}; no feed file on file checks it` });
    regions[name] = {
      ...region,
      onDemand,
      spotSavings: Object.fromEntries(types.map((type) => [type, linux[type].s])),
      spotInterruption: Object.fromEntries(types.map((type) => [type, linux[type].r])),
      verified: {
        spotSavings: { verified: true, source: feedName(advisor.file) },
        spotInterruption: { verified: true, source: feedName(advisor.file) },
        onDemand: onDemandFeed ? { verified: true, source: feedName(onDemandFeed.file) } : unverified("on-demand prices"),
        services: unverified("service prices (EKS, NAT, IPv4, endpoints, EBS, S3, logs, KMS, data between zones)"),
      },
    };
  }
  return {
    ...snapshot,
    spotInterruptionBands: advisor.feed.ranges,
    feeds: Object.fromEntries([advisor, ...feeds.onDemand].map(({ file, feed }) => [feedName(file), { url: feed.source.url, fetchedAt: feed.source.fetched_at, sha256: feed.source.sha256 }])),
    regions,
  };
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
