/**
 * Per pipeline: a failed run, a last success older than its schedule allows, a run far slower than its recent
 * typical run, and its state metrics missing. Every rule is checked by promtool (alerts.rules.test.ts).
 */
import type { BatchPipelineConfig, PipelineConfig } from "../../../config/schema";
import { counterIncrease, type AlertRule, type RuleGroup } from "../../../lib/alerts";
import { scheduleGaps } from "../../../lib/cron";
import { CRONWORKFLOW_METRICS as CWF, cronWorkflowSelector } from "../cronWorkflowMetrics";
import { streamingAlertRules } from "./streamingAlerts";

/** How stale a pipeline's last success may get: its longest gap between runs, plus its deadline, plus the margin. */
export function freshnessThresholdSeconds(pipeline: BatchPipelineConfig, marginMinutes: number): number {
  return scheduleGaps(pipeline.schedule, pipeline.timeZone).maxSeconds + pipeline.activeDeadlineSeconds + marginMinutes * 60;
}

/** A run is slow when it takes this many times its typical run (the median of the last week), and at least SLOW_FLOOR. */
export const SLOW_FACTOR = 2;
const SLOW_FLOOR_SECONDS = 600;

/** Where a pipeline's logs are, for an alert's annotations (components/platform/logging). */
export type LogsHint = (pipeline: PipelineConfig) => Record<string, string>;

/** Per pipeline: a failed run, and a last success older than its schedule allows. Suspended pipelines stay quiet. */
export function pipelineAlertRules(pipelines: PipelineConfig[], namespace: string, marginMinutes: number, logsHint: LogsHint = () => ({})): RuleGroup[] {
  const batch = pipelines.filter((pipeline): pipeline is BatchPipelineConfig => pipeline.mode === "batch");
  const rules = batch.flatMap((pipeline): AlertRule[] => {
    const threshold = freshnessThresholdSeconds(pipeline, marginMinutes);
    const base = { severity: "warning" as const, labels: { pipeline: pipeline.name }, annotations: logsHint(pipeline) };
    const failed = { ...base, alert: "PipelineRunFailed", for: "0m", summary: `Pipeline ${pipeline.name} failed` };
    const stale = { ...base, alert: "PipelineStale", summary: `Pipeline ${pipeline.name} has not succeeded in time` };
    const slow = { ...base, alert: "PipelineRunSlow", for: "0m", summary: `Pipeline ${pipeline.name} runs far longer than usual` };
    const absent = { ...base, alert: "PipelineMetricsAbsent", for: "15m", summary: `No state metrics of pipeline ${pipeline.name}` };
    const staleText = `No successful run for over ${threshold} seconds (schedule "${pipeline.schedule}" ${pipeline.timeZone}, deadline ${pipeline.activeDeadlineSeconds}s, plus ${marginMinutes}m).`;
    if (pipeline.steps) {
      const cwf = cronWorkflowSelector(namespace, pipeline.name);
      const argo = `pipeline="${pipeline.name}"`;
      const notSuspended = `unless on() (max(${CWF.suspended}{${cwf}}) == 1)`;
      const lastSuccess = `argo_workflows_etl_pipeline_last_success_timestamp_seconds{${argo}}`;
      const duration = `argo_workflows_etl_pipeline_last_duration_seconds{${argo}}`;
      return [
        {
          ...failed,
          // Durable: the CronWorkflow's failure count, which survives a controller restart; and Argo's counter,
          // born at 1 on the first failure after each controller start.
          expr: `(sum(delta(${CWF.failed}{${cwf}}[1h])) > 0) or (${counterIncrease(`argo_workflows_etl_pipeline_failures_total{${argo}}`, "1h")} > 0)`,
          description: `A run of the ${pipeline.name} workflow failed in the last hour.`,
        },
        { ...stale, labels: { ...base.labels, cause: "last-success-too-old" }, for: "0m", expr: `(time() - max(${lastSuccess}) > ${threshold}) ${notSuspended}`, description: staleText },
        {
          ...stale,
          labels: { ...base.labels, cause: "no-success-recorded" },
          // The success gauge lives in the controller's memory: after a restart it is absent until the next success.
          // Absent for the whole threshold means no success for at least that long.
          for: `${threshold}s`,
          expr: `absent(${lastSuccess}) ${notSuspended}`,
          description: `${staleText} (no success recorded since the workflow controller started)`,
        },
        {
          ...slow,
          expr: `max(${duration}) > ${SLOW_FACTOR} * max(quantile_over_time(0.5, ${duration}[7d])) and max(${duration}) > ${SLOW_FLOOR_SECONDS}`,
          description: `The last run of ${pipeline.name} took over ${SLOW_FACTOR} times its median run of the last week.`,
        },
        { ...absent, expr: `absent(${CWF.created}{${cwf}})`, description: `kube-state-metrics exports no state of the ${pipeline.name} CronWorkflow: its failure alerts cannot fire.` },
      ];
    }
    const cronjob = `namespace="${namespace}", cronjob="${pipeline.name}"`;
    const jobs = `namespace="${namespace}", job_name=~"${pipeline.name}-[0-9]+"`;
    const notSuspended = `unless on() (max(kube_cronjob_spec_suspend{${cronjob}}) == 1)`;
    const running = `max((time() - kube_job_status_start_time{${jobs}}) and on (job_name) (kube_job_status_active{${jobs}} > 0))`;
    const typical = `quantile_over_time(0.5, max(kube_job_status_completion_time{${jobs}} - kube_job_status_start_time{${jobs}})[7d:10m])`;
    return [
      // By Job: the alert names the failed run (`job_name`), which its logs query filters on.
      { ...failed, expr: `max by (job_name) (kube_job_failed{${jobs}, condition="true"}) > 0`, description: `Run {{ $labels.job_name }} of the ${pipeline.name} CronJob failed; it stays listed until the Job expires (ttlSecondsAfterFinished).` },
      { ...stale, for: "0m", expr: `(time() - (max(kube_cronjob_status_last_successful_time{${cronjob}}) or max(kube_cronjob_created{${cronjob}})) > ${threshold}) ${notSuspended}`, description: staleText },
      {
        ...slow,
        expr: `${running} > ${SLOW_FACTOR} * ${typical} and ${running} > ${SLOW_FLOOR_SECONDS}`,
        description: `A run of ${pipeline.name} has been running over ${SLOW_FACTOR} times its median run of the last week.`,
      },
      { ...absent, expr: `absent(kube_cronjob_created{${cronjob}})`, description: `kube-state-metrics exports no state of the ${pipeline.name} CronJob: its alerts cannot fire.` },
    ];
  });
  return [{ name: "pipelines", rules: [...rules, ...streamingAlertRules(pipelines, namespace), quotaAlert(namespace)] }];
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
