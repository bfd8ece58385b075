/**
 * The pipeline alerts under the real rule engine (test/promtool.ts): each fires when it must (the first failure
 * after a controller start, a restart that drops Argo's gauges, a stale or a slow pipeline, metrics that never
 * appear) and stays quiet on healthy series.
 */
import { parsePlatformConfig } from "../../../config/load";
import { testRules } from "../../../test/promtool";
import { freshnessThresholdSeconds, pipelineAlertRules } from "./alerts";
import { asBatch } from "../../../test/pipelineModes";

const resources = { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } };
const config = parsePlatformConfig({
  environment: "staging",
  pipelines: [
    // Hourly, 30-minute deadline: stale after 3600 + 1800 + 30 * 60 = 7200 s.
    { name: "steps", schedule: "0 * * * *", timeZone: "UTC", image: "x:1", activeDeadlineSeconds: 1800, resources, steps: [{ name: "a", command: ["run"], args: [], dependsOn: [] }] },
    { name: "batch", schedule: "0 * * * *", timeZone: "UTC", image: "x:1", activeDeadlineSeconds: 1800, resources },
  ],
});
const steps = asBatch(config.pipelines[0]);
const groups = pipelineAlertRules(config.pipelines, "pipelines", 30);

// What Prometheus scrapes, with the labels the targets add (test/runtime/metrics.ts).
const argo = 'namespace="argo", pod="argo-workflows-workflow-controller-0", job="argo-workflows"';
const ksm = 'job="kube-state-metrics", instance="10.0.0.9:8080"';
const cronWorkflow = (metric: string, name = "steps") => `${metric}{${ksm}, namespace="pipelines", cronworkflow="${name}", customresource_group="argoproj.io", customresource_kind="CronWorkflow", customresource_version="v1alpha1"}`;
const healthySteps = [
  { series: cronWorkflow("kube_cronworkflow_created"), values: "1700000000x600" },
  { series: cronWorkflow("kube_cronworkflow_spec_suspend"), values: "0x600" },
];

