/**
 * docs/config.md, generated from the zod schema's descriptions and the per-environment defaults, so the reference
 * cannot drift from what the loader accepts. Regenerate with `npm run generate-config`.
 */
import { environmentDefaults } from "./defaults";
import { configSectionsSchema, IPV4_CIDR_PATTERN } from "./jsonSchema";
import { CRON_JSON_PATTERN, IMAGE_JSON_PATTERN, TIME_ZONE_JSON_PATTERN } from "./jsonPatterns";

/** The type a reader sees for a string of each JSON Schema pattern. */
const PATTERN_NAMES: Record<string, string> = {
  [IPV4_CIDR_PATTERN]: "IPv4 CIDR", [CRON_JSON_PATTERN]: "cron schedule", [TIME_ZONE_JSON_PATTERN]: "IANA time zone", [IMAGE_JSON_PATTERN]: "image reference (repo:tag[@sha256:...])",
};
import { CROSS_FIELD_RULES } from "./rules";

type JsonSchema = Record<string, any>;

interface Row {
  key: string;
  type: string;
  staging: string;
  prod: string;
  description: string;
}

function typeOf(schema: JsonSchema): string {
  if (schema.enum) return schema.enum.map((value: unknown) => `\`${JSON.stringify(value)}\``).join(" \\| ");
  if (schema.anyOf) return [...new Set(schema.anyOf.map(typeOf))].join(" or ");
  switch (schema.type) {
    case "integer":
    case "number": {
      // zod writes an unbounded int's limits as ±(2^53 - 1): no bound at all, for a reader.
      const bound = (value: number | undefined) => (value === undefined || Math.abs(value) >= Number.MAX_SAFE_INTEGER ? undefined : value);
      const [minimum, maximum] = [bound(schema.minimum), bound(schema.maximum)];
      const range = minimum !== undefined && maximum !== undefined ? `, ${minimum} to ${maximum}`
        : minimum !== undefined ? `, at least ${minimum}` : maximum !== undefined ? `, at most ${maximum}` : "";
      return `${schema.type}${range}`;
    }
    case "string":
      return PATTERN_NAMES[schema.pattern] ?? (schema.format === "uri" ? "URL" : schema.maxLength ? `string, at most ${schema.maxLength} characters` : "string");
    case "array":
      return `list of ${typeOf(schema.items ?? {})}${schema.minItems ? `, at least ${schema.minItems}` : ""}`;
    case "object":
      return schema.properties ? "object" : `map of ${typeOf(schema.additionalProperties ?? {})}`;
    default:
      return schema.type ?? "any";
  }
}

function valueAt(document: unknown, path: string[]): unknown {
  return path.reduce<unknown>((node, key) => (node && typeof node === "object" ? (node as Record<string, unknown>)[key] : undefined), document);
}

function show(value: unknown): string {
  if (value === undefined) return "";
  return `\`${JSON.stringify(value)}\``.replace(/\|/g, "\\|");
}

/** Rows for a schema node and everything under it. `path` is what a stack file writes; `inList` once inside a list item. */
function rows(schema: JsonSchema, path: string[], inList: boolean, required = false, inherited?: unknown): Row[] {
  const key = path.join(".").replace(/\.\[\]/g, "[]");
  // A key's default: the environment's, else its own, else its part of the default of the object it is in.
  const defaults = (environment: "staging" | "prod") => {
    if (inList) return show(schema.default ?? inherited);
    const fromEnvironment = valueAt(environmentDefaults[environment], path);
    return show(fromEnvironment ?? schema.default ?? inherited);
  };
  // Required: a key a list item must have (objects merge over the environment's defaults, so no section key is).
  const self: Row = { key: `\`${key}\``, type: `${typeOf(schema)}${required ? ", **required**" : ""}`, staging: defaults("staging"), prod: defaults("prod"), description: (schema.description ?? "").replace(/\|/g, "\\|") };
  const children: Row[] = [];
  if (schema.type === "object" && schema.properties) {
    const own = (schema.default ?? inherited) as Record<string, unknown> | undefined;
    for (const [child, childSchema] of Object.entries(schema.properties as Record<string, JsonSchema>)) children.push(...rows(childSchema, [...path, child], inList, inList && (schema.required ?? []).includes(child), own?.[child]));
  }
  if (schema.type === "array" && schema.items?.type === "object" && schema.items.properties) {
    for (const [child, childSchema] of Object.entries(schema.items.properties as Record<string, JsonSchema>)) children.push(...rows(childSchema, [...path, "[]", child], true, (schema.items.required ?? []).includes(child)));
  }
  if (schema.type === "array" && schema.items?.anyOf?.every((option: JsonSchema) => option.type === "object" && option.properties)) {
    children.push(...variantRows(schema.items.anyOf, path));
  }
  // Objects with children list their keys instead of a JSON default.
  if (children.length > 0 && self.type === "object") self.staging = self.prod = "";
  return [self, ...children];
}

