/** Runs the real program under mocks for a stack or a config, and gives access to what it declared. */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { ConfigError, parsePlatformConfig } from "../config/load";
import { nodePoolPlacements } from "../lib/placement";
import type { PipelineWiring } from "../components/platform/pipelines";
import type { DeclaredResource, Mode, OfflineRun } from "../plan/offline";
import { present } from "../plan/present";
import { readStackFile, type StackSettings } from "../plan/stackFile";

/** The problems the loader reports for a raw `etl-platform:` config (none when it is valid). */
export function configProblems(raw: Record<string, unknown>): string[] {
  try {
    parsePlatformConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

/** A minimal valid pipeline, for config tests that change one of its keys. */
export const minimalPipeline = {
  name: "orders-load",
  schedule: "0 * * * *",
  timeZone: "UTC",
  image: "ghcr.io/acme/orders:1.4.2",
  resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } },
};

/** Pipeline wiring as the AWS target gives it, for tests of the pure spec functions. */
export const awsWiring: PipelineWiring = {
  namespace: "pipelines",
  placement: nodePoolPlacements.batch,
  egress: { apiServer: { cidrs: ["0.0.0.0/0"], ports: [443] }, objectStore: [{ cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"] }] },
  kafka: { bootstrap: "etl-kafka-bootstrap.kafka.svc:9093", namespace: "kafka", clusterName: "etl", caSecret: "etl-cluster-ca-cert", authentication: "scram-sha-512" },
  postgres: { host: "etl-rw.postgres.svc", namespace: "postgres", clusterName: "etl", database: "etl" },
};

/** The parts of the AWS target the spec functions read. */
export const awsSpecTarget = { environment: "staging" as const, storageClassName: "gp3", placement: nodePoolPlacements };

export const STACKS_DIR = path.join(__dirname, "..", "stacks");
/** Stacks of target: aws (the whole platform on EKS). */
export const AWS_STACKS = ["staging", "prod"];
/** Stacks of target: kubernetes (the platform layer on a given cluster). */
export const KUBERNETES_STACKS = ["local"];
export const STACK_NAMES = [...AWS_STACKS, ...KUBERNETES_STACKS];

export interface Declared extends DeclaredResource {
  /** Inputs with secrets revealed and unknowns as "[unknown]". */
  inputs: Record<string, any>;
}

export interface Plan extends OfflineRun {
  all: Declared[];
  ofType(type: string): Declared[];
  one(type: string, name: string): Declared;
  outputs: Record<string, any>;
}

export function stackSettings(stack: string): StackSettings {
  return readStackFile(path.join(STACKS_DIR, `Pulumi.${stack}.yaml`));
}

/** A stack's settings with some `etl-platform:` sections replaced (objects as YAML would give them). */
export function withConfig(base: StackSettings, sections: Record<string, unknown>, secretKeys: string[] = []): StackSettings {
  const config = { ...base.config };
  for (const [key, value] of Object.entries(sections)) {
    const fullKey = key.includes(":") ? key : `etl-platform:${key}`;
    if (value === undefined) delete config[fullKey];
    else config[fullKey] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return { config, secretKeys: [...base.secretKeys, ...secretKeys] };
}

/** The secret values `withSecrets` sets: no plan's JSON may contain any of them. */
export const SECRET_VALUES = {
  slackWebhook: "https://hooks.slack.com/services/T0/B0/protection-secret",
  pdKey: "pd-routing-key-secret",
  partnerApiToken: "partner-token-do-not-leak",
};

/**
 * A stack with a secret of every kind the program takes: a Slack and a PagerDuty alert receiver, and a secret
 * environment variable on its second pipeline. One variant shared by every test of secret handling, so that
 * each of its plans is computed once per test run.
 */
export function withSecrets(stack: string): StackSettings {
  const base = stackSettings(stack);
  const pipelines = JSON.parse(base.config["etl-platform:pipelines"]);
  pipelines[1].secretEnv = { PARTNER_API_TOKEN: "partnerApiToken" };
  const monitoring = JSON.parse(base.config["etl-platform:monitoring"] ?? "{}");
  monitoring.receivers = [{ name: "oncall", type: "slack", secret: "slackWebhook", channel: "#data" }, { name: "pager", type: "pagerduty", secret: "pdKey" }];
  return withConfig(base, { pipelines, monitoring, secrets: SECRET_VALUES }, ["etl-platform:secrets"]);
}

const ROOT = path.join(__dirname, "..");
const CACHE_DIR = path.join(ROOT, "node_modules", ".cache", "etl-platform-test-plans");
let sourceHash: string | undefined;
/** Whether Stryker (npm run mutate) instrumented a file of the program: its mutants are switched on at run time. */
let programInstrumented = false;

/**
 * A hash of everything an offline run depends on: the program's sources, the offline runner, the installed
 * packages, and the day (the config checks the Kubernetes version against the calendar).
 */
function programHash(): string {
  if (sourceHash) return sourceHash;
  const hash = crypto.createHash("sha256").update(new Date().toISOString().slice(0, 10));
  const addSource = (file: string) => {
    const text = fs.readFileSync(path.join(ROOT, file));
    if (text.includes("__stryker__")) programInstrumented = true;
    hash.update(file).update(text);
  };
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (/\.(ts|json)$/.test(entry.name)) addSource(file);
    }
  };
  for (const dir of ["components", "config", "lib"]) walk(dir);
  for (const file of ["index.ts", "versions.ts", "eksCalendar.ts", "plan/offline.ts"]) addSource(file);
  hash.update(fs.readFileSync(path.join(ROOT, "package-lock.json")));
  sourceHash = hash.digest("hex");
  return sourceHash;
}

/**
 * Plans in this process. The runner and the program load the Pulumi SDK (about a second in a jest module registry),
 * so they are required here, on a cache miss, and a test file that reads only cached plans never loads them.
 */
function computeRun(stack: string, settings: StackSettings, mode: Mode): Promise<OfflineRun> {
  const { runOffline } = require("../plan/offline") as typeof import("../plan/offline");
  const program = require("../index") as () => Promise<Record<string, unknown>>;
  return runOffline(() => program(), stack, settings, mode);
}

/**
 * The offline run of a stack, computed once per test run and shared by the test files through a file cache
 * keyed by the program's hash, the stack and its settings: each file still sees the real program's output.
 */
async function offlineRun(stack: string, settings: StackSettings, mode: Mode): Promise<OfflineRun> {
  // Under mutation testing (`npm run mutate`) every mutant shares the sources' hash (Stryker switches mutants on at
  // run time): a cached plan would hide a mutant of the program. Mutants of files the program does not load (the
  // cost estimate, the diff) leave its plans as they are, so those runs keep the cache.
  const sources = programHash();
  if (programInstrumented) return computeRun(stack, settings, mode);
  const key = crypto.createHash("sha256").update(JSON.stringify([sources, stack, settings, mode])).digest("hex");
  const file = path.join(CACHE_DIR, `${key}.json`);
  const cached = () => {
    try {
      return JSON.parse(fs.readFileSync(file, "utf8")) as OfflineRun;
    } catch {
      return undefined;
    }
  };
  const hit = cached();
  if (hit) return hit;
  // One worker computes a run, the others wait for its file: on a cold cache every worker wants the same stacks
  // at once. A lock older than a minute is a crashed worker's; then compute here.
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const lock = `${file}.lock`;
  let owner = false;
  try {
    fs.closeSync(fs.openSync(lock, "wx"));
    owner = true;
  } catch {
    for (const started = Date.now(); Date.now() - started < 60_000 && fs.existsSync(lock);) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const ready = cached();
      if (ready) return ready;
    }
  }
  try {
    const run = await computeRun(stack, settings, mode);
    const partial = `${file}.${process.pid}`;
    fs.writeFileSync(partial, JSON.stringify(run));
    fs.renameSync(partial, file);
    return run;
  } finally {
    if (owner) fs.rmSync(lock, { force: true });
  }
}

export async function plan(stack: string, settings: StackSettings = stackSettings(stack), mode: Mode = "test"): Promise<Plan> {
  const run = await offlineRun(stack, settings, mode);
  const all = run.resources.map((resource) => ({ ...resource, inputs: present(resource.rawInputs, true) as Record<string, any> }));
  return {
    ...run,
    all,
    outputs: present(run.rawOutputs, true) as Record<string, any>,
    ofType: (type) => all.filter((resource) => resource.type === type),
    one(type, name) {
      const found = all.filter((resource) => resource.type === type && resource.name === name);
      if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}: ${all.filter((r) => r.type === type).map((r) => r.name).join(", ")}`);
      return found[0];
    },
  };
}
