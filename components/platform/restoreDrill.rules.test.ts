/** The restore drill's alerts under the real rule engine (test/promtool.ts). */
import { parsePlatformConfig } from "../../config/load";
import { checkRules, testRules } from "../../test/promtool";
import { prometheusRuleSpec } from "../../lib/alerts";
import { restoreDrillAlertRules } from "./restoreDrillAlerts";

// Daily drill: missing after two days (172800 s).
const config = parsePlatformConfig({ environment: "staging", postgres: { restoreDrill: { schedule: "0 3 * * *", rtoMinutes: 60 } } });
const groups = restoreDrillAlertRules(config.postgres, "pipelines");
const argo = 'namespace="argo", pod="argo-workflows-workflow-controller-0", job="argo-workflows"';
const drill = (metric: string) => `${metric}{job="kube-state-metrics", namespace="pipelines", cronworkflow="postgres-restore-drill"}`;

describe("restore drill alerts (promtool)", () => {
  it("pass promtool check rules", () => {
    expect(checkRules({ drill: prometheusRuleSpec(groups) })).toMatchObject({ ok: true });
  });

  it("RestoreDrillFailed: the first failure after a controller start (counter born at 1), and the durable count", () => {
    const result = testRules(groups, [
      {
        name: "first failed drill since the controller started",
        series: [{ series: `argo_workflows_etl_restore_drill_failures_total{${argo}}`, values: "_x59 1x400" }],
        checks: [{ at: "30m", alert: "RestoreDrillFailed", fires: [] }, { at: "70m", alert: "RestoreDrillFailed", fires: [{}] }, { at: "7h", alert: "RestoreDrillFailed", fires: [] }],
      },
      {
        name: "a restore of 50 minutes, then one of 70 (RTO 60)",
        series: [{ series: `argo_workflows_etl_restore_drill_restore_seconds{${argo}}`, values: "3000x29 4200x30" }],
        checks: [{ at: "20m", alert: "RestoreDrillSlow", fires: [] }, { at: "40m", alert: "RestoreDrillSlow", fires: [{}] }],
      },
      {
        name: "the CronWorkflow's failure count goes up, no Argo counter",
        series: [{ series: drill("kube_cronworkflow_status_failed"), values: "0x59 1x400" }],
        checks: [{ at: "70m", alert: "RestoreDrillFailed", fires: [{}] }],
      },
    ]);
    expect(result.output).toContain("SUCCESS");
    expect(result.ok).toBe(true);
  });

  it("RestoreDrillMissing waits its window once: a drill that never succeeds pages after two days, not four", () => {
    const lastSuccess = `argo_workflows_etl_restore_drill_last_success_timestamp_seconds{${argo}}`;
    const result = testRules(groups, [
      {
        name: "no success ever recorded",
        interval: "1h",
        series: [],
        checks: [{ at: "47h", alert: "RestoreDrillMissing", fires: [] }, { at: "49h", alert: "RestoreDrillMissing", fires: [{ cause: "no-success-recorded" }] }],
      },
      {
        name: "last success at 0 s, none since: old after 172800 s, at once",
        interval: "1h",
        series: [{ series: lastSuccess, values: "0x100" }],
        checks: [{ at: "47h", alert: "RestoreDrillMissing", fires: [] }, { at: "49h", alert: "RestoreDrillMissing", fires: [{ cause: "last-success-too-old" }] }],
      },
      {
        name: "healthy: a success every day",
        interval: "1h",
        series: [{ series: lastSuccess, values: "0x23 86400x24 172800x24 259200x24" }],
        checks: [{ at: "90h", alert: "RestoreDrillMissing", fires: [] }],
      },
    ], "1h");
    expect(result.output).toContain("SUCCESS");
    expect(result.ok).toBe(true);
  });
});
