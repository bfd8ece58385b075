/**
 * The real Prometheus rule engine over our rules: `promtool check rules` (parse, types, templates) and
 * `promtool test rules` (alerts evaluated over synthetic series), from Debian's `prometheus` package, which
 * `.ci/run` installs. The lezer grammar of the Prometheus we deploy (v3.14, `@prometheus-io/lezer-promql` 0.314.0)
 * parses every expression too: Debian's promtool is 2.42.
 *
 * Prometheus 3 leaves a range window's start out (a sample exactly at `t - range` is not in `x[range]`), 2.42 keeps
 * it in: every synthetic series here changes between sample times and is read away from window edges, so no
 * expected outcome depends on that boundary.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify as toYaml } from "yaml";
import { parser } from "@prometheus-io/lezer-promql";
import { prometheusRuleSpec, type RuleGroup } from "../lib/alerts";

export interface Series {
  series: string;
  /** promtool's expanding notation: `0+0x10 1+0x20`, `_x5` for missing samples, `stale`. */
  values: string;
}

export interface AlertCheck {
  /** When to evaluate, from the start of the series (`90m`). */
  at: string;
  alert: string;
  /** The label sets of the firing alerts (the rule's own labels included, alertname and severity excluded); [] = quiet. */
  fires: Record<string, string>[];
}

export interface RuleCase {
  name: string;
  series: Series[];
  checks: AlertCheck[];
  /** The sample interval of the series, 1m unless given. */
  interval?: string;
}

function promtool(): string {
  const found = spawnSync("sh", ["-c", "command -v promtool"], { encoding: "utf8" }).stdout.trim();
  if (!found) throw new Error("promtool not found: install Debian's prometheus package (apt-get install prometheus), as .ci/run does");
  return found;
}

/** The syntax errors the Prometheus 3 grammar finds in an expression (none when it parses). */
export function grammarErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({ enter: (node) => { if (node.type.isError) errors.push(`at ${node.from}: ${JSON.stringify(expr.slice(node.from, node.from + 20))}`); } });
  return errors;
}

function run(args: string[], files: Record<string, string>): { ok: boolean; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promtool-"));
  try {
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    const result = spawnSync(promtool(), args, { cwd: dir, encoding: "utf8" });
    return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `promtool check rules` over the rule files (each a PrometheusRule `spec`, which is a Prometheus rule file). */
export function checkRules(specs: Record<string, unknown>): { ok: boolean; output: string } {
  const files = Object.fromEntries(Object.entries(specs).map(([name, spec]) => [`${name}.yaml`, toYaml(spec)]));
  return run(["check", "rules", ...Object.keys(files)], files);
}

/**
 * `promtool test rules` of these groups over each case, the rules evaluated every `evaluationInterval` (promtool
 * evaluates them at each step up to the last check: a week of series wants an hourly step). Annotations are left out of the rule file (they do not
 * decide whether an alert fires, and promtool would otherwise compare them all); `checkRules` checks them.
 */
export function testRules(groups: RuleGroup[], cases: RuleCase[], evaluationInterval = "1m"): { ok: boolean; output: string } {
  const spec = prometheusRuleSpec(groups);
  const rules = { groups: spec.groups.map((group) => ({ ...group, rules: group.rules.map(({ annotations: _annotations, ...rule }) => rule) })) };
  const severity = new Map(groups.flatMap((group) => group.rules.map((rule) => [rule.alert, rule.severity] as const)));
  const tests = cases.map((testCase) => ({
    name: testCase.name,
    interval: testCase.interval ?? "1m",
    input_series: testCase.series,
    alert_rule_test: testCase.checks.map((check) => ({
      eval_time: check.at,
      alertname: check.alert,
      exp_alerts: check.fires.map((labels) => ({ exp_labels: { severity: severity.get(check.alert), ...labels } })),
    })),
  }));
  return run(["test", "rules", "tests.yaml"], { "rules.yaml": toYaml(rules), "tests.yaml": toYaml({ rule_files: ["rules.yaml"], evaluation_interval: evaluationInterval, tests }) });
}
