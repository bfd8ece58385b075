/**
 * Graviton (`architecture: arm64`): the images recorded as multi-arch, the refusals, the nodes' AMI type and
 * Karpenter requirement, pipelines kept to the pools their image runs on, and what a switch of the system and
 * stateful pools would save.
 */
import { configProblems, plan, type Plan } from "./harness";
import { gravitonNote, gravitonSwitches } from "../cost/graviton";
import { allowedTypes } from "../cost/karpenterPools";
import { refreshTypeLists } from "../cost/feedSnapshot";
import type { PricedNodeGroup } from "../cost/nodes";
import type { RegionPrices } from "../cost/prices";
import { poolRequirements } from "../components/aws/karpenter/nodeClasses";
import { AMI_TYPES } from "../components/aws/nodePools";
import { KNOWN_INSTANCE_TYPES } from "../lib/instanceTypes";
import { clusterImages, imageArchitectures, imagesWithout } from "../versions";

import { GRAVITON_SPOT, variants, X86_SPOT } from "./variants";

describe("the platform's images", () => {
  it("each has a record of its architectures citing the project's build configuration at a tag or commit, and no record is stale", () => {
    expect(Object.keys(imageArchitectures).sort()).toEqual(clusterImages());
    for (const [image, { architectures, source }] of Object.entries(imageArchitectures)) {
      expect([image, architectures.includes("amd64")]).toEqual([image, true]);
      expect([image, source]).toEqual([image, expect.stringMatching(/^[\w.-]+\/[\w.-]+ \S+.* (at (v?[\d.]+|cluster-autoscaler-[\d.]+)|\(.*(commit|at v)[^)]*\))/)]);
    }
    expect(imagesWithout("arm64")).toEqual([]);
  });

  it("refuses an arm64 pool while one of them is not known to be built for arm64, naming it", () => {
    const image = "docker.io/grafana/grafana:13.2.0";
    const recorded = imageArchitectures[image];
    try {
      imageArchitectures[image] = { ...recorded, architectures: ["amd64"] };
      expect(configProblems({ environment: "staging", nodePools: { system: { instanceTypes: ["m7g.large"], architecture: "arm64" } } }))
        .toEqual([`etl-platform:nodePools.system.architecture: expected amd64 while the platform runs images not known to be built for arm64 (versions.ts imageArchitectures): ${image}`]);
      delete imageArchitectures[image];
      const other = "quay.io/strimzi/kafka:1.2.0-kafka-4.3.1";
      const kafka = imageArchitectures[other];
      imageArchitectures[other] = { ...kafka, architectures: ["amd64"] };
      try {
        expect(configProblems({ environment: "staging", nodePools: { stateful: { instanceTypes: ["r7g.large"], architecture: "arm64" } } }))
          .toEqual([`etl-platform:nodePools.stateful.architecture: expected amd64 while the platform runs images not known to be built for arm64 (versions.ts imageArchitectures): ${image}, ${other}`]);
      } finally {
        imageArchitectures[other] = kafka;
      }
      expect(configProblems({ environment: "staging", nodePools: { stateful: { instanceTypes: ["r6i.large"] } } })).toEqual([]);
    } finally {
      imageArchitectures[image] = recorded;
    }
  });

  it("refuses an arm64 Karpenter pool limited to generations Graviton does not have", () => {
    const batch = [{ name: "batch", capacityType: "spot", architecture: "arm64", instanceTypes: GRAVITON_SPOT, instanceCategories: ["m"], instanceGenerations: [5], minSize: 0, desiredSize: 0, maxSize: 4, diskSizeGiB: 50 }];
    const system = { instanceTypes: ["m6i.large"], minSize: 2, desiredSize: 2, maxSize: 2, diskSizeGiB: 30 };
    const stateful = { instanceTypes: ["r6i.large"], minSize: 1, desiredSize: 1, maxSize: 1, diskSizeGiB: 30 };
    const problems = (generations: number[]) => configProblems({ environment: "staging", autoscaler: { engine: "karpenter" }, nodePools: { system, stateful, batch: [{ ...batch[0], instanceGenerations: generations }] }, pipelines: [] });
    expect(problems([5])).toEqual(["etl-platform:nodePools.batch[0].instanceGenerations: expected a Graviton generation (6, 7, 8) on an arm64 pool, got 5"]);
    expect(problems([5, 6])).toEqual([]);
    // An x86 pool may keep the fifth generation (m5).
    expect(configProblems({ environment: "staging", autoscaler: { engine: "karpenter" }, nodePools: { system, stateful, batch: [{ ...batch[0], architecture: "amd64", instanceTypes: X86_SPOT }] }, pipelines: [] })).toEqual([]);
  });
});

