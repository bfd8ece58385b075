import { configProblems, minimalPipeline } from "./harness";
import { ConfigError, parsePlatformConfig, rawPlatformConfig } from "../config/load";
import { readStackConfig } from "../config/stackConfig";
import { readStackFile } from "../plan/stackFile";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

/** The stack file's `etl-platform:` sections as the program receives them. */
function stackSections(stack: string): Record<string, any> {
  return rawPlatformConfig(readStackFile(path.join(__dirname, "..", "stacks", `Pulumi.${stack}.yaml`)).config) as Record<string, any>;
}

const problemsOf = configProblems;

const pipeline = minimalPipeline;
const digest = "@sha256:" + "a".repeat(64);
const spotPool = { name: "batch", instanceTypes: ["m6i.xlarge", "m6a.xlarge", "m5.xlarge", "m7i.xlarge"], minSize: 0, desiredSize: 0, maxSize: 5, diskSizeGiB: 50 };

type Case = [string, "staging" | "prod", Record<string, unknown>, string];

// Each case breaks one rule of a valid stack file; the message must name the full key.
const cases: Case[] = [
  ["unknown top-level key", "staging", { netwrk: {} }, "etl-platform:netwrk"],
  ["misspelt nested key", "staging", { network: { cidr: "10.20.0.0/16", availabilityZones: 2, natGateway: "single" } }, "etl-platform:network.natGateway"],
  ["bad CIDR", "staging", { network: { cidr: "10.20.0.0/40" } }, "etl-platform:network.cidr"],
  ["subnet outside the VPC", "staging", { network: { privateSubnetCidrs: ["10.99.0.0/19", "10.20.32.0/19"] } }, "etl-platform:network.privateSubnetCidrs[0]"],
  ["overlapping subnets", "staging", { network: { privateSubnetCidrs: ["10.20.0.0/19", "10.20.16.0/20"] } }, "etl-platform:network.privateSubnetCidrs[1]"],
  ["one subnet short", "staging", { network: { publicSubnetCidrs: ["10.20.224.0/22"] } }, "etl-platform:network.publicSubnetCidrs"],
  ["prod on 2 zones", "prod", { network: { availabilityZones: 2 } }, "etl-platform:network.availabilityZones"],
  ["prod with one NAT gateway", "prod", { network: { natGateways: "single" } }, "etl-platform:network.natGateways"],
  ["bad existing VPC id", "staging", { network: { existing: { vpcId: "vpc_1", privateSubnetIds: ["subnet-1a", "subnet-2b"], publicSubnetIds: ["subnet-3c", "subnet-4d"] } } }, "etl-platform:network.existing.vpcId"],
  ["unsupported Kubernetes version", "staging", { cluster: { kubernetesVersion: "1.21" } }, "etl-platform:cluster.kubernetesVersion"],
  ["prod endpoint open to the world", "prod", { cluster: { publicAccessCidrs: ["0.0.0.0/0"] } }, "etl-platform:cluster.publicAccessCidrs[0]"],
  ["prod without all control-plane logs", "prod", { cluster: { logTypes: ["api"] } }, "etl-platform:cluster.logTypes"],
  ["admin role that is not an ARN", "staging", { cluster: { adminRoleArns: ["platform-admin"] } }, "etl-platform:cluster.adminRoleArns[0]"],
  ["cluster name with capitals", "staging", { cluster: { name: "ETL" } }, "etl-platform:cluster.name"],
  ["min > desired", "staging", { nodePools: { system: { instanceTypes: ["m6i.large"], minSize: 3, desiredSize: 2, maxSize: 4, diskSizeGiB: 30 } } }, "etl-platform:nodePools.system.desiredSize"],
  ["desired > max", "staging", { nodePools: { stateful: { instanceTypes: ["r6i.large"], minSize: 1, desiredSize: 5, maxSize: 3, diskSizeGiB: 30 } } }, "etl-platform:nodePools.stateful.desiredSize"],
  ["too few spot types", "staging", { nodePools: { batch: [{ ...spotPool, instanceTypes: ["m6i.xlarge", "m5.xlarge"] }] } }, "etl-platform:nodePools.batch[0].instanceTypes"],
  ["spot types of one family", "staging", { nodePools: { batch: [{ ...spotPool, instanceTypes: ["m6i.xlarge", "m6i.xlarge", "m6i.xlarge", "m6i.xlarge"] }] } }, "etl-platform:nodePools.batch[0].instanceTypes"],
  ["spot types of different shapes", "staging", { nodePools: { batch: [{ ...spotPool, instanceTypes: ["m6i.xlarge", "m6a.xlarge", "m5.xlarge", "c6i.xlarge"] }] } }, "etl-platform:nodePools.batch[0].instanceTypes"],
  ["spot pool that does not scale to zero", "staging", { nodePools: { batch: [{ ...spotPool, minSize: 1, desiredSize: 1 }] } }, "etl-platform:nodePools.batch[0].minSize"],
  ["unknown instance type", "staging", { nodePools: { system: { instanceTypes: ["x9.huge"], minSize: 1, desiredSize: 1, maxSize: 2, diskSizeGiB: 30 } } }, "etl-platform:nodePools.system.instanceTypes[0]"],
  ["duplicate batch pool names", "staging", { nodePools: { batch: [spotPool, spotPool] } }, "etl-platform:nodePools.batch[1].name"],
  ["bad autoscaler duration", "staging", { autoscaler: { scaleDownUnneededTime: "ten minutes" } }, "etl-platform:autoscaler.scaleDownUnneededTime"],
  ["prod with one broker", "prod", { kafka: { brokers: 1 } }, "etl-platform:kafka.brokers"],
  ["min.insync.replicas >= replication factor", "prod", { kafka: { minInsyncReplicas: 3 } }, "etl-platform:kafka.minInsyncReplicas"],
  ["even controller quorum", "prod", { kafka: { controllers: 4 } }, "etl-platform:kafka.controllers"],
  ["topic with more replicas than brokers", "staging", { kafka: { topics: [{ name: "orders", partitions: 3, replicas: 2, retentionHours: 24 }] } }, "etl-platform:kafka.topics[0].replicas"],
  ["Kafka storage that is not a quantity", "staging", { kafka: { brokerStorageSize: "20 gigabytes" } }, "etl-platform:kafka.brokerStorageSize"],
  ["prod without backups", "prod", { postgres: { backup: { enabled: false, schedule: "0 2 * * *", retentionDays: 30 } } }, "etl-platform:postgres.backup.enabled"],
  ["prod Postgres with one instance", "prod", { postgres: { instances: 1 } }, "etl-platform:postgres.instances"],
  ["bad backup schedule", "staging", { postgres: { backup: { enabled: true, schedule: "0 2 * *", retentionDays: 7 } } }, "etl-platform:postgres.backup.schedule"],
  ["prod Argo without auth", "prod", { argo: { serverAuthMode: "server" } }, "etl-platform:argo.serverAuthMode"],
  ["receiver secret not set", "staging", { monitoring: { receivers: [{ name: "oncall", type: "slack", secret: "slackUrl" }] } }, "etl-platform:monitoring.receivers[0].secret"],
  ["bad retention", "staging", { monitoring: { retention: "forever" } }, "etl-platform:monitoring.retention"],
  ["duplicate pipeline names", "staging", { pipelines: [pipeline, pipeline] }, "etl-platform:pipelines[1].name"],
  ["pipeline name over 52 characters", "staging", { pipelines: [{ ...pipeline, name: "a".repeat(53) }] }, "etl-platform:pipelines[0].name"],
  ["bad cron", "staging", { pipelines: [pipeline, { ...pipeline, name: "other", schedule: "0 25 * * *" }] }, "etl-platform:pipelines[1].schedule"],
  ["six-field cron", "staging", { pipelines: [{ ...pipeline, schedule: "0 0 * * * *" }] }, "etl-platform:pipelines[0].schedule"],
  ["unknown time zone", "staging", { pipelines: [{ ...pipeline, timeZone: "Europe/Atlantis" }] }, "etl-platform:pipelines[0].timeZone"],
  ["latest tag", "staging", { pipelines: [{ ...pipeline, image: "ghcr.io/acme/orders:latest" }] }, "etl-platform:pipelines[0].image"],
  ["image without tag", "staging", { pipelines: [{ ...pipeline, image: "ghcr.io/acme/orders" }] }, "etl-platform:pipelines[0].image"],
  ["no digest in prod", "prod", { pipelines: [pipeline] }, "etl-platform:pipelines[0].image"],
  ["missing requests", "staging", { pipelines: [{ ...pipeline, resources: { limits: { memory: "1Gi" } } }] }, "etl-platform:pipelines[0].resources.requests"],
  ["missing memory limit", "staging", { pipelines: [{ ...pipeline, resources: { requests: { cpu: "1", memory: "1Gi" }, limits: {} } }] }, "etl-platform:pipelines[0].resources.limits.memory"],
  ["starting deadline longer than the interval", "staging", { pipelines: [{ ...pipeline, startingDeadlineSeconds: 3600 }] }, "etl-platform:pipelines[0].startingDeadlineSeconds"],
  ["pipeline reading an undeclared topic", "staging", { pipelines: [{ ...pipeline, kafka: { read: ["payments"] } }] }, "etl-platform:pipelines[0].kafka.read[0]"],
  ["secret env without the secret", "staging", { pipelines: [{ ...pipeline, secretEnv: { API_TOKEN: "ordersApiToken" } }] }, "etl-platform:pipelines[0].secretEnv.API_TOKEN"],
  ["step depending on an unknown step", "staging", { pipelines: [{ ...pipeline, steps: [{ name: "load", command: ["load"], dependsOn: ["extract"] }] }] }, "etl-platform:pipelines[0].steps[0].dependsOn[0]"],
  ["cycle between steps", "staging", { pipelines: [{ ...pipeline, steps: [{ name: "a", command: ["a"], dependsOn: ["b"] }, { name: "b", command: ["b"], dependsOn: ["a"] }] }] }, "etl-platform:pipelines[0].steps"],
  ["environment that does not exist", "staging", { environment: "dev" }, "etl-platform:environment"],
  ["malformed digest", "prod", { pipelines: [{ ...pipeline, image: `${pipeline.image}@sha256:abc` }] }, "etl-platform:pipelines[0].image"],
  // kubernetesVersion past EKS standard support with upgradePolicy STANDARD: EKS would upgrade it by itself.
  // 1.32's standard support ended on 2026-03-23 (eksCalendar.ts), so this stays refused from here on.
  ["a version past standard support with upgradePolicy STANDARD", "staging", { cluster: { kubernetesVersion: "1.32", upgradePolicy: "STANDARD" } }, "etl-platform:cluster.kubernetesVersion"],
  ["an upgrade policy EKS does not know", "staging", { cluster: { upgradePolicy: "NEVER" } }, "etl-platform:cluster.upgradePolicy"],
  ["a log retention CloudWatch refuses", "prod", { logging: { retentionDays: 45 } }, "etl-platform:logging.retentionDays"],
  ["the old per-cluster log retention key", "staging", { cluster: { logRetentionDays: 7 } }, "etl-platform:cluster.logRetentionDays"],
  ["S3 access that is not an S3 URI", "staging", { pipelines: [{ ...pipeline, s3: { read: ["https://bucket/x"] } }] }, "etl-platform:pipelines[0].s3.read[0]"],
];

