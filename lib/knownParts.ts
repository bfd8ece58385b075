/**
 * What of a value is known before its unknown inputs resolve. `sample` and `other` are the value rendered from two
 * different stand-ins for the unknown inputs; where they agree the value does not depend on them, so it is known
 * now; where they differ, that part comes from `actual` once it resolves. A CronWorkflow that embeds a bucket's
 * name in its manifests keeps its schedule, steps and images visible to the offline plan and the diff; only the
 * manifests that hold the name are unknown.
 */
import * as pulumi from "@pulumi/pulumi";

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;

function at(value: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>((node, key) => (isObject(node) ? (node as Record<string | number, unknown>)[key] : undefined), value);
}

function sameShape(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const [keysA, keysB] = [Object.keys(a), Object.keys(b)];
  return keysA.length === keysB.length && keysA.every((key) => key in b);
}

export function knownParts<T>(sample: T, other: T, actual: pulumi.Output<T>, path: (string | number)[] = []): pulumi.Input<T> {
  if (JSON.stringify(sample) === JSON.stringify(other)) return sample;
  if (isObject(sample) && isObject(other) && sameShape(sample, other)) {
    const parts = Object.keys(sample).map((key) => {
      const index = Array.isArray(sample) ? Number(key) : key;
      return [key, knownParts(sample[key], other[key], actual as pulumi.Output<unknown>, [...path, index])] as const;
    });
    return (Array.isArray(sample) ? parts.map(([, part]) => part) : Object.fromEntries(parts)) as pulumi.Input<T>;
  }
  return actual.apply((value) => at(value, path)) as pulumi.Output<T>;
}
