/** Per pipeline: a failed run, and a last success older than its schedule allows. */
import type { PipelineConfig } from "../../../config/schema";
import type { AlertRule, RuleGroup } from "../../../lib/alerts";
import { scheduleGaps } from "../../../lib/cron";

/** How stale a pipeline's last success may get: its longest gap between runs, plus its deadline, plus the margin. */
export function freshnessThresholdSeconds(pipeline: PipelineConfig, marginMinutes: number): number {
  return scheduleGaps(pipeline.schedule, pipeline.timeZone).maxSeconds + pipeline.activeDeadlineSeconds + marginMinutes * 60;
}

/** Per pipeline: a failed run, and a last success older than its schedule allows. Suspended pipelines stay quiet. */
export function pipelineAlertRules(pipelines: PipelineConfig[], namespace: string, marginMinutes: number): RuleGroup[] {
  const rules = pipelines.flatMap((pipeline): AlertRule[] => {
    const threshold = freshnessThresholdSeconds(pipeline, marginMinutes);
    const base = { severity: "warning" as const, labels: { pipeline: pipeline.name } };
    if (pipeline.steps) {
      const selector = `pipeline="${pipeline.name}"`;
      return [
        { ...base, alert: "PipelineRunFailed", for: "0m", expr: `sum(increase(argo_workflows_etl_pipeline_failures_total{${selector}}[1h])) > 0`, summary: `Pipeline ${pipeline.name} failed`, description: `A run of the ${pipeline.name} workflow failed in the last hour.` },
        { ...base, alert: "PipelineStale", for: "0m", expr: `time() - max(argo_workflows_etl_pipeline_last_success_timestamp_seconds{${selector}}) > ${threshold}`, summary: `Pipeline ${pipeline.name} has not succeeded in time`, description: `No successful run for over ${threshold} seconds (schedule "${pipeline.schedule}" ${pipeline.timeZone}).` },
      ];
    }
    const cronjob = `namespace="${namespace}", cronjob="${pipeline.name}"`;
    const notSuspended = `unless on() (max(kube_cronjob_spec_suspend{${cronjob}}) == 1)`;
    return [
      { ...base, alert: "PipelineRunFailed", for: "0m", expr: `max(kube_job_failed{namespace="${namespace}", job_name=~"${pipeline.name}-[0-9]+", condition="true"}) > 0`, summary: `Pipeline ${pipeline.name} failed`, description: `A Job of the ${pipeline.name} CronJob failed; it stays listed until the Job expires (ttlSecondsAfterFinished).` },
      {
        ...base,
        alert: "PipelineStale",
        for: "0m",
        expr: `(time() - (max(kube_cronjob_status_last_successful_time{${cronjob}}) or max(kube_cronjob_created{${cronjob}})) > ${threshold}) ${notSuspended}`,
        summary: `Pipeline ${pipeline.name} has not succeeded in time`,
        description: `No successful run for over ${threshold} seconds (schedule "${pipeline.schedule}" ${pipeline.timeZone}, deadline ${pipeline.activeDeadlineSeconds}s, plus ${marginMinutes}m).`,
      },
    ];
  });
  return [{ name: "pipelines", rules: [...rules, quotaAlert(namespace)] }];
}

/**
 * The namespace's ResourceQuota nearly used up: pods beyond it are refused (not queued), so runs start failing.
 * kube-state-metrics' resourcequotas collector (on by default) exports `kube_resourcequota` with `resource` and
 * `type` ("hard" or "used") labels (kubernetes/kube-state-metrics docs/metrics/policy/resourcequota-metrics.md).
 */
function quotaAlert(namespace: string): AlertRule {
  const series = (type: string) => `max by (resource) (kube_resourcequota{namespace="${namespace}", type="${type}"})`;
  return {
    alert: "PipelinesQuotaNearlyExhausted",
    severity: "warning",
    for: "15m",
    expr: `${series("used")} / ${series("hard")} > 0.9`,
    summary: "The pipelines namespace has used 90 % of its quota",
    description: `Over 90 % of the ${namespace} namespace's quota of {{ $labels.resource }} has been in use for 15 minutes: further pods are refused, not queued.`,
  };
}
