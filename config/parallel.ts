/**
 * Parallel batch pipelines: the combinations of an Indexed Job's fields the API server refuses
 * (k8s.io/kubernetes pkg/apis/batch/validation, validateJobSpec), and our own bound, refused at plan time.
 */
import type { BatchPipelineConfig } from "./schema";

export interface ParallelProblem {
  key: string;
  message: string;
}

export function parallelProblems(pipeline: BatchPipelineConfig, maxParallelism: number): ParallelProblem[] {
  const problems: ParallelProblem[] = [];
  const { completions, parallelism, backoffLimitPerIndex, maxFailedIndexes } = pipeline;
  const indexed = completions !== undefined;
  if (indexed && pipeline.steps) problems.push({ key: "completions", message: "expected no completions on a multi-step pipeline (its steps run as an Argo DAG); split the work in a one-step pipeline" });
  if (parallelism !== undefined && !indexed) problems.push({ key: "parallelism", message: `expected completions with parallelism (an Indexed Job: each pod takes one index from 0 to completions-1), got parallelism ${parallelism} alone` });
  if (parallelism !== undefined && indexed && parallelism > completions) problems.push({ key: "parallelism", message: `expected at most completions (${completions}): more pods than indexes would never start, got ${parallelism}` });
  if (parallelism !== undefined && parallelism > maxParallelism) problems.push({ key: "parallelism", message: `expected at most pipelineLimits.maxParallelism (${maxParallelism}), got ${parallelism}` });
  if (backoffLimitPerIndex !== undefined && !indexed) problems.push({ key: "backoffLimitPerIndex", message: "expected completions with backoffLimitPerIndex: the API server accepts per-index retries only in an Indexed Job" });
  if (maxFailedIndexes !== undefined && !indexed) problems.push({ key: "maxFailedIndexes", message: "expected completions with maxFailedIndexes: the API server accepts it only in an Indexed Job with per-index retries" });
  if (maxFailedIndexes !== undefined && indexed && maxFailedIndexes > completions) problems.push({ key: "maxFailedIndexes", message: `expected at most completions (${completions}), as the API server does, got ${maxFailedIndexes}` });
  return problems;
}
