/**
 * Durable state of Argo CronWorkflows as Prometheus series. Argo's own custom metrics live in the controller's
 * memory (a restart drops them); a CronWorkflow's `status` is stored by the API server: `succeeded` and `failed`
 * count its runs, `lastScheduledTime` is when it last started one (argoproj/argo-workflows v3.6+
 * pkg/apis/workflow/v1alpha1/cron_workflow_types.go, CronWorkflowStatus; in the v4.0.6 CRD fixture).
 * kube-state-metrics exports them through its custom-resource-state config
 * (kubernetes/kube-state-metrics docs/metrics/extend/customresourcestate-metrics.md): `<metricNamePrefix>_<name>`,
 * RFC 3339 strings parsed to Unix seconds, `nilIsZero` turning an absent count into 0. It has no counter type:
 * the counts are gauges, read with delta().
 */

/** The series, named like kube-state-metrics' own CronJob series. */
export const CRONWORKFLOW_METRICS = {
  succeeded: "kube_cronworkflow_status_succeeded",
  failed: "kube_cronworkflow_status_failed",
  lastScheduledTime: "kube_cronworkflow_status_last_scheduled_time",
  created: "kube_cronworkflow_created",
  suspended: "kube_cronworkflow_spec_suspend",
} as const;

/** Labels every series carries (labelsFromPath), besides kube-state-metrics' `customresource_*` labels. */
export const CRONWORKFLOW_LABELS = ["namespace", "cronworkflow"];

export const cronWorkflowSelector = (namespace: string, name: string) => `namespace="${namespace}", cronworkflow="${name}"`;

const gauge = (name: string, help: string, path: string[], nilIsZero: boolean) => ({
  name,
  help,
  each: { type: "Gauge", gauge: { path, ...(nilIsZero ? { nilIsZero: true } : {}) } },
});

/** kube-state-metrics' `customResourceState.config` (kube-state-metrics chart 8.4.0 values.yaml). */
export function cronWorkflowStateConfig() {
  return {
    kind: "CustomResourceStateMetrics",
    spec: {
      resources: [{
        groupVersionKind: { group: "argoproj.io", version: "v1alpha1", kind: "CronWorkflow" },
        metricNamePrefix: "kube_cronworkflow",
        labelsFromPath: { namespace: ["metadata", "namespace"], cronworkflow: ["metadata", "name"] },
        metrics: [
          // Counts are absent until the first run ends: nilIsZero, so the first failure is a change from 0 to 1.
          gauge("status_succeeded", "Successful runs of the CronWorkflow.", ["status", "succeeded"], true),
          gauge("status_failed", "Failed runs of the CronWorkflow.", ["status", "failed"], true),
          // Null before the first run: no nilIsZero, or the CronWorkflow would look scheduled in 1970.
          gauge("status_last_scheduled_time", "When the CronWorkflow last started a run (Unix seconds).", ["status", "lastScheduledTime"], false),
          gauge("created", "When the CronWorkflow was created (Unix seconds).", ["metadata", "creationTimestamp"], false),
          gauge("spec_suspend", "1 while the CronWorkflow is suspended.", ["spec", "suspend"], true),
        ],
      }],
    },
  };
}

/**
 * What kube-state-metrics must be allowed besides its defaults: list and watch CronWorkflows (the chart's
 * `rbac.customResourceState.createClusterRoleRules` covers only the CRDs).
 */
export const CRONWORKFLOW_RBAC_RULES = [{ apiGroups: ["argoproj.io"], resources: ["cronworkflows"], verbs: ["list", "watch"] }];
