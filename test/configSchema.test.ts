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
    const prod = stackFile("prod");
    const broken = (edit: (config: Record<string, any>) => void) => {
      const copy = structuredClone(prod);
      edit(copy.config);
      return errorsOf(copy);
    };
    expect(broken((c) => { c["etl-platfrom:pipelines"] = c["etl-platform:pipelines"]; })).toContain("/config must NOT have additional properties: etl-platfrom:pipelines");
    expect(broken((c) => { c["etl-platform:network"].natGateway = "single"; })).toContain("/config/etl-platform:network must NOT have additional properties: natGateway");
    expect(broken((c) => { c["etl-platform:kafka"].brokers = "three"; })).toContain("/config/etl-platform:kafka/brokers must be integer");
    expect(broken((c) => { c["etl-platform:pipelines"][0].resources = { limits: { memory: "1Gi" } }; })).toContain("/config/etl-platform:pipelines/0/resources must have required property 'requests'");
    expect(broken((c) => { c["etl-platform:secrets"] = { token: "plain" }; })).toContain("/config/etl-platform:secrets/token must be object");
    expect(broken((c) => { c["etl-platform:secrets"] = { token: { secure: "v1:abc" } }; c["aws:region"] = "eu-west-1"; c["kubernetes:context"] = "x"; })).toEqual([]);
    // A section is merged with the environment's defaults, so a partial one is fine.
    expect(broken((c) => { c["etl-platform:network"] = { cidr: "10.1.0.0/16" }; })).toEqual([]);
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
