/**
 * The pipelines dashboard, per pipeline (and run, for its logs): durations, queue wait, outcomes and retries from
 * kube-state-metrics and the CronWorkflows' state, records, bytes and task durations per step from the
 * pipelines' own OTel metrics, freshness, and the run's logs where they are in CloudWatch.
 */
import type { Dashboard, LogsPanel, Panel } from "../../../lib/dashboards";
import { CRONWORKFLOW_METRICS as CWF } from "../cronWorkflowMetrics";
import { runMetricName } from "../telemetry";

export interface PipelinesDashboardArgs {
  namespace: string;
  pipelines: string[];
  /** The pipelines' CloudWatch log groups, when logs are shipped there. */
  logs?: { datasourceUid: string; region: string; groupOf: (pipeline: string) => string };
}

export function pipelinesDashboard(args: PipelinesDashboardArgs): Dashboard {
  const ns = `namespace="${args.namespace}"`;
  const jobs = `${ns}, job_name=~"$pipeline-[0-9]+"`;
  const pods = `${ns}, pod=~"$pipeline-[0-9].*"`;
  const otel = 'etl_pipeline=~"$pipeline"';
  const panels: (Panel | LogsPanel)[] = [
    { title: "Run duration (CronJobs)", expr: `max by (job_name) (kube_job_status_completion_time{${jobs}} - kube_job_status_start_time{${jobs}})`, unit: "s", legend: "{{job_name}}" },
    { title: "Run duration (steps pipelines, last run)", expr: `max by (pipeline) (argo_workflows_etl_pipeline_last_duration_seconds{pipeline=~"$pipeline"})`, unit: "s", legend: "{{pipeline}}" },
    { title: "Queue wait: pod created to main container started", expr: `max by (pod) (kube_pod_container_state_started{${pods}, container="main"} - on (namespace, pod) group_left() kube_pod_created{${pods}})`, unit: "s", legend: "{{pod}}" },
    { title: "Retries: failed pods per run (CronJobs)", expr: `max by (job_name) (kube_job_status_failed{${jobs}})`, legend: "{{job_name}}" },
    { title: "Runs succeeded and failed (steps pipelines)", expr: `max by (cronworkflow) (${CWF.succeeded}{${ns}, cronworkflow=~"$pipeline"}) or max by (cronworkflow) (${CWF.failed}{${ns}, cronworkflow=~"$pipeline"})`, legend: "{{cronworkflow}} {{__name__}}" },
    { title: "Time since last success (CronJobs)", expr: `time() - kube_cronjob_status_last_successful_time{${ns}, cronjob=~"$pipeline"}`, unit: "s", legend: "{{cronjob}}" },
    { title: "Records per second by step", expr: `sum by (etl_pipeline, etl_step) (rate(${runMetricName("etl.records.processed")}{${otel}}[5m]))`, unit: "ops", legend: "{{etl_pipeline}} / {{etl_step}}" },
    { title: "Bytes per second by step", expr: `sum by (etl_pipeline, etl_step) (rate(${runMetricName("etl.data.processed")}{${otel}}[5m]))`, unit: "Bps", legend: "{{etl_pipeline}} / {{etl_step}}" },
    { title: "Task duration p95 by step", expr: `histogram_quantile(0.95, sum by (le, etl_pipeline, etl_step) (rate(${runMetricName("etl.task.duration")}_bucket{${otel}}[15m])))`, unit: "s", legend: "{{etl_pipeline}} / {{etl_step}}" },
    { title: "Item queue wait p95 by step", expr: `histogram_quantile(0.95, sum by (le, etl_pipeline, etl_step) (rate(${runMetricName("etl.queue.wait")}_bucket{${otel}}[15m])))`, unit: "s", legend: "{{etl_pipeline}} / {{etl_step}}" },
  ];
  if (args.logs) {
    const logs = args.logs;
    panels.push({
      title: "Logs of the run ($run; all runs when empty)",
      logs: {
        datasourceUid: logs.datasourceUid,
        region: logs.region,
        logGroupNames: args.pipelines.map((pipeline) => logs.groupOf(pipeline)),
        // route.lua sets `pipeline` and `run` on every record of a pipeline's pods.
        query: 'fields @timestamp, run, kubernetes.container_name, log, data.message | filter pipeline like /^$pipeline$/ and run like /$run/ | sort @timestamp desc | limit 500',
      },
    });
  }
  return {
    uid: "etl-pipelines",
    title: "ETL / Pipelines",
    variables: [{ name: "pipeline", label: "Pipeline", values: args.pipelines }, { name: "run", label: "Run (Job or workflow name)" }],
    panels,
  };
}
