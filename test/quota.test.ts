/**
 * The pipelines namespace's bounds (config/footprint.ts, components/platform/pipelines/quota.ts): the footprint of each pipeline shape, the quota's
 * headroom over the declared peak, refused overrides, and that every pod the namespace runs is admitted.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { parsePlatformConfig } from "../config/load";
import { parseQuantity } from "../lib/quantity";
import { CONTAINER_DEFAULTS, pipelineQuota } from "../components/platform/pipelines";
import { DRILL_FOOTPRINT, EXECUTOR_RESOURCES, peakFootprint, pipelineFootprint } from "../config/footprint";
import { widestLevel } from "../lib/dag";
import { AWS_STACKS, configProblems, plan, stackSettings } from "./harness";
import { asBatch } from "./pipelineModes";

const base = { name: "p", schedule: "0 2 * * *", timeZone: "UTC", image: "ghcr.io/acme/p:1.0.0", resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "2Gi" } } };
const pipelineOf = (fields: Record<string, unknown>) => asBatch(parsePlatformConfig({ environment: "staging", pipelines: [{ ...base, ...fields }] }).pipelines[0]);
const GI = 2 ** 30;
const MI = 2 ** 20;

describe("a pipeline's concurrent footprint", () => {
  it("is one pod for a CronJob, parallelism pods for an Indexed Job, the widest level for a DAG (with Argo's wait container)", () => {
    expect(pipelineFootprint(pipelineOf({}))).toEqual({ pods: 1, cpuMillis: 500, memoryBytes: GI, memoryLimitBytes: 2 * GI });
    expect(pipelineFootprint(pipelineOf({ completions: 10, parallelism: 4 }))).toEqual({ pods: 4, cpuMillis: 2000, memoryBytes: 4 * GI, memoryLimitBytes: 8 * GI });
    expect(pipelineFootprint(pipelineOf({ completions: 10 }))).toMatchObject({ pods: 1 });
    const steps = [{ name: "a", command: ["a"] }, { name: "b", command: ["b"], dependsOn: ["a"] }, { name: "c", command: ["c"], dependsOn: ["a"] }, { name: "d", command: ["d"], dependsOn: ["b", "c"] }];
    expect(widestLevel(pipelineOf({ steps }).steps!)).toBe(2);
    expect(pipelineFootprint(pipelineOf({ steps }))).toEqual({ pods: 2, cpuMillis: 2 * 510, memoryBytes: 2 * (GI + 64 * MI), memoryLimitBytes: 2 * (2 * GI + 256 * MI) });
  });

  it("sizes the quota at the peak plus half, in round steps, and refuses overrides below the peak", () => {
    const peak = peakFootprint([pipelineOf({}), pipelineOf({ name: "q", completions: 8, parallelism: 4 })], true);
    expect(peak).toEqual({ pods: 5 + 3, cpuMillis: 2500 + 30, memoryBytes: 5 * GI + 3 * 64 * MI, memoryLimitBytes: 10 * GI + 3 * 256 * MI });
    // 5312Mi × 1.5 = 7968Mi, up to 8192Mi; 11008Mi × 1.5 = 16512Mi, up to 16640Mi.
    expect(pipelineQuota(peak)).toEqual({ "requests.cpu": "3800m", "requests.memory": "8192Mi", "limits.memory": "16640Mi", pods: "12" });
    expect(pipelineQuota(peak, { cpu: "16", pods: 40 })).toMatchObject({ "requests.cpu": "16", pods: "40" });
    // Staging runs the restore drill (backups on by default): its three cleanup steps count too.
    expect(configProblems({ environment: "staging", pipelines: [base], pipelineLimits: { quota: { cpu: "100m", memory: "512Mi", pods: 1 } } })).toEqual([
      "etl-platform:pipelineLimits.quota.cpu: expected at least the pipelines' concurrent peak of 530m CPU requests (each pipeline's parallelism or widest step level, Argo's executor containers and the restore drill included), got 100m",
      "etl-platform:pipelineLimits.quota.memory: expected at least the pipelines' concurrent peak of 1216Mi memory requests, got 512Mi",
      "etl-platform:pipelineLimits.quota.pods: expected at least the pipelines' concurrent peak of 4 pods, got 1",
    ]);
    expect(configProblems({ environment: "staging", pipelines: [base], pipelineLimits: { quota: { cpu: "530m", memory: "1216Mi", pods: 4 } } })).toEqual([]);
  });
});

describe.each(AWS_STACKS)("the pipelines namespace of %s", (stack) => {
  it("has a quota the declared pipelines fit in together, and defaults for containers without resources", async () => {
    const result = await plan(stack, stackSettings(stack), "test");
    const quota = result.one("kubernetes:core/v1:ResourceQuota", "etl-pipelines-quota").inputs;
    expect(quota.metadata.namespace).toBe("pipelines");
    // Every pod at once: each pipeline's run at its peak (parallelism, DAG level), plus the restore drill.
    const cronJobPods = result.ofType("kubernetes:batch/v1:CronJob").flatMap((job) => {
      const spec = job.inputs.spec.jobTemplate.spec;
      return Array.from({ length: spec.completionMode === "Indexed" ? spec.parallelism : 1 }, () => spec.template.spec.containers);
    });
    const workflowPods = result.ofType("kubernetes:argoproj.io/v1alpha1:CronWorkflow").filter((cron) => cron.inputs.metadata.labels?.["etl-platform/pipeline"]).flatMap((cron) =>
      cron.inputs.spec.workflowSpec.templates.filter((template: any) => template.container).map((template: any) => [template.container, { resources: EXECUTOR_RESOURCES }]));
    const pods = [...cronJobPods, ...workflowPods];
    const sum = (pick: (container: any) => string | undefined) => pods.flat().reduce((total, container) => total + (parseQuantity(pick(container) ?? "0") ?? 0), 0);
    const hard = quota.spec.hard;
    expect(sum((c) => c.resources.requests.cpu) + DRILL_FOOTPRINT.cpuMillis / 1000).toBeLessThanOrEqual(parseQuantity(hard["requests.cpu"])!);
    expect(sum((c) => c.resources.requests.memory) + DRILL_FOOTPRINT.memoryBytes).toBeLessThanOrEqual(parseQuantity(hard["requests.memory"])!);
    expect(sum((c) => c.resources.limits.memory) + DRILL_FOOTPRINT.memoryLimitBytes).toBeLessThanOrEqual(parseQuantity(hard["limits.memory"])!);
    expect(pods.length + DRILL_FOOTPRINT.pods).toBeLessThanOrEqual(Number(hard.pods));
    // A quota on requests.cpu/memory and limits.memory refuses a container that sets none of them; these are what it gets instead.
    expect(result.one("kubernetes:core/v1:LimitRange", "etl-pipelines-defaults").inputs.spec.limits).toEqual([{ type: "Container", ...CONTAINER_DEFAULTS }]);
  });

  it("bounds each steps pipeline to its DAG's widest level and one run at a time, hand-submitted runs included", async () => {
    const result = await plan(stack, stackSettings(stack), "test");
    for (const cron of result.ofType("kubernetes:argoproj.io/v1alpha1:CronWorkflow").filter((c) => c.inputs.metadata.labels?.["etl-platform/pipeline"])) {
      const spec = cron.inputs.spec.workflowSpec;
      const dag = spec.templates.find((template: any) => template.name === spec.entrypoint).dag.tasks;
      expect(spec.parallelism).toBe(widestLevel(dag.map((task: any) => ({ name: task.name, dependsOn: task.dependencies ?? [] }))));
      // argo-workflows v4.0.6 workflow/sync/lock_name.go: a ConfigMap key holds the semaphore's limit.
      const semaphore = result.one("kubernetes:core/v1:ConfigMap", `etl-pipelines-${cron.inputs.metadata.name}-semaphore`);
      expect(spec.synchronization).toEqual({ semaphores: [{ configMapKeyRef: { name: semaphore.inputs.metadata.name, key: "limit" } }] });
      expect(semaphore.inputs.data).toEqual({ limit: "1" });
      expect(cron.dependsOn).toContain(semaphore.urn);
    }
  });

  it("gives Argo's executor containers requests and a memory limit (argo-workflows v4.0.6 workflowpod.go takes them from executor.resources)", async () => {
    const result = await plan(stack, stackSettings(stack), "test");
    const values = result.ofType("kubernetes:helm.sh/v3:Release").find((release) => release.inputs.chart === "argo-workflows")!.inputs.values;
    expect(values.executor.resources).toEqual(EXECUTOR_RESOURCES);
    // The chart's own default is empty: without ours, the executor's containers would carry no requests.
    const upstream = parseYaml(fs.readFileSync(path.join(__dirname, "fixtures", "upstream", "argo-workflows-1.0.18", "values.yaml"), "utf8"));
    expect(upstream.executor.resources).toEqual({});
  });
});
