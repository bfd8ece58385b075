/**
 * Every PrometheusRule the platform declares (ours, not the charts'), in every stack, through the real engines:
 * the Prometheus 3 grammar (lezer-promql 0.314.0, the deployed v3.14.0) and `promtool check rules`; and the
 * Alertmanager config we generate through `amtool check-config` (Debian's 0.25: features newer than that are not
 * checked). The alerts' behaviour is unit-tested next to the rules (components/**\/*.rules.test.ts).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { CRONWORKFLOW_METRICS, cronWorkflowStateConfig } from "../components/platform/cronWorkflowMetrics";
import { alertmanagerConfig } from "../components/platform/monitoring";
import { UPSTREAM } from "./upstream";
import { plan, STACK_NAMES } from "./harness";
import { checkRules, grammarErrors } from "./promtool";

describe.each(STACK_NAMES)("alert rules of %s", (stack) => {
  it("parse under the Prometheus 3 grammar and pass promtool check rules", async () => {
    const rules = (await plan(stack)).ofType("kubernetes:monitoring.coreos.com/v1:PrometheusRule");
    expect(rules.length).toBeGreaterThanOrEqual(4);
    const expressions = rules.flatMap((rule) => rule.inputs.spec.groups.flatMap((group: any) => group.rules.map((r: any) => ({ alert: r.alert as string, expr: r.expr as string }))));
    expect(expressions.filter(({ expr }) => grammarErrors(expr).length > 0)).toEqual([]);
    const result = checkRules(Object.fromEntries(rules.map((rule) => [rule.name, rule.inputs.spec])));
    expect(result.output).not.toContain("FAILED");
    expect(result.ok).toBe(true);
  });
});

describe("rule tests", () => {
  it("exist for every alert any stack declares", async () => {
    const names = new Set<string>();
    for (const stack of STACK_NAMES) {
      for (const rule of (await plan(stack)).ofType("kubernetes:monitoring.coreos.com/v1:PrometheusRule")) {
        for (const group of rule.inputs.spec.groups) for (const r of group.rules) names.add(r.alert);
      }
    }
    const ruleTests = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => entry.isDirectory()
      ? ruleTests(path.join(dir, entry.name))
      : entry.name.endsWith(".rules.test.ts") ? [fs.readFileSync(path.join(dir, entry.name), "utf8")] : []);
    const tested = ruleTests(path.join(__dirname, "..", "components")).join("\n");
    expect([...names].filter((name) => !tested.includes(`alert: "${name}"`) && !tested.includes(`"${name}"`))).toEqual([]);
  });
});

describe("the grammar check", () => {
  it("finds a syntax error", () => {
    expect(grammarErrors("sum(rate(x[5m])")).not.toEqual([]);
    expect(grammarErrors("sum(rate(x[5m]))")).toEqual([]);
  });
});

describe("Alertmanager config", () => {
  it("passes amtool check-config for every receiver type", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "amtool-"));
    const file = path.join(dir, "alertmanager.yaml");
    fs.writeFileSync(file, alertmanagerConfig([
      { name: "slack", type: "slack", secret: "s", channel: "#data" },
      { name: "pager", type: "pagerduty", secret: "p" },
      { name: "hook", type: "webhook", secret: "w" },
    ] as any, { s: "https://hooks.slack.com/services/T0/B0/x", p: "routing-key", w: "https://alerts.example.com/hook" }));
    const amtool = spawnSync("amtool", ["check-config", file], { encoding: "utf8" });
    fs.rmSync(dir, { recursive: true, force: true });
    if (amtool.error) throw new Error("amtool not found: install Debian's prometheus-alertmanager package, as .ci/run does");
    expect(`${amtool.stdout}${amtool.stderr}`).toContain("SUCCESS");
    expect(amtool.status).toBe(0);
  });
});

describe("kube-state-metrics' CronWorkflow state", () => {
  const config = cronWorkflowStateConfig();
  const resource = config.spec.resources[0];

  it("names the series the alerts read", () => {
    const exported = resource.metrics.map((metric) => `${resource.metricNamePrefix}_${metric.name}`);
    expect(exported.sort()).toEqual(Object.values(CRONWORKFLOW_METRICS).sort());
  });

  it("reads fields the CronWorkflow CRD of the pinned Argo has, with the types kube-state-metrics turns into numbers", () => {
    const crd = parseYaml(fs.readFileSync(path.join(UPSTREAM, "argo-workflows-1.0.18", "crds", "argoproj.io_cronworkflows.yaml"), "utf8"));
    const schema = crd.spec.versions.find((v: any) => v.name === resource.groupVersionKind.version).schema.openAPIV3Schema;
    const typeAt = (fieldPath: string[]) => fieldPath[0] === "metadata" ? "string" : fieldPath.reduce((node: any, key) => node?.properties?.[key], schema)?.type;
    const types = Object.fromEntries(resource.metrics.map((metric) => [metric.name, typeAt(metric.each.gauge.path)]));
    // integer counts, RFC 3339 strings (parsed to Unix seconds), a boolean.
    expect(types).toEqual({ status_succeeded: "integer", status_failed: "integer", status_last_scheduled_time: "string", created: "string", spec_suspend: "boolean" });
    const lastScheduled = resource.metrics.find((metric) => metric.name === "status_last_scheduled_time")!;
    expect(lastScheduled.each.gauge).not.toHaveProperty("nilIsZero");
  });
});
