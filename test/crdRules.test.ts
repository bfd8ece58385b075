/**
 * Beyond OpenAPI: the CEL rules of the CRDs (`x-kubernetes-validations`) over every custom resource the program
 * declares, evaluated offline as the API server would on create (test/runtime/crdRules.ts).
 */
import { run } from "@bufbuild/cel";
import { plan, STACK_NAMES } from "./harness";
import { crdSchema } from "./upstream";
import { celValue, evaluateRules, kubernetesCelLibrary, withDefaults, type RuleOutcome } from "./runtime/crdRules";
import { scaledObject } from "../components/platform/pipelines";
import { parsePlatformConfig } from "../config/load";
import type { StreamingPipelineConfig } from "../config/schema";
import { awsWiring } from "./harness";

const BUILT_IN = /^(v1|apps\/v1|batch\/v1|policy\/v1|networking\.k8s\.io\/v1|rbac\.authorization\.k8s\.io\/v1|scheduling\.k8s\.io\/v1|storage\.k8s\.io\/v1|admissionregistration\.k8s\.io\/v1)$/;

function outcomesOf(resource: { apiVersion: string; kind: string; metadata?: unknown; spec?: unknown }): RuleOutcome[] {
  return evaluateRules({ apiVersion: resource.apiVersion, kind: resource.kind, metadata: resource.metadata, spec: resource.spec }, crdSchema(resource.apiVersion, resource.kind));
}

describe.each(STACK_NAMES)("the CRDs' CEL rules over the custom resources of %s", (stack) => {
  it("all hold; transition rules wait for an update; none is left unevaluated", async () => {
    const result = await plan(stack);
    const resources = result.all.map((r) => r.inputs).filter((inputs) => inputs?.apiVersion && inputs?.kind && !BUILT_IN.test(inputs.apiVersion) && crdSchema(inputs.apiVersion, inputs.kind));
    const outcomes = resources.flatMap((resource) => outcomesOf(resource as { apiVersion: string; kind: string }).map((outcome) => ({ kind: resource.kind, name: resource.metadata?.name, ...outcome })));
    expect(outcomes.filter((o) => o.result === "failed" || o.result === "not evaluable")).toEqual([]);
    // Enough rules ran to mean something: Argo's templates and DAG tasks, CloudNativePG's, Strimzi's, KEDA's.
    const kinds = new Set(outcomes.filter((o) => o.result === "passed").map((o) => o.kind));
    for (const kind of ["CronWorkflow", "Cluster", "Kafka", "KafkaUser", "ScaledObject"]) expect({ kind, evaluated: kinds.has(kind) }).toEqual({ kind, evaluated: true });
    expect(outcomes.filter((o) => o.result === "passed").length).toBeGreaterThan(20);
  });
});

describe("the offline CEL evaluation of CRD rules", () => {
  it("finds a violation: a ScaledObject whose minReplicaCount is above its maxReplicaCount (KEDA's CRD rule)", () => {
    const pipeline = parsePlatformConfig({
      environment: "staging", kafka: { topics: [{ name: "orders", partitions: 4, replicas: 1, retentionHours: 24 }] },
      pipelines: [{ name: "c", mode: "streaming", image: "x:1", resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "1Gi" } }, kafka: { read: ["orders"] }, scaling: { minReplicas: 1, maxReplicas: 2 } }],
    }).pipelines[0] as StreamingPipelineConfig;
    const good = scaledObject(pipeline, awsWiring);
    expect(outcomesOf(good).filter((o) => o.result === "failed")).toEqual([]);
    const bad = { ...good, spec: { ...good.spec, minReplicaCount: 3 } };
    expect(outcomesOf(bad).filter((o) => o.result === "failed").map((o) => o.path)).toEqual(["/spec"]);
  });

  it("applies the schema's defaults first, binds integers as ints and reports transition rules apart", () => {
    const schema = {
      type: "object",
      properties: {
        spec: {
          type: "object",
          "x-kubernetes-validations": [{ rule: "self.mode == 'a' || self.count > 2", message: "count" }, { rule: "self.count == oldSelf.count" }],
          properties: { mode: { type: "string", default: "a" }, count: { type: "integer" } },
        },
      },
    };
    expect(evaluateRules({ spec: { count: 1 } }, schema).map((o) => o.result)).toEqual(["passed", "transition"]);
    expect(evaluateRules({ spec: { mode: "b", count: 1 } }, schema).map((o) => o.result)).toEqual(["failed", "transition"]);
    expect(evaluateRules({ spec: { mode: "b", count: 3 } }, schema)[0].result).toBe("passed");
    expect(withDefaults({ spec: {} }, schema)).toEqual({ spec: { mode: "a" } });
    expect(celValue({ count: 3 }, schema.properties.spec)).toEqual(new Map([["count", 3n]]));
  });

  it("says a rule calling a function it does not know is not evaluable, never passed", () => {
    const schema = { type: "object", "x-kubernetes-validations": [{ rule: "self.name.unknownFunction()" }], properties: { name: { type: "string" } } };
    expect(evaluateRules({ name: "x" }, schema)[0].result).toBe("not evaluable");
  });
});

describe("the Kubernetes CEL library functions registered for the evaluator (k8s.io/apiserver pkg/cel/library)", () => {
  const cel = (expression: string, self: unknown = null) => run(expression, { self: self as any }, { funcs: kubernetesCelLibrary });
  it.each([
    ["'abc123'.find('[0-9]+')", "123"],
    ["'abc'.find('[0-9]+')", ""],
    ["'a1b22c333'.findAll('[0-9]+')", ["1", "22", "333"]],
    ["isQuantity('1Gi')", true],
    ["isQuantity('1 Gi')", false],
    ["quantity('1Gi').isGreaterThan(quantity('512Mi'))", true],
    ["quantity('500m').isLessThan(quantity('1'))", true],
    ["quantity('1k').compareTo(quantity('1000'))", 0n],
    ["quantity('2').compareTo(quantity('1'))", 1n],
    ["isURL('https://example.com/path')", true],
    ["isURL('not a url')", false],
  ])("%s", (expression, expected) => {
    const result = cel(expression);
    expect(Array.isArray(expected) ? [...(result as Iterable<unknown>)] : result).toEqual(expected);
  });
});
