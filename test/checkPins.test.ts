/**
 * `npm run check-pins` (scripts/checkPins.ts) against a fake network: chart versions read from a Helm repository
 * index, image tags through the registry's anonymous token flow, CRD files by sha256, and the exit status. The
 * real run needs the network; the pull-request workflow runs it.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { checkCharts, checkFiles, checkImages, indexedVersions, pinReport } from "../scripts/checkPins";
import { charts, chartCrdFiles, platformImages } from "../versions";

/** A fetch that answers from a table of URL -> response, and records each URL it was asked for. */
function fakeNetwork(table: Record<string, () => Response>) {
  const asked: string[] = [];
  const fetcher = (async (input: string | URL | Request) => {
    const url = String(input);
    asked.push(url);
    const answer = table[url];
    if (!answer) throw new TypeError(`fetch failed (${url})`);
    return answer();
  }) as typeof fetch;
  return { fetcher, asked };
}

// Helm's repository index format (helm/helm pkg/repo/index.go: `entries` maps a chart name to its versions, newest first).
const INDEX = `apiVersion: v1
entries:
  cert-manager:
    - version: v1.21.1
    - version: v1.21.0
  plugin-barman-cloud:
    - version: 0.8.0
  cloudnative-pg:
    - version: 0.29.0
`;

describe("chart versions", () => {
  it("reads the versions an index lists for a chart", () => {
    expect(indexedVersions(INDEX, "cert-manager")).toEqual(["v1.21.1", "v1.21.0"]);
    expect(indexedVersions(INDEX, "nothing")).toEqual([]);
    expect(indexedVersions("", "cert-manager")).toEqual([]);
  });

  it("confirms a listed version, names what the index has instead, and reads a shared index once", async () => {
    const { fetcher, asked } = fakeNetwork({
      "https://charts.example.io/index.yaml": () => new Response(INDEX),
      "https://broken.example.io/index.yaml": () => new Response("", { status: 404 }),
    });
    const checks = await checkCharts([
      { chart: "cert-manager", version: "v1.21.2", repository: "https://charts.example.io/" },
      { chart: "cloudnative-pg", version: "0.29.0", repository: "https://charts.example.io" },
      { chart: "seaweedfs", version: "4.44.0", repository: "https://charts.example.io" },
      { chart: "reflector", version: "9.1.34", repository: "https://broken.example.io" },
      { chart: "keda", version: "2.20.2", repository: "https://offline.example.io" },
    ], fetcher);
    expect(checks).toEqual([
      { pin: "chart cert-manager v1.21.2", ok: false, detail: "not in https://charts.example.io/index.yaml (it lists v1.21.1, v1.21.0)" },
      { pin: "chart cloudnative-pg 0.29.0", ok: true, detail: "listed in https://charts.example.io/index.yaml" },
      { pin: "chart seaweedfs 4.44.0", ok: false, detail: "not in https://charts.example.io/index.yaml (no chart seaweedfs there)" },
      { pin: "chart reflector 9.1.34", ok: false, detail: "cannot read the index: https://broken.example.io/index.yaml: HTTP 404" },
      { pin: "chart keda 2.20.2", ok: false, detail: "cannot read the index: fetch failed (https://offline.example.io/index.yaml)" },
    ]);
    expect(asked.filter((url) => url === "https://charts.example.io/index.yaml")).toHaveLength(1);
  });
});

describe("images", () => {
  const digest = `sha256:${"a".repeat(64)}`;
  // The OCI distribution API's anonymous pull: 401 with a Bearer challenge, a token from the realm, then the manifest.
  const registry = () => fakeNetwork({
    "https://ghcr.io/v2/acme/tool/manifests/1.0": () => new Response(null, { status: 401, headers: { "www-authenticate": 'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/tool:pull"' } }),
    "https://ghcr.io/token?service=ghcr.io&scope=repository%3Aacme%2Ftool%3Apull": () => Response.json({ token: "t" }),
    "https://ghcr.io/v2/acme/gone/manifests/1.0": () => new Response(null, { status: 404 }),
  });

  it("finds a tag's manifest through the token flow, and fails a missing tag or a moved digest", async () => {
    const { fetcher } = registry();
    const answered = fetcher;
    // The second HEAD, with the token, gets the digest.
    let authorised = 0;
    const withToken = (async (input: string | URL | Request, init?: RequestInit) => {
      if (String(input) === "https://ghcr.io/v2/acme/tool/manifests/1.0" && (init?.headers as Record<string, string>)?.Authorization === "Bearer t") {
        authorised++;
        return new Response(null, { status: 200, headers: { "docker-content-digest": digest } });
      }
      return answered(input, init);
    }) as typeof fetch;
    expect(await checkImages(["ghcr.io/acme/tool:1.0", "ghcr.io/acme/gone:1.0"], {}, withToken)).toEqual([
      { pin: "image ghcr.io/acme/tool:1.0", ok: true, detail: digest },
      { pin: "image ghcr.io/acme/gone:1.0", ok: false, detail: "ghcr.io/acme/gone:1.0: https://ghcr.io/v2/acme/gone/manifests/1.0: HTTP 404" },
    ]);
    expect(authorised).toBe(1);
    const moved = await checkImages(["ghcr.io/acme/tool:1.0"], { "ghcr.io/acme/tool:1.0": `sha256:${"b".repeat(64)}` }, withToken);
    expect(moved).toEqual([{ pin: "image ghcr.io/acme/tool:1.0", ok: false, detail: `the tag moved: the registry gives ${digest}, versions.ts pins sha256:${"b".repeat(64)} (npm run refresh-digests, then review)` }]);
  });
});