/**
 * A list item of several shapes told apart by a key (a pipeline's `mode`): each key once, in the order the shapes
 * list them, and a key only some shapes take says which (`mode: streaming only.`).
 */
function variantRows(options: JsonSchema[], path: string[]): Row[] {
  const modeOf = (option: JsonSchema) => option.properties.mode?.const as string | undefined;
  const seen = new Set<string>();
  const out: Row[] = [];
  for (const option of options) {
    for (const [child, childSchema] of Object.entries(option.properties as Record<string, JsonSchema>)) {
      if (seen.has(child)) continue;
      seen.add(child);
      const takers = options.filter((candidate) => child in candidate.properties);
      const only = takers.length < options.length ? `\`mode: ${takers.map(modeOf).join(", ")}\` only. ` : "";
      const [first, ...rest] = rows(childSchema, [...path, "[]", child], true, takers.every((taker) => (taker.required ?? []).includes(child)));
      // The key that tells the shapes apart: its values across them.
      const values = takers.map((taker) => taker.properties[child].const);
      const type = values.every((value) => value !== undefined) ? values.map((value) => `\`${JSON.stringify(value)}\``).join(" \\| ") : first.type;
      out.push({ ...first, type, description: `${only}${first.description}` }, ...rest);
    }
  }
  return out;
}

export function configReference(): string {
  const sections = configSectionsSchema();
  const lines = [
    "# Config reference",
    "",
    "<!-- Generated from config/schema.ts and config/defaults.ts by `npm run generate-config`; do not edit by hand. -->",
    "",
    "Every key lives under the `etl-platform:` namespace of a stack file (`stacks/Pulumi.<stack>.yaml`). Set only what",
    "differs from the environment's defaults: objects merge key by key over them, lists replace the default list whole.",
    "Unknown keys are errors. An editor with the YAML language server checks keys and types while you type, from",
    "`config/stack.schema.json` (see README.md, \"Editing stack files\"); the rules across keys below are checked by",
    "`npm run plan` and `pulumi up` only.",
    "",
  ];
  for (const [section, schema] of Object.entries(sections.properties as Record<string, JsonSchema>)) {
    lines.push(`## ${section}`, "", schema.description ?? "", "", "| key | type | staging default | prod default | what it is, and its rule |", "| --- | --- | --- | --- | --- |");
    for (const row of rows(schema, [section], false)) lines.push(`| ${row.key} | ${row.type} | ${row.staging} | ${row.prod} | ${row.description} |`);
    lines.push("");
  }
  lines.push(
    "## Provider keys",
    "",
    "| key | what it is |",
    "| --- | --- |",
    "| `aws:region` | The AWS region of the stack (target `aws`; **required** there): the VPC, the cluster and every bucket are created in it, and the cost estimate prices it. |",
    "| `kubernetes:kubeconfig`, `kubernetes:context` | The cluster of target `kubernetes` (the local stack: context `kind-etl-local`). |",
    "",
  );
  lines.push("## Rules across keys", "", "Checked when the config is loaded, after each key's own rule; each problem names the key it is about.", "");
  for (const rule of CROSS_FIELD_RULES) lines.push(`- ${rule}`);
  lines.push("");
  return lines.join("\n");
}