describe("stack config validation", () => {
  it.each(["staging", "prod"])("accepts the %s stack file", (stack) => {
    expect(problemsOf(stackSections(stack))).toEqual([]);
  });

  it("accepts a prod pipeline pinned by tag and digest", () => {
    expect(problemsOf({ ...stackSections("prod"), pipelines: [{ ...pipeline, image: `${pipeline.image}${digest}` }] })).toEqual([]);
  });

  it("covers at least 30 distinct bad inputs", () => {
    expect(new Set(cases.map(([name]) => name)).size).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)("rejects %s, naming the key", (_name, stack, override, key) => {
    const problems = problemsOf({ ...stackSections(stack), ...override });
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.some((line) => line.startsWith(`${key}: `))).toBe(true);
    for (const line of problems) expect(line).toMatch(/^etl-platform:[^\s]*: (expected|unknown key)/);
  });

  it("reports every problem of a config in one run", () => {
    const problems = problemsOf({
      ...stackSections("staging"),
      network: { cidr: "bad" },
      cluster: { kubernetesVersion: "1.0" },
      pipelines: [{ ...pipeline, schedule: "never", image: "x:latest" }],
    });
    expect(problems.map((line) => line.split(": ")[0]).sort()).toEqual([
      "etl-platform:cluster.kubernetesVersion",
      "etl-platform:network.cidr",
      "etl-platform:pipelines[0].image",
      "etl-platform:pipelines[0].schedule",
    ]);
  });

  it("fills in per-environment defaults", () => {
    const staging = parsePlatformConfig({ environment: "staging" });
    const prod = parsePlatformConfig({ environment: "prod" });
    expect(staging.network.natGateways).toBe("single");
    expect(prod.network.natGateways).toBe("perZone");
    expect(prod.kafka.brokers).toBeGreaterThanOrEqual(3);
    expect(staging.kafka.brokers).toBe(1);
    expect(prod.cluster.logTypes).toHaveLength(5);
  });

  it("refuses secrets written in plain text in the stack file", () => {
    pulumi.runtime.setAllConfig({ "etl-platform:environment": "staging", "etl-platform:secrets": JSON.stringify({ token: "plain" }) }, []);
    expect(() => readStackConfig()).toThrow(/etl-platform:secrets: expected values set with pulumi config set --secret/);
    pulumi.runtime.setAllConfig({ "etl-platform:environment": "staging", "etl-platform:secrets": JSON.stringify({ token: "hidden" }) }, ["etl-platform:secrets"]);
    expect(readStackConfig().config.secrets).toEqual({ token: "[secret]" });
  });

  it("is a RunError to Pulumi's language host, which then prints the problems without a stack trace", () => {
    // sdk/nodejs/cmd/run/run.ts prints a RunError's message alone; RunError.isInstance (sdk/nodejs/errors.ts) looks
    // for the __pulumiRunError field, which ConfigError carries without loading the SDK.
    const error = new ConfigError(["etl-platform:network.cidr: expected an IPv4 CIDR"]);
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe("invalid stack config:\netl-platform:network.cidr: expected an IPv4 CIDR");
  });
});

