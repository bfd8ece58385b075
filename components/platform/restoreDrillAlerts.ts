/** The restore drill's workflow name and alerts (pure: no SDK, so the rule tests load fast). */
import type { PostgresConfig } from "../../config/schema";
import { counterIncrease, type AlertRule, type RuleGroup } from "../../lib/alerts";
import { scheduleGaps } from "../../lib/cron";
import { CRONWORKFLOW_METRICS as CWF, cronWorkflowSelector } from "./cronWorkflowMetrics";

export const DRILL_WORKFLOW = "postgres-restore-drill";

/**
 * Alerts: a drill failed; no successful drill for two intervals; a restore slower than the RTO. Failures come from
 * the CronWorkflow's durable count first (cronWorkflowMetrics.ts) and Argo's counter second (born at 1: lib/alerts.ts
 * counterIncrease), so the first failure after a controller start still pages. Checked by promtool
 * (restoreDrill.rules.test.ts).
 */
export function restoreDrillAlertRules(config: PostgresConfig, workflowNamespace: string): RuleGroup[] {
  if (!config.backup.enabled || !config.restoreDrill.enabled) return [];
  const drill = config.restoreDrill;
  const twoIntervals = 2 * scheduleGaps(drill.schedule, "UTC").maxSeconds;
  const lastSuccess = "argo_workflows_etl_restore_drill_last_success_timestamp_seconds";
  const missing = {
    alert: "RestoreDrillMissing",
    severity: "critical" as const,
    summary: "No successful Postgres restore drill for two intervals",
    description: `No restore of the backups has been proven for over ${twoIntervals} seconds (schedule "${drill.schedule}" UTC).`,
  };
  const rules: AlertRule[] = [
    {
      alert: "RestoreDrillFailed",
      expr: `(sum(delta(${CWF.failed}{${cronWorkflowSelector(workflowNamespace, DRILL_WORKFLOW)}}[6h])) > 0) or (${counterIncrease("argo_workflows_etl_restore_drill_failures_total", "6h")} > 0)`,
      for: "0m",
      severity: "warning",
      summary: "The Postgres restore drill failed",
      description: "The latest backup could not be restored, or the restored database failed its check: the backups may not be usable.",
    },
    // Each waits once: the last success is too old now, or none has been recorded for two intervals (the gauge is
    // in the controller's memory, absent after a restart until the next success).
    { ...missing, labels: { cause: "last-success-too-old" }, for: "0m", expr: `time() - max(${lastSuccess}) > ${twoIntervals}` },
    { ...missing, labels: { cause: "no-success-recorded" }, for: `${twoIntervals}s`, expr: `absent(${lastSuccess})` },
    {
      alert: "RestoreDrillSlow",
      expr: `max(argo_workflows_etl_restore_drill_restore_seconds) > ${drill.rtoMinutes * 60}`,
      for: "0m",
      severity: "warning",
      summary: "A Postgres restore took longer than the RTO",
      description: `The last restore drill took longer than ${drill.rtoMinutes} minutes from the backups to a ready cluster.`,
    },
  ];
  return [{ name: "restore-drill", rules }];
}
