/**
 * The parts of the estimate around the node groups: how a plan is priced for a stack's settings (cost/planCost.ts:
 * its region, the config key named in a refusal) and what streaming consumers hold (cost/streaming.ts: their nodes
 * at KEDA's minReplicaCount, all month, and whether maxReplicaCount fits their pool's maxSize), and the node groups
 * read from the plan (cost/nodes.ts: sizes not set yet, root volumes from diskSize or the launch template).
 */
import { planCost } from "../cost/planCost";
import { PriceError } from "../cost/prices";
import { streamingConsumers, streamingLines, streamingNotes } from "../cost/streaming";
import { priceNodeGroups, type PricedNodeGroup } from "../cost/nodes";
import { priceSnapshot } from "../cost/prices";
import type { PlannedResource } from "../cost/plannedResource";
import { BATCH_TAINT_KEY, CAPACITY_LABEL, POOL_LABEL } from "../lib/placement";

const DAY = new Date("2026-11-25T12:00:00Z");
const resource = (type: string, name: string, inputs: Record<string, any>): PlannedResource => ({ type, name, inputs });
const nodeGroup = (pool: string, instanceTypes: string[], batch: boolean) => resource("aws:eks/nodeGroup:NodeGroup", `etl-nodes-${pool}`, {
  capacityType: "ON_DEMAND", instanceTypes, scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 2 },
  labels: { [POOL_LABEL]: pool }, taints: batch ? [{ key: BATCH_TAINT_KEY, value: "true", effect: "NO_SCHEDULE" }] : [],
});
const settings = (config: Record<string, unknown>) => ({ config: Object.fromEntries(Object.entries(config).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)])), secretKeys: [] });

describe("pricing a plan for a stack's settings", () => {
  const unpriced = "m6i.48xlarge";

  it("prices nothing of a plan without AWS resources, and needs aws:region for one with them", () => {
    expect(planCost([resource("kubernetes:core/v1:Namespace", "ns", {})], settings({}), DAY)).toBeNull();
    expect(() => planCost([nodeGroup("system", ["m6i.large"], false)], settings({}), DAY)).toThrow(new PriceError("aws:region: not set, so the plan cannot be priced; set it, or plan with --no-cost"));
    expect(() => planCost([nodeGroup("system", ["m6i.large"], false)], settings({ "aws:region": 5 }), DAY)).toThrow("aws:region: not set");
    expect(planCost([nodeGroup("system", ["m6i.large"], false)], settings({ "aws:region": "eu-west-1" }), DAY)?.region).toBe("eu-west-1");
  });

  it("names the config key of the pool whose type has no price: system, stateful, a batch pool by its index, or the default batch pool", () => {
    const refusal = (pool: string, batch: boolean, config: Record<string, unknown> = {}) => {
      try {
        planCost([nodeGroup(pool, [unpriced], batch)], settings({ "aws:region": "eu-west-1", ...config }), DAY);
      } catch (error) {
        return (error as Error).message.split(": no on-demand price")[0];
      }
      return undefined;
    };
    expect(refusal("system", false)).toBe("etl-platform:nodePools.system.instanceTypes");
    expect(refusal("stateful", false)).toBe("etl-platform:nodePools.stateful.instanceTypes");
    const batchPools = { "etl-platform:nodePools": { batch: [{ name: "batch" }, { name: "heavy" }] } };
    expect(refusal("heavy", true, batchPools)).toBe("etl-platform:nodePools.batch[1].instanceTypes");
    expect(refusal("batch", true, batchPools)).toBe("etl-platform:nodePools.batch[0].instanceTypes");
    expect(refusal("batch", true)).toBe('etl-platform:nodePools.batch (the default pool "batch").instanceTypes');
    // A stack file whose nodePools is not JSON (a plain string) has no batch list: the default pool's wording.
    expect(refusal("batch", true, { "etl-platform:nodePools": "none" })).toBe('etl-platform:nodePools.batch (the default pool "batch").instanceTypes');
  });
});

