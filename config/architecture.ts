/**
 * The rules of `architecture` (node pools) and `imageArchitectures` (pipelines): a Graviton (arm64) pool runs only
 * what is built for arm64. Its instance types must be arm64 ones, every image the platform runs must be published
 * for arm64 (versions.ts imageArchitectures: DaemonSets run on every node, and any add-on may be scheduled on any
 * node of its pool), and a pipeline must have a batch pool of its capacity type in one of its image's
 * architectures (its pods are kept off the others: lib/placement.ts).
 */
import type { PlatformConfig } from "./schema";
import { instanceShape } from "../lib/instanceTypes";
import { nodePoolsWithPaths } from "./nodePoolPaths";
import { imagesWithout } from "../versions";

type Path = (string | number)[];
type Report = (path: Path, message: string) => void;

/** Graviton generations Karpenter can launch among our categories (c, m, r): 6, 7 and 8. */
const GRAVITON_GENERATIONS = [6, 7, 8];

export function checkArchitectures(cfg: PlatformConfig, report: Report): void {
  if (cfg.target !== "aws") return;
  const { nodePools } = cfg;
  const pools = nodePoolsWithPaths(nodePools);
  for (const [path, pool] of pools) {
    pool.instanceTypes.forEach((type, i) => {
      const shape = instanceShape(type);
      // An unknown type is the instance type rule's problem (config/rules.ts).
      if (shape && shape.architecture !== pool.architecture) {
        report([...path, "instanceTypes", i], `expected an ${pool.architecture} instance type (the pool's architecture), got "${type}" (${shape.architecture})${pool.architecture === "arm64" ? ": Graviton types are the g families, e.g. m7g.large" : ""}`);
      }
    });
    const generations = "instanceGenerations" in pool ? pool.instanceGenerations : undefined;
    if (pool.architecture === "arm64" && generations && !generations.some((generation) => GRAVITON_GENERATIONS.includes(generation))) {
      report([...path, "instanceGenerations"], `expected a Graviton generation (${GRAVITON_GENERATIONS.join(", ")}) on an arm64 pool, got ${generations.join(", ")}`);
    }
  }
  const arm64Pools = pools.filter(([, pool]) => pool.architecture === "arm64");
  const missing = arm64Pools.length ? imagesWithout("arm64") : [];
  for (const [path] of arm64Pools) {
    if (missing.length) report([...path, "architecture"], `expected amd64 while the platform runs images not known to be built for arm64 (versions.ts imageArchitectures): ${missing.join(", ")}`);
  }
  cfg.pipelines.forEach((pipeline, i) => {
    const sameCapacity = nodePools.batch.filter((pool) => pool.capacityType === pipeline.placement);
    // No pool of the capacity type at all is the placement rule's problem.
    if (sameCapacity.length && !sameCapacity.some((pool) => pipeline.imageArchitectures.includes(pool.architecture))) {
      // Pools of both architectures would meet any list: here every pool of the capacity type has the same one.
      report(["pipelines", i, "imageArchitectures"], `expected an architecture of a ${pipeline.placement} batch pool (${sameCapacity[0].architecture}): the image's pods run only on pools of its architectures, got ${pipeline.imageArchitectures.join(", ")}`);
    }
  });
}
