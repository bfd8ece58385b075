/**
 * Pins the sha256 of every CRD file the program applies (versions.ts, chartCrdFiles) after a chart bump:
 *
 *   npm run refresh-crds              # needs HTTPS to raw.githubusercontent.com
 *
 * It downloads each file at the URL versions.ts derives from the pinned chart version and rewrites that file's
 * entry of `crdSha256` (adding entries for new files). Review the diff: read the CRD changes (the plan's --diff
 * names them, README "Upgrade safety") before merging; `pulumi up` refuses a file whose bytes differ.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { chartCrdFiles } from "../versions";

/** versions.ts with each file's `crdSha256` entry set to its hash (new entries go at the end of the map). */
export function rewriteCrdHashes(source: string, hashes: Record<string, string>): string {
  let result = source;
  for (const [file, sha256] of Object.entries(hashes)) {
    const entry = new RegExp(`(\\n\\s*"${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}": )"[0-9a-f]*",`);
    if (entry.test(result)) result = result.replace(entry, `$1"${sha256}",`);
    else result = result.replace(/(const crdSha256: Record<string, string> = \{\n(?:.*\n)*?)(\};)/, `$1  "${file}": "${sha256}",\n$2`);
  }
  return result;
}

async function main(): Promise<void> {
  const hashes: Record<string, string> = {};
  for (const file of Object.values(chartCrdFiles).flat()) {
    const response = await fetch(file.url);
    if (!response.ok) throw new Error(`${file.url}: HTTP ${response.status}`);
    hashes[path.basename(file.url)] = crypto.createHash("sha256").update(Buffer.from(await response.arrayBuffer())).digest("hex");
  }
  const target = path.join(__dirname, "..", "versions.ts");
  const before = fs.readFileSync(target, "utf8");
  const after = rewriteCrdHashes(before, hashes);
  fs.writeFileSync(target, after);
  const changed = Object.entries(hashes).filter(([file, sha256]) => !before.includes(`"${file}": "${sha256}"`)).map(([file]) => file);
  process.stdout.write(changed.length ? `updated: ${changed.join(", ")}\n` : "every CRD file matches its pinned sha256\n");
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
