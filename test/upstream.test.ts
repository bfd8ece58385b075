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