describe("streaming consumers", () => {
  const pool = (name: string, capacityType: "ON_DEMAND" | "SPOT", maxSize: number, batch = true): PricedNodeGroup => ({
    name, pool: name, capacityType, batch, instanceTypes: ["m6i.xlarge"], minSize: 0, desiredSize: 0, maxSize, diskGiB: 100, onDemandHour: 0.2, nodeHour: capacityType === "SPOT" ? 0.1 : 0.2,
  });
  const onDemand = pool("etl-nodes-batch-ondemand", "ON_DEMAND", 2);
  const spot = pool("etl-nodes-batch", "SPOT", 10);
  const system = pool("etl-nodes-system", "ON_DEMAND", 3, false);
  /** A consumer Deployment of `cpu` cores per pod on the given capacity, and its ScaledObject. */
  const consumer = (name: string, capacity: "spot" | "on-demand" | undefined, cpu: string, replicas: { min?: number; max?: number }, namespace = "pipelines") => [
    resource("kubernetes:apps/v1:Deployment", name, {
      metadata: { name, namespace },
      spec: { template: { spec: {
        ...(capacity ? { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: CAPACITY_LABEL, operator: "In", values: [capacity] }] }] } } } } : {}),
        containers: [{ name: "consumer", resources: { requests: { cpu, memory: "1Gi" } } }],
      } } },
    }),
    resource("kubernetes:keda.sh/v1alpha1:ScaledObject", name, { metadata: { name, namespace }, spec: { scaleTargetRef: { name }, ...(replicas.min === undefined ? {} : { minReplicaCount: replicas.min }), ...(replicas.max === undefined ? {} : { maxReplicaCount: replicas.max }) } }),
  ];

  it("runs each consumer on the batch pool of its capacity, spot when its affinity says nothing, and skips a Deployment without a ScaledObject", () => {
    const resources = [
      ...consumer("enrich", "on-demand", "1", { min: 2, max: 12 }),
      ...consumer("dedupe", "spot", "2", {}),
      ...consumer("plain", undefined, "1", { min: 0, max: 4 }),
      resource("kubernetes:apps/v1:Deployment", "web", { metadata: { name: "web", namespace: "pipelines" }, spec: {} }),
      // A ScaledObject of another namespace does not scale this one.
      ...consumer("elsewhere", "spot", "1", { min: 1 }, "other").slice(1),
      resource("kubernetes:apps/v1:Deployment", "elsewhere", { metadata: { name: "elsewhere", namespace: "pipelines" }, spec: {} }),
    ];
    const found = streamingConsumers(resources, [system, onDemand, spot]);
    expect(found.map(({ pipeline, minReplicas, maxReplicas, nodesAtMin, nodesAtMax, pool: { name } }) => [pipeline, minReplicas, maxReplicas, nodesAtMin, nodesAtMax, name])).toEqual([
      // m6i.xlarge: 4 vCPUs, 16 GiB. Two 1-core pods fit one node; twelve need three.
      ["enrich", 2, 12, 1, 3, "etl-nodes-batch-ondemand"],
      // KEDA's defaults: minReplicaCount 1, maxReplicaCount 100 (keda.sh ScaledObject spec).
      ["dedupe", 1, 100, 1, 50, "etl-nodes-batch"],
      ["plain", 0, 4, 0, 1, "etl-nodes-batch"],
    ]);
  });

  it("counts the nodes at minReplicas all month, at the pool's price, and none for a consumer scaled to zero", () => {
    const found = streamingConsumers([...consumer("enrich", "on-demand", "1", { min: 2, max: 12 }), ...consumer("dedupe", "spot", "2", { min: 3 }), ...consumer("idle", "spot", "1", { min: 0 })], [onDemand, spot]);
    expect(streamingLines(found).map((line) => [line.id, line.item, line.quantity, line.unit, line.unitPrice, line.basis, line.component])).toEqual([
      ["streaming/enrich", "enrich: 2 consumers (scaling.minReplicas) on 1 m6i.xlarge nodes of etl-nodes-batch-ondemand × 730 h (on-demand; it runs all month)", 730, "node-hour", 0.2, "running", "streaming"],
      ["streaming/dedupe", "dedupe: 3 consumers (scaling.minReplicas) on 2 m6i.xlarge nodes of etl-nodes-batch × 730 h (spot, high end; it runs all month)", 1460, "node-hour", 0.1, "running", "streaming"],
    ]);
  });

  it("says whether maxReplicas fits the pool's maxSize, and refuses a consumer with no batch pool of its capacity", () => {
    const found = streamingConsumers([...consumer("enrich", "on-demand", "1", { min: 2, max: 8 }), ...consumer("burst", "on-demand", "4", { min: 1, max: 3 })], [onDemand, spot]);
    expect(streamingNotes(found)).toEqual([
      "enrich: at scaling.maxReplicas (8) its consumers need 2 m6i.xlarge nodes of etl-nodes-batch-ondemand, within the ceiling (its maxSize 2).",
      "burst: at scaling.maxReplicas (3) its consumers need 3 m6i.xlarge nodes of etl-nodes-batch-ondemand, more than its maxSize 2: the last consumers would stay pending; raise the pool's maxSize or lower maxReplicas.",
    ]);
    // The system pool is on-demand but not a batch pool.
    expect(() => streamingConsumers(consumer("enrich", "on-demand", "1", { min: 1 }), [system, spot])).toThrow(new PriceError("etl-platform:pipelines (enrich): no on-demand batch pool to run it on"));
    expect(() => streamingConsumers(consumer("dedupe", "spot", "1", { min: 1 }), [onDemand])).toThrow("etl-platform:pipelines (dedupe): no spot batch pool to run it on");
  });
});

