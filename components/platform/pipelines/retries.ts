/**
 * Which failures are retried. Retries are for the infrastructure (a spot node reclaimed, a pod evicted or
 * deleted, an executor error), never for the pipeline's own verdict: a failed data-quality check or a
 * non-retriable exit code fails the run at once.
 */

/**
 * Messages that a pod (and so an Argo node) carries when the infrastructure, not the container, ended it. Each
 * with the upstream source of the text; matched case-insensitively, so wording changes in case do not matter.
 */
export const INFRASTRUCTURE_FAILURE_MESSAGES = [
  {
    pattern: "imminent node shutdown",
    // kubernetes/kubernetes pkg/kubelet/nodeshutdown/nodeshutdown_manager_linux.go: nodeShutdownMessage =
    // "Pod was terminated in response to imminent node shutdown." (a spot reclaim, a node drain by shutdown).
    source: "kubelet graceful node shutdown",
  },
  {
    pattern: "low on resource",
    // kubernetes/kubernetes pkg/kubelet/eviction/helpers.go: nodeLowMessageFmt = "The node was low on resource: %v. "
    source: "kubelet node-pressure eviction",
  },
  {
    pattern: "evicted",
    // The Eviction API and the taint manager: pod status reason "Evicted".
    source: "API-initiated eviction",
  },
  {
    pattern: "preempt",
    // kubernetes/kubernetes pkg/kubelet/preemption/preemption.go: "Preempted in order to admit critical pod".
    source: "kubelet critical-pod preemption",
  },
  {
    pattern: "pod deleted",
    // argoproj/argo-workflows workflow/controller/operator.go marks a node whose pod vanished "pod deleted".
    source: "Argo: the step's pod was deleted (node removed)",
  },
] as const;

/**
 * Argo's `retryStrategy.expression` for a step. Argo v4 evaluates it after each attempt with `lastRetry.status`
 * (Error or Failed), `lastRetry.exitCode` (a string) and `lastRetry.message` (argoproj/argo-workflows v4.0.6
 * docs/retries.md; workflow/controller/operator.go injects them). With `retryPolicy: Always` only this decides.
 * - `Error`: the init or wait container, or the controller, failed: retried.
 * - `Failed` with an infrastructure message: a spot reclaim now often ends `Failed` with exit 137 or 143 and
 *   "Pod was terminated in response to imminent node shutdown": retried.
 * - any other `Failed` (a failed check, OOMKilled, a bug): not retried.
 * - the pipeline's non-retriable exit codes: never retried.
 */
export function argoRetryExpression(nonRetriableExitCodes: number[]): string {
  const messages = INFRASTRUCTURE_FAILURE_MESSAGES.map((m) => m.pattern).join("|");
  const infrastructure = `(lastRetry.status == 'Error' || (lastRetry.status == 'Failed' && lastRetry.message matches '(?i)(${messages})'))`;
  if (nonRetriableExitCodes.length === 0) return infrastructure;
  const codes = nonRetriableExitCodes.map((code) => `'${code}'`).join(", ");
  return `!(lastRetry.exitCode in [${codes}]) && ${infrastructure}`;
}

/** A step's retry strategy: up to `limit` retries of infrastructure failures, with exponential backoff. */
export function argoStepRetryStrategy(limit: number, nonRetriableExitCodes: number[]) {
  return {
    limit: String(limit),
    retryPolicy: "Always",
    expression: argoRetryExpression(nonRetriableExitCodes),
    backoff: { duration: "30s", factor: "2", maxDuration: "30m" },
  };
}
