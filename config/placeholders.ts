/**
 * The example stacks carry placeholders on purpose (an account that is nobody's, the RFC 5737 documentation
 * ranges, example images and buckets), so that they plan offline out of the box. Under the real engine (`pulumi
 * preview`, `pulumi up`) the program refuses them, naming each key; the offline plan lists them in a "Before your
 * first deploy" section. A prod stack with no alert receiver is treated the same way: its alerts would go nowhere.
 */
import { cidrContains } from "../lib/cidr";
import type { PlatformConfig } from "./schema";

/** RFC 5737: address blocks reserved for documentation, never routed. */
export const DOCUMENTATION_RANGES = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"];
/** The AWS account of the example ARNs (not an account anyone can own a role in: AWS documentation's example). */
export const EXAMPLE_ACCOUNT = "111111111111";
/** The example images' registry path and the example buckets, as the example stacks and README name them. */
const EXAMPLE_NAMES: [RegExp, string][] = [
  [/^ghcr\.io\/acme\//, "an example image (ghcr.io/acme/...)"],
  [/^s3:\/\/acme-/, "an example bucket (s3://acme-...)"],
  [/^https?:\/\/([a-z0-9-]+\.)*example\.(com|org|net)([/:]|$)/, "an example address (example.com, .org, .net)"],
];

export interface Placeholder {
  path: (string | number)[];
  message: string;
}

const CIDR = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;

function placeholderIn(value: string): string | undefined {
  if (value.includes(`:${EXAMPLE_ACCOUNT}:`)) return `an example AWS account (${EXAMPLE_ACCOUNT})`;
  if (CIDR.test(value) && DOCUMENTATION_RANGES.some((range) => cidrContains(range, value))) return `a documentation address range (RFC 5737: ${DOCUMENTATION_RANGES.join(", ")})`;
  return EXAMPLE_NAMES.find(([pattern]) => pattern.test(value))?.[1];
}

/** Every placeholder in a validated config, by key; and in prod, no alert receiver. */
export function placeholders(config: PlatformConfig): Placeholder[] {
  const found: Placeholder[] = [];
  const walk = (value: unknown, path: (string | number)[]) => {
    if (typeof value === "string") {
      const what = placeholderIn(value);
      if (what) found.push({ path, message: `replace ${JSON.stringify(value)}: ${what}, a placeholder of the example stacks` });
    } else if (Array.isArray(value)) value.forEach((item, i) => walk(item, [...path, i]));
    else if (value && typeof value === "object") for (const [key, child] of Object.entries(value)) walk(child, [...path, key]);
  };
  // Secret values are never shown or checked (the loader sees only their names).
  for (const [key, value] of Object.entries(config)) if (key !== "secrets") walk(value, [key]);
  if (config.environment === "prod" && config.monitoring.receivers.length === 0) {
    found.push({ path: ["monitoring", "receivers"], message: "expected at least one alert receiver in prod: without one, every alert goes nowhere" });
  }
  return found;
}
