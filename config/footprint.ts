/**
 * What the declared pipelines need at once: each pipeline's footprint at its peak (its parallelism or its DAG's
 * widest level, Argo's executor containers) and the restore drill's. The config rules refuse a quota override
 * below it, and the pipelines namespace's ResourceQuota is sized from it (components/platform/pipelines/quota.ts):
 * so it lives with the config, which the components read, never the other way round.
 */
import { widestLevel } from "../lib/dag";
import { parseQuantity } from "../lib/quantity";
import type { PipelineConfig } from "./schema";

/**
 * Argo's init and wait containers, and the single container of a resource template (the restore drill's steps),
 * take the executor's resources from the controller's config, `{}` unless set (argo-workflows v4.0.6
 * workflow/controller/workflowpod.go newExecContainer: `Resources: Config.GetExecutor().Resources`). Under a
 * quota every container needs requests, so the chart's `executor.resources` is set to these.
 */
export const EXECUTOR_RESOURCES = { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } };

/** Headroom over the declared peak: a manual re-run beside a scheduled one, a Replace overlapping its predecessor. */
export const QUOTA_HEADROOM = 1.5;

export interface Footprint {
  pods: number;
  cpuMillis: number;
  memoryBytes: number;
  memoryLimitBytes: number;
}

const ZERO: Footprint = { pods: 0, cpuMillis: 0, memoryBytes: 0, memoryLimitBytes: 0 };
const add = (a: Footprint, b: Footprint): Footprint => ({ pods: a.pods + b.pods, cpuMillis: a.cpuMillis + b.cpuMillis, memoryBytes: a.memoryBytes + b.memoryBytes, memoryLimitBytes: a.memoryLimitBytes + b.memoryLimitBytes });
const times = (a: Footprint, n: number): Footprint => ({ pods: a.pods * n, cpuMillis: a.cpuMillis * n, memoryBytes: a.memoryBytes * n, memoryLimitBytes: a.memoryLimitBytes * n });
export const bytes = (quantity: string | undefined) => parseQuantity(quantity ?? "0") ?? 0;

function container(resources: { requests: { cpu: string; memory: string }; limits?: { memory?: string } }): Footprint {
  return { pods: 0, cpuMillis: Math.ceil(bytes(resources.requests.cpu) * 1000), memoryBytes: bytes(resources.requests.memory), memoryLimitBytes: bytes(resources.limits?.memory ?? resources.requests.memory) };
}

/** One run of a pipeline at its peak (one run at a time: concurrencyPolicy is Forbid or Replace). */
export function pipelineFootprint(pipeline: PipelineConfig): Footprint {
  const main = { ...container(pipeline.resources), pods: 1 };
  // A streaming consumer at its most: KEDA may run maxReplicas of it at once.
  if (pipeline.mode === "streaming") return times(main, pipeline.scaling.maxReplicas);
  if (pipeline.steps) return times(add(main, container(EXECUTOR_RESOURCES)), widestLevel(pipeline.steps));
  return times(main, pipeline.completions !== undefined ? pipeline.parallelism ?? 1 : 1);
}

/** The restore drill's workflow in the namespace: resource steps, the cleanup's three at once, each an executor container. */
export const DRILL_FOOTPRINT: Footprint = times({ ...container(EXECUTOR_RESOURCES), pods: 1 }, 3);

export function peakFootprint(pipelines: PipelineConfig[], restoreDrill: boolean): Footprint {
  return pipelines.map(pipelineFootprint).reduce(add, restoreDrill ? DRILL_FOOTPRINT : ZERO);
}

export const MI = 2 ** 20;

export interface QuotaOverrides {
  cpu?: string;
  memory?: string;
  pods?: number;
}

/** Overrides below the declared peak: the quota would refuse pods of declared pipelines. */
export function quotaProblems(peak: Footprint, overrides: QuotaOverrides): { key: "cpu" | "memory" | "pods"; message: string }[] {
  const problems: { key: "cpu" | "memory" | "pods"; message: string }[] = [];
  if (overrides.cpu && bytes(overrides.cpu) * 1000 < peak.cpuMillis) problems.push({ key: "cpu", message: `expected at least the pipelines' concurrent peak of ${peak.cpuMillis}m CPU requests (each pipeline's parallelism or widest step level, Argo's executor containers and the restore drill included), got ${overrides.cpu}` });
  if (overrides.memory && bytes(overrides.memory) < peak.memoryBytes) problems.push({ key: "memory", message: `expected at least the pipelines' concurrent peak of ${Math.ceil(peak.memoryBytes / MI)}Mi memory requests, got ${overrides.memory}` });
  if (overrides.pods !== undefined && overrides.pods < peak.pods) problems.push({ key: "pods", message: `expected at least the pipelines' concurrent peak of ${peak.pods} pods, got ${overrides.pods}` });
  return problems;
}
