/**
 * Files the program applies at deploy, checked against the sha256 pinned beside their URL (versions.ts): a file
 * changed upstream (a moved tag, a compromised repository) stops `pulumi up` before anything is applied.
 */
import * as crypto from "crypto";

export class ChecksumError extends Error {}

/** Downloads `url` and returns its text, only if its bytes hash to `sha256`. */
export async function fetchVerified(file: { url: string; sha256: string }, fetcher: typeof fetch = fetch): Promise<string> {
  const response = await fetcher(file.url);
  if (!response.ok) throw new Error(`${file.url}: HTTP ${response.status} ${response.statusText}`);
  const body = Buffer.from(await response.arrayBuffer());
  const actual = crypto.createHash("sha256").update(body).digest("hex");
  if (actual !== file.sha256) {
    throw new ChecksumError(`${file.url}: sha256 ${actual}, expected ${file.sha256 || "(none pinned)"} (versions.ts): the file is not the one reviewed; after a version bump run npm run refresh-crds and review the change`);
  }
  return body.toString("utf8");
}

const OFFLINE_RUN = Symbol.for("etl-platform.offline-run");

/**
 * Whether the program runs under the offline plan's mocks (plan/offline.ts sets it), not under the Pulumi engine:
 * `pulumi.runtime.isDryRun()` is true for both a preview and the offline plan, so it cannot tell them apart.
 */
export function isOfflineRun(): boolean {
  return (globalThis as Record<symbol, unknown>)[OFFLINE_RUN] === true;
}

export function setOfflineRun(offline: boolean): void {
  (globalThis as Record<symbol, unknown>)[OFFLINE_RUN] = offline;
}
