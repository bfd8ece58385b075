/**
 * Readers of AWS's public price feeds, for scripts/refreshPrices.ts:
 * - the Price List bulk offer files in CSV (https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/using-the-aws-price-list-bulk-api-fetching-price-list-files-manually.html):
 *   five metadata lines ("FormatVersion", "Disclaimer", "Publication Date", "Version", "OfferCode"), a header,
 *   then one row per SKU and term. They are hundreds of MB, so they are read a line at a time and only the rows
 *   the estimate needs are kept;
 * - the Spot Instance Advisor feed (https://spot-bid-advisor.s3.amazonaws.com/spot-advisor-data.json), whose
 *   `spot_advisor.<region>.Linux.<type>` holds `s`, the savings over on-demand in per cent, and `r`, the
 *   interruption band; cost/feedSnapshot.ts trims it. The Price List has no spot prices;
 * - the spot pricing page's feed (SPOT_PRICES_URL): the actual Linux spot price per region and type, hourly;
 *   cost/feedSnapshot.ts trims it too.
 */
import { instanceShape } from "../lib/instanceTypes";
import type { RegionPrices } from "./priceSnapshotSchema";

/** The offer files the snapshot is read from, by the Price List's offer code. */
export const OFFER_CODES = ["AmazonEC2", "AmazonEKS", "AmazonVPC", "AmazonS3", "AmazonCloudWatch", "awskms"] as const;
export type OfferCode = (typeof OFFER_CODES)[number];

export const offerFileUrl = (offer: OfferCode, region: string) => `https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/${offer}/current/${region}/index.csv`;
export const SPOT_ADVISOR_URL = "https://spot-bid-advisor.s3.amazonaws.com/spot-advisor-data.json";
/**
 * The document behind https://aws.amazon.com/ec2/spot/pricing/, plain JSON, updated hourly. Not spot.js: that JSONP
 * copy has been frozen since 2024-05-13 (alexei-led/spotinfo docs/data-sources.md, "AWS Spot Pricing Data").
 */
export const SPOT_PRICES_URL = "https://website.spot.ec2.aws.a2z.com/spot.json";

const METADATA_KEYS = ["FormatVersion", "Disclaimer", "Publication Date", "Version", "OfferCode"];

/** One CSV record of an offer file: every field quoted, a quote inside a field doubled (RFC 4180). */
export function csvFields(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = "";
      i++;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote < 0) throw new Error(`unterminated quoted field in ${JSON.stringify(line.slice(0, 80))}`);
        value += line.slice(i, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      fields.push(value);
      i++; // the comma
    } else {
      const comma = line.indexOf(",", i);
      const end = comma < 0 ? line.length : comma;
      fields.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return fields;
}

export interface OfferRow {
  [column: string]: string;
}

/** The rows of an offer file, as column -> value; the metadata lines are checked and skipped. */
export async function* offerRows(lines: AsyncIterable<string> | Iterable<string>): AsyncGenerator<OfferRow> {
  let header: string[] | undefined;
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === "") continue;
    const fields = csvFields(line);
    if (lineNumber <= METADATA_KEYS.length) {
      if (fields[0] !== METADATA_KEYS[lineNumber - 1]) throw new Error(`line ${lineNumber}: expected the offer file's "${METADATA_KEYS[lineNumber - 1]}" line, got ${JSON.stringify(fields[0])}`);
      continue;
    }
    if (!header) {
      header = fields;
      for (const column of ["TermType", "Unit", "PricePerUnit", "usageType"]) if (!header.includes(column)) throw new Error(`the offer file's header has no ${column} column`);
      continue;
    }
    const row: OfferRow = {};
    header.forEach((column, index) => (row[column] = fields[index] ?? ""));
    yield row;
  }
}

export type Extracted = Partial<Omit<RegionPrices, "eksClusterHour" | "onDemand" | "spotSavings">> & {
  eksClusterHour?: Partial<RegionPrices["eksClusterHour"]>;
  onDemand?: Record<string, number>;
};

/**
 * A row priced in the region itself, not in one of its Local Zones, Wavelength Zones or Outposts, whose rows share
 * the region's offer file and end in the same usage types at other prices. A product has a location type, or a
 * "from" and a "to" one (data transfer); a column the file lacks does not exclude the row.
 */
const inRegion = (row: OfferRow) => ["Location Type", "From Location Type", "To Location Type"].every((column) => !row[column] || row[column] === "AWS Region");

/**
 * Keeps from one offer file's on-demand rows the figures the estimate uses. A figure found twice at two prices is
 * an error, never "the last row wins": it means the filters below no longer single out one product.
 */
