/** The pipelines dashboard: runs, durations, failures and freshness of every pipeline. */
import type { Dashboard } from "../../../lib/dashboards";

export const pipelinesDashboard: Dashboard = {
  uid: "etl-pipelines",
  title: "ETL / Pipelines",
  panels: [
    { title: "Job durations", expr: `max by (job_name) (kube_job_status_completion_time{namespace="pipelines"} - kube_job_status_start_time{namespace="pipelines"})`, unit: "s", legend: "{{job_name}}" },
    { title: "Succeeded jobs (24h)", expr: `sum by (owner_name) (increase(kube_job_status_succeeded{namespace="pipelines"}[24h]) * on (job_name) group_left(owner_name) kube_job_owner{namespace="pipelines"})`, legend: "{{owner_name}}" },
    { title: "Failed jobs", expr: `sum by (job_name) (kube_job_status_failed{namespace="pipelines"})`, legend: "{{job_name}}" },
    { title: "Time since last success", expr: `time() - kube_cronjob_status_last_successful_time{namespace="pipelines"}`, unit: "s", legend: "{{cronjob}}" },
  ],
};
