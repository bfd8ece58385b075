import fc from "fast-check";
import { alertmanagerConfig } from "../components/platform/monitoring";
import { grantPolicy } from "../components/aws/s3ObjectStore";
import { freshnessThresholdSeconds, pipelineAlertRules } from "../components/platform/pipelines";
import { parsePlatformConfig } from "../config/load";
import { scheduleGaps } from "../lib/cron";
import { planDocument } from "../plan/document";
import { plan, AWS_STACKS, STACK_NAMES, type Plan, SECRET_VALUES } from "./harness";
import { variants } from "./variants";
import { customResourceProblems, KUBE_PROMETHEUS_STACK_SUBCHARTS, unknownValuesKeys, UPSTREAM } from "./upstream";
import { parse as parseYaml } from "yaml";
import * as fs from "fs";
import * as path from "path";
import type { BatchPipelineConfig } from "../config/schema";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule";

describe.each(AWS_STACKS)("monitoring and workflows of %s", (stack) => {
  let result: Plan;
  const prod = stack === "prod";
  beforeAll(async () => {
    result = await plan(stack);
  });

  it("passes the upstream values check for kube-prometheus-stack and argo-workflows", () => {
    const monitoring = result.one(RELEASE, "etl-monitoring").inputs;
    expect(monitoring).toMatchObject({ chart: "kube-prometheus-stack", version: "88.5.3" });
    // grafana and kube-state-metrics are subcharts: their own values live in their own charts. The grafana chart
    // documents serviceAccount.annotations as a commented example (grafana-12.11.1 values.yaml).
    expect(unknownValuesKeys("kube-prometheus-stack-88.5.3", monitoring.values, ["grafana.serviceAccount.annotations"], KUBE_PROMETHEUS_STACK_SUBCHARTS)).toEqual([]);
    const argo = result.one(RELEASE, "etl-argo").inputs;
    expect(argo).toMatchObject({ chart: "argo-workflows", version: "1.0.18" });
    expect(unknownValuesKeys("argo-workflows-1.0.18", argo.values, ["controller.workflowDefaults", "controller.persistence"])).toEqual([]);
  });

  it("runs Prometheus on the stateful pool with retention and gp3 storage, selecting monitors in every namespace", () => {
    const spec = result.one(RELEASE, "etl-monitoring").inputs.values.prometheus.prometheusSpec;
    expect(spec.retention).toBe(prod ? "30d" : "7d");
    expect(spec.storageSpec.volumeClaimTemplate.spec).toMatchObject({ storageClassName: "gp3", resources: { requests: { storage: prod ? "200Gi" : "20Gi" } } });
    expect(spec.tolerations).toEqual([{ key: "etl-platform/stateful", operator: "Equal", value: "true", effect: "NoSchedule" }]);
    for (const key of ["serviceMonitorSelectorNilUsesHelmValues", "podMonitorSelectorNilUsesHelmValues", "ruleSelectorNilUsesHelmValues"]) expect(spec[key]).toBe(false);
    for (const key of ["serviceMonitorNamespaceSelector", "podMonitorNamespaceSelector", "ruleNamespaceSelector"]) expect(spec[key]).toEqual({});
    const values = result.one(RELEASE, "etl-monitoring").inputs.values;
    expect(values.alertmanager.enabled).toBe(true);
    expect(values.grafana.admin.existingSecret).toBe("grafana-admin");
    expect(values.kubeStateMetrics.enabled).toBe(true);
    expect(values.nodeExporter.enabled).toBe(true);
  });

  it("declares rules and monitors that validate against their CRDs: monitors after the CRDs, rules after the release (its admission webhook)", () => {
    const release = result.one(RELEASE, "etl-monitoring");
    const crds = result.one("kubernetes:yaml/v2:ConfigGroup", "etl-monitoring-crds");
    const monitors = result.all.filter((r) => r.type.startsWith("kubernetes:monitoring.coreos.com/"));
    // Kafka's, Postgres' and Fluent Bit's PodMonitors; the rules of kafka, postgres, the drill, capacity, pipelines and log shipping.
    expect(monitors.map((r) => r.inputs.kind).sort()).toEqual([...Array(3).fill("PodMonitor"), ...Array(6).fill("PrometheusRule")]);
    for (const monitor of monitors) {
      expect(customResourceProblems({ apiVersion: monitor.inputs.apiVersion, kind: monitor.inputs.kind, metadata: monitor.inputs.metadata, spec: monitor.inputs.spec })).toEqual([]);
      expect(monitor.dependsOn).toContain(monitor.inputs.kind === "PrometheusRule" ? release.urn : crds.urn);
      if (monitor.inputs.kind !== "PrometheusRule") expect(monitor.dependsOn).not.toContain(release.urn);
    }
  });

  it("lists no Secret through kube-state-metrics: every default collector of the pinned chart but secrets", () => {
    const defaults = parseYaml(fs.readFileSync(path.join(UPSTREAM, "kube-state-metrics-8.4.0", "values.yaml"), "utf8")).collectors as string[];
    const ours = result.one(RELEASE, "etl-monitoring").inputs.values["kube-state-metrics"].collectors;
    expect(ours).toEqual(defaults.filter((collector) => collector !== "secrets"));
  });

  it("gives every alert a severity, a summary, a description and a runbook in the repository", () => {
    const runbooks = fs.readFileSync(path.join(__dirname, "..", "docs", "runbooks.md"), "utf8");
    const anchors = new Set([...runbooks.matchAll(/^## (\S+)/gm)].map((m) => m[1].toLowerCase()));
    const alerts = result.ofType(RULE).flatMap((r) => r.inputs.spec.groups.flatMap((g: any) => g.rules));
    expect(new Set(alerts.map((a: any) => a.alert))).toEqual(new Set([
      "KafkaUnderReplicatedPartitions", "KafkaOfflinePartitions", "KafkaBrokerDown", "PostgresInstanceNotReady", "PostgresMetricsAbsent",
      ...(prod ? ["PostgresReplicationLag"] : []), "PostgresBackupTooOld", "PostgresBackupMetricsAbsent", "PostgresWalArchivingFailing", "PostgresWalArchivingStalled", "RestoreDrillFailed", "RestoreDrillMissing", "RestoreDrillSlow", "AutoscalerScaleUpFailing", "SpotCapacityLost", "PipelineRunFailed", "PipelineStale", "PipelineRunSlow", "PipelineMetricsAbsent", "PipelinesQuotaNearlyExhausted",
      "LogShippingDropping", "LogShippingRetrying", "LogAgentMissing", "StreamingLagGrowingAtMax", "StreamingConsumerDown", "KedaScalerErrors",
    ]));
    for (const alert of alerts) {
      expect(["critical", "warning"]).toContain(alert.labels.severity);
      expect(alert.annotations.summary).toBeTruthy();
      expect(alert.annotations.description).toBeTruthy();
      expect(anchors).toContain(alert.annotations.runbook_url.split("#")[1]);
    }
  });

  it("declares a freshness alert per pipeline", () => {
    const pipelineRules = result.one(RULE, "etl-monitoring-rules-pipelines").inputs.spec.groups[0].rules;
    // Steps pipelines have two: a last success too old, and none recorded since the controller started.
    const stale = [...new Set(pipelineRules.filter((r: any) => r.alert === "PipelineStale").map((r: any) => r.labels.pipeline as string))].sort();
    expect(stale).toEqual(["orders-daily-report", "orders-kafka-to-postgres", "orders-shard-aggregate", "partner-export-extract"]);
  });

  it("provisions the dashboards for the Grafana sidecar", () => {
    const dashboards = result.ofType("kubernetes:core/v1:ConfigMap").filter((c) => c.inputs.metadata.labels?.grafana_dashboard === "1");
    expect(dashboards.map((d) => d.inputs.metadata.name).sort()).toEqual(["dashboard-etl-autoscaler", "dashboard-etl-kafka", "dashboard-etl-pipelines", "dashboard-etl-postgres"]);
    for (const dashboard of dashboards) {
      const json = JSON.parse(Object.values(dashboard.inputs.data)[0] as string);
      expect(json.panels.length).toBeGreaterThanOrEqual(4);
      for (const panel of json.panels) expect(panel.type === "logs" ? panel.targets[0].expression : panel.targets[0].expr).toBeTruthy();
    }
  });

  it("generates Grafana's admin password as a secret", () => {
    const secret = result.one("kubernetes:core/v1:Secret", "etl-monitoring-grafana-admin");
    expect(JSON.stringify(secret.rawInputs.stringData)).toContain("1b47061264138c4ac30d75fd1eb44270");
    expect(secret.inputs.stringData["admin-password"]).toBe("generated-password-for-etl-monitoring-grafana-admin");
    expect(result.one("random:index/randomPassword:RandomPassword", "etl-monitoring-grafana-admin").inputs.length).toBeGreaterThanOrEqual(32);
  });

  it("runs Argo on the system pool with authentication, metrics, and a read-only artifact role for the server", () => {
    const values = result.one(RELEASE, "etl-argo").inputs.values;
    expect(values.controller.nodeSelector).toEqual({ "etl-platform/pool": "system" });
    expect(values.server.nodeSelector).toEqual({ "etl-platform/pool": "system" });
    expect(values.server.authModes).toEqual(["client"]);
    expect(values.controller.metricsConfig.enabled).toBe(true);
    expect(values.controller.serviceMonitor.enabled).toBe(true);
    expect(values.useStaticCredentials).toBe(false);
    // No default repository and no shared workflow account: each steps pipeline archives with its own identity.
    expect(values.artifactRepository).toBeUndefined();
    expect(values.workflow).toEqual({ serviceAccount: { create: false }, rbac: { create: false } });
    expect(result.all.some((r) => r.name === "etl-argo-workflows")).toBe(false);
    expect(values.controller.workflowDefaults.spec).toEqual({
      activeDeadlineSeconds: 21600, ttlStrategy: { secondsAfterCompletion: 86400 }, podGC: { strategy: "OnPodCompletion" },
    });
    expect(values.controller.persistence).toEqual({});
    const serverPolicy = JSON.parse(result.one("aws:iam/rolePolicy:RolePolicy", "etl-argo-server").inputs.policy);
    expect(serverPolicy).toEqual(grantPolicy([{ bucketArn: "arn:aws:mock:eu-west-1:123456789012:Bucket/etl-argo-artifacts", keyArn: "arn:aws:mock:eu-west-1:123456789012:Key/etl-argo-artifacts", prefix: "", actions: ["list", "read"] }]));
    expect(JSON.stringify(serverPolicy)).not.toContain("PutObject");
    const lifecycle = result.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "etl-argo-artifacts").inputs.rules[0];
    expect(lifecycle.expiration).toEqual({ days: prod ? 30 : 7 });
  });
});

describe("alert receivers", () => {
  const webhook = SECRET_VALUES.slackWebhook;

  it("reach Alertmanager only inside a Kubernetes Secret, never in plain text", async () => {
    const settings = variants.prodWithSecrets();
    expect(JSON.stringify(planDocument(await plan("prod", settings, "plan")))).not.toContain(webhook);
    const result = await plan("prod", settings);
    const secret = result.one("kubernetes:core/v1:Secret", "etl-monitoring-alertmanager-config");
    // What the engine receives: the whole config marked secret, so it is encrypted in state and hidden in previews.
    expect((secret.rawInputs.stringData as Record<string, unknown>)["4dabf18193072939515e22adb298388d"]).toBe("1b47061264138c4ac30d75fd1eb44270");
    expect(parseYaml(secret.inputs.stringData["alertmanager.yaml"]).receivers[1]).toEqual({ name: "oncall", slack_configs: [{ api_url: webhook, channel: "#data", send_resolved: true }] });
    expect(JSON.stringify(result.one(RELEASE, "etl-monitoring").inputs.values)).not.toContain(webhook);
  });

  it("route every warning and critical alert to every receiver", () => {
    const config = parseYaml(alertmanagerConfig([{ name: "a", type: "pagerduty", secret: "pd" }, { name: "b", type: "webhook", secret: "hook" }], { pd: "key", hook: "https://x" }));
    expect(config.route.routes.slice(1)).toEqual([
      { receiver: "a", matchers: ['severity =~ "critical|warning"'], continue: true },
      { receiver: "b", matchers: ['severity =~ "critical|warning"'], continue: true },
    ]);
    expect(config.receivers).toContainEqual({ name: "a", pagerduty_configs: [{ routing_key: "key", send_resolved: true }] });
  });
});

describe("the freshness threshold", () => {
  const pipelineWith = (schedule: string, timeZone: string, activeDeadlineSeconds = 3600) =>
    parsePlatformConfig({ environment: "staging", pipelines: [{ name: "p", schedule, timeZone, image: "x:1", activeDeadlineSeconds, resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "1Gi" } } }] }).pipelines[0] as BatchPipelineConfig;

  it.each([
    ["hourly", "0 * * * *", "UTC", 3600],
    ["every 15 minutes", "*/15 * * * *", "UTC", 900],
    ["daily at 02:00 in Berlin (a DST day lasts 25 hours)", "0 2 * * *", "Europe/Berlin", 25 * 3600],
    ["weekdays only (Friday to Monday)", "0 6 * * 1-5", "UTC", 3 * 24 * 3600],
  ])("is the longest gap plus deadline plus margin: %s", (_name, schedule, zone, longestGap) => {
    expect(freshnessThresholdSeconds(pipelineWith(schedule, zone), 30)).toBe(longestGap + 3600 + 30 * 60);
  });

  it("never fires between two on-time runs, for any schedule, deadline and margin", () => {
    const minute = fc.constantFrom("0", "5", "*/10", "*/15", "30");
    const hour = fc.constantFrom("*", "2", "*/3", "6-18");
    const weekday = fc.constantFrom("*", "1-5", "0,6", "1");
    fc.assert(fc.property(minute, hour, weekday, fc.constantFrom("UTC", "Europe/Berlin", "America/New_York"), fc.integer({ min: 60, max: 7200 }), fc.integer({ min: 1, max: 120 }),
      (m, h, w, zone, deadline, margin) => {
        const pipeline = pipelineWith(`${m} ${h} * * ${w}`, zone, deadline);
        const threshold = freshnessThresholdSeconds(pipeline, margin);
        const { maxSeconds } = scheduleGaps(pipeline.schedule, zone);
        expect(threshold).toBeGreaterThanOrEqual(maxSeconds + deadline);
        expect(threshold).toBe(maxSeconds + deadline + margin * 60);
        const rule = pipelineAlertRules([pipeline], "pipelines", margin)[0].rules.find((r) => r.alert === "PipelineStale");
        expect(rule?.expr).toContain(`> ${threshold})`);
      }), { numRuns: 40 });
  });
});