describe("OCI charts", () => {
  it("checks an OCI chart's version as a manifest of its registry, not an index.yaml", async () => {
    const digest = `sha256:${"c".repeat(64)}`;
    const asked: string[] = [];
    const fetcher = (async (input: string | URL | Request) => {
      asked.push(String(input));
      if (String(input) === "https://public.ecr.aws/v2/karpenter/karpenter/manifests/1.14.1") return new Response(null, { status: 200, headers: { "docker-content-digest": digest } });
      return new Response(null, { status: 404 });
    }) as typeof fetch;
    expect(await checkCharts([
      { chart: "karpenter", version: "1.14.1", repository: "oci://public.ecr.aws/karpenter" },
      { chart: "karpenter", version: "9.9.9", repository: "oci://public.ecr.aws/karpenter" },
    ], fetcher)).toEqual([
      { pin: "chart karpenter 1.14.1", ok: true, detail: `public.ecr.aws/karpenter/karpenter:1.14.1 ${digest}` },
      { pin: "chart karpenter 9.9.9", ok: false, detail: "no manifest for public.ecr.aws/karpenter/karpenter:9.9.9: public.ecr.aws/karpenter/karpenter:9.9.9: https://public.ecr.aws/v2/karpenter/karpenter/manifests/9.9.9: HTTP 404" },
    ]);
    expect(asked.some((url) => url.endsWith("index.yaml"))).toBe(false);
  });
});

describe("CRD files", () => {
  it("compares each file's sha256 with its pin", async () => {
    const body = "kind: CustomResourceDefinition\n";
    const sha = createHash("sha256").update(body).digest("hex");
    const { fetcher } = fakeNetwork({ "https://raw.example.io/a.yaml": () => new Response(body), "https://raw.example.io/b.yaml": () => new Response(body), "https://raw.example.io/c.yaml": () => new Response("", { status: 404 }) });
    expect(await checkFiles([{ url: "https://raw.example.io/a.yaml", sha256: sha }, { url: "https://raw.example.io/b.yaml", sha256: "" }, { url: "https://raw.example.io/c.yaml", sha256: sha }], fetcher)).toEqual([
      { pin: "file https://raw.example.io/a.yaml", ok: true, detail: `sha256 ${sha}` },
      { pin: "file https://raw.example.io/b.yaml", ok: false, detail: `sha256 ${sha}, versions.ts pins none (npm run refresh-crds)` },
      { pin: "file https://raw.example.io/c.yaml", ok: false, detail: "HTTP 404" },
    ]);
  });
});

describe("the report", () => {
  it("exits 1 when any pin fails, 0 when all are confirmed", () => {
    expect(pinReport([{ pin: "chart a 1", ok: true, detail: "listed" }])).toEqual({ code: 0, text: "ok      chart a 1: listed\nall 1 pins confirmed\n" });
    expect(pinReport([{ pin: "chart a 1", ok: true, detail: "listed" }, { pin: "chart b 2", ok: false, detail: "not listed" }]).code).toBe(1);
  });

  it("covers every pin of versions.ts: each chart, each image the program names, each CRD file", async () => {
    const { checkPins } = await import("../scripts/checkPins");
    const checks = await checkPins((async () => { throw new TypeError("offline"); }) as typeof fetch);
    expect(checks.filter((check) => check.pin.startsWith("chart ")).map((check) => check.pin)).toEqual(Object.values(charts).map(({ chart, version }) => `chart ${chart} ${version}`));
    expect(checks.filter((check) => check.pin.startsWith("image ")).map((check) => check.pin)).toEqual(platformImages().map((image) => `image ${image}`));
    expect(checks.filter((check) => check.pin.startsWith("file "))).toHaveLength(Object.values(chartCrdFiles).flat().length);
    expect(checks.every((check) => !check.ok)).toBe(true);
  });

  it("runs in the pull-request workflow, which has the network", () => {
    const workflow = parseYaml(fs.readFileSync(path.join(__dirname, "..", ".github", "workflows", "pull-request.yml"), "utf8"));
    expect(workflow.jobs.pins.steps.map((step: { run?: string }) => step.run).filter(Boolean)).toEqual(["npm ci", "npm run check-pins"]);
  });
});