describe("node groups as the plan declares them", () => {
  const region = priceSnapshot().regions["eu-west-1"];
  const priced = (resources: PlannedResource[]) => priceNodeGroups(resources, { region, regionName: "eu-west-1", poolKey: (pool) => pool })
    .map(({ name, batch, minSize, desiredSize, maxSize, diskGiB }) => ({ name, batch, minSize, desiredSize, maxSize, diskGiB }));
  const group = (name: string, inputs: Record<string, unknown>) => resource("aws:eks/nodeGroup:NodeGroup", name, { instanceTypes: ["m6i.large"], ...inputs });
  const template = (name: string, inputs: Record<string, unknown>) => resource("aws:ec2/launchTemplate:LaunchTemplate", name, inputs);

  it("reads sizes that are not set yet as none (desired as the minimum), and a group without the batch taint as not a batch pool", () => {
    expect(priced([group("unsized", {}), group("no-desired", { scalingConfig: { minSize: 2, maxSize: 4 }, taints: [{ key: "other", value: "x", effect: "NO_SCHEDULE" }] })])).toEqual([
      { name: "unsized", batch: false, minSize: 0, desiredSize: 0, maxSize: 0, diskGiB: 20 },
      { name: "no-desired", batch: false, minSize: 2, desiredSize: 2, maxSize: 4, diskGiB: 20 },
    ]);
  });

  it("sizes the root volume from diskSize, else the group's launch template, else EKS's 20 GiB", () => {
    expect(priced([
      group("sized", { diskSize: 50 }),
      group("templated", {}), template("templated", { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: 80 } }] }),
      group("no-mappings", {}), template("no-mappings", {}),
      group("empty-mappings", {}), template("empty-mappings", { blockDeviceMappings: [] }),
      group("no-ebs", {}), template("no-ebs", { blockDeviceMappings: [{ deviceName: "/dev/xvda" }] }),
      group("unknown-size", {}), template("unknown-size", { blockDeviceMappings: [{ ebs: { volumeSize: "[unknown]" } }] }),
    ]).map(({ name, diskGiB }) => [name, diskGiB])).toEqual([["sized", 50], ["templated", 80], ["no-mappings", 20], ["empty-mappings", 20], ["no-ebs", 20], ["unknown-size", 20]]);
  });
});
