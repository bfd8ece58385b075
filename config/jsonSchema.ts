/**
 * The JSON Schema of a whole stack file, generated from the zod schema, for editors (the YAML language server in
 * VS Code and JetBrains IDEs): key completion, each key's description, misspelt keys and wrong types flagged while
 * typing. Cross-field rules (prod needs 3 zones, a request within its limit) cannot be expressed in it; the
 * loader checks those.
 *
 * Two traps of zod's toJSONSchema: its default `io: "output"` makes every defaulted key required, and its default
 * target is draft 2020-12, which the YAML language server does not validate (it reads draft-07).
 */
import { z } from "zod";
import { platformConfigSchema } from "./schema";
import { REGIONS } from "./namespaces";

type JsonSchema = Record<string, any>;

/** Provider and Pulumi namespaces a stack file may set keys in, besides `etl-platform:`. */
export const OTHER_NAMESPACES = ["aws", "kubernetes", "random", "eks", "pulumi"];

/** A value set with `pulumi config set --secret`: Pulumi stores its ciphertext as `{ secure: ... }`. */
const SECURE_VALUE: JsonSchema = {
  type: "object",
  description: "A value set with pulumi config set --secret (its ciphertext).",
  properties: { secure: { type: "string", description: "The ciphertext Pulumi stores." } },
  required: ["secure"],
  additionalProperties: false,
};

/**
 * Sections are merged key by key over the environment's defaults (config/defaults.ts), so no key of an object is
 * required in the file, except inside list items, which replace the default list whole.
 */
function withoutRequired(schema: JsonSchema): JsonSchema {
  if (!schema || typeof schema !== "object") return schema;
  const copy: JsonSchema = { ...schema };
  delete copy.required;
  if (copy.properties) copy.properties = Object.fromEntries(Object.entries(copy.properties).map(([key, value]) => [key, withoutRequired(value as JsonSchema)]));
  for (const key of ["anyOf", "oneOf", "allOf"]) if (copy[key]) copy[key] = copy[key].map(withoutRequired);
  return copy;
}

/** An IPv4 CIDR block, as a pattern: zod writes `format: "cidrv4"`, which no JSON Schema draft defines. */
export const IPV4_CIDR_PATTERN = "^(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}\\/(3[0-2]|[12]?\\d)$";

/** Only standard formats: a `cidrv4` format becomes its pattern, so strict validators compile the schema. */
function standardFormats(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(standardFormats);
  if (!schema || typeof schema !== "object") return schema;
  const copy = Object.fromEntries(Object.entries(schema as JsonSchema).map(([key, value]) => [key, standardFormats(value)]));
  if (copy.format === "cidrv4") {
    delete copy.format;
    copy.pattern = IPV4_CIDR_PATTERN;
  }
  return copy;
}

/** The schema of the `etl-platform:` sections (keys as in the stack file, without the namespace). */
export function configSectionsSchema(): JsonSchema {
  return standardFormats(z.toJSONSchema(platformConfigSchema, { io: "input", target: "draft-7", unrepresentable: "any" })) as JsonSchema;
}

export function stackFileSchema(): JsonSchema {
  const sections = configSectionsSchema();
  const properties: Record<string, JsonSchema> = {};
  for (const [key, schema] of Object.entries(sections.properties as Record<string, JsonSchema>)) {
    properties[`etl-platform:${key}`] = key === "secrets"
      ? { ...schema, additionalProperties: SECURE_VALUE, propertyNames: schema.propertyNames }
      : withoutRequired(schema);
  }
  // The one provider key the program reads: its values are the AWS provider's Region enum (config/namespaces.ts).
  properties["aws:region"] = { type: "string", enum: REGIONS, description: "The AWS region of the stack (target aws; required there)." };
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "etl-platform stack file (stacks/Pulumi.<stack>.yaml)",
    description: "Generated from config/schema.ts by npm run generate-config; do not edit by hand.",
    type: "object",
    properties: {
      config: {
        description: "Stack config: etl-platform: sections (docs/config.md), and provider keys such as aws:region.",
        type: "object",
        properties,
        patternProperties: Object.fromEntries(OTHER_NAMESPACES.map((namespace) => [`^${namespace}:`, { description: `A setting of the ${namespace} namespace (a plain value, or one set with --secret).` }])),
        required: ["etl-platform:environment"],
        additionalProperties: false,
      },
      secretsprovider: { type: "string", description: "Where this stack's secrets are encrypted (pulumi stack change-secrets-provider)." },
      encryptedkey: { type: "string", description: "The stack's data key, encrypted by the secrets provider." },
      encryptionsalt: { type: "string", description: "The passphrase provider's salt." },
      environment: { type: "array", items: { type: "string" }, description: "Pulumi ESC environments imported into this stack." },
    },
    required: ["config"],
    additionalProperties: false,
  };
}
