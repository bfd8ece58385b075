/** CRD files applied by the program (versions.ts, chartCrdFiles), each checked against its pinned sha256. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { fetchVerified, isOfflineRun } from "../../lib/pinnedFiles";
import type { PinnedFile } from "../../versions";

/**
 * A ConfigGroup of the files' objects. Under the engine (preview and up) the program downloads each file, checks
 * its sha256 and hands the provider the checked text, so what is applied is what was hashed; the offline plan
 * has no network and names the files instead.
 */
export function crdConfigGroup(name: string, files: PinnedFile[], opts: pulumi.ComponentResourceOptions): k8s.yaml.v2.ConfigGroup {
  if (isOfflineRun()) return new k8s.yaml.v2.ConfigGroup(name, { files: files.map((file) => file.url) }, opts);
  const yaml = pulumi.output(Promise.all(files.map((file) => fetchVerified(file)))).apply((texts) => texts.join("\n---\n"));
  return new k8s.yaml.v2.ConfigGroup(name, { yaml }, opts);
}
