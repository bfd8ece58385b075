/**
 * The dated price snapshot (cost/data/prices.json) and its lookups. Every figure is per region, in USD, from
 * AWS's public Price List offer files and the Spot Instance Advisor feed (see `sources` in the file);
 * `npm run refresh-prices` regenerates it. A region or instance type the snapshot lacks is an error naming
 * the config key, never a zero.
 */
import type { PriceSnapshot, RegionPrices } from "./priceSnapshotSchema";

export type { PriceSnapshot, RegionPrices };

/** A figure the snapshot lacks: the estimate cannot be made, and the message names the key to change. */
export class PriceError extends Error {}

let snapshot: PriceSnapshot | undefined;

/** The committed snapshot. Its shape is checked by the tests and by the script that writes it, not on every plan (the plan's time budget). */
export function priceSnapshot(): PriceSnapshot {
  snapshot ??= require("./data/prices.json") as PriceSnapshot;
  return snapshot;
}

export function regionPrices(prices: PriceSnapshot, region: string): RegionPrices {
  const found = prices.regions[region];
  if (!found) {
    throw new PriceError(`aws:region: no prices for ${JSON.stringify(region)} in cost/data/prices.json (it has ${Object.keys(prices.regions).join(", ")}); add the region with npm run refresh-prices -- --region ${region}, or plan with --no-cost`);
  }
  return found;
}

/** Per-hour on-demand price of an instance type; `key` names the config key that chose it. */
export function onDemandHour(region: RegionPrices, regionName: string, instanceType: string, key: string): number {
  const hourly = region.onDemand[instanceType];
  if (hourly === undefined) throw new PriceError(`${key}: no on-demand price for ${instanceType} in ${regionName} (EC2 may not offer it there); choose a type the snapshot prices, refresh it with npm run refresh-prices, or plan with --no-cost`);
  return hourly;
}

/** Spot savings of an instance type over on-demand, as a fraction. */
export function spotSavings(region: RegionPrices, regionName: string, instanceType: string, key: string): number {
  const percent = region.spotSavings[instanceType];
  if (percent === undefined) throw new PriceError(`${key}: no Spot Instance Advisor savings for ${instanceType} in ${regionName}; choose a type the snapshot prices, refresh it with npm run refresh-prices, or plan with --no-cost`);
  return percent / 100;
}

/**
 * One spot node-hour of an instance type: the actual spot price where a spot price feed gave one (`actual`), else
 * on-demand less the Spot Instance Advisor's savings.
 */
export function spotHour(region: RegionPrices, regionName: string, instanceType: string, key: string): { hour: number; actual: boolean } {
  const actual = region.spotPrice?.[instanceType];
  if (actual !== undefined) return { hour: actual, actual: true };
  return { hour: onDemandHour(region, regionName, instanceType, key) * (1 - spotSavings(region, regionName, instanceType, key)), actual: false };
}