describe("Kubernetes versions and EKS support windows", () => {
  const { kubernetesVersionNotes } = require("../config/kubernetesVersion") as typeof import("../config/kubernetesVersion");
  const { eksCalendar } = require("../eksCalendar") as typeof import("../eksCalendar");
  const { kubernetesVersions } = require("../versions") as typeof import("../versions");
  const day = (date: string) => new Date(`${date}T12:00:00Z`);

  it("keeps the calendar and the pinned versions in step", () => {
    expect(Object.keys(eksCalendar).sort()).toEqual(Object.keys(kubernetesVersions).sort());
    for (const window of Object.values(eksCalendar)) {
      expect(window.released < window.endOfStandardSupport && window.endOfStandardSupport < window.endOfExtendedSupport).toBe(true);
    }
  });

  it("accepts a version in standard support quietly, and warns 60 days before its end", () => {
    expect(kubernetesVersionNotes({ kubernetesVersion: "1.34", upgradePolicy: "STANDARD" }, day("2026-09-01"))).toEqual({ problems: [], warnings: [] });
    const notes = kubernetesVersionNotes({ kubernetesVersion: "1.34", upgradePolicy: "EXTENDED" }, day("2026-11-25"));
    expect(notes.problems).toEqual([]);
    expect(notes.warnings).toEqual(["cluster.kubernetesVersion 1.34 leaves EKS standard support on 2026-12-02 (in 7 days): the cluster then costs $0.60 instead of $0.10 per cluster-hour"]);
    expect(kubernetesVersionNotes({ kubernetesVersion: "1.34", upgradePolicy: "STANDARD" }, day("2026-12-02")).warnings[0]).toContain("in 0 days): EKS then upgrades the cluster by itself");
  });

  it("refuses a STANDARD-policy version past standard support, warns about an EXTENDED one, refuses one past extended support", () => {
    expect(kubernetesVersionNotes({ kubernetesVersion: "1.34", upgradePolicy: "STANDARD" }, day("2026-12-03")).problems[0]).toContain("standard support ended on 2026-12-02");
    const extended = kubernetesVersionNotes({ kubernetesVersion: "1.34", upgradePolicy: "EXTENDED" }, day("2026-12-03"));
    expect(extended).toEqual({ problems: [], warnings: [expect.stringContaining("is in EKS extended support since 2026-12-02 ($0.60")] });
    expect(kubernetesVersionNotes({ kubernetesVersion: "1.34", upgradePolicy: "EXTENDED" }, day("2027-12-03")).problems).toEqual(["expected a version EKS still supports, got 1.34 (its extended support ended on 2027-12-02)"]);
  });

  it("defaults both stacks to a version with more than 60 days of standard support on the calendar's date", () => {
    for (const stack of ["staging", "prod"]) {
      const config = parsePlatformConfig(stackSections(stack));
      expect(kubernetesVersionNotes(config.cluster, day("2026-11-25"))).toEqual({ problems: [], warnings: [] });
    }
    expect(parsePlatformConfig(stackSections("prod")).cluster.upgradePolicy).toBe("EXTENDED");
    expect(parsePlatformConfig(stackSections("staging")).cluster.upgradePolicy).toBe("STANDARD");
  });
});

