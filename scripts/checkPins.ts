/**
 * Confirms every pin in versions.ts against its source, before a deploy meets a missing one half-way:
 *
 *   npm run check-pins      # needs HTTPS to the chart repositories, the registries and raw.githubusercontent.com
 *
 * - each chart version is listed in its repository's `index.yaml` (Helm's chart repository format: `entries.<chart>`
 *   holds one item per version), or, for an OCI chart (Karpenter's), has a manifest in its registry; a missing
 *   version fails `pulumi up` at that release;
 * - each image the program names (versions.ts platformImages) has a manifest for its tag in its registry (the same
 *   HEAD request as `npm run refresh-digests`), and its pinned digest, where there is one, is still the tag's;
 * - each CRD file the program applies (versions.ts chartCrdFiles) still has the sha256 pinned for it.
 *
 * One line per pin; exit 1 when any is missing, changed or cannot be reached. The pull-request workflow runs it
 * (it has the network; the offline CI does not).
 */
import { createHash } from "crypto";
import { parse as parseYaml } from "yaml";
import { charts, chartCrdFiles, imageDigests, isOciRepository, platformImages, type ChartVersion, type PinnedFile } from "../versions";
import { manifestDigest } from "./refreshImageDigests";

export interface PinCheck {
  pin: string;
  ok: boolean;
  detail: string;
}

type Fetcher = typeof fetch;

const indexUrl = (repository: string) => `${repository.replace(/\/+$/, "")}/index.yaml`;

/** The versions a chart repository's index lists for a chart. */
export function indexedVersions(indexText: string, chart: string): string[] {
  const index = parseYaml(indexText) as { entries?: Record<string, { version?: string }[]> } | null;
  return (index?.entries?.[chart] ?? []).map((entry) => String(entry.version));
}

/** Each chart version against its repository's index (each index fetched once: two charts share a repository). */
export async function checkCharts(pins: ChartVersion[], fetcher: Fetcher): Promise<PinCheck[]> {
  const indexes = new Map<string, Promise<string>>();
  const indexOf = (repository: string) => {
    const url = indexUrl(repository);
    if (!indexes.has(url)) {
      indexes.set(url, fetcher(url).then(async (response) => {
        if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
        return response.text();
      }));
    }
    return indexes.get(url)!;
  };
  return Promise.all(pins.map(async ({ chart, version, repository }) => {
    const pin = `chart ${chart} ${version}`;
    // An OCI registry has no index: the chart version is a tag of the chart's repository there (Helm's OCI support).
    if (isOciRepository(repository)) {
      const reference = `${repository.replace(/^oci:\/\//, "")}/${chart}:${version}`;
      try {
        return { pin, ok: true, detail: `${reference} ${await manifestDigest(reference, fetcher)}` };
      } catch (error) {
        return { pin, ok: false, detail: `no manifest for ${reference}: ${error instanceof Error ? error.message : String(error)}` };
      }
    }
    try {
      const versions = indexedVersions(await indexOf(repository), chart);
      if (versions.includes(version)) return { pin, ok: true, detail: `listed in ${indexUrl(repository)}` };
      const newest = versions.slice(0, 3).join(", ");
      return { pin, ok: false, detail: `not in ${indexUrl(repository)} (${versions.length ? `it lists ${newest}${versions.length > 3 ? ", ..." : ""}` : `no chart ${chart} there`})` };
    } catch (error) {
      return { pin, ok: false, detail: `cannot read the index: ${error instanceof Error ? error.message : String(error)}` };
    }
  }));
}

/** Each image's tag in its registry, and its pinned digest (when pinned) still the tag's. */
export async function checkImages(references: string[], digests: Record<string, string>, fetcher: Fetcher): Promise<PinCheck[]> {
  return Promise.all(references.map(async (image) => {
    const pin = `image ${image}`;
    try {
      const digest = await manifestDigest(image, fetcher);
      const pinned = digests[image];
      if (pinned && pinned !== digest) return { pin, ok: false, detail: `the tag moved: the registry gives ${digest}, versions.ts pins ${pinned} (npm run refresh-digests, then review)` };
      return { pin, ok: true, detail: digest };
    } catch (error) {
      return { pin, ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
  }));
}

/** Each CRD file's content against its pinned sha256. */
export async function checkFiles(files: PinnedFile[], fetcher: Fetcher): Promise<PinCheck[]> {
  return Promise.all(files.map(async ({ url, sha256 }) => {
    const pin = `file ${url}`;
    try {
      const response = await fetcher(url);
      if (!response.ok) return { pin, ok: false, detail: `HTTP ${response.status}` };
      const actual = createHash("sha256").update(Buffer.from(await response.arrayBuffer())).digest("hex");
      return actual === sha256 ? { pin, ok: true, detail: `sha256 ${sha256}` } : { pin, ok: false, detail: `sha256 ${actual}, versions.ts pins ${sha256 || "none"} (npm run refresh-crds)` };
    } catch (error) {
      return { pin, ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
  }));
}

export async function checkPins(fetcher: Fetcher = fetch): Promise<PinCheck[]> {
  const [chartChecks, imageChecks, fileChecks] = await Promise.all([
    checkCharts(Object.values(charts), fetcher),
    checkImages(platformImages(), imageDigests, fetcher),
    checkFiles(Object.values(chartCrdFiles).flat(), fetcher),
  ]);
  return [...chartChecks, ...imageChecks, ...fileChecks];
}

/** The report and the exit status: 1 when any pin failed. */
export function pinReport(checks: PinCheck[]): { code: number; text: string } {
  const failed = checks.filter((check) => !check.ok);
  const lines = checks.map((check) => `${check.ok ? "ok     " : "FAILED "} ${check.pin}: ${check.detail}`);
  lines.push(failed.length ? `${failed.length} of ${checks.length} pins could not be confirmed` : `all ${checks.length} pins confirmed`);
  return { code: failed.length ? 1 : 0, text: `${lines.join("\n")}\n` };
}

if (require.main === module) {
  checkPins().then((checks) => {
    const { code, text } = pinReport(checks);
    process.stdout.write(text);
    process.exit(code);
  }, (error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