export async function extractOffer(offer: OfferCode, rows: AsyncIterable<OfferRow>): Promise<Extracted> {
  const found: Extracted = {};
  const onDemand: Record<string, number> = {};
  const once = <T extends Record<string, any>>(target: T, key: string, price: number, what: string) => {
    if (target[key] !== undefined && target[key] !== price) throw new Error(`${offer}: two prices for ${what} (${target[key]} and ${price}): a filter no longer singles out one product`);
    (target as Record<string, number>)[key] = price;
  };
  const eks: Partial<RegionPrices["eksClusterHour"]> = {};
  for await (const row of rows) {
    if (row.TermType !== "OnDemand" || !inRegion(row)) continue;
    const price = Number(row.PricePerUnit);
    const usage = row.usageType;
    const firstTier = (row.StartingRange ?? "0") === "0";
    if (offer === "AmazonEC2") {
      // The Price List API filters Karpenter uses (pkg/providers/pricing/pricing.go): a region, not a Local or
      // Wavelength Zone; on-demand, not a capacity block; shared tenancy; no pre-installed software; capacity Used.
      const isLinuxInstance = row["Product Family"] === "Compute Instance" && (row.MarketOption ?? "OnDemand") === "OnDemand" && row.Tenancy === "Shared" && row["Operating System"] === "Linux" && row["Pre Installed S/W"] === "NA" && row.CapacityStatus === "Used" && row["License Model"] === "No License required" && row.Unit === "Hrs";
      if (isLinuxInstance && instanceShape(row["Instance Type"])) once(onDemand, row["Instance Type"], price, `instance type ${row["Instance Type"]}`);
      else if (usage.endsWith("NatGateway-Hours")) once(found, "natGatewayHour", price, "NAT gateway-hours");
      else if (usage.endsWith("NatGateway-Bytes")) once(found, "natGatewayGB", price, "NAT gateway data");
      else if (usage.endsWith("EBS:VolumeUsage.gp3")) once(found, "ebsGp3GBMonth", price, "gp3 storage");
      // Data between Availability Zones of one region, charged on each side of the transfer.
      else if (usage.endsWith("DataTransfer-Regional-Bytes")) once(found, "crossZoneGB", price, "data transfer between zones");
    } else if (offer === "AmazonEKS") {
      if (usage.endsWith("AmazonEKS-Hours:perCluster")) once(eks, "standard", price, "EKS cluster-hours");
      else if (usage.endsWith("AmazonEKS-Hours:extendedSupport")) once(eks, "extended", price, "EKS extended-support cluster-hours");
    } else if (offer === "AmazonVPC") {
      if (usage.endsWith("PublicIPv4:InUseAddress")) once(found, "publicIpv4Hour", price, "public IPv4 address-hours");
      else if (usage.endsWith("VpcEndpoint-Hours")) once(found, "interfaceEndpointHour", price, "interface endpoint-hours");
    } else if (offer === "AmazonS3") {
      if (usage.endsWith("TimedStorage-ByteHrs") && row["Volume Type"] === "Standard" && firstTier) once(found, "s3StandardGBMonth", price, "S3 Standard storage");
    } else if (offer === "AmazonCloudWatch") {
      if (usage.endsWith("DataProcessing-Bytes") && firstTier) once(found, "logsIngestionGB", price, "log ingestion");
      else if (usage.endsWith("TimedStorage-ByteHrs")) once(found, "logsStorageGBMonth", price, "log storage");
    } else if (offer === "awskms") {
      if (usage.endsWith("KMS-Keys")) once(found, "kmsKeyMonth", price, "KMS keys");
    }
  }
  if (offer === "AmazonEC2") found.onDemand = onDemand;
  if (Object.keys(eks).length > 0) found.eksClusterHour = eks;
  return found;
}

/** The service figures a region's offer files must give: the refresh fails without one, never keeps an old price. */
export const SERVICE_FIGURES = ["eksClusterHour.standard", "eksClusterHour.extended", "natGatewayHour", "natGatewayGB", "crossZoneGB", "publicIpv4Hour", "interfaceEndpointHour", "ebsGp3GBMonth", "s3StandardGBMonth", "logsIngestionGB", "logsStorageGBMonth", "kmsKeyMonth"] as const;

/** A region's figures from each of its offer files, merged; a service figure none of them gave is an error naming it. */
export function mergeOffers(region: string, offers: Extracted[]): Extracted {
  const merged = offers.reduce<Extracted>((all, found) => ({ ...all, ...found, eksClusterHour: { ...all.eksClusterHour, ...found.eksClusterHour } }), {});
  const missing = SERVICE_FIGURES.filter((figure) => {
    const [field, part] = figure.split(".");
    const value = (merged as Record<string, unknown>)[field];
    return (part ? (value as Record<string, unknown> | undefined)?.[part] : value) === undefined;
  });
  if (missing.length > 0) throw new Error(`${region}: the offer files (${OFFER_CODES.join(", ")}) have no price for ${missing.join(", ")}: a usage type or a filter of cost/priceFeeds.ts no longer matches AWS's rows`);
  return merged;
}
