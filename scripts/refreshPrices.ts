/**
 * Regenerates cost/data/prices.json from AWS's public price feeds (cost/priceFeeds.ts): the Price List bulk offer
 * files of each region, read as a stream, and the Spot Instance Advisor feed. Needs only the internet, no AWS
 * account. Regions already in the file are refreshed; `--region` adds more.
 *
 *   npm run refresh-prices [-- --region ap-south-1 ...]
 *   npm run refresh-prices -- --from-feeds     # offline: re-derive the snapshot from the committed feed files
 *
 * It first writes the trimmed feeds, each with its URL, fetch time and sha256, into cost/data/feeds/
 * (spot-advisor-<date>.json, spot-prices-<date>.json, on-demand-<date>.json), then derives the snapshot from them (cost/feedSnapshot.ts),
 * so the test that regenerates the snapshot from the committed feed files checks exactly what this wrote.
 */
import { createHash, type Hash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as readline from "readline";
import { Readable, Transform } from "stream";
import { extractOffer, mergeOffers, OFFER_CODES, offerFileUrl, offerRows, SPOT_ADVISOR_URL, SPOT_PRICES_URL, type Extracted } from "../cost/priceFeeds";
import { priceSnapshotSchema, type PriceSnapshot } from "../cost/priceSnapshotSchema";
import { applyFeeds, FEEDS_DIR, readFeeds, refreshTypeLists, trimAdvisorFeed, trimSpotPriceFeed, type FeedSource, type OnDemandFeed } from "../cost/feedSnapshot";

const SNAPSHOT = path.join(__dirname, "..", "cost", "data", "prices.json");

/** The lines of an offer file, hashing its bytes on the way (the hash goes into the feed file's provenance). */
async function offerLines(url: string, hash: Hash): Promise<AsyncIterable<string>> {
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`${url}: HTTP ${response.status}`);
  const hashing = new Transform({ transform(chunk, _encoding, done) { hash.update(chunk); done(null, chunk); } });
  return readline.createInterface({ input: Readable.fromWeb(response.body as any).pipe(hashing), crlfDelay: Infinity });
}

/** Every figure of a region's offer files but the spot ones, and the sha256 of each file read. */
async function regionOffers(region: string): Promise<{ prices: Record<string, any>; hashes: string[] }> {
  const offers: Extracted[] = [];
  const hashes: string[] = [];
  for (const offer of OFFER_CODES) {
    const url = offerFileUrl(offer, region);
    process.stderr.write(`reading ${url}\n`);
    const hash = createHash("sha256");
    offers.push(await extractOffer(offer, offerRows(await offerLines(url, hash))));
    hashes.push(`${offer}/${region} ${hash.digest("hex")}`);
  }
  return { prices: mergeOffers(region, offers), hashes };
}

/** A whole JSON feed document, with the provenance of the bytes read. */
async function fetchDocument(url: string, feed: string, now: string): Promise<{ document: unknown; source: FeedSource }> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  return { document: JSON.parse(bytes.toString("utf8")), source: { feed, url, fetched_at: now, sha256: createHash("sha256").update(bytes).digest("hex") } };
}

const writeFeed = (file: string, content: unknown) => fs.writeFileSync(path.join(FEEDS_DIR, file), `${JSON.stringify(content, null, 1)}\n`);

async function main(argv: string[]): Promise<void> {
  const current = JSON.parse(fs.readFileSync(SNAPSHOT, "utf8")) as PriceSnapshot;
  if (!argv.includes("--from-feeds")) {
    const now = new Date().toISOString();
    const date = now.slice(0, 10);
    const extra = argv.flatMap((arg, i) => (argv[i - 1] === "--region" ? [arg] : []));
    const regionNames = [...new Set([...Object.keys(current.regions), ...extra])].sort();
    const { required, optional } = refreshTypeLists(current.regions);

    const advisor = await fetchDocument(SPOT_ADVISOR_URL, "AWS Spot Instance Advisor", now);
    const spot = await fetchDocument(SPOT_PRICES_URL, "AWS EC2 Spot pricing page (Linux, USD per instance-hour)", now);
    const regions: PriceSnapshot["regions"] = {};
    const onDemand: OnDemandFeed["onDemand"] = {};
    const wanted: Record<string, string[]> = {};
    const hashes: string[] = [];
    for (const region of regionNames) {
      const offers = await regionOffers(region);
      const missing = required.filter((type) => offers.prices.onDemand?.[type] === undefined);
      if (missing.length) throw new Error(`${region}: the AmazonEC2 offer file has no on-demand price for ${missing.join(", ")}`);
      // A type not every region had (the Graviton ones, at first) is taken where both the offer file and the advisor have it.
      const linux = (advisor.document as any)?.spot_advisor?.[region]?.Linux;
      const extra = optional.filter((type) => offers.prices.onDemand?.[type] !== undefined && typeof linux?.[type]?.s === "number" && typeof linux?.[type]?.r === "number");
      const skipped = optional.filter((type) => !extra.includes(type));
      if (skipped.length) process.stderr.write(`${region}: left out (no on-demand price or no advisor figures): ${skipped.join(", ")}\n`);
      wanted[region] = [...required, ...extra];
      onDemand[region] = Object.fromEntries(wanted[region].map((type) => [type, offers.prices.onDemand[type]]));
      hashes.push(...offers.hashes);
      regions[region] = { ...current.regions[region], ...offers.prices, onDemand: onDemand[region] };
    }
    writeFeed(`spot-advisor-${date}.json`, trimAdvisorFeed(advisor.document, wanted, advisor.source));
    const spotPrices = trimSpotPriceFeed(spot.document, wanted, spot.source);
    for (const region of regionNames) {
      const unpriced = wanted[region].filter((type) => spotPrices.spotPrices[region]?.[type] === undefined);
      // Not an error: such a type keeps on-demand less the advisor's savings, and the estimate says so.
      if (unpriced.length) process.stderr.write(`${region}: the spot price feed has no price for ${unpriced.join(", ")}\n`);
    }
    writeFeed(`spot-prices-${date}.json`, spotPrices);
    writeFeed(`on-demand-${date}.json`, {
      source: { feed: "AWS Price List bulk offer files (AmazonEC2: Compute Instance, Linux, Shared tenancy, no pre-installed software, capacity Used, OnDemand)", url: offerFileUrl("AmazonEC2", "{region}"), fetched_at: now, sha256: createHash("sha256").update(hashes.join("\n")).digest("hex"), files: hashes.join("; ") },
      currency: "USD",
      unit: "instance-hour",
      onDemand,
    } satisfies OnDemandFeed);
    Object.assign(current, { snapshotDate: date, provenance: "generated", provenanceNote: "Generated by scripts/refreshPrices.ts from the feeds named in sources, on the snapshot date.", regions });
  }
  fs.writeFileSync(SNAPSHOT, `${JSON.stringify(priceSnapshotSchema.parse(applyFeeds(current, readFeeds())), null, 1)}\n`);
  process.stderr.write(`wrote ${SNAPSHOT} from the feed files in ${FEEDS_DIR}\n`);
}

main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`refresh-prices failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
