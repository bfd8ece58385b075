/** Prometheus alert rules as data: each component owns the rules for what it runs; monitoring installs them. */

export type Severity = "critical" | "warning";

export interface AlertRule {
  alert: string;
  expr: string;
  /** How long the condition must hold, e.g. `10m`. */
  for: string;
  severity: Severity;
  summary: string;
  description: string;
  /** Extra labels, e.g. which pipeline, so alerts of one rule name stay apart. */
  labels?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

/** Where each alert's runbook lives in this repository. */
export const RUNBOOKS = "docs/runbooks.md";

export function runbookUrl(alert: string): string {
  return `${RUNBOOKS}#${alert.toLowerCase()}`;
}

/** The `spec` of a PrometheusRule holding these groups. */
export function prometheusRuleSpec(groups: RuleGroup[]) {
  return {
    groups: groups.map((group) => ({
      name: group.name,
      rules: group.rules.map((rule) => ({
        alert: rule.alert,
        expr: rule.expr,
        for: rule.for,
        labels: { severity: rule.severity, ...rule.labels },
        annotations: { summary: rule.summary, description: rule.description, runbook_url: runbookUrl(rule.alert) },
      })),
    })),
  };
}
