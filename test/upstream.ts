/**
 * Checks against the upstream charts and CRDs in test/fixtures/upstream (copied from ../shared/upstream, see its
 * README): Helm ignores a misspelt values key and the API server prunes an unknown custom resource field, both
 * silently, so the tests must catch them.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import Ajv, { type ValidateFunction } from "ajv";
import { parse as parseYaml, parseAllDocuments } from "yaml";

export const UPSTREAM = path.join(__dirname, "fixtures", "upstream");

const valuesCache = new Map<string, unknown>();

export function chartDefaults(chartDir: string): unknown {
  if (!valuesCache.has(chartDir)) valuesCache.set(chartDir, parseYaml(fs.readFileSync(path.join(UPSTREAM, chartDir, "values.yaml"), "utf8")));
  return valuesCache.get(chartDir);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Keys that charts pass through verbatim into a Kubernetes field: what is below them is the Kubernetes API's to check. */
const KUBERNETES_PASS_THROUGH = new Set([
  "nodeSelector", "annotations", "podAnnotations", "labels", "podLabels", "resources", "securityContext",
  "containerSecurityContext", "podSecurityContext", "tolerations", "affinity",
]);

/**
 * Keys of `values` that the chart's upstream values.yaml does not have. A key whose default is an empty map
 * (`podAnnotations: {}`, `nodeSelector: {}`) or a list is free-form below it; `freeForm` names further maps the
 * chart documents as free-form although their default is not empty (e.g. `extraArgs`).
 */
export function unknownValuesKeys(chartDir: string, values: unknown, freeForm: string[] = [], subcharts: Record<string, string> = {}): string[] {
  const problems: string[] = [];
  const walk = (ours: unknown, theirs: unknown, at: string) => {
    if (!isPlainObject(ours)) return;
    if (freeForm.includes(at) || KUBERNETES_PASS_THROUGH.has(at.split(".").pop() ?? "")) return;
    if (!isPlainObject(theirs)) {
      if (theirs === undefined || theirs === null) return;
      problems.push(`${at}: the chart has a ${Array.isArray(theirs) ? "list" : typeof theirs} here, we give a map`);
      return;
    }
    if (Object.keys(theirs).length === 0) return;
    for (const [key, value] of Object.entries(ours)) {
      const keyPath = at ? `${at}.${key}` : key;
      if (!(key in theirs)) {
        if (!freeForm.includes(keyPath)) problems.push(`${keyPath}: not a key of ${chartDir}/values.yaml`);
      }
      else walk(value, theirs[key], keyPath);
    }
  };
  // A subchart's values (`kube-state-metrics:` of kube-prometheus-stack) are the parent's keys there (read by the
  // parent's own templates) and the subchart's own.
  const defaults = { ...(chartDefaults(chartDir) as Record<string, unknown>) };
  for (const [key, subchart] of Object.entries(subcharts)) defaults[key] = union(defaults[key], chartDefaults(subchart));
  walk(values, defaults, "");
  return problems;
}

function union(a: unknown, b: unknown): unknown {
  if (!isPlainObject(a) || !isPlainObject(b)) return b ?? a;
  const merged: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) merged[key] = key in a ? union(a[key], value) : value;
  return merged;
}

/** kube-prometheus-stack's subcharts at the versions its Chart.yaml depends on. */
export const KUBE_PROMETHEUS_STACK_SUBCHARTS = {
  grafana: "grafana-12.11.1",
  "kube-state-metrics": "kube-state-metrics-8.4.0",
  "prometheus-node-exporter": "prometheus-node-exporter-4.56.1",
};

// Kubernetes formats (int32, int-or-string, quantity) are not JSON Schema formats; types and patterns still apply.
// CRD patterns are Go (RE2) regular expressions; the only RE2 syntax they use that JavaScript lacks is a leading
// case-insensitive flag `(?i)`, which becomes the `i` flag here.
const goRegExp = Object.assign((pattern: string, flags: string) =>
  pattern.includes("(?i)") ? new RegExp(pattern.replaceAll("(?i)", ""), `${flags}i`) : new RegExp(pattern, flags), { code: "new RegExp" });
// No code optimisation: it doubles the compile time of a CRD as large as Argo's and saves nothing measurable here.
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, code: { regExp: goRegExp, source: true, optimize: false } });
const VALIDATOR_CACHE = path.join(__dirname, "..", "node_modules", ".cache", "etl-platform-crd-validators");

const crdValidators = new Map<string, ValidateFunction>();

/**
 * Structural schemas prune unknown fields on the server without an error; closing every object that declares
 * its properties turns a misspelt field into a validation error here.
 */
function closeObjects(schema: any): any {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (!isPlainObject(schema)) return schema;
  const closed: Record<string, unknown> = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, k === "enum" || k === "default" || k === "example" ? v : closeObjects(v)]));
  if (closed.properties && closed.additionalProperties === undefined && !closed["x-kubernetes-preserve-unknown-fields"]) {
    closed.additionalProperties = false;
  }
  return closed;
}

