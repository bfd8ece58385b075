/** What each pipeline may do in the object store. */
import { pipelineSteps, type PipelineConfig } from "../../../config/schema";
import { artifactPrefix } from "./argoSupport";

/** What a pipeline may do in the object store: its declared S3 prefixes, and its own prefix of the artifact bucket. */
export function pipelineStoreGrants<B>(pipeline: PipelineConfig, artifacts: B): { bucket: B | string; prefix: string; actions: ("list" | "read" | "write")[] }[] {
  const parse = (uri: string) => {
    const [bucket, ...rest] = uri.replace(/^s3:\/\//, "").split("/");
    return { bucket, prefix: rest.join("/") };
  };
  return [
    ...(pipeline.s3?.read ?? []).map((uri) => ({ ...parse(uri), actions: ["list", "read"] as ("list" | "read" | "write")[] })),
    ...(pipeline.s3?.write ?? []).map((uri) => ({ ...parse(uri), actions: ["write"] as ("list" | "read" | "write")[] })),
    // Step logs: write-only, the pipeline's own prefix (neither another pipeline's nor reading back).
    ...(pipelineSteps(pipeline) ? [{ bucket: artifacts, prefix: artifactPrefix(pipeline), actions: ["write"] as ("list" | "read" | "write")[] }] : []),
  ];
}

