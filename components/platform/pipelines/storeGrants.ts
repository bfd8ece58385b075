/** What each pipeline may do in the object store. */
import { pipelineSteps, type PipelineConfig } from "../../../config/schema";
import { artifactPrefix } from "./argoSupport";

/**
 * What a pipeline may do in the object store: its declared S3 prefixes, and its own prefix of the artifact bucket.
 * Its step logs are write-only where the Argo server reads them with an identity of its own (S3: IRSA); with a
 * store of static keys the server opens an archived log with the keys its location names, the pipeline's, which
 * then also read (never list) that prefix, and only that.
 */
export function pipelineStoreGrants<B>(pipeline: PipelineConfig, artifacts: B, serverReadsWithPipelineKeys = false): { bucket: B | string; prefix: string; actions: ("list" | "read" | "write")[] }[] {
  const parse = (uri: string) => {
    const [bucket, ...rest] = uri.replace(/^s3:\/\//, "").split("/");
    return { bucket, prefix: rest.join("/") };
  };
  return [
    ...(pipeline.s3?.read ?? []).map((uri) => ({ ...parse(uri), actions: ["list", "read"] as ("list" | "read" | "write")[] })),
    ...(pipeline.s3?.write ?? []).map((uri) => ({ ...parse(uri), actions: ["write"] as ("list" | "read" | "write")[] })),
    // Step logs: the pipeline's own prefix, never another's; written, and read back only where the server reads with its keys.
    ...(pipelineSteps(pipeline) ? [{ bucket: artifacts, prefix: artifactPrefix(pipeline), actions: (serverReadsWithPipelineKeys ? ["write", "read"] : ["write"]) as ("list" | "read" | "write")[] }] : []),
  ];
}