function crdFiles(): string[] {
  const files: string[] = [];
  for (const chart of fs.readdirSync(UPSTREAM)) {
    const dir = path.join(UPSTREAM, chart);
    if (!fs.statSync(dir).isDirectory()) continue;
    if (fs.existsSync(path.join(dir, "crds.yaml"))) files.push(path.join(dir, "crds.yaml"));
    if (fs.existsSync(path.join(dir, "crds"))) for (const f of fs.readdirSync(path.join(dir, "crds"))) files.push(path.join(dir, "crds", f));
  }
  return files;
}

let crdIndex: Map<string, any> | undefined;

/** Each CRD version's openAPIV3Schema by group/version/kind, parsed once per fixture set (kept as JSON: see crdFixturesKey). */
export function crdSchema(apiVersion: string, kind: string): any {
  if (!crdIndex) {
    const cached = path.join(VALIDATOR_CACHE, `${crdFixturesKey().slice(0, 32)}-index.json`);
    try {
      crdIndex = new Map(Object.entries(JSON.parse(fs.readFileSync(cached, "utf8"))));
    } catch {
      crdIndex = new Map();
      for (const file of crdFiles()) {
        for (const document of parseAllDocuments(fs.readFileSync(file, "utf8"))) {
          const crd = document.toJS();
          if (crd?.kind !== "CustomResourceDefinition") continue;
          for (const version of crd.spec.versions ?? []) {
            crdIndex.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, version.schema?.openAPIV3Schema);
          }
        }
      }
      fs.mkdirSync(VALIDATOR_CACHE, { recursive: true });
      const partial = `${cached}.${process.pid}`;
      fs.writeFileSync(partial, JSON.stringify(Object.fromEntries(crdIndex)));
      fs.renameSync(partial, cached);
    }
  }
  return crdIndex.get(`${apiVersion}/${kind}`);
}

let fixturesKey: string | undefined;

/**
 * A hash of what a kind's validator derives from: the CRD fixtures' bytes, this file (closeObjects, the Ajv
 * options) and Ajv's version. Reading and hashing the fixtures takes milliseconds; parsing their YAML (7 MB, Argo's
 * CRDs most of it) takes two seconds, which every test file that checks a custom resource would pay.
 */
function crdFixturesKey(): string {
  if (fixturesKey) return fixturesKey;
  const hash = crypto.createHash("sha256").update(require("ajv/package.json").version).update(fs.readFileSync(__filename));
  for (const file of crdFiles().sort()) hash.update(file).update(fs.readFileSync(file));
  fixturesKey = hash.digest("hex");
  return fixturesKey;
}

/**
 * The validator of a kind, compiled once and kept as Ajv standalone code (a CRD such as Argo's CronWorkflow takes
 * seconds to compile, and each jest worker would compile it again), keyed by the fixtures (crdFixturesKey).
 */
function kindValidator(apiVersion: string, kind: string): ValidateFunction {
  const file = path.join(VALIDATOR_CACHE, `${crdFixturesKey().slice(0, 32)}-${`${apiVersion}-${kind}`.replace(/[^A-Za-z0-9.-]/g, "_")}.js`);
  try {
    return require(file) as ValidateFunction;
  } catch {
    const schema = crdSchema(apiVersion, kind);
    if (!schema) throw new Error(`no upstream CRD fixture for ${apiVersion}/${kind}`);
    const validate = ajv.compile(closeObjects({ ...schema, properties: { ...schema.properties, metadata: { type: "object" } } }));
    const standaloneCode = require("ajv/dist/standalone").default as (ajv: Ajv, validate: ValidateFunction) => string;
    fs.mkdirSync(VALIDATOR_CACHE, { recursive: true });
    const partial = `${file}.${process.pid}`;
    fs.writeFileSync(partial, standaloneCode(ajv, validate));
    fs.renameSync(partial, file);
    return validate;
  }
}

/** Problems of a custom resource against its upstream CRD's openAPIV3Schema; throws if no fixture has the CRD. */
export function customResourceProblems(resource: { apiVersion: string; kind: string; [key: string]: unknown }): string[] {
  const key = `${resource.apiVersion}/${resource.kind}`;
  let validate = crdValidators.get(key);
  if (!validate) {
    validate = kindValidator(resource.apiVersion, resource.kind);
    crdValidators.set(key, validate);
  }
  if (validate(resource)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || "/"} ${error.message}${error.params && "additionalProperty" in error.params ? `: ${error.params.additionalProperty}` : ""}`);
}

/** Problems of a core Kubernetes object against the Kubernetes API schema (kubernetes-models). */
export function coreObjectProblems(object: { apiVersion: string; kind: string; [key: string]: unknown }): string[] {
  const [group, version] = object.apiVersion.includes("/") ? object.apiVersion.split("/") : ["", object.apiVersion];
  const modulePath = group ? `kubernetes-models/${group}/${version}/${object.kind}` : `kubernetes-models/${version}/${object.kind}`;
  const Model = require(modulePath)[object.kind];
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}
