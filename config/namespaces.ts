/**
 * Keys outside `etl-platform:`: each must belong to a namespace something reads, or it is a typo that would be
 * ignored silently (`etl-platfrom:pipelines` plans a stack with no pipelines).
 */
import { Region } from "@pulumi/aws/types/enums";

/** Our namespace, the providers the program uses, and Pulumi's own (`pulumi:tags`, `pulumi:disable-default-providers`). */
export const KNOWN_NAMESPACES = ["etl-platform", "aws", "kubernetes", "random", "eks", "pulumi"];

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

export function namespaceProblems(keys: string[]): string[] {
  return keys.flatMap((key) => {
    const colon = key.indexOf(":");
    const namespace = colon < 0 ? "" : key.slice(0, colon);
    if (KNOWN_NAMESPACES.includes(namespace)) return [];
    const closest = [...KNOWN_NAMESPACES].sort((a, b) => distance(namespace, a) - distance(namespace, b))[0];
    const hint = colon >= 0 && distance(namespace, closest) <= 3 ? `: did you mean ${closest}:${key.slice(colon + 1)}?` : "";
    return [`${key}: unknown config namespace "${namespace}" (expected one of ${KNOWN_NAMESPACES.map((n) => `${n}:`).join(", ")}); nothing reads this key${hint}`];
  });
}

/**
 * The regions the AWS provider knows (its `Region` enum, generated from AWS's partition data and updated with
 * each provider release); an unknown one fails only at `pulumi up`.
 */
export const REGIONS: string[] = Object.values(Region);

export function awsRegionProblem(region: string): string | undefined {
  if (REGIONS.includes(region)) return undefined;
  const closest = [...REGIONS].sort((a, b) => distance(region, a) - distance(region, b))[0];
  return `expected an AWS region the provider knows, such as eu-west-1, got ${JSON.stringify(region)}${distance(region, closest) <= 2 ? `: did you mean ${closest}?` : ""}`;
}
