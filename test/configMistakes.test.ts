/**
 * Each class of realistic stack-file mistake is refused before anything is declared, with a message that names
 * the key: what the API or a registry would refuse at `pulumi up`, and what is legal but almost surely a mistake.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { configProblems, minimalPipeline } from "./harness";
import { ConfigError } from "../config/load";
import { readStackConfig } from "../config/stackConfig";
import { awsRegionProblem, namespaceProblems } from "../config/namespaces";
import { timeZoneProblem } from "../config/timeZones";
import { hostBitsProblem } from "../lib/cidr";
import { repositoryProblem } from "../lib/image";
import { memoryUnitProblem, parseQuantity, storageSizeProblem } from "../lib/quantity";
import { readStackFile, stackFileProblems } from "../plan/stackFile";

function writeStack(dir: string, name: string, text: string): string {
  const file = path.join(dir, `Pulumi.${name}.yaml`);
  fs.writeFileSync(file, text);
  return file;
}

const ROOT = path.join(__dirname, "..");
const pipeline = minimalPipeline;

const problemsOf = configProblems;

// [class, config, the one problem's key, what its message must say]
const classes: [string, Record<string, unknown>, string, RegExp][] = [
  ["memory request above its limit", { pipelines: [{ ...pipeline, resources: { requests: { cpu: "1", memory: "2Gi" }, limits: { memory: "1Gi" } } }] }, "etl-platform:pipelines[0].resources.requests.memory", /at most the memory limit \(1Gi\), got 2Gi/],
  ["CPU request above its limit", { postgres: { resources: { requests: { cpu: "2", memory: "1Gi" }, limits: { memory: "1Gi", cpu: "500m" } } } }, "etl-platform:postgres.resources.requests.cpu", /at most the cpu limit/],
  ["an abbreviation for a time zone", { pipelines: [{ ...pipeline, timeZone: "PST" }] }, "etl-platform:pipelines[0].timeZone", /abbreviation "PST"/],
  ["a time zone in the wrong case", { pipelines: [{ ...pipeline, timeZone: "europe/berlin" }] }, "etl-platform:pipelines[0].timeZone", /did you mean Europe\/Berlin\?/],
  ["Local as a time zone", { pipelines: [{ ...pipeline, timeZone: "Local" }] }, "etl-platform:pipelines[0].timeZone", /expected an IANA time zone/],
  ["an upper-case repository", { pipelines: [{ ...pipeline, image: "ghcr.io/Acme/orders:1.4.2" }] }, "etl-platform:pipelines[0].image", /did you mean ghcr\.io\/acme\/orders\?/],
  ["a repository with a bad separator", { pipelines: [{ ...pipeline, image: "ghcr.io/acme/orders-:1.4.2" }] }, "etl-platform:pipelines[0].image", /path components/],
  ["a log retention CloudWatch refuses", { logging: { retentionDays: 10 } }, "etl-platform:logging.retentionDays", /CloudWatch Logs accepts/],
  ["a VPC range with host bits set", { network: { cidr: "10.20.1.0/16" } }, "etl-platform:network.cidr", /did you mean 10\.20\.0\.0\/16\?/],
  ["an endpoint CIDR with host bits set", { cluster: { publicAccessCidrs: ["203.0.113.7/24"] } }, "etl-platform:cluster.publicAccessCidrs[0]", /did you mean 203\.0\.113\.0\/24\?/],
  ["memory in milli-units", { kafka: { brokerResources: { requests: { cpu: "1", memory: "512m" }, limits: { memory: "1Gi" } } } }, "etl-platform:kafka.brokerResources.requests.memory", /"m" is milli.*did you mean 512Mi\?/],
  ["memory without a unit", { pipelines: [{ ...pipeline, resources: { requests: { cpu: "1", memory: "512" }, limits: { memory: "1Gi" } } }] }, "etl-platform:pipelines[0].resources.requests.memory", /512 bytes; did you mean 512Mi\?/],
  ["storage without a unit", { postgres: { storageSize: "10" } }, "etl-platform:postgres.storageSize", /did you mean 10Gi\?/],
  ["storage below the smallest volume", { monitoring: { storageSize: "500Mi" } }, "etl-platform:monitoring.storageSize", /at least 1Gi/],
  ["a password in plain env", { pipelines: [{ ...pipeline, env: { DB_PASSWORD: "hunter2" } }] }, "etl-platform:pipelines[0].env.DB_PASSWORD", /secretEnv/],
  ["an AWS access key in plain env", { pipelines: [{ ...pipeline, env: { UPSTREAM: "AKIAIOSFODNN7EXAMPLE" } }] }, "etl-platform:pipelines[0].env.UPSTREAM", /no secret in plain text/],
  ["too many availability zones (once a RangeError)", { network: { availabilityZones: 9 } }, "etl-platform:network.availabilityZones", /at most 4, got 9/],
  ["a negative pool size", { nodePools: { system: { instanceTypes: ["m6i.large"], minSize: -1, desiredSize: 1, maxSize: 2, diskSizeGiB: 30 } } }, "etl-platform:nodePools.system.minSize", /at least 0/],
  ["a huge broker count", { kafka: { brokers: 1e9 } }, "etl-platform:kafka.brokers", /at most 100/],
  ["a CPU quantity YAML read as a number", { pipelines: [{ ...pipeline, resources: { requests: { cpu: 1, memory: "1Gi" }, limits: { memory: "1Gi" } } }] }, "etl-platform:pipelines[0].resources.requests.cpu", /expected a quantity as a string, e\.g\. "1" \(quoted: YAML reads an unquoted 1 as a number\), got 1$/],
  ["retiring a role a pipeline still uses", { pipelines: [{ ...pipeline, postgres: true }], postgres: { retiredRoles: ["orders-load"] } }, "etl-platform:postgres.retiredRoles[0]", /no longer in use, got "orders-load" \(the role of pipeline orders-load\)/],
  ["retiring the database owner", { postgres: { owner: "etl", retiredRoles: ["etl"] } }, "etl-platform:postgres.retiredRoles[0]", /the database owner/],
  ["retiring Argo's archive role with the archive on", { argo: { archive: true }, postgres: { retiredRoles: ["argo_archive"] } }, "etl-platform:postgres.retiredRoles[0]", /Argo's workflow archive's role/],
  ["retiring a role twice", { postgres: { retiredRoles: ["old", "old"] } }, "etl-platform:postgres.retiredRoles[1]", /each role once/],
  ["a retired role with a space", { postgres: { retiredRoles: ["old role"] } }, "etl-platform:postgres.retiredRoles[0]", /expected a role name/],
];

describe("stack config mistakes", () => {
  it.each(classes)("refuses %s, naming the key", (_name, override, key, message) => {
    const problems = problemsOf({ environment: "staging", ...override });
    const mine = problems.filter((line) => line.startsWith(`${key}: `));
    expect({ problems, found: mine.length > 0 }).toEqual({ problems, found: true });
    expect(mine.join("\n")).toMatch(message);
  });

  it("keeps env values that merely look alike, and refuses nothing in a valid env", () => {
    expect(problemsOf({ environment: "staging", pipelines: [{ ...pipeline, env: { TOKEN_TTL_SECONDS: "3600", LOG_LEVEL: "info", API_TOKEN_FILE: "" } }] })).toEqual([]);
  });

  it("refuses unknown config namespaces and regions where the program reads its config", () => {
    pulumi.runtime.setAllConfig({ "etl-platform:environment": "staging", "etl-platfrom:pipelines": "[]", "aws:region": "eu-west-9" }, []);
    let problems: string[] = [];
    try {
      readStackConfig();
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems).toEqual([
      "etl-platfrom:pipelines: unknown config namespace \"etl-platfrom\" (expected one of etl-platform:, aws:, kubernetes:, random:, eks:, pulumi:); nothing reads this key: did you mean etl-platform:pipelines?",
      "aws:region: expected an AWS region the provider knows, such as eu-west-1, got \"eu-west-9\": did you mean eu-west-1?",
    ]);
    expect(namespaceProblems(["aws:region", "kubernetes:context", "pulumi:tags", "random:x", "etl-platform:kafka"])).toEqual([]);
    expect(awsRegionProblem("eu-central-2")).toBeUndefined();
  });

  it("reports duplicate keys, syntax errors and unknown top-level keys of a stack file by key", () => {
    expect(stackFileProblems("config:\n  etl-platform:postgres:\n    instances: 1\n    instances: 2\n", "f.yaml")).toEqual([
      "etl-platform:postgres.instances: duplicate key (YAML keys must be unique; keep one \"instances\")",
    ]);
    expect(stackFileProblems("config:\n  aws:region: eu-west-1\n  aws:region: eu-west-2\n", "f.yaml")).toEqual(["aws:region: duplicate key (YAML keys must be unique; keep one \"aws:region\")"]);
    expect(stackFileProblems("config:\n  aws:region: [eu\n", "f.yaml")[0]).toMatch(/^f\.yaml:3:1: /);
    expect(stackFileProblems("confg:\n  aws:region: eu-west-1\n", "f.yaml")).toEqual(["confg: unknown top-level key of a stack file (expected config, secretsprovider, encryptedkey, encryptionsalt, environment)"]);
    expect(stackFileProblems(fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.prod.yaml"), "utf8"), "prod")).toEqual([]);
  });

  it("exits 1 with one line per problem on stderr, nothing on stdout, for a duplicate key (in-process) and a misspelt namespace (the CLI)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mistakes-"));
    const staging = fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.staging.yaml"), "utf8");
    expect(() => readStackFile(writeStack(dir, "dup", staging.replace("    instances: 1\n", "    instances: 1\n    instances: 2\n"))))
      .toThrow("etl-platform:postgres.instances: duplicate key");
    for (const [name, text, first] of [
      ["namespace", staging.replace("etl-platform:pipelines:", "etl-platfrom:pipelines:"), "etl-platfrom:pipelines: unknown config namespace"],
    ]) {
      const file = path.join(dir, `Pulumi.${name}.yaml`);
      fs.writeFileSync(file, text);
      const result = spawnSync(process.execPath, ["-r", "./scripts/register.js", "scripts/plan.ts", "--config", file], { cwd: ROOT, encoding: "utf8" });
      expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 1, stdout: "" });
      expect(result.stderr.startsWith(first)).toBe(true);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe("the value checks, on their own", () => {
  it("parses quantities in base units", () => {
    expect(parseQuantity("512Mi")).toBe(512 * 2 ** 20);
    expect(parseQuantity("500m")).toBe(0.5);
    expect(parseQuantity("1.5G")).toBe(1.5e9);
    expect(parseQuantity("ten")).toBeUndefined();
    expect(memoryUnitProblem("4Gi")).toBeUndefined();
    expect(storageSizeProblem("20Gi")).toBeUndefined();
    expect(storageSizeProblem("17Ti")).toMatch(/at most 16Ti/);
  });

  it("follows distribution/reference for repositories", () => {
    for (const ok of ["ghcr.io/acme/loader", "registry:5000/a/b", "localhost/x", "library/ubuntu", "ubuntu", "a.b/c__d/e-f/g.h", "[::1]:5000/x"]) expect(repositoryProblem(ok)).toBeUndefined();
    for (const bad of ["Ubuntu", "ghcr.io/Acme/x", "ghcr.io/acme/-x", "ghcr.io/acme//x", "a".repeat(256)]) expect(repositoryProblem(bad)).toBeDefined();
  });

  it("knows network addresses from addresses with host bits", () => {
    expect(hostBitsProblem("10.0.0.0/16")).toBeUndefined();
    expect(hostBitsProblem("10.0.0.1/32")).toBeUndefined();
    expect(hostBitsProblem("10.0.128.0/17")).toBeUndefined();
    expect(hostBitsProblem("10.0.128.0/16")).toMatch(/did you mean 10\.0\.0\.0\/16\?/);
  });

  it("accepts every name Go's LoadLocation does, including links, and nothing else", () => {
    for (const ok of ["UTC", "Etc/UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "US/Pacific", "Asia/Calcutta", "EST5EDT"]) expect(timeZoneProblem(ok)).toBeUndefined();
    for (const bad of ["PST", "utc", "Europe/Atlantis", "Local", "", "+01:00"]) expect(timeZoneProblem(bad)).toBeDefined();
  });
});

describe("Kafka topics in prod", () => {
  it("refuses replicas equal to min.insync.replicas (a broker restart would block acks=all producers), accepts more", () => {
    const topics = (replicas: number) => ({ environment: "prod", kafka: { topics: [{ name: "orders", partitions: 3, replicas, retentionHours: 24 }] } });
    expect(problemsOf(topics(2))).toEqual(["etl-platform:kafka.topics[0].replicas: expected more than minInsyncReplicas (2) in prod, so a broker restart does not block acks=all producers, got 2"]);
    expect(problemsOf(topics(3))).toEqual([]);
    expect(problemsOf(topics(1))[0]).toMatch(/^etl-platform:kafka\.topics\[0\]\.replicas: expected at least minInsyncReplicas \(2\)/);
    // Staging may run a topic at its minimum (one broker, replication 1).
    expect(problemsOf({ environment: "staging", kafka: { brokers: 2, defaultReplicationFactor: 2, minInsyncReplicas: 1, topics: [{ name: "orders", partitions: 3, replicas: 1, retentionHours: 24 }] } })).toEqual([]);
  });
});

describe("did you mean", () => {
  it("names the nearest known key of a misspelt key or section, and the nearest secret of a misspelt secret name", () => {
    expect(problemsOf({ environment: "staging", kafak: {} })).toEqual(["etl-platform:kafak: unknown key (did you mean kafka?)"]);
    expect(problemsOf({ environment: "staging", kafka: { brokerz: 2 } })).toEqual(["etl-platform:kafka.brokerz: unknown key (did you mean brokers?)"]);
    expect(problemsOf({ environment: "staging", pipelines: [{ ...pipeline, schedul: "x" }] })[0]).toBe("etl-platform:pipelines[0].schedul: unknown key (did you mean schedule?)");
    // Nothing near enough: no guess.
    expect(problemsOf({ environment: "staging", kafka: { zookeeper: true } })).toEqual(["etl-platform:kafka.zookeeper: unknown key (check its spelling against docs/config.md)"]);
    expect(problemsOf({ environment: "staging", secrets: { partnerToken: "[secret]" }, pipelines: [{ ...pipeline, secretEnv: { TOKEN: "partnerTokn" } }] })[0])
      .toBe("etl-platform:pipelines[0].secretEnv.TOKEN: expected an entry of etl-platform:secrets, got \"partnerTokn\" (did you mean partnerToken? or set it with pulumi config set --secret --path 'etl-platform:secrets.partnerTokn' <value>)");
  });
});

describe("schedule macros", () => {
  it("are taken as the CronJob controller and Argo take them, and become their 5-field form at load time; @every is refused", () => {
    const { parsePlatformConfig } = require("../config/load") as typeof import("../config/load");
    const { CRON_MACROS } = require("../lib/cron") as typeof import("../lib/cron");
    // robfig/cron's standard parser (used by both): the predefined schedules.
    expect(CRON_MACROS).toEqual({ "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *" });
    for (const [macro, expression] of Object.entries(CRON_MACROS)) {
      expect(parsePlatformConfig({ environment: "staging", pipelines: [{ ...pipeline, schedule: macro }] }).pipelines[0]).toMatchObject({ schedule: expression });
    }
    expect(problemsOf({ environment: "staging", pipelines: [{ ...pipeline, schedule: "@every 1h" }] })[0]).toMatch(/^etl-platform:pipelines\[0\]\.schedule: expected a 5-field cron or one of @yearly, .*@every counts from the controller's start/);
    expect(problemsOf({ environment: "staging", pipelines: [{ ...pipeline, schedule: "@reboot" }] })[0]).toMatch(/got "@reboot"$/);
    expect(problemsOf({ environment: "staging", postgres: { backup: { enabled: true, schedule: "@daily", retentionDays: 7 } } })).toEqual([]);
  });
});