describe("reserved pipeline names", () => {
  it.each([
    ["default"], ["restore-drill"], ["postgres-restore-drill"], ["argo-executor"], ["etl-cluster-ca-cert"], ["default-deny"], ["allow-dns"],
    ["orders-env"], ["orders-object-store"], ["orders-29412345"], ["orders-1764547200-load"],
  ])("refuses %s, naming the key", (name) => {
    const problems = problemsOf({ environment: "staging", pipelines: [{ ...minimalPipeline, name }] });
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^etl-platform:pipelines\\[0\\]\\.name: expected a name the platform does not use in the pipelines namespace, got "${name}" \\(reserved: `))]);
  });

  it.each([["orders-load"], ["orders-2024-backfill"], ["env-export"], ["daily-1234567"]])("accepts %s", (name) => {
    expect(problemsOf({ environment: "staging", pipelines: [{ ...minimalPipeline, name }] })).toEqual([]);
  });

  it("lists every name the platform's components create in the pipelines namespace", () => {
    const { EXECUTOR_SERVICE_ACCOUNT } = require("../components/platform/pipelines") as typeof import("../components/platform/pipelines");
    const { DRILL_SERVICE_ACCOUNT, DRILL_WORKFLOW } = require("../components/platform/restoreDrill") as typeof import("../components/platform/restoreDrill");
    const { KAFKA_CLUSTER_NAME } = require("../components/platform/kafka") as typeof import("../components/platform/kafka");
    const { RESERVED_PIPELINE_NAMES } = require("../config/rules") as typeof import("../config/rules");
    for (const name of [EXECUTOR_SERVICE_ACCOUNT, DRILL_SERVICE_ACCOUNT, DRILL_WORKFLOW, `${KAFKA_CLUSTER_NAME}-cluster-ca-cert`, "default"]) expect(Object.keys(RESERVED_PIPELINE_NAMES)).toContain(name);
  });
});

describe("the example stacks' placeholders", () => {
  const { placeholders } = require("../config/placeholders") as typeof import("../config/placeholders");
  const { setOfflineRun } = require("../lib/pinnedFiles") as typeof import("../lib/pinnedFiles");
  const { readStackPlatformConfig } = require("../plan/stackFile") as typeof import("../plan/stackFile");
  const keysOf = (stack: string) => placeholders(readStackPlatformConfig(`${__dirname}/../stacks/Pulumi.${stack}.yaml`)).map((p) => p.path.join("."));

  it("are found by key: the example account, RFC 5737 ranges, example images and buckets, and a prod stack without a receiver", () => {
    expect(keysOf("staging")).toEqual(expect.arrayContaining(["cluster.publicAccessCidrs.0", "cluster.adminRoleArns.0", "pipelines.0.image", "pipelines.1.s3.read.0"]));
    expect(keysOf("prod")).toEqual(expect.arrayContaining(["cluster.publicAccessCidrs.0", "pipelines.0.image", "monitoring.receivers"]));
    // The local stack is deployed for real (the e2e): it has none.
    expect(keysOf("local")).toEqual([]);
    const real = parsePlatformConfig({ environment: "prod", cluster: { publicAccessCidrs: ["198.18.0.0/15", "203.0.114.0/24"], adminRoleArns: ["arn:aws:iam::210987654321:role/admin"] }, monitoring: { receivers: [{ name: "oncall", type: "slack", secret: "hook", channel: "#data" }] }, secrets: { hook: "[secret]" } });
    expect(placeholders(real)).toEqual([]);
    expect(placeholders(parsePlatformConfig({ environment: "staging", cluster: { publicAccessCidrs: ["192.0.2.8/29"] } })).map((p) => p.message)[0]).toMatch(/^replace "192\.0\.2\.8\/29": a documentation address range/);
  });

  it("stop pulumi preview and up, naming each key, and never the offline plan", () => {
    pulumi.runtime.setAllConfig({ "etl-platform:environment": "staging", "etl-platform:cluster": JSON.stringify({ publicAccessCidrs: ["203.0.113.0/24"] }) }, []);
    setOfflineRun(true);
    expect(() => readStackConfig()).not.toThrow();
    setOfflineRun(false);
    try {
      expect(() => readStackConfig()).toThrow('etl-platform:cluster.publicAccessCidrs[0]: replace "203.0.113.0/24": a documentation address range');
    } finally {
      setOfflineRun(true);
    }
  });
});
