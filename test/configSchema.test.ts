/**
 * The generated JSON Schema and config reference: current, complete (a description for every key), and right
 * about real stack files: both stacks pass, the mistakes an editor can see are flagged.
 */
import * as fs from "fs";
import * as path from "path";
import Ajv from "ajv";
import { parse as parseYaml } from "yaml";
import { stackFileSchema } from "../config/jsonSchema";
import { generatedFiles } from "../scripts/generateConfig";

const ROOT = path.join(__dirname, "..");
const stackFile = (stack: string) => parseYaml(fs.readFileSync(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`), "utf8"));

describe("the stack files' JSON Schema and the config reference", () => {
  // The YAML language server validates draft-07; ajv 8's default is draft-07 too. Strict mode: an unknown keyword,
  // format or a pattern that does not compile fails the compile. `uri` is a standard format, known but not checked
  // here (the loader checks the values).
  const validate = new Ajv({ strict: true, allErrors: true, formats: { uri: true } }).compile(stackFileSchema());
  const errorsOf = (document: unknown) => (validate(document) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}${"additionalProperty" in (e.params ?? {}) ? `: ${(e.params as any).additionalProperty}` : ""}`));
  /** The errors of the prod stack file with one edit of its config. */
  const broken = (edit: (config: Record<string, any>) => void) => {
    const copy = structuredClone(stackFile("prod"));
    edit(copy.config);
    return errorsOf(copy);
  };

  it("are current: regenerate with npm run generate-config", () => {
    for (const [file, content] of generatedFiles()) {
      expect({ file: path.relative(ROOT, file), current: fs.existsSync(file) && fs.readFileSync(file, "utf8") === content }).toEqual({ file: path.relative(ROOT, file), current: true });
    }
  });

  it("uses only the formats JSON Schema defines; an IPv4 CIDR is a pattern", () => {
    const formats = new Set<string>();
    const walk = (node: unknown) => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === "object") {
        if (typeof (node as any).format === "string") formats.add((node as any).format);
        Object.values(node).forEach(walk);
      }
    };
    walk(stackFileSchema());
    expect([...formats]).toEqual(["uri"]);
    const { IPV4_CIDR_PATTERN } = require("../config/jsonSchema") as typeof import("../config/jsonSchema");
    const cidr = new RegExp(IPV4_CIDR_PATTERN, "u");
    expect(["10.0.0.0/16", "0.0.0.0/0", "255.255.255.255/32"].every((v) => cidr.test(v))).toBe(true);
    expect(["10.0.0.0/33", "256.0.0.0/8", "10.0.0/8", "10.0.0.0"].some((v) => cidr.test(v))).toBe(false);
    expect(errorsOf({ config: { "etl-platform:environment": "staging", "etl-platform:network": { cidr: "10.0.0.0/99" } } })[0]).toMatch(/network\/cidr must match pattern/);
  });

  it("is draft-07 and names itself in every stack file", () => {
    expect(stackFileSchema().$schema).toBe("http://json-schema.org/draft-07/schema#");
    for (const file of fs.readdirSync(path.join(ROOT, "stacks"))) {
      expect(fs.readFileSync(path.join(ROOT, "stacks", file), "utf8").split("\n")[0]).toBe("# yaml-language-server: $schema=../config/stack.schema.json");
    }
  });

  it.each(["staging", "prod"])("accepts the %s stack file", (stack) => {
    expect(errorsOf(stackFile(stack))).toEqual([]);
  });

  it("flags a misspelt namespace, a misspelt key, a wrong type and a plain-text secret", () => {
    expect(broken((c) => { c["etl-platfrom:pipelines"] = c["etl-platform:pipelines"]; })).toContain("/config must NOT have additional properties: etl-platfrom:pipelines");
    expect(broken((c) => { c["etl-platform:network"].natGateway = "single"; })).toContain("/config/etl-platform:network must NOT have additional properties: natGateway");
    expect(broken((c) => { c["etl-platform:kafka"].brokers = "three"; })).toContain("/config/etl-platform:kafka/brokers must be integer");
    expect(broken((c) => { c["etl-platform:pipelines"][0].resources = { limits: { memory: "1Gi" } }; })).toContain("/config/etl-platform:pipelines/0/resources must have required property 'requests'");
    expect(broken((c) => { c["etl-platform:secrets"] = { token: "plain" }; })).toContain("/config/etl-platform:secrets/token must be object");
    expect(broken((c) => { c["etl-platform:secrets"] = { token: { secure: "v1:abc" } }; c["aws:region"] = "eu-west-1"; c["kubernetes:context"] = "x"; })).toEqual([]);
    // A section is merged with the environment's defaults, so a partial one is fine.
    expect(broken((c) => { c["etl-platform:network"] = { cidr: "10.1.0.0/16" }; })).toEqual([]);
  });

  it("flags a malformed schedule, time zone, image or region while typing", () => {
    const pattern = (where: string) => expect.arrayContaining([expect.stringMatching(new RegExp(`^/config/etl-platform:${where} must match pattern`))]);
    expect(broken((c) => { c["etl-platform:pipelines"][0].schedule = "*/5x * * * *"; })).toEqual(pattern("pipelines/0/schedule"));
    expect(broken((c) => { c["etl-platform:pipelines"][0].schedule = "0 2 * *"; })).toEqual(pattern("pipelines/0/schedule"));
    expect(broken((c) => { c["etl-platform:pipelines"][0].timeZone = "Europe Berlin"; })).toEqual(pattern("pipelines/0/timeZone"));
    expect(broken((c) => { c["etl-platform:pipelines"][0].image = "ghcr.io/acme/loader"; })).toEqual(pattern("pipelines/0/image"));
    expect(broken((c) => { c["etl-platform:pipelines"][0].image = "ghcr.io/acme/loader:latest"; })).toEqual(pattern("pipelines/0/image"));
    expect(broken((c) => { c["etl-platform:postgres"].backup = { schedule: "@every 1h" }; })).toEqual(pattern("postgres/backup/schedule"));
    expect(broken((c) => { c["aws:region"] = "eu-west-9"; })).toContain("/config/aws:region must be equal to one of the allowed values");
    expect(broken((c) => { c["etl-platform:pipelines"][0].schedule = "@daily"; c["etl-platform:pipelines"][0].timeZone = "America/Argentina/Buenos_Aires"; c["aws:region"] = "eu-west-1"; })).toEqual([]);
  });

  it("never flags what the loader accepts: every accepted value matches its pattern", () => {
    const { CRON_JSON_PATTERN, IMAGE_JSON_PATTERN, TIME_ZONE_JSON_PATTERN } = require("../config/jsonPatterns");
    const { cronProblem } = require("../lib/cron");
    const { timeZoneProblem } = require("../config/timeZones");
    const { imageReference } = require("../config/schema");
    const timeZones: string[] = require("../lib/data/timeZones.json").names;
    const accepted = (check: (value: string) => boolean, candidates: string[]) => candidates.filter(check);
    const crons = ["0 2 * * *", " 0 2 * * * ", "*/15 * * * *", "5/15 0-23/2 1,15 JAN-MAR,dec MON-FRI", "0 0 ? * 7", "0 0 1 1 *", "@daily", "@yearly", "@every 1h", "0 0 * * 1#2", "0 0 L * *", "1-2-3 * * * *", "*/5x * * * *", "0 0 * * * *"];
    const images = ["ghcr.io/acme/loader:2.3.1", "registry:5000/a/b:v1", "localhost/a:1", "[::1]:5000/a:1", "a__b/c--d:x_y.1", `ghcr.io/acme/x:1@sha256:${"a".repeat(64)}`, "Upper/x:1", "ghcr.io/acme/x", "ghcr.io/acme/x:latest", `ghcr.io/acme/x:latest@sha256:${"a".repeat(64)}`, "ghcr.io/acme/x:1@sha256:abc", "x:-1"];
    for (const cron of accepted((value) => cronProblem(value) === undefined, crons)) expect(cron).toMatch(new RegExp(CRON_JSON_PATTERN, "u"));
    for (const zone of accepted((value) => timeZoneProblem(value) === undefined, [...timeZones, "europe/berlin", "PST"])) expect(zone).toMatch(new RegExp(TIME_ZONE_JSON_PATTERN, "u"));
    for (const image of accepted((value) => imageReference.safeParse(value).success, images)) expect(image).toMatch(new RegExp(IMAGE_JSON_PATTERN, "u"));
    // And the malformed ones the issue names are flagged.
    for (const cron of ["*/5x * * * *", "1-2-3 * * * *", "0 0 * *", "@every 1h"]) expect(cron).not.toMatch(new RegExp(CRON_JSON_PATTERN, "u"));
    for (const image of ["ghcr.io/acme/x", "ghcr.io/acme/x:latest", "ghcr.io/acme/x:1@sha256:abc", "ghcr.io/Acme/x:1"]) expect(image).not.toMatch(new RegExp(IMAGE_JSON_PATTERN, "u"));
  });

  it("describes every key, so an editor can show it", () => {
    const missing: string[] = [];
    const walk = (schema: any, at: string) => {
      if (!schema || typeof schema !== "object") return;
      for (const [key, child] of Object.entries((schema.properties ?? {}) as Record<string, any>)) {
        if (!child.description) missing.push(`${at}.${key}`);
        walk(child, `${at}.${key}`);
      }
      if (schema.items) walk(schema.items, `${at}[]`);
      if (schema.additionalProperties && typeof schema.additionalProperties === "object") walk(schema.additionalProperties, `${at}.*`);
    };
    walk(stackFileSchema(), "");
    expect(missing).toEqual([]);
  });

  it("lists every key in the reference with its defaults", () => {
    const reference = fs.readFileSync(path.join(ROOT, "docs", "config.md"), "utf8");
    for (const key of ["`network.cidr`", "`cluster.upgradePolicy`", "`logging.retentionDays`", "`pipelines[].timeZone`", "`pipelines[].steps[].dependsOn`", "`argo.workflowDefaults.ttlSecondsAfterFinished`"]) {
      expect(reference).toContain(`| ${key} |`);
    }
    expect(reference).toMatch(/\| `network.availabilityZones` \| integer, 2 to 4 \| `2` \| `3` \|/);
    expect(reference).toMatch(/\| `pipelines\[\].backoffLimit` \| integer, 0 to 10 \| `3` \| `3` \|/);
  });
});

describe("docs/config.md's types", () => {
  it("write an unbounded integer as unbounded, never as 2^53 - 1", () => {
    const text = require("fs").readFileSync(require("path").join(__dirname, "..", "docs", "config.md"), "utf8") as string;
    expect(text).not.toContain(String(Number.MAX_SAFE_INTEGER));
    expect(text).toContain("| `pipelines[].startingDeadlineSeconds` | integer, at least 10 |");
  });
});
