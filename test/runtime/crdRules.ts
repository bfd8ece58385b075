/**
 * The CEL rules of a CRD (`x-kubernetes-validations`), evaluated offline over a custom resource as the API server
 * evaluates them on create: after structural defaulting, `self` bound to the value at the rule's node, integers as
 * CEL ints, objects and maps as CEL maps (kubernetes apiextensions-apiserver pkg/apiserver/schema/cel). Transition
 * rules (those reading `oldSelf`) do not run on create. Functions of the Kubernetes CEL library that the evaluator
 * (@bufbuild/cel) lacks are registered here (kubernetesCelLibrary), each tested on its own; a rule that calls one
 * still missing is reported as not evaluable, never as passed.
 */
import { celFunc, celMethod, CelScalar, listType, run, type CelFunc } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { parseQuantity } from "../../lib/quantity";

type Schema = Record<string, any>;

export interface RuleOutcome {
  path: string;
  rule: string;
  message?: string;
  result: "passed" | "failed" | "transition" | "not evaluable";
  reason?: string;
}

/**
 * The Kubernetes CEL library's functions our CRDs' rules call that the evaluator lacks
 * (k8s.io/apiserver pkg/cel/library: regex.go `find`/`findAll`, quantity.go `isQuantity`/`quantity` with
 * `compareTo`/`isGreaterThan`/`isLessThan`/`asInteger`, urls.go `isURL`).
 */
export const kubernetesCelLibrary: CelFunc[] = [
  celMethod("find", CelScalar.STRING, [CelScalar.STRING], CelScalar.STRING, function (pattern) {
    return new RegExp(pattern).exec(this)?.[0] ?? "";
  }),
  celMethod("findAll", CelScalar.STRING, [CelScalar.STRING], listType(CelScalar.STRING), function (pattern) {
    return [...this.matchAll(new RegExp(pattern, "g"))].map((match) => match[0]);
  }),
  celFunc("isQuantity", [CelScalar.STRING], CelScalar.BOOL, (value) => parseQuantity(value) !== undefined),
  // A quantity as its value in base units (a CEL double): enough for the comparisons the rules make.
  celFunc("quantity", [CelScalar.STRING], CelScalar.DOUBLE, (value) => {
    const parsed = parseQuantity(value);
    if (parsed === undefined) throw new Error(`quantities must match the regular expression: ${value}`);
    return parsed;
  }),
  celMethod("compareTo", CelScalar.DOUBLE, [CelScalar.DOUBLE], CelScalar.INT, function (other) {
    return BigInt(Math.sign(this - other));
  }),
  celMethod("isGreaterThan", CelScalar.DOUBLE, [CelScalar.DOUBLE], CelScalar.BOOL, function (other) {
    return this > other;
  }),
  celMethod("isLessThan", CelScalar.DOUBLE, [CelScalar.DOUBLE], CelScalar.BOOL, function (other) {
    return this < other;
  }),
  celFunc("isURL", [CelScalar.STRING], CelScalar.BOOL, (value) => {
    try {
      return Boolean(new URL(value).protocol);
    } catch {
      return false;
    }
  }),
];

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** The value as the API server stores it after structural defaulting: absent properties with a `default` get it. */
export function withDefaults(value: unknown, schema: Schema | undefined): unknown {
  if (!schema) return value;
  if (Array.isArray(value)) return value.map((item) => withDefaults(item, schema.items));
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) out[key] = withDefaults(child, schema.properties?.[key] ?? (isObject(schema.additionalProperties) ? schema.additionalProperties : undefined));
  for (const [key, property] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
    if (!(key in out) && property.default !== undefined) out[key] = withDefaults(property.default, property);
  }
  return out;
}

/** The value as CEL sees it: integers of `integer` fields as ints (bigint), objects as maps. */
export function celValue(value: unknown, schema: Schema | undefined): unknown {
  if (Array.isArray(value)) return value.map((item) => celValue(item, schema?.items));
  if (isObject(value)) {
    return new Map(Object.entries(value).map(([key, child]) => [key, celValue(child, schema?.properties?.[key] ?? (isObject(schema?.additionalProperties) ? schema?.additionalProperties : undefined))]));
  }
  if (typeof value === "number" && (schema?.type === "integer" || (schema?.["x-kubernetes-int-or-string"] && Number.isInteger(value)))) return BigInt(value);
  return value;
}

/** Every rule on the path of the object's fields, with its outcome. */
export function evaluateRules(object: unknown, schema: Schema): RuleOutcome[] {
  const outcomes: RuleOutcome[] = [];
  const visit = (value: unknown, node: Schema | undefined, path: string) => {
    if (!node || value === undefined) return;
    for (const rule of (node["x-kubernetes-validations"] ?? []) as { rule: string; message?: string; messageExpression?: string }[]) {
      const base = { path: path || "/", rule: rule.rule, message: rule.message };
      if (/\boldSelf\b/.test(rule.rule)) {
        outcomes.push({ ...base, result: "transition" });
        continue;
      }
      // The evaluator returns an evaluation error as its result (a CelError), and throws on a parse error.
      let result: unknown;
      try {
        result = run(rule.rule, { self: celValue(value, node) as any }, { funcs: [...strings, ...kubernetesCelLibrary] });
      } catch (error) {
        result = error;
      }
      if (typeof result === "boolean") outcomes.push({ ...base, result: result ? "passed" : "failed", ...(result ? {} : { reason: "false" }) });
      else {
        const text = result instanceof Error ? result.message : String(result);
        outcomes.push({ ...base, result: /unbound function|no such overload|undeclared/.test(text) ? "not evaluable" : "failed", reason: text });
      }
    }
    if (Array.isArray(value)) value.forEach((item, i) => visit(item, node.items, `${path}/${i}`));
    else if (isObject(value)) {
      for (const [key, child] of Object.entries(value)) visit(child, node.properties?.[key] ?? (isObject(node.additionalProperties) ? node.additionalProperties : undefined), `${path}/${key}`);
    }
  };
  visit(withDefaults(object, schema), schema, "");
  return outcomes;
}
