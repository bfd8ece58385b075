/** What each pipeline may do in the object store. */
import { pipelineSteps, type PipelineConfig } from "../../../config/schema";
import { artifactPrefix } from "./argoSupport";

/**
 * What a pipeline may do in the object store: its declared S3 prefixes, and its own prefix of the artifact bucket.
 * Its step logs are write-only where the Argo server reads them with an identity of its own (S3: IRSA); with a
 * store of static keys the server opens an archived log with the keys its location names, the pipeline's, which
 * then also read (never list) that prefix, and only that; so does a pipeline whose steps hand files on (an input
 * artifact is fetched with the pipeline's identity).
 */
export function pipelineStoreGrants<B>(pipeline: PipelineConfig, artifacts: B, serverReadsWithPipelineKeys = false): { bucket: B | string; prefix: string; actions: ("list" | "read" | "write")[] }[] {
  const steps = pipelineSteps(pipeline);
  // A step that takes an earlier step's output has it fetched with the pipeline's identity: read on its own prefix.
  const passesArtifacts = (steps ?? []).some((step) => step.inputs.length > 0);
  const parse = (uri: string) => {
    const [bucket, ...rest] = uri.replace(/^s3:\/\//, "").split("/");
    return { bucket, prefix: rest.join("/") };
  };
  return [
    ...(pipeline.s3?.read ?? []).map((uri) => ({ ...parse(uri), actions: ["list", "read"] as ("list" | "read" | "write")[] })),
    ...(pipeline.s3?.write ?? []).map((uri) => ({ ...parse(uri), actions: ["write"] as ("list" | "read" | "write")[] })),
    // Step logs: the pipeline's own prefix, never another's; written, and read back only where the server reads with its keys.
    ...(steps ? [{ bucket: artifacts, prefix: artifactPrefix(pipeline), actions: (serverReadsWithPipelineKeys || passesArtifacts ? ["write", "read"] : ["write"]) as ("list" | "read" | "write")[] }] : []),
  ];
}

