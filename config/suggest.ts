/**
 * "Did you mean": the known key nearest a misspelt one, from the zod schema itself (the keys valid at that path),
 * so a typo in a stack file is answered with the key it meant.
 */
import type { z } from "zod";

type Def = { type: string; innerType?: z.ZodType; in?: z.ZodType; element?: z.ZodType; shape?: Record<string, z.ZodType>; options?: z.ZodType[]; valueType?: z.ZodType };
const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The object schemas a value at `path` may match (several for a union), wrappers removed. */
function schemasAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType[] {
  const def = defOf(schema);
  if (["optional", "default", "prefault", "nullable", "readonly"].includes(def.type) && def.innerType) return schemasAt(def.innerType, path);
  if (def.type === "pipe" && def.in) return schemasAt(def.in, path);
  if (def.type === "union" && def.options) return def.options.flatMap((option) => schemasAt(option, path));
  if (path.length === 0) return [schema];
  const [head, ...rest] = path;
  if (def.type === "array" && def.element && typeof head === "number") return schemasAt(def.element, rest);
  if (def.type === "object" && def.shape && typeof head === "string" && def.shape[head]) return schemasAt(def.shape[head], rest);
  if (def.type === "record" && def.valueType) return schemasAt(def.valueType, rest);
  return [];
}

/** The keys an object at `path` takes. */
export function knownKeysAt(root: z.ZodType, path: readonly PropertyKey[]): string[] {
  return [...new Set(schemasAt(root, path).flatMap((schema) => Object.keys(defOf(schema).shape ?? {})))];
}

/** Edits between two names (insert, delete, substitute, swap two neighbours), case-insensitive. */
function distance(a: string, b: string): number {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  const d = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[x.length][y.length];
}

/** The nearest known name, when it is near enough to be the one meant (a third of its length, at most 3 edits). */
export function nearest(name: string, known: string[]): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(name.length / 3)));
  const ranked = known.map((candidate) => ({ candidate, d: distance(name, candidate) })).filter(({ d }) => d <= limit).sort((a, b) => a.d - b.d);
  return ranked[0]?.candidate;
}