describe("pipeline alerts (promtool)", () => {
  it("sizes the staleness threshold from the schedule", () => {
    expect(freshnessThresholdSeconds(steps, 30)).toBe(7200);
  });

  it("steps pipeline: PipelineRunFailed fires on the first failure after a controller start and on a durable count change", () => {
    const result = testRules(groups, [
      {
        name: "Argo's counter appears at 1 with the first failure since the controller started (at 20m)",
        series: [...healthySteps, { series: `argo_workflows_etl_pipeline_failures_total{${argo}, pipeline="steps"}`, values: "_x19 1x100" }],
        checks: [
          { at: "10m", alert: "PipelineRunFailed", fires: [] },
          { at: "25m", alert: "PipelineRunFailed", fires: [{ pipeline: "steps" }] },
          { at: "90m", alert: "PipelineRunFailed", fires: [] },
        ],
      },
      {
        name: "the CronWorkflow's failure count goes from 2 to 3 at 30m (no Argo counter: the controller restarted)",
        series: [...healthySteps, { series: cronWorkflow("kube_cronworkflow_status_failed"), values: "2x29 3x100" }],
        checks: [{ at: "20m", alert: "PipelineRunFailed", fires: [] }, { at: "40m", alert: "PipelineRunFailed", fires: [{ pipeline: "steps" }] }, { at: "100m", alert: "PipelineRunFailed", fires: [] }],
      },
      {
        name: "kube-state-metrics restarts: the count reappears unchanged under a new instance, no failure",
        series: [
          ...healthySteps,
          { series: cronWorkflow("kube_cronworkflow_status_failed"), values: "4x29 stale" },
          { series: cronWorkflow("kube_cronworkflow_status_failed").replace("10.0.0.9", "10.0.0.7"), values: "_x31 4x60" },
        ],
        checks: [{ at: "45m", alert: "PipelineRunFailed", fires: [] }],
      },
    ], "5m");
    expect(result.output).toContain("SUCCESS");
    expect(result.ok).toBe(true);
  });

  it("steps pipeline: PipelineStale fires on an old success, and after a restart that drops the gauge, once the threshold passes", () => {
    const lastSuccess = `argo_workflows_etl_pipeline_last_success_timestamp_seconds{${argo}, pipeline="steps"}`;
    const result = testRules(groups, [
      {
        // Hourly successes: the gauge holds the run's creation time (Unix seconds; the series start at 0).
        name: "healthy: a success every hour",
        series: [...healthySteps, { series: lastSuccess, values: "0x59 3600x60 7200x60 10800x60 14400x60 18000x60" }],
        checks: [{ at: "5h", alert: "PipelineStale", fires: [] }],
      },
      {
        name: "the last success was at 0s and nothing since: stale after 7200 s",
        series: [...healthySteps, { series: lastSuccess, values: "0x300" }],
        checks: [{ at: "110m", alert: "PipelineStale", fires: [] }, { at: "130m", alert: "PipelineStale", fires: [{ pipeline: "steps", cause: "last-success-too-old" }] }],
      },
      {
        name: "the controller restarts at 30m and no run succeeds afterwards: absent for 7200 s",
        series: [...healthySteps, { series: lastSuccess, values: "0x29 stale" }],
        checks: [{ at: "145m", alert: "PipelineStale", fires: [] }, { at: "155m", alert: "PipelineStale", fires: [{ pipeline: "steps", cause: "no-success-recorded" }] }],
      },
      {
        name: "suspended: quiet",
        series: [{ series: cronWorkflow("kube_cronworkflow_created"), values: "0x600" }, { series: cronWorkflow("kube_cronworkflow_spec_suspend"), values: "1x600" }],
        checks: [{ at: "5h", alert: "PipelineStale", fires: [] }],
      },
    ], "5m");
    expect(result.output).toContain("SUCCESS");
    expect(result.ok).toBe(true);
  });

  it("steps pipeline: PipelineRunSlow compares the last run with the median of the week; PipelineMetricsAbsent without the CronWorkflow's state", () => {
    const duration = `argo_workflows_etl_pipeline_last_duration_seconds{${argo}, pipeline="steps"}`;
    const result = testRules(groups, [
      {
        name: "kube-state-metrics exports no CronWorkflow state",
        series: [],
        checks: [
          { at: "10m", alert: "PipelineMetricsAbsent", fires: [] },
          // absent() keeps the selector's equality labels.
          { at: "20m", alert: "PipelineMetricsAbsent", fires: [{ pipeline: "batch", namespace: "pipelines", cronjob: "batch" }, { pipeline: "steps", namespace: "pipelines", cronworkflow: "steps" }] },
        ],
      },
    ]);
    expect(result.output).toContain("SUCCESS");
    expect(result.ok).toBe(true);
    const slow = testRules(groups, [
      {
        name: "runs of 20 minutes for a week, then one of an hour",
        interval: "1h",
        series: [...healthySteps.map((s) => ({ ...s, values: s.values.replace("600", "200") })), { series: duration, values: "1200x168 3600x5" }],
        checks: [{ at: "167h", alert: "PipelineRunSlow", fires: [] }, { at: "170h", alert: "PipelineRunSlow", fires: [{ pipeline: "steps" }] }],
      },
    ], "1h");
    expect(slow.output).toContain("SUCCESS");
    expect(slow.ok).toBe(true);
  });

  it("CronJob pipeline: failed Job, stale, slow while running", () => {
    const cronjob = `namespace="pipelines", cronjob="batch", ${ksm}`;
    const job = (name: string) => `namespace="pipelines", job_name="${name}", ${ksm}`;
    // The steps pipeline suspended, so that only the CronJob's alerts can fire here.
    const healthyBatch = [
      { series: `kube_cronjob_created{${cronjob}}`, values: "0x600" }, { series: `kube_cronjob_spec_suspend{${cronjob}}`, values: "0x600" },
      { series: cronWorkflow("kube_cronworkflow_created"), values: "0x600" }, { series: cronWorkflow("kube_cronworkflow_spec_suspend"), values: "1x600" },
    ];
    const result = testRules(groups, [
      {
        name: "a Job fails at 30m",
        series: [...healthyBatch, { series: `kube_job_failed{${job("batch-29000000")}, condition="true"}`, values: "0x29 1x30" }],
        checks: [{ at: "20m", alert: "PipelineRunFailed", fires: [] }, { at: "40m", alert: "PipelineRunFailed", fires: [{ pipeline: "batch", job_name: "batch-29000000" }] }],
      },
      {
        name: "last success at 0s: stale after 7200 s",
        series: [...healthyBatch, { series: `kube_cronjob_status_last_successful_time{${cronjob}}`, values: "0x300" }],
        checks: [{ at: "110m", alert: "PipelineStale", fires: [] }, { at: "130m", alert: "PipelineStale", fires: [{ pipeline: "batch" }] }],
      },
      {
        // A finished Job of 15 minutes is kept the whole time; a new one starts at 60m and is still running at 110m.
        name: "a run takes over twice the typical 15 minutes",
        series: [
          ...healthyBatch,
          { series: `kube_job_status_start_time{${job("batch-1")}}`, values: "0x300" },
          { series: `kube_job_status_completion_time{${job("batch-1")}}`, values: "900x300" },
          { series: `kube_job_status_start_time{${job("batch-2")}}`, values: "_x59 3600x240" },
          { series: `kube_job_status_active{${job("batch-2")}}`, values: "_x59 1x240" },
        ],
        checks: [{ at: "80m", alert: "PipelineRunSlow", fires: [] }, { at: "95m", alert: "PipelineRunSlow", fires: [{ pipeline: "batch" }] }],
      },
    ], "5m");
    expect(result.output).toContain("SUCCESS");
    expect(result.ok).toBe(true);
  });
});
