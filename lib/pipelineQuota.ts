/**
 * The pipelines namespace's bounds. A ResourceQuota cannot single out one pipeline (quota scopes select no
 * labels) and refuses pods rather than queueing them, so fairness comes from each pipeline's own bounds
 * (Forbid, parallelism, deadlines); the quota caps the total, sized from the declared pipelines' concurrent peak
 * with headroom, so that it refuses only what no declared pipeline should start.
 */
import type { PipelineConfig } from "../config/schema";
import { parseQuantity } from "./quantity";

/**
 * Argo's init and wait containers, and the single container of a resource template (the restore drill's steps),
 * take the executor's resources from the controller's config, `{}` unless set (argo-workflows v4.0.6
 * workflow/controller/workflowpod.go newExecContainer: `Resources: Config.GetExecutor().Resources`). Under a
 * quota every container needs requests, so the chart's `executor.resources` is set to these.
 */
export const EXECUTOR_RESOURCES = { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } };

/** What a container without resources gets in the namespace (LimitRange), so the quota never refuses it for that. */
export const CONTAINER_DEFAULTS = { defaultRequest: { cpu: "50m", memory: "64Mi" }, default: { memory: "256Mi" } };

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
const bytes = (quantity: string | undefined) => parseQuantity(quantity ?? "0") ?? 0;

function container(resources: { requests: { cpu: string; memory: string }; limits?: { memory?: string } }): Footprint {
  return { pods: 0, cpuMillis: Math.ceil(bytes(resources.requests.cpu) * 1000), memoryBytes: bytes(resources.requests.memory), memoryLimitBytes: bytes(resources.limits?.memory ?? resources.requests.memory) };
}

/** A DAG's steps by level: steps whose longest chain of dependencies is equally long, which may run at once. */
export function dagLevels(steps: { name: string; dependsOn: string[] }[]): string[][] {
  const depth = new Map<string, number>();
  const depthOf = (name: string, seen: Set<string>): number => {
    if (depth.has(name)) return depth.get(name)!;
    const step = steps.find((candidate) => candidate.name === name);
    const parents = (step?.dependsOn ?? []).filter((parent) => !seen.has(parent));
    const value = parents.length === 0 ? 0 : 1 + Math.max(...parents.map((parent) => depthOf(parent, new Set([...seen, name]))));
    depth.set(name, value);
    return value;
  };
  const levels: string[][] = [];
  for (const step of steps) (levels[depthOf(step.name, new Set())] ??= []).push(step.name);
  return levels.filter((level) => level !== undefined);
}

/** The most steps of a DAG that can run at once: its widest level. */
export function widestLevel(steps: { name: string; dependsOn: string[] }[]): number {
  return Math.max(1, ...dagLevels(steps).map((level) => level.length));
}

/** One run of a pipeline at its peak (one run at a time: concurrencyPolicy is Forbid or Replace). */
export function pipelineFootprint(pipeline: PipelineConfig): Footprint {
  const main = { ...container(pipeline.resources), pods: 1 };
  if (pipeline.steps) return times(add(main, container(EXECUTOR_RESOURCES)), widestLevel(pipeline.steps));
  return times(main, pipeline.completions !== undefined ? pipeline.parallelism ?? 1 : 1);
}

/** The restore drill's workflow in the namespace: resource steps, the cleanup's three at once, each an executor container. */
export const DRILL_FOOTPRINT: Footprint = times({ ...container(EXECUTOR_RESOURCES), pods: 1 }, 3);

export function peakFootprint(pipelines: PipelineConfig[], restoreDrill: boolean): Footprint {
  return pipelines.map(pipelineFootprint).reduce(add, restoreDrill ? DRILL_FOOTPRINT : ZERO);
}

export interface QuotaHard {
  "requests.cpu": string;
  "requests.memory": string;
  "limits.memory": string;
  pods: string;
}

const MI = 2 ** 20;
const roundUp = (value: number, step: number) => Math.ceil(value / step) * step;

export interface QuotaOverrides {
  cpu?: string;
  memory?: string;
  pods?: number;
}

/**
 * The quota: the peak with headroom (cpu in 100m steps, memory in 256Mi steps), each overridable. Memory limits
 * follow the declared limits, and never fall below an overridden memory request total.
 */
export function pipelineQuota(peak: Footprint, overrides: QuotaOverrides = {}): QuotaHard {
  const memoryLimitMi = roundUp((peak.memoryLimitBytes * QUOTA_HEADROOM) / MI, 256);
  const overriddenMemoryMi = overrides.memory ? Math.ceil(bytes(overrides.memory) / MI) : 0;
  return {
    "requests.cpu": overrides.cpu ?? `${roundUp(peak.cpuMillis * QUOTA_HEADROOM, 100)}m`,
    "requests.memory": overrides.memory ?? `${roundUp((peak.memoryBytes * QUOTA_HEADROOM) / MI, 256)}Mi`,
    "limits.memory": `${Math.max(memoryLimitMi, overriddenMemoryMi)}Mi`,
    pods: String(overrides.pods ?? Math.ceil(peak.pods * QUOTA_HEADROOM)),
  };
}

/** Overrides below the declared peak: the quota would refuse pods of declared pipelines. */
export function quotaProblems(peak: Footprint, overrides: QuotaOverrides): { key: "cpu" | "memory" | "pods"; message: string }[] {
  const problems: { key: "cpu" | "memory" | "pods"; message: string }[] = [];
  if (overrides.cpu && bytes(overrides.cpu) * 1000 < peak.cpuMillis) problems.push({ key: "cpu", message: `expected at least the pipelines' concurrent peak of ${peak.cpuMillis}m CPU requests (each pipeline's parallelism or widest step level, Argo's executor containers and the restore drill included), got ${overrides.cpu}` });
  if (overrides.memory && bytes(overrides.memory) < peak.memoryBytes) problems.push({ key: "memory", message: `expected at least the pipelines' concurrent peak of ${Math.ceil(peak.memoryBytes / MI)}Mi memory requests, got ${overrides.memory}` });
  if (overrides.pods !== undefined && overrides.pods < peak.pods) problems.push({ key: "pods", message: `expected at least the pipelines' concurrent peak of ${peak.pods} pods, got ${overrides.pods}` });
  return problems;
}