describe("a staging stack with a Graviton system pool and a Graviton spot pool beside the x86 one", () => {
  let result: Plan;
  const settings = variants.stagingGraviton();
  beforeAll(async () => {
    result = await plan("staging", settings);
  }, 120_000);

  /** Every node affinity requirement in a resource's inputs, as "key In values". */
  const requirements = (inputs: unknown): string[] => {
    const found: string[] = [];
    const walk = (value: any) => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === "object") {
        if (Array.isArray(value.nodeSelectorTerms)) for (const term of value.nodeSelectorTerms) for (const e of term.matchExpressions ?? []) found.push(`${e.key} ${e.operator} ${e.values.join(",")}`);
        else Object.values(value).forEach(walk);
      }
    };
    walk(inputs);
    return found;
  };
  const byName = (type: string, name: string) => result.ofType(type).find((resource) => resource.inputs.metadata?.name === name)!;

  it("boots each node group on the AMI of its architecture (EKS CreateNodegroup amiType)", () => {
    const amiOf = (types: string[]) => result.ofType("aws:eks/nodeGroup:NodeGroup").filter((group) => JSON.stringify(group.inputs.instanceTypes) === JSON.stringify(types)).map((group) => group.inputs.amiType);
    expect(amiOf(["t4g.large"])).toEqual([AMI_TYPES.arm64]);
    expect(amiOf(GRAVITON_SPOT)).toEqual(["AL2023_ARM_64_STANDARD"]);
    expect(amiOf(X86_SPOT)).toEqual(["AL2023_x86_64_STANDARD"]);
    expect(amiOf(["r6i.large"])).toEqual(["AL2023_x86_64_STANDARD"]);
  });

  it("keeps an amd64-only pipeline off the Graviton spot pool, and lets a multi-arch one use either", () => {
    expect(requirements(byName("kubernetes:batch/v1:CronJob", "orders-kafka-to-postgres").inputs)).toEqual(["etl-platform/capacity In spot", "kubernetes.io/arch In amd64"]);
    expect(requirements(byName("kubernetes:apps/v1:Deployment", "orders-enrich").inputs)).toEqual(["etl-platform/capacity In spot", "kubernetes.io/arch In amd64"]);
    expect(requirements(byName("kubernetes:argoproj.io/v1alpha1:CronWorkflow", "orders-daily-report").inputs)).toEqual(["etl-platform/capacity In spot"]);
  });

  it("changes nothing for pipelines on the default stack, whose pools are all amd64", async () => {
    const plain = await plan("staging");
    const cronJob = plain.ofType("kubernetes:batch/v1:CronJob").find((resource) => resource.inputs.metadata?.name === "orders-kafka-to-postgres")!;
    expect(requirements(cronJob.inputs)).toEqual(["etl-platform/capacity In spot"]);
  });
});

describe("Karpenter on Graviton", () => {
  const pool = { name: "batch", capacityType: "spot" as const, instanceTypes: GRAVITON_SPOT, minSize: 0, desiredSize: 0, maxSize: 4, diskSizeGiB: 50 };

  it("asks for the pool's architecture (kubernetes.io/arch, a well-known label Karpenter's requirements take)", () => {
    expect(poolRequirements({ ...pool, architecture: "arm64" }).find((r) => r.key === "kubernetes.io/arch")!.values).toEqual(["arm64"]);
    expect(poolRequirements({ ...pool, architecture: "amd64", instanceTypes: X86_SPOT }).find((r) => r.key === "kubernetes.io/arch")!.values).toEqual(["amd64"]);
  });

  it("prices a NodePool only with the types of its architecture", () => {
    const region = { onDemand: { "m6i.xlarge": 0.2, "m6g.xlarge": 0.16, "m7g.xlarge": 0.17 } } as unknown as RegionPrices;
    const category = (arch: string) => [{ key: "karpenter.k8s.aws/instance-category", operator: "In", values: ["m"] }, { key: "kubernetes.io/arch", operator: "In", values: [arch] }];
    expect(allowedTypes(category("arm64"), region)).toEqual(["m6g.xlarge", "m7g.xlarge"]);
    expect(allowedTypes(category("amd64"), region)).toEqual(["m6i.xlarge"]);
  });
});

