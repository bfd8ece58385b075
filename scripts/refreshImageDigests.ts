/**
 * Pins the digest of every image the program names itself (versions.ts, platformImages) from its registry:
 *
 *   npm run refresh-digests           # needs HTTPS to the registries (ghcr.io, Docker Hub, registry.k8s.io, cr.fluentbit.io)
 *
 * For each `repository:tag` it asks the registry (OCI distribution API: HEAD /v2/<name>/manifests/<tag>, with an
 * anonymous pull token where the registry asks for one) for the digest of the tag's manifest or index, rewrites
 * versions.ts's `imageDigests`, and makes the policy pack's platform-images-pinned-by-digest rule mandatory in prod
 * (policy/config.prod.json) once every image has one. Review the diff: a digest that changed means the tag moved.
 */
import * as fs from "fs";
import * as path from "path";
import { platformImages } from "../versions";

/** Registry host, repository and tag of a reference, as `docker pull` reads it (Docker Hub by default). */
export function parseReference(image: string): { host: string; repository: string; tag: string } {
  const at = image.lastIndexOf(":");
  const [name, tag] = at > image.lastIndexOf("/") ? [image.slice(0, at), image.slice(at + 1)] : [image, "latest"];
  const [first, ...rest] = name.split("/");
  const hasRegistry = rest.length > 0 && (first.includes(".") || first.includes(":") || first === "localhost");
  const registry = hasRegistry ? first : "docker.io";
  let repository = hasRegistry ? rest.join("/") : name;
  if (registry === "docker.io" && !repository.includes("/")) repository = `library/${repository}`;
  return { host: registry === "docker.io" ? "registry-1.docker.io" : registry, repository, tag };
}

/** The parameters of a `WWW-Authenticate: Bearer realm="...",service="...",scope="..."` challenge. */
export function parseChallenge(header: string): Record<string, string> {
  return Object.fromEntries([...header.replace(/^Bearer\s+/i, "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

const ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/** The digest the registry gives for the image's tag (of its multi-platform index, when it has one). */
export async function manifestDigest(image: string, fetcher: typeof fetch = fetch): Promise<string> {
  const { host, repository, tag } = parseReference(image);
  const url = `https://${host}/v2/${repository}/manifests/${tag}`;
  let response = await fetcher(url, { method: "HEAD", headers: { Accept: ACCEPT } });
  const challenge = response.headers.get("www-authenticate");
  if (response.status === 401 && challenge?.toLowerCase().startsWith("bearer")) {
    const { realm, service } = parseChallenge(challenge);
    const tokenUrl = `${realm}?${new URLSearchParams({ ...(service ? { service } : {}), scope: `repository:${repository}:pull` })}`;
    const tokenResponse = await fetcher(tokenUrl);
    if (!tokenResponse.ok) throw new Error(`${image}: token from ${realm}: HTTP ${tokenResponse.status}`);
    const body = await tokenResponse.json() as { token?: string; access_token?: string };
    response = await fetcher(url, { method: "HEAD", headers: { Accept: ACCEPT, Authorization: `Bearer ${body.token ?? body.access_token}` } });
  }
  if (!response.ok) throw new Error(`${image}: ${url}: HTTP ${response.status}`);
  const digest = response.headers.get("docker-content-digest") ?? "";
  if (!/^sha256:[a-f0-9]{64}$/.test(digest)) throw new Error(`${image}: the registry gave no sha256 digest (Docker-Content-Digest: ${JSON.stringify(digest)})`);
  return digest;
}

/** versions.ts with `imageDigests` holding exactly `digests`, sorted. */
export function rewriteImageDigests(source: string, digests: Record<string, string>): string {
  const entries = Object.keys(digests).sort().map((image) => `  ${JSON.stringify(image)}: ${JSON.stringify(digests[image])},\n`).join("");
  return source.replace(/(export const imageDigests: Record<string, string> = \{\n)(?:.*\n)*?(\};)/, `$1${entries}$2`);
}

async function main(): Promise<void> {
  const digests: Record<string, string> = {};
  for (const image of platformImages()) digests[image] = await manifestDigest(image);
  const root = path.join(__dirname, "..");
  const versions = path.join(root, "versions.ts");
  fs.writeFileSync(versions, rewriteImageDigests(fs.readFileSync(versions, "utf8"), digests));
  const prodConfig = path.join(root, "policy", "config.prod.json");
  const config = JSON.parse(fs.readFileSync(prodConfig, "utf8"));
  config["platform-images-pinned-by-digest"] = "mandatory";
  fs.writeFileSync(prodConfig, `${JSON.stringify(config, null, 2)}\n`);
  process.stdout.write(`pinned ${Object.keys(digests).length} images; platform-images-pinned-by-digest is mandatory in prod\n`);
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
