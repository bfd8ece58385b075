/**
 * Property tests over the config loader: random mutations of the real stack files (a key deleted, a value of
 * the wrong type, null, empty, huge, negative, unicode, deeply nested) are either accepted, and then build every
 * object the program declares from them, or refused cleanly: a ConfigError whose every line names a key. Never a
 * crash. One accepted mutation of each stack also runs through the whole program.
 */
import * as path from "path";
import fc from "fast-check";
import { ConfigError, parsePlatformConfig, rawPlatformConfig } from "../config/load";
import type { PlatformConfig } from "../config/schema";
import { nodeGroupPlans } from "../components/aws/nodePools";
import { subnetPlan } from "../components/aws/network";
import { kafkaCluster, kafkaNodePool, kafkaTopic, kafkaUser, nodePoolSpecs } from "../components/platform/kafka";
import { postgresAlertRules, postgresCluster, scheduledBackup } from "../components/platform/postgres";
import { monitoringValues } from "../components/platform/monitoring";
import { cronJob, cronWorkflow, type PipelineWiring } from "../components/platform/pipelines";
import { pipelineAlertRules } from "../components/platform/pipelines";
import { pipelineNetworkPolicy } from "../components/platform/pipelines";
import { readStackFile } from "../plan/stackFile";
import { awsSpecTarget, awsWiring, plan, withConfig } from "./harness";
import { scaledObject, streamingDeployment, streamingDisruptionBudget, triggerAuthentication } from "../components/platform/pipelines";

const wiring: PipelineWiring = awsWiring;

/** The `etl-platform:` sections of a stack file, as the loader receives them. */
function sections(stack: string): Record<string, unknown> {
  return rawPlatformConfig(readStackFile(path.join(__dirname, "..", "stacks", `Pulumi.${stack}.yaml`)).config);
}

type Json = unknown;
type Path = (string | number)[];

/** Every path to a value in the document (objects' keys and arrays' indexes). */
function paths(value: Json, at: Path = []): Path[] {
  if (Array.isArray(value)) return [at, ...value.flatMap((item, i) => paths(item, [...at, i]))];
  if (value && typeof value === "object") return [at, ...Object.entries(value).flatMap(([key, child]) => paths(child, [...at, key]))];
  return [at];
}

function mutate(document: Json, at: Path, replacement: Json | typeof DELETE): Json {
  if (at.length === 0) return replacement === DELETE ? {} : replacement;
  const [head, ...rest] = at;
  const copy: any = Array.isArray(document) ? [...document] : { ...(document as object) };
  if (rest.length === 0 && replacement === DELETE) {
    if (Array.isArray(copy)) copy.splice(head as number, 1);
    else delete copy[head];
    return copy;
  }
  copy[head] = mutate(copy[head], rest, replacement);
  return copy;
}

const DELETE = Symbol("delete");
const deep = (depth: number): Json => (depth === 0 ? "x" : { a: deep(depth - 1), b: [deep(depth - 1)] });
const replacements = fc.oneof(
  fc.constant(DELETE),
  fc.constant(null),
  fc.constantFrom("", [], {}, 0, -1, -1e9, 1e308, Number.MAX_SAFE_INTEGER + 2, 0.5, true, false, "true", "42", "1e3"),
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.constantFrom("ü/ß", "😀", "a".repeat(10000), "../../etc", "$(rm -rf /)", "0 0 31 2 *", "10.0.0.0/33", "Mi", "512m", "∞"),
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.double({ noNaN: false }),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
  fc.integer({ min: 1, max: 12 }).map(deep),
);

/** What the program builds from a config, with the pure functions the components call. */
function buildEverything(config: PlatformConfig): void {
  const zones = config.network.existing?.privateSubnetIds.length ?? config.network.availabilityZones;
  nodeGroupPlans(config.nodePools, zones, config.environment === "prod");
  if (!config.network.existing) subnetPlan(config.network, config.cluster.name);
  const target = { ...awsSpecTarget, environment: config.environment };
  for (const pool of nodePoolSpecs(config.kafka)) kafkaNodePool(pool, { config: config.kafka, target });
  kafkaCluster({ config: config.kafka, usersNamespace: "pipelines", target });
  config.kafka.topics.forEach(kafkaTopic);
  postgresCluster({ config: config.postgres, target }, { serviceAccountAnnotations: {} });
  scheduledBackup(config.postgres);
  postgresAlertRules(config.postgres);
  monitoringValues({ config: config.monitoring, target });
  pipelineAlertRules(config.pipelines, "pipelines", config.monitoring.freshnessMarginMinutes);
  for (const pipeline of config.pipelines) {
    if (pipeline.mode === "streaming") {
      streamingDeployment(pipeline, wiring);
      streamingDisruptionBudget(pipeline, "pipelines");
      triggerAuthentication(pipeline, wiring);
      scaledObject(pipeline, wiring);
    } else if (pipeline.steps) cronWorkflow(pipeline, wiring);
    else cronJob(pipeline, wiring);
    pipelineNetworkPolicy(pipeline, wiring);
    if (pipeline.kafka) kafkaUser(pipeline.name, pipeline.kafka, config.kafka.authentication);
  }
}

describe.each(["staging", "prod"])("random mutations of the %s stack file", (stack) => {
  const base = sections(stack);
  const allPaths = paths(base).filter((p) => p.length > 0);
  const accepted: Record<string, unknown>[] = [];

  it("are accepted and build, or are refused with every line naming a key: never a crash (500 cases)", () => {
    const mutation = fc.record({
      at: fc.constantFrom(...allPaths),
      replacement: replacements,
      second: fc.option(fc.record({ at: fc.constantFrom(...allPaths), replacement: replacements }), { nil: undefined }),
    });
    fc.assert(fc.property(mutation, ({ at, replacement, second }) => {
      let document = mutate(base, at, replacement) as Record<string, unknown>;
      if (second) document = mutate(document, second.at, second.replacement) as Record<string, unknown>;
      let config: PlatformConfig;
      try {
        config = parsePlatformConfig(document);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        expect(error.problems.length).toBeGreaterThan(0);
        for (const line of error.problems) {
          expect(line).toMatch(/^etl-platform:(?:[^\s:"[]|\[\d+\]|\["(?:[^"\\]|\\.)*"\])*: \S/);
          expect(line).not.toMatch(/undefined|\[object Object\]|NaN/);
        }
        return;
      }
      buildEverything(config);
      if (accepted.length < 3 && JSON.stringify(document) !== JSON.stringify(base)) accepted.push(document);
    }), { numRuns: 500, seed: stack === "prod" ? 4242 : 2424 });
  });

  it("an accepted mutation plans through the whole program", async () => {
    expect(accepted.length).toBeGreaterThan(0);
    for (const document of accepted.slice(0, 1)) {
      const settings = withConfig({ config: {}, secretKeys: [] }, Object.fromEntries(Object.entries(document).map(([key, value]) => [key, typeof value === "string" ? value : value])));
      settings.config["aws:region"] = "eu-west-1";
      const result = await plan(stack, settings);
      expect(result.ofType("eks:index:Cluster")).toHaveLength(1);
    }
  });
});