describe("what Graviton would save", () => {
  const group = (pool: string, type: string, desiredSize: number, batch = false): PricedNodeGroup => ({ name: `etl-${pool}`, pool, capacityType: "ON_DEMAND", batch, instanceTypes: [type], minSize: 1, desiredSize, maxSize: 4, diskGiB: 30, onDemandHour: 0, nodeHour: 0 });
  const region = (prices: Record<string, number>) => ({ onDemand: prices } as unknown as RegionPrices);
  // Prod's stateful pool: one group per zone, each at its own desiredSize.
  const groups = [group("system", "m6i.large", 3), ...[0, 1, 2].map(() => group("stateful", "r6i.xlarge", 1)), group("batch", "m6i.xlarge", 0, true)];

  it("prices each x86 pool against the Graviton type of its category and size, at its nodes at deploy", () => {
    const prices = { "m6i.large": 0.107, "m6g.large": 0.086, "r6i.xlarge": 0.282, "r6g.xlarge": 0.2256 };
    expect(gravitonSwitches(groups, region(prices))).toEqual([
      { pool: "system", from: "m6i.large", to: "m6g.large", nodes: 3, monthlySaving: 45.99, unpriced: [] },
      { pool: "stateful", from: "r6i.xlarge", to: "r6g.xlarge", nodes: 3, monthlySaving: 123.52, unpriced: [] },
    ]);
    // A changed price changes the saving.
    expect(gravitonSwitches(groups, region({ ...prices, "m6g.large": 0.1 }))[0].monthlySaving).toBe(15.33);
    expect(gravitonNote(gravitonSwitches(groups, region({ ...prices, "m6g.large": 0.2, "r6g.xlarge": 0.282 })), "us-east-1"))
      .toEqual(["Graviton (architecture: arm64) at deploy: system 3 × m6i.large → m6g.large: costs $203.67 a month more; stateful 3 × r6i.xlarge → r6g.xlarge: saves $0.00 a month."]);
  });

  it("says which prices the snapshot lacks instead of guessing, and leaves Graviton pools out", () => {
    const switches = gravitonSwitches([group("system", "t4g.large", 2), group("stateful", "r6i.large", 1)], region({ "r6i.large": 0.141 }));
    expect(switches).toEqual([{ pool: "stateful", from: "r6i.large", to: "r6g.large", nodes: 1, monthlySaving: null, unpriced: ["r6g.large"] }]);
    expect(gravitonNote(switches, "eu-west-1")).toEqual(["Graviton (architecture: arm64) at deploy: stateful 1 × r6i.large → r6g.large: not priced. The price snapshot has no on-demand price for r6g.large in eu-west-1: npm run refresh-prices adds the Graviton types from AWS's Price List."]);
    expect(gravitonNote([], "eu-west-1")).toEqual([]);
    const neither = gravitonSwitches([group("system", "m7i.large", 2)], region({}));
    expect(gravitonNote(neither, "eu-west-1")[0]).toContain("system 2 × m7i.large → m7g.large: not priced. The price snapshot has no on-demand price for m7i.large, m7g.large in eu-west-1:");
    // No system or stateful group at all (a plan without them), or one of a type the platform does not know.
    expect(gravitonSwitches([group("batch", "m6i.xlarge", 0, true), group("system", "x9.large", 1)], region({}))).toEqual([]);
  });

  it("has the refresh price every type the snapshot prices everywhere, and add the others (Graviton) where AWS prices them", () => {
    const lists = refreshTypeLists({ a: { onDemand: { "m6i.large": 1, "m6g.large": 1 } }, b: { onDemand: { "m6i.large": 1 } } });
    expect(lists.required).toEqual(["m6i.large"]);
    expect(lists.optional).toContain("m6g.large");
    expect(lists.optional.length).toBe(KNOWN_INSTANCE_TYPES.length - 1);
  });
});
