import type { BatchPipelineConfig, PipelineConfig } from "../config/schema";

/** The parsed pipeline as a batch one, for tests of the batch specs; fails the test on a streaming pipeline. */
export function asBatch(pipeline: PipelineConfig): BatchPipelineConfig {
  if (pipeline.mode !== "batch") throw new Error(`expected a batch pipeline, got ${pipeline.name} (${pipeline.mode})`);
  return pipeline;
}
