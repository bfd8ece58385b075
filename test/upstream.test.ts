import { coreObjectProblems, customResourceProblems, unknownValuesKeys } from "./upstream";

describe("Helm values check against the upstream chart", () => {
  it("accepts keys the chart has, and free-form maps below empty defaults", () => {
    expect(unknownValuesKeys("cluster-autoscaler-9.59.0", {
      autoDiscovery: { clusterName: "etl" },
      podAnnotations: { "anything/goes": "here" },
      extraArgs: { "balance-similar-node-groups": true },
    }, ["extraArgs"])).toEqual([]);
  });

  it("names a misspelt key, however deep", () => {
    expect(unknownValuesKeys("cluster-autoscaler-9.59.0", { autoDiscovery: { clustername: "etl" }, rbac: { serviceAcount: {} } })).toEqual([
      "autoDiscovery.clustername: not a key of cluster-autoscaler-9.59.0/values.yaml",
      "rbac.serviceAcount: not a key of cluster-autoscaler-9.59.0/values.yaml",
    ]);
  });

  it("refuses keys under a map the chart does not document as free-form", () => {
    expect(unknownValuesKeys("cluster-autoscaler-9.59.0", { extraArgs: { anything: 1 } })).toEqual([
      "extraArgs.anything: not a key of cluster-autoscaler-9.59.0/values.yaml",
    ]);
  });
});

describe("custom resource check against the upstream CRD", () => {
  const topic = { apiVersion: "kafka.strimzi.io/v1", kind: "KafkaTopic", metadata: { name: "orders", labels: { "strimzi.io/cluster": "etl" } }, spec: { partitions: 3, replicas: 3, config: { "retention.ms": 3600000 } } };

  it("accepts a valid resource", () => {
    expect(customResourceProblems(topic)).toEqual([]);
  });

  it("names a misspelt field that the API server would silently prune", () => {
    expect(customResourceProblems({ ...topic, spec: { partitions: 3, replica: 3 } })).toEqual([expect.stringContaining("replica")]);
  });

  it("names a field of the wrong type", () => {
    expect(customResourceProblems({ ...topic, spec: { partitions: "three" } }).join("\n")).toMatch(/\/spec\/partitions must be integer/);
  });

  it("throws for a kind no fixture has, rather than passing it", () => {
    expect(() => customResourceProblems({ apiVersion: "example.com/v1", kind: "Nothing" })).toThrow(/no upstream CRD fixture/);
  });
});

describe("core object check against the Kubernetes API schema", () => {
  const storageClass = { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: "gp3" }, provisioner: "ebs.csi.aws.com", volumeBindingMode: "WaitForFirstConsumer" };

  it("accepts a valid object", () => {
    expect(coreObjectProblems(storageClass)).toEqual([]);
  });

  it("rejects a field of the wrong type", () => {
    expect(coreObjectProblems({ ...storageClass, allowVolumeExpansion: "yes" }).join("\n")).toMatch(/allowVolumeExpansion must be boolean/);
  });
});

describe("CRD files applied at deploy", () => {
  const { createHash } = require("crypto") as typeof import("crypto");
  const text = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n";
  const sha256 = createHash("sha256").update(text).digest("hex");
  // Node's fetch (undici) reads data: URLs, so the check runs on real bytes without a network.
  const url = `data:text/plain;base64,${Buffer.from(text).toString("base64")}`;

  it("are returned only when their bytes hash to the pinned sha256", async () => {
    const { ChecksumError, fetchVerified } = require("../lib/pinnedFiles") as typeof import("../lib/pinnedFiles");
    await expect(fetchVerified({ url, sha256 })).resolves.toBe(text);
    await expect(fetchVerified({ url, sha256: "0".repeat(64) })).rejects.toThrow(ChecksumError);
    await expect(fetchVerified({ url, sha256: "0".repeat(64) })).rejects.toThrow(`sha256 ${sha256}, expected ${"0".repeat(64)}`);
    const notFound = (async () => new Response("nope", { status: 404, statusText: "Not Found" })) as typeof fetch;
    await expect(fetchVerified({ url: "https://example.invalid/x.yaml", sha256 }, notFound)).rejects.toThrow("https://example.invalid/x.yaml: HTTP 404 Not Found");
  });

  it("reach the provider as the checked text under the engine, and as file names in the offline plan", async () => {
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const { setOfflineRun } = require("../lib/pinnedFiles") as typeof import("../lib/pinnedFiles");
    const { crdConfigGroup } = require("../components/platform/crdFiles") as typeof import("../components/platform/crdFiles");
    const inputs: Record<string, any> = {};
    await pulumi.runtime.setMocks({
      newResource: (args) => {
        inputs[args.name] = args.inputs;
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: () => ({}),
    }, "etl-platform", "test", false);
    try {
      // A resource's URN resolves once the engine has registered it, its inputs resolved.
      const registered = (resource: import("@pulumi/pulumi").Resource) => new Promise((resolve) => resource.urn.apply(resolve));
      setOfflineRun(false);
      const engine = crdConfigGroup("engine", [{ url, sha256 }, { url, sha256 }], {});
      setOfflineRun(true);
      const offline = crdConfigGroup("offline", [{ url, sha256 }], {});
      await Promise.all([registered(engine), registered(offline)]);
    } finally {
      setOfflineRun(true);
    }
    expect(inputs.engine).toEqual({ yaml: `${text}\n---\n${text}` });
    expect(inputs.offline).toEqual({ files: [url] });
  });
});

describe("npm run refresh-crds", () => {
  it("rewrites a file's pinned sha256 and adds a new file's, leaving the rest of versions.ts as it was", () => {
    const fs = require("fs") as typeof import("fs");
    const path = require("path") as typeof import("path");
    const { rewriteCrdHashes } = require("../scripts/refreshCrdHashes") as typeof import("../scripts/refreshCrdHashes");
    const source = fs.readFileSync(path.join(__dirname, "..", "versions.ts"), "utf8");
    const after = rewriteCrdHashes(source, { "040-Crd-kafka.yaml": "a".repeat(64), "050-Crd-new.yaml": "b".repeat(64) });
    expect(after).toContain(`"040-Crd-kafka.yaml": "${"a".repeat(64)}",`);
    expect(after).toContain(`  "050-Crd-new.yaml": "${"b".repeat(64)}",\n};`);
    expect(after.replace(`"${"a".repeat(64)}"`, "X").replace(`  "050-Crd-new.yaml": "${"b".repeat(64)}",\n`, ""))
      .toBe(source.replace(/"040-Crd-kafka.yaml": "[0-9a-f]{64}"/, '"040-Crd-kafka.yaml": X'));
  });
});
