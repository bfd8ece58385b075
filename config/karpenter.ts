/**
 * The rules of `autoscaler.engine`: which keys each engine takes, and what Karpenter needs of the rest of the
 * config. Karpenter facts are from aws/karpenter-provider-aws at tag v1.14.1 (the pinned chart, versions.ts).
 */
import type { PlatformConfig } from "./schema";
import { podIdentityAgentVersions } from "../versions";
import { durationSeconds } from "../lib/duration";
import type { TargetProblem } from "./target";

type Path = (string | number)[];
type Report = (path: Path, message: string) => void;

/** Keys of `autoscaler` that only the cluster autoscaler reads (its flags). */
export const CLUSTER_AUTOSCALER_ONLY_KEYS = ["scaleDownUnneededTime", "maxNodeProvisionTime"];
/** Keys of a batch pool that only Karpenter reads (NodePool requirements). */
export const KARPENTER_ONLY_POOL_KEYS = ["instanceCategories", "instanceGenerations", "onDemandFallback"];

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Keys a stack file sets that its engine does not read, checked on the raw file (the defaults fill the cluster
 * autoscaler's flags in for every stack): Karpenter on target: kubernetes; the cluster autoscaler's flags with
 * Karpenter; Karpenter's settings and pool keys with the cluster autoscaler.
 */
export function engineKeyProblems(raw: Record<string, unknown>): TargetProblem[] {
  const autoscaler = isRecord(raw.autoscaler) ? raw.autoscaler : {};
  const engine = autoscaler.engine ?? "cluster-autoscaler";
  const problems: TargetProblem[] = [];
  if ((raw.target ?? "aws") !== "aws") {
    if (engine === "karpenter") problems.push({ path: ["autoscaler", "engine"], message: "expected nothing on target: kubernetes (Karpenter launches EC2 instances for an EKS cluster); remove it, or set target: aws" });
    return problems;
  }
  if (engine === "karpenter") {
    for (const key of CLUSTER_AUTOSCALER_ONLY_KEYS) {
      if (autoscaler[key] !== undefined) problems.push({ path: ["autoscaler", key], message: `expected nothing with engine karpenter (a cluster autoscaler flag; Karpenter's own settings are under autoscaler.karpenter)` });
    }
    return problems;
  }
  if (autoscaler.karpenter !== undefined) problems.push({ path: ["autoscaler", "karpenter"], message: `expected nothing with engine ${JSON.stringify(engine)} (Karpenter's settings); set autoscaler.engine: karpenter, or remove it` });
  const nodePools = isRecord(raw.nodePools) ? raw.nodePools : {};
  if (Array.isArray(nodePools.batch)) {
    nodePools.batch.forEach((pool, i) => {
      if (!isRecord(pool)) return;
      for (const key of KARPENTER_ONLY_POOL_KEYS) {
        if (pool[key] !== undefined) problems.push({ path: ["nodePools", "batch", i, key], message: `expected nothing with engine ${JSON.stringify(engine)} (Karpenter only: it picks instances per pod from requirements); set autoscaler.engine: karpenter, or remove it` });
      }
    });
  }
  return problems;
}

/** The longest deadline of the batch pipelines that run on pools of a capacity type (0 when none does). */
export function longestBatchDeadline(cfg: Pick<PlatformConfig, "pipelines">, capacityType: "spot" | "on-demand"): number {
  return Math.max(0, ...cfg.pipelines.flatMap((pipeline) => (pipeline.mode === "batch" && pipeline.placement === capacityType ? [pipeline.activeDeadlineSeconds] : [])));
}

/** What engine karpenter needs of the rest of the config (on the parsed config, defaults applied). */
export function checkKarpenter(cfg: PlatformConfig, report: Report): void {
  const { autoscaler, nodePools } = cfg;
  if (autoscaler.engine !== "karpenter") return;
  const settings = autoscaler.karpenter;
  if (!autoscaler.enabled) report(["autoscaler", "enabled"], "expected true with engine karpenter (nothing else adds batch nodes), got false");
  // Nothing scales the managed node groups under Karpenter: their size is desiredSize, and min and max must say so
  // (the cost estimate and the quotas read them as the group's floor and ceiling).
  for (const role of ["system", "stateful"] as const) {
    const pool = nodePools[role];
    for (const key of ["minSize", "maxSize"] as const) {
      if (pool[key] !== pool.desiredSize) {
        report(["nodePools", role, key], `expected ${pool.desiredSize} (desiredSize) with engine karpenter: Karpenter manages only the batch pools, so nothing scales this node group; got ${pool[key]}`);
      }
    }
  }
  // karpenter 1.14.1 values.yaml: `affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution` on
  // kubernetes.io/hostname, so every replica needs a node of its own, and they run on the system pool only.
  if (nodePools.system.desiredSize < settings.replicas) {
    report(["autoscaler", "karpenter", "replicas"], `expected at most ${nodePools.system.desiredSize} (nodePools.system.desiredSize: the chart's required pod anti-affinity puts each replica on its own system node), got ${settings.replicas}`);
  }
  // v1.14 concepts/disruption.md, "Expiration": expiry is forceful and waits for pods with karpenter.sh/do-not-disrupt
  // (which every batch pod carries) unless terminationGracePeriod bounds it; "TerminationGracePeriod": when it ends,
  // remaining pods are deleted, so it must outlast the longest run the node may hold.
  if (settings.expireAfter !== undefined && settings.terminationGracePeriod === undefined) {
    report(["autoscaler", "karpenter", "terminationGracePeriod"], `expected a duration with expireAfter ${settings.expireAfter} (without it an expiring node waits forever for the batch pods it may not disrupt), got nothing`);
  }
  if (settings.terminationGracePeriod !== undefined) {
    const longest = Math.max(...nodePools.batch.map((pool) => longestBatchDeadline(cfg, pool.capacityType)));
    if (durationSeconds(settings.terminationGracePeriod) < longest) {
      report(["autoscaler", "karpenter", "terminationGracePeriod"], `expected at least ${longest}s (the longest activeDeadlineSeconds of the pipelines on the batch pools: a shorter grace period deletes a run that is still within its deadline), got ${settings.terminationGracePeriod}`);
    }
  }
  nodePools.batch.forEach((pool, i) => {
    const path = ["nodePools", "batch", i];
    if (pool.onDemandFallback && pool.capacityType !== "spot") report([...path, "onDemandFallback"], `expected nothing on an on-demand pool (a fallback from spot to on-demand), got ${pool.onDemandFallback}`);
    if (pool.desiredSize !== 0) report([...path, "desiredSize"], `expected 0 with engine karpenter (it launches a node only for a pending pod), got ${pool.desiredSize}`);
    if (pool.instanceGenerations && !pool.instanceCategories) report([...path, "instanceGenerations"], "expected it only with instanceCategories (the instance types' families already fix their generation)");
  });
}

/** What needs attention under Karpenter but stops nothing: the Pod Identity agent add-on without a pinned version. */
export function karpenterWarnings(cfg: Pick<PlatformConfig, "autoscaler" | "cluster">, pins: Partial<Record<string, string>> = podIdentityAgentVersions): string[] {
  if (cfg.autoscaler.engine !== "karpenter") return [];
  const version = cfg.cluster.kubernetesVersion;
  if (pins[version] !== undefined) return [];
  return [`autoscaler.engine karpenter: versions.ts pins no eks-pod-identity-agent add-on for Kubernetes ${version}; EKS installs its default version at creation and keeps it. Pin it with npm run refresh-addons (needs AWS credentials)`];
}
