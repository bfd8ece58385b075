/**
 * The pipelines namespace's bounds. A ResourceQuota cannot single out one pipeline (quota scopes select no
 * labels) and refuses pods rather than queueing them, so fairness comes from each pipeline's own bounds
 * (Forbid, parallelism, deadlines); the quota caps the total, sized from the declared pipelines' concurrent peak
 * with headroom, so that it refuses only what no declared pipeline should start.
 */
import { bytes, MI, QUOTA_HEADROOM, type Footprint, type QuotaOverrides } from "../../../config/footprint";

/** What a container without resources gets in the namespace (LimitRange), so the quota never refuses it for that. */
export const CONTAINER_DEFAULTS = { defaultRequest: { cpu: "50m", memory: "64Mi" }, default: { memory: "256Mi" } };

export interface QuotaHard {
  "requests.cpu": string;
  "requests.memory": string;
  "limits.memory": string;
  pods: string;
}

const roundUp = (value: number, step: number) => Math.ceil(value / step) * step;

/**
 * The quota: the peak with headroom (cpu in 100m steps, memory in 256Mi steps), each overridable. Memory limits
 * follow the declared limits, and never fall below an overridden memory request total.
 */
export function pipelineQuota(peak: Footprint, overrides: QuotaOverrides = {}): QuotaHard {
  const memoryLimitMi = roundUp((peak.memoryLimitBytes * QUOTA_HEADROOM) / MI, 256);
  const overriddenMemoryMi = overrides.memory ? Math.ceil(bytes(overrides.memory) / MI) : 0;
  return {
    "requests.cpu": overrides.cpu ?? `${roundUp(peak.cpuMillis * QUOTA_HEADROOM, 100)}m`,
    "requests.memory": overrides.memory ?? `${roundUp((peak.memoryBytes * QUOTA_HEADROOM) / MI, 256)}Mi`,
    "limits.memory": `${Math.max(memoryLimitMi, overriddenMemoryMi)}Mi`,
    pods: String(overrides.pods ?? Math.ceil(peak.pods * QUOTA_HEADROOM)),
  };
}
