/** The shape of cost/data/prices.json, which scripts/refreshPrices.ts writes and the tests check. */
import { z } from "zod";

const price = z.number().nonnegative();

export const regionPricesSchema = z.strictObject({
  eksClusterHour: z.strictObject({ standard: price, extended: price }),
  natGatewayHour: price,
  natGatewayGB: price,
  publicIpv4Hour: price,
  interfaceEndpointHour: price,
  ebsGp3GBMonth: price,
  s3StandardGBMonth: price,
  logsIngestionGB: price,
  logsStorageGBMonth: price,
  kmsKeyMonth: price,
  /** USD per instance-hour, Linux, shared tenancy. */
  onDemand: z.record(z.string(), price),
  /** Spot savings over on-demand, per cent, as the Spot Instance Advisor publishes them (its `s`). */
  spotSavings: z.record(z.string(), z.number().min(0).max(100)),
});

export const priceSnapshotSchema = z.strictObject({
  snapshotDate: z.iso.date(),
  currency: z.literal("USD"),
  hoursPerMonth: z.literal(730),
  /** `generated` when written by scripts/refreshPrices.ts from the feeds; `hand-entered` otherwise. */
  provenance: z.enum(["generated", "hand-entered"]),
  provenanceNote: z.string(),
  sources: z.record(z.string(), z.string()),
  regions: z.record(z.string(), regionPricesSchema),
});

export type RegionPrices = z.infer<typeof regionPricesSchema>;
export type PriceSnapshot = z.infer<typeof priceSnapshotSchema>;

