/** Karpenter variants of the default stacks: the same stack files with `autoscaler.engine: karpenter`. */
import { stackSettings, withConfig } from "./harness";
import type { StackSettings } from "../plan/stackFile";

/** The fixed system and stateful groups Karpenter needs (min = desired = max), each stack's own sizes. */
const FIXED_POOLS: Record<string, Record<string, unknown>> = {
  staging: {
    system: { instanceTypes: ["t3.large"], minSize: 2, desiredSize: 2, maxSize: 2, diskSizeGiB: 30 },
    stateful: { instanceTypes: ["r6i.large"], minSize: 1, desiredSize: 1, maxSize: 1, diskSizeGiB: 30 },
  },
  prod: {
    system: { instanceTypes: ["m6i.large"], minSize: 3, desiredSize: 3, maxSize: 3, diskSizeGiB: 50 },
    stateful: { instanceTypes: ["r6i.xlarge"], minSize: 1, desiredSize: 1, maxSize: 1, diskSizeGiB: 50 },
  },
};

export function karpenterStack(stack: "staging" | "prod", autoscaler: Record<string, unknown> = {}): StackSettings {
  return withConfig(stackSettings(stack), {
    autoscaler: { engine: "karpenter", ...autoscaler },
    nodePools: FIXED_POOLS[stack],
  });
}
