/**
 * Kubernetes resource quantities (k8s.io/apimachinery pkg/api/resource/quantity.go): a number with an optional
 * binary (Ki, Mi, Gi, ...) or decimal (m, k, M, G, ...) suffix. Parsed here to compare requests with limits and
 * to catch the units that are legal but almost surely a mistake.
 */

export const QUANTITY_PATTERN = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

const MULTIPLIERS: Record<string, number> = {
  "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** The quantity's value in base units (bytes, cores), or undefined when it is not a quantity. */
export function parseQuantity(quantity: string): number | undefined {
  const match = QUANTITY_PATTERN.exec(quantity);
  if (!match) return undefined;
  return Number(match[1]) * MULTIPLIERS[match[2] ?? ""];
}

export function quantitySuffix(quantity: string): string | undefined {
  return QUANTITY_PATTERN.exec(quantity)?.[2];
}

/** Memory given in milli-bytes (`512m`) or in bare bytes (`512`): legal, and almost surely meant as Mi. */
export function memoryUnitProblem(quantity: string): string | undefined {
  const match = QUANTITY_PATTERN.exec(quantity);
  if (!match) return undefined;
  if (match[2] === "m") return `expected memory in bytes with a unit such as 512Mi, got ${JSON.stringify(quantity)}: "m" is milli, so that is ${match[1]} thousandths of a byte; did you mean ${match[1]}Mi?`;
  if (match[2] === undefined) return `expected memory with a unit such as 512Mi, got ${JSON.stringify(quantity)}, which is ${match[1]} bytes; did you mean ${match[1]}Mi?`;
  return undefined;
}

/** EBS gp3 volumes are 1 GiB to 16 TiB (EC2 CreateVolume); a size without a unit is bytes, surely not meant. */
export function storageSizeProblem(quantity: string): string | undefined {
  const match = QUANTITY_PATTERN.exec(quantity);
  if (!match) return undefined;
  if (match[2] === undefined || match[2] === "m") {
    return `expected a volume size with a unit such as 20Gi, got ${JSON.stringify(quantity)} (${match[2] === "m" ? "milli-bytes" : "bytes"}); did you mean ${match[1]}Gi?`;
  }
  const bytes = parseQuantity(quantity)!;
  if (bytes < 2 ** 30) return `expected at least 1Gi (the smallest gp3 volume), got ${JSON.stringify(quantity)}`;
  if (bytes > 16 * 2 ** 40) return `expected at most 16Ti (the largest gp3 volume), got ${JSON.stringify(quantity)}`;
  return undefined;
}