/**
 * A first deploy is as short as the dependencies allow: no Helm release waits for another unless it needs that
 * release's running webhook or controller. Each allowed wait is listed with the reason.
 */

/** release → the releases it may wait for, and why. */
const NEEDED: Record<string, Record<string, string>> = {
  "plugin-barman-cloud": {
    // Its chart creates a cert-manager Issuer and Certificates (the plugin's mTLS with the operator), which
    // cert-manager's running webhook admits.
    "cert-manager": "cert-manager's webhook admits the plugin's Issuer and Certificates",
    // Its controller watches CloudNativePG's Clusters and Backups: their CRDs are templates of the cloudnative-pg chart.
    "cloudnative-pg": "the postgresql.cnpg.io CRDs its controller watches come with the cloudnative-pg release",
  },
  // With `argo.archive`, the workflow archive's database is a Postgres the running CloudNativePG operator creates.
  "argo-workflows": { "cloudnative-pg": "the archive's database is created by the running CloudNativePG operator" },
};

/** The releases a resource waits for, following dependsOn through everything that is not a release. */
function releasesAwaited(result: Plan, urn: string): Set<string> {
  const byUrn = new Map(result.all.map((resource) => [resource.urn, resource]));
  const children = new Map<string, string[]>();
  for (const resource of result.all) if (resource.parent) children.set(resource.parent, [...(children.get(resource.parent) ?? []), resource.urn]);
  const found = new Set<string>();
  const seen = new Set<string>();
  const visit = (current: string) => {
    if (seen.has(current)) return;
    seen.add(current);
    const resource = byUrn.get(current);
    if (!resource) return;
    if (current !== urn && resource.type === RELEASE) {
      found.add(resource.inputs.chart);
      return;
    }
    // Waiting for a component waits for all its children (the engine expands it).
    if (!resource.custom && current !== urn) for (const child of children.get(current) ?? []) visit(child);
    for (const dependency of resource.dependsOn) visit(dependency);
  };
  visit(urn);
  return found;
}

describe.each(STACK_NAMES)("Helm release order of %s", (stack) => {
  it("waits for another release only where its running webhook or controller is needed", async () => {
    const result = await plan(stack);
    const waits: Record<string, string[]> = Object.fromEntries(result.ofType(RELEASE).map((release) => [release.inputs.chart as string, [...releasesAwaited(result, release.urn)].sort()]));
    for (const [chart, awaited] of Object.entries(waits)) {
      const allowed = NEEDED[chart] ?? {};
      expect({ chart, unexpected: awaited.filter((other) => !(other in allowed)) }).toEqual({ chart, unexpected: [] });
    }
    // The operators install side by side with the monitoring stack: they need its CRDs, not its release.
    for (const chart of ["cloudnative-pg", "argo-workflows", "strimzi-kafka-operator"]) expect(waits[chart] ?? []).not.toContain("kube-prometheus-stack");
  });
});
