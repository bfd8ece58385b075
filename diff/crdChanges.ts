/**
 * What a chart bump changes in the CRDs the platform's custom resources are checked against: the CRD schemas of
 * both pinned versions, from test/fixtures/upstream/<chart>-<version>/ of each checkout (every chart bump brings its
 * fixture, DEVELOPERS.md), compared kind by kind; and every field our resources set that the new schema lacks.
 */
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";

type Schemas = Map<string, unknown>;

function crdFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return crdFiles(file);
    return /\.ya?ml$/.test(entry.name) && entry.name !== "values.yaml" ? [file] : [];
  });
}

/** Kind -> the openAPIV3Schema of its storage version, from every CRD in a fixture folder. */
export function crdSchemas(fixtureDir: string): Schemas {
  const schemas: Schemas = new Map();
  for (const file of crdFiles(fixtureDir)) {
    for (const document of parseAllDocuments(fs.readFileSync(file, "utf8"))) {
      const crd = document.toJS() as any;
      if (crd?.kind !== "CustomResourceDefinition") continue;
      const version = (crd.spec?.versions ?? []).find((candidate: any) => candidate.storage) ?? crd.spec?.versions?.[0];
      schemas.set(crd.spec.names.kind, version?.schema?.openAPIV3Schema);
    }
  }
  return schemas;
}

export const fixtureDir = (root: string, chart: string, version: string) => path.join(root, "test", "fixtures", "upstream", `${chart}-${version}`);

/** The fields of `value` (dotted paths) that `schema` does not have. */
export function fieldsNotInSchema(value: unknown, schema: any, at = ""): string[] {
  if (!schema || schema["x-kubernetes-preserve-unknown-fields"] || value === null || typeof value !== "object") return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => fieldsNotInSchema(item, schema.items, `${at}[${i}]`));
  return Object.entries(value as Record<string, unknown>).flatMap(([key, child]) => {
    const where = at ? `${at}.${key}` : key;
    const childSchema = schema.properties?.[key] ?? (typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined);
    if (childSchema) return fieldsNotInSchema(child, childSchema, where);
    if (schema.properties && schema.additionalProperties !== true) return [where];
    return [];
  });
}

export interface CrdChange {
  kind: string;
  change: "added" | "removed" | "changed";
}

export function crdChanges(before: Schemas, after: Schemas): CrdChange[] {
  const changes: CrdChange[] = [];
  for (const kind of new Set([...before.keys(), ...after.keys()])) {
    if (!before.has(kind)) changes.push({ kind, change: "added" });
    else if (!after.has(kind)) changes.push({ kind, change: "removed" });
    else if (JSON.stringify(before.get(kind)) !== JSON.stringify(after.get(kind))) changes.push({ kind, change: "changed" });
  }
  return changes.sort((a, b) => a.kind.localeCompare(b.kind));
}

const typeSchemas = new Map<string, unknown>();
const fixtureTexts = new Map<string, [string, string][]>();

/** The CRD fixture files of a checkout and their text, read once per diff. */
function fixtureFiles(root: string): [string, string][] {
  let files = fixtureTexts.get(root);
  if (!files) {
    files = crdFiles(path.join(root, "test", "fixtures", "upstream")).map((file) => [file, fs.readFileSync(file, "utf8")]);
    fixtureTexts.set(root, files);
  }
  return files;
}

/**
 * The openAPIV3Schema of a custom resource type (`kubernetes:<group>/<version>:<kind>`) from the CRD fixtures of a
 * checkout. Only the files that name the group are parsed: the fixtures are megabytes of YAML, and a diff has a
 * time budget.
 */
export function crdSchemaOf(root: string, type: string): any {
  const match = /^kubernetes:([^/]+\.[^/]+)\/([^:]+):(.+)$/.exec(type);
  if (!match) return undefined;
  const [, group, version, kind] = match;
  const cacheKey = `${root}\0${type}`;
  if (typeSchemas.has(cacheKey)) return typeSchemas.get(cacheKey);
  let found: unknown;
  for (const [, text] of fixtureFiles(root)) {
    if (!text.includes(`group: ${group}`)) continue;
    for (const document of parseAllDocuments(text)) {
      const crd = document.toJS() as any;
      if (crd?.kind !== "CustomResourceDefinition" || crd.spec?.group !== group || crd.spec?.names?.kind !== kind) continue;
      found = (crd.spec.versions ?? []).find((candidate: any) => candidate.name === version)?.schema?.openAPIV3Schema;
    }
    if (found) break;
  }
  typeSchemas.set(cacheKey, found);
  return found;
}

const IMMUTABLE = /^\s*(self\s*==\s*oldSelf|oldSelf\s*==\s*self)\s*$/;

/**
 * The first changed path that a CRD marks immutable with a transition rule (`x-kubernetes-validations` with
 * `self == oldSelf` on the field or one of its parents): the API server refuses the update (Kubernetes
 * documentation, "Transition rules"). Returns the path and the rule's message.
 */
export function immutableChange(schema: any, paths: string[]): { path: string; message: string } | undefined {
  for (const changed of paths) {
    let node = schema;
    for (const segment of changed.split(/\.|(?=\[)/)) {
      if (!node) break;
      node = /^\[\d+\]$/.test(segment) ? node.items : node.properties?.[segment];
      const rule = (node?.["x-kubernetes-validations"] ?? []).find((validation: any) => IMMUTABLE.test(validation.rule ?? ""));
      if (rule) return { path: changed, message: rule.message ?? `${segment} is immutable` };
    }
  }
  return undefined;
}
