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
  /** Extra annotations, e.g. where the run's logs are. */
  annotations?: Record<string, string>;
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
        annotations: { summary: rule.summary, description: rule.description, runbook_url: runbookUrl(rule.alert), ...rule.annotations },
      })),
    })),
  };
}

/**
 * How much a counter grew within `window`, counting a series born within the window from zero. A counter that
 * appears on its first event is already at 1 when first scraped: Argo's custom metrics are created on first use
 * with the first value added (argoproj/argo-workflows v4.0.6 workflow/metrics/metrics_custom.go,
 * UpsertCustomMetric), and so is every child of a client_golang CounterVec created by `WithLabelValues(...).Inc()`
 * (the cluster autoscaler's `*_total` metrics). `increase()` of such a series is 0, so its first event would
 * never show: a series that did not exist `window` ago counts with its whole value.
 */
export function counterIncrease(selector: string, window: string): string {
  return `((sum(increase(${selector}[${window}]) and ${selector} offset ${window}) or vector(0)) + (sum(${selector} unless ${selector} offset ${window}) or vector(0)))`;
}
