/**
 * Logs, traces and run metrics as declared: Fluent Bit (values against its chart, every taint tolerated, the
 * settings that keep short Jobs' logs), the log groups and each identity's exact permissions, the OpenTelemetry
 * Collector (values against its chart and schema, per-run attributes kept out of labels, X-Ray with SigV4), each
 * pipeline's OTel environment and its one flow to the collector, the OTel -> Prometheus names.
 */
import * as fs from "fs";
import * as path from "path";
import Ajv from "ajv";
import { parse as parseYaml } from "yaml";
import { planCost } from "../cost/planCost";
import { poolTaints } from "../lib/placement";
import { planDocument } from "../plan/document";
import { prometheusName, RUN_METRICS } from "../components/platform/telemetry";
import { AWS_STACKS, configProblems, minimalPipeline, plan, stackSettings, type Plan } from "./harness";
import { variants } from "./variants";
import { allows } from "./runtime/iam";
import { allowed } from "./runtime/networkPolicy";
import { chartPods, helmMerge, restrictedViolations } from "./runtime/podSecurity";
import { UPSTREAM, unknownValuesKeys } from "./upstream";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const fixture = (chart: string, file = "values.yaml") => fs.readFileSync(path.join(UPSTREAM, chart, file), "utf8");

/** Whether a pod with these tolerations may run on a node with this taint (Kubernetes' toleration matching). */
function tolerates(tolerations: { key?: string; operator?: string; value?: string; effect?: string }[], taint: { key: string; value?: string; effect: string }): boolean {
  return tolerations.some((t) => (t.effect === undefined || t.effect === taint.effect)
    && (t.operator === "Exists" ? t.key === undefined || t.key === taint.key : t.key === taint.key && t.value === taint.value));
}

/** Every container of every pipeline: CronJobs' and the CronWorkflows' step templates. */
function pipelineContainers(result: Plan): { pipeline: string; step?: string; env: { name: string; value?: string; valueFrom?: unknown }[] }[] {
  const jobs = result.ofType("kubernetes:batch/v1:CronJob").map((job) => ({ pipeline: job.inputs.metadata.name, env: job.inputs.spec.jobTemplate.spec.template.spec.containers[0].env }));
  const steps = result.ofType("kubernetes:argoproj.io/v1alpha1:CronWorkflow").filter((w) => w.inputs.metadata.labels?.["etl-platform/pipeline"])
    .flatMap((w) => w.inputs.spec.workflowSpec.templates.filter((t: any) => t.container).map((t: any) => ({ pipeline: w.inputs.metadata.name, step: t.name, env: t.container.env })));
  return [...jobs, ...steps];
}

describe.each(AWS_STACKS)("logs and telemetry of %s", (stack) => {
  let result: Plan;
  beforeAll(async () => {
    result = await plan(stack);
  });

  describe("Fluent Bit", () => {
    const values = () => result.one(RELEASE, "etl-log-shipping").inputs.values;

    it("uses only keys of the pinned chart, in a privileged namespace that holds nothing else", () => {
      expect(result.one(RELEASE, "etl-log-shipping").inputs).toMatchObject({ chart: "fluent-bit", version: "0.58.1", namespace: "logging" });
      expect(unknownValuesKeys("fluent-bit-0.58.1", values())).toEqual([]);
      // hostPath volumes: only the privileged profile admits them (Pod Security Standards, baseline "HostPath Volumes").
      expect(result.one("kubernetes:core/v1:Namespace", "etl-log-shipping-ns").inputs.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("privileged");
      const inLogging = result.all.filter((r) => r.inputs?.metadata?.namespace === "logging" || r.inputs?.namespace === "logging").map((r) => r.type).sort();
      expect(inLogging).toEqual([RELEASE, "kubernetes:monitoring.coreos.com/v1:PodMonitor", NETPOL, NETPOL].sort());
    });

    it("runs on every node: it tolerates every taint of our pools", () => {
      for (const role of ["system", "stateful", "batch"] as const) {
        for (const taint of poolTaints(role)) expect({ role, taint, tolerated: tolerates(values().tolerations, taint) }).toEqual({ role, taint, tolerated: true });
      }
    });

    it("is small on every node, and keeps short Jobs' logs and a CloudWatch outage's", () => {
      expect(values().resources).toEqual({ requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } });
      const config = values().config;
      // Fluent Bit's tail default Refresh_Interval is 60 s: a 30-second Job's file comes and goes unseen.
      expect(config.inputs).toMatch(/Refresh_Interval 1\n/);
      expect(config.inputs).toMatch(/Read_from_Head On/);
      expect(config.inputs).toMatch(/DB \/var\/fluent-bit\/state\/tail.db/);
      expect(config.inputs).toMatch(/storage.type filesystem/);
      expect(config.inputs).toMatch(/Exclude_Path \/var\/log\/containers\/\*_logging_\*.log/);
      expect(config.outputs).toMatch(/Retry_Limit no_limits/);
      expect(config.outputs).toMatch(/storage.total_limit_size 512M/);
      // Never create a group: an unforeseen namespace would get an unencrypted group that never expires.
      expect(config.outputs).toMatch(/auto_create_group Off/);
      expect(config.outputs).toMatch(/log_group_template \$log_group/);
      expect(config.filters.indexOf("Name multiline")).toBeLessThan(config.filters.indexOf("Name kubernetes"));
      expect(config.filters).toMatch(/Merge_Log On/);
      expect(values().env).toEqual([{ name: "AWS_REGION", value: "eu-west-1" }]);
      expect(values().daemonSetVolumes.map((v: any) => v.hostPath.path)).toEqual(["/var/log", "/var/fluent-bit/state"]);
      expect(values().luaScripts["route.lua"]).toContain(`GROUP_PREFIX = "/etl/etl-${stack}"`);
    });
  });

  describe("identities", () => {
    const policyOf = (name: string) => JSON.parse(result.one(ROLE_POLICY, name).inputs.policy);
    // The mocks' ARN of a log group (plan/offline.ts testOutputs); the group must exist.
    const group = (name: string) => `arn:aws:mock:eu-west-1:123456789012:LogGroup/${result.one("aws:cloudwatch/logGroup:LogGroup", name).name}`;

    it("every container log group is encrypted, kept for the retention, and named under /etl/<cluster>/", () => {
      const groups = result.ofType("aws:cloudwatch/logGroup:LogGroup").filter((g) => g.name.startsWith("etl-logs-"));
      expect(groups.length).toBeGreaterThan(10);
      for (const g of groups) expect(g.inputs).toMatchObject({ name: expect.stringMatching(new RegExp(`^/etl/etl-${stack}/`)), retentionInDays: stack === "prod" ? 90 : 7, kmsKeyId: expect.stringContaining("Key/etl-audit-logs") });
    });

    // [role policy, action, resource, allowed, what happens at runtime]
    const table: [string, string, (g: (name: string) => string) => string, boolean, string][] = [
      ["etl-logs-agent", "logs:CreateLogStream", (g) => g("etl-logs-pipelines-orders-daily-report"), true, "the agent opens a pod's stream"],
      ["etl-logs-agent", "logs:PutLogEvents", (g) => `${g("etl-logs-pipelines-orders-daily-report")}:log-stream:orders-daily-report-1-x.main`, true, "the agent ships a pipeline's lines"],
      ["etl-logs-agent", "logs:PutLogEvents", (g) => `${g("etl-logs-kafka")}:log-stream:etl-brokers-0.kafka`, true, "the agent ships a platform namespace's lines"],
      ["etl-logs-agent", "logs:PutLogEvents", (g) => `${g("etl-network-flow-logs")}:log-stream:x`, false, "another group"],
      ["etl-logs-agent", "logs:CreateLogGroup", () => "arn:aws:logs:eu-west-1:123456789012:log-group:/etl/new", false, "creating a group"],
      ["etl-logs-agent", "logs:GetLogEvents", (g) => `${g("etl-logs-kafka")}:log-stream:x`, false, "reading back"],
      ["etl-grafana-logs-reader", "logs:StartQuery", (g) => g("etl-logs-pipelines-orders-daily-report"), true, "a logs panel queries a pipeline's group"],
      ["etl-grafana-logs-reader", "logs:GetQueryResults", () => "*", true, "and reads the results"],
      ["etl-grafana-logs-reader", "logs:DescribeLogGroups", () => `arn:aws:logs:eu-west-1:123456789012:log-group:/etl/etl-${stack}/*`, true, "lists our groups"],
      ["etl-grafana-logs-reader", "logs:StartQuery", (g) => g("etl-network-flow-logs"), false, "another group"],
      ["etl-grafana-logs-reader", "logs:PutLogEvents", (g) => `${g("etl-logs-kafka")}:log-stream:x`, false, "writing"],
      ["etl-telemetry-traces", "xray:PutTraceSegments", () => "*", true, "the collector sends spans to X-Ray's OTLP endpoint"],
      ["etl-telemetry-traces", "xray:GetTraceSummaries", () => "*", false, "reading traces"],
      ["etl-telemetry-traces", "logs:PutLogEvents", (g) => `${g("etl-logs-kafka")}:log-stream:x`, false, "writing logs"],
    ];
    it.each(table)("%s: %s -> %s (%s)", (role, action, resource, expected) => {
      expect(allows(policyOf(role), action, resource(group))).toBe(expected);
    });

    it("each identity is exactly its workload's service account", () => {
      const trust = (name: string) => JSON.stringify(JSON.parse(result.one("aws:iam/role:Role", name).inputs.assumeRolePolicy).Statement[0].Condition);
      expect(trust("etl-logs-agent")).toContain("system:serviceaccount:logging:fluent-bit");
      expect(trust("etl-grafana-logs-reader")).toContain("system:serviceaccount:monitoring:grafana");
      expect(trust("etl-telemetry-traces")).toContain("system:serviceaccount:monitoring:otel-collector");
      const grafana = result.one(RELEASE, "etl-monitoring").inputs.values.grafana;
      expect(grafana.serviceAccount).toMatchObject({ name: "grafana", annotations: { "eks.amazonaws.com/role-arn": expect.stringContaining("etl-grafana-logs-reader") } });
      expect(grafana.additionalDataSources).toEqual([expect.objectContaining({ type: "cloudwatch", uid: "cloudwatch", jsonData: { authType: "default", defaultRegion: "eu-west-1" } })]);
    });
  });

  describe("the OpenTelemetry Collector", () => {
    const release = () => result.one(RELEASE, "etl-telemetry").inputs;

    it("uses only keys of the pinned chart and passes its values.schema.json; its pod is restricted", () => {
      expect(release()).toMatchObject({ chart: "opentelemetry-collector", version: "0.170.0", namespace: "monitoring" });
      // Free-form by the chart's own word: alternateConfig is the collector's config; `ports` takes any name
      // (values.schema.json patternProperties); podDisruptionBudget.maxUnavailable is a commented example.
      expect(unknownValuesKeys("opentelemetry-collector-0.170.0", release().values, ["alternateConfig", "ports", "podDisruptionBudget.maxUnavailable"])).toEqual([]);
      const validate = new Ajv({ strict: false, allErrors: true }).compile(JSON.parse(fixture("opentelemetry-collector-0.170.0", "values.schema.json")));
      const merged = helmMerge(parseYaml(fixture("opentelemetry-collector-0.170.0")), release().values) as Record<string, any>;
      expect(validate(merged) ? [] : validate.errors).toEqual([]);
      for (const pod of chartPods["opentelemetry-collector"](merged)) expect(restrictedViolations(pod)).toEqual([]);
      // The chart names no image; the contrib distribution has sigv4auth.
      expect(release().values.image).toEqual({ repository: "otel/opentelemetry-collector-contrib", tag: "0.158.0" });
      expect(release().values.command.name).toBe("otelcol-contrib");
    });

    it("drops per-run attributes before resource attributes become labels, and sends traces to X-Ray signed for xray", () => {
      const config = release().values.alternateConfig;
      expect(config.service.pipelines.metrics).toEqual({ receivers: ["otlp"], processors: ["memory_limiter", "resource/per-run", "batch"], exporters: ["prometheus"] });
      expect(config.exporters.prometheus.resource_to_telemetry_conversion).toEqual({ enabled: true });
      const deleted = config.processors["resource/per-run"].attributes.map((a: any) => a.action === "delete" && a.key);
      expect(deleted).toEqual(expect.arrayContaining(["etl.run", "service.instance.id", "k8s.pod.name"]));
      expect(config.exporters["otlphttp/xray"]).toEqual({ traces_endpoint: "https://xray.eu-west-1.amazonaws.com/v1/traces", auth: { authenticator: "sigv4auth" }, compression: "gzip" });
      expect(config.extensions.sigv4auth).toEqual({ region: "eu-west-1", service: "xray" });
      expect(config.service.pipelines.traces.exporters).toEqual(["otlphttp/xray"]);
      expect(config.service.extensions).toEqual(["health_check", "sigv4auth"]);
    });
  });

  describe("pipelines", () => {
    it("every container gets the OTel environment, the run expanded from a variable set before it", () => {
      const containers = pipelineContainers(result);
      expect(containers.length).toBeGreaterThanOrEqual(4);
      for (const { pipeline, step, env } of containers) {
        const byName = Object.fromEntries(env.map((e, i) => [e.name, { ...e, i }]));
        expect(byName.OTEL_EXPORTER_OTLP_ENDPOINT.value).toBe("http://otel-collector.monitoring.svc:4317");
        expect(byName.OTEL_SERVICE_NAME.value).toBe(pipeline);
        expect(byName.OTEL_RESOURCE_ATTRIBUTES.value).toBe(`etl.pipeline=${pipeline},etl.step=${step ?? "main"},etl.run=$(ETL_RUN),deployment.environment.name=${stack}`);
        expect(byName.ETL_RUN.i).toBeLessThan(byName.OTEL_RESOURCE_ATTRIBUTES.i);
        expect(byName.ETL_RUN).toMatchObject(step ? { value: "{{workflow.name}}" } : { valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } } });
      }
    });

    it("reach the collector's OTLP ports and nothing else of the monitoring namespace", () => {
      const policies = result.ofType(NETPOL).map((p) => p.inputs);
      const collector = { namespace: "monitoring", labels: { "app.kubernetes.io/name": "opentelemetry-collector", "app.kubernetes.io/instance": "otel-collector" } };
      const prometheus = { namespace: "monitoring", labels: { "app.kubernetes.io/name": "prometheus" } };
      for (const { pipeline } of pipelineContainers(result)) {
        const from = { namespace: "pipelines", labels: { "etl-platform/pipeline": pipeline } };
        expect(allowed(policies, { from, to: collector, port: 4317 })).toBe(true);
        expect(allowed(policies, { from, to: collector, port: 4318 })).toBe(true);
        expect(allowed(policies, { from, to: collector, port: 8889 })).toBe(false);
        expect(allowed(policies, { from, to: prometheus, port: 9090 })).toBe(false);
      }
    });
  });
});

describe("logs and telemetry of local (target: kubernetes)", () => {
  it("keeps logs in the cluster and traces nowhere: no agent, no log group, no AWS identity", async () => {
    const result = await plan("local");
    expect(result.ofType(RELEASE).map((r) => r.inputs.chart)).not.toContain("fluent-bit");
    expect(result.all.filter((r) => r.type.startsWith("aws:"))).toEqual([]);
    const config = result.one(RELEASE, "etl-telemetry").inputs.values.alternateConfig;
    expect(config.service.pipelines.traces.exporters).toEqual(["nop"]);
    expect(config.extensions.sigv4auth).toBeUndefined();
    expect(pipelineContainers(result).every(({ env }) => env.some((e) => e.name === "OTEL_EXPORTER_OTLP_ENDPOINT"))).toBe(true);
  });

  it("refuses X-Ray on target: kubernetes, naming the key", () => {
    expect(configProblems({ environment: "staging", target: "kubernetes", telemetry: { traces: "xray" } })).toEqual([
      'etl-platform:telemetry.traces: expected "none" on target: kubernetes (X-Ray is an AWS service; traces stay in the cluster); remove it, or set target: aws',
    ]);
    expect(configProblems({ environment: "staging", target: "kubernetes", logging: { containerLogs: { enabled: true } } })[0]).toMatch(/^etl-platform:logging: expected nothing on target: kubernetes/);
  });
});

describe("the cost estimate", () => {
  const day = new Date("2026-12-01T12:00:00Z");
  const linesOf = async (settings: ReturnType<typeof stackSettings>) => planCost(planDocument(await plan("staging", settings, "plan")).resources as any[], settings, day)!.lines;

  it("prices container-log ingestion and span ingestion (usage-priced, per GB)", async () => {
    const lines = await linesOf(stackSettings("staging"));
    // 11 namespace groups, the 4 batch pipelines and the streaming one (test/compute.test.ts lists them).
    expect(lines.find((l) => l.id === "logs/ingestion")?.item).toMatch(/container logs in 16/);
    expect(lines.find((l) => l.id === "traces/spans")).toMatchObject({ unit: "GB", basis: "usage", monthly: null });
  });
});

describe("telemetry turned off", () => {
  it("declares no collector, no OTel environment, no flow to it and no span cost", async () => {
    const settings = variants.stagingTelemetryOff();
    const result = await plan("staging", settings);
    expect(result.ofType(RELEASE).map((r) => r.inputs.chart)).not.toContain("opentelemetry-collector");
    expect(result.all.filter((r) => r.name === "etl-telemetry-traces")).toEqual([]);
    expect(pipelineContainers(result).some(({ env }) => env.some((e) => e.name.startsWith("OTEL_")))).toBe(false);
    const lines = planCost(planDocument(result).resources as any[], settings, new Date("2026-12-01T12:00:00Z"))!.lines;
    expect(lines.map((l) => l.id)).not.toContain("traces/spans");
  });

  it("refuses a misspelt telemetry key", () => {
    expect(configProblems({ environment: "staging", telemetry: { tracess: "none" }, pipelines: [minimalPipeline] })[0]).toMatch(/^etl-platform:telemetry/);
  });
});

describe("OTel -> Prometheus names (specification/compatibility/prometheus_and_openmetrics.md)", () => {
  it.each([
    ["etl.records.processed", "{record}", "counter", "etl_records_processed_total"],
    ["etl.data.processed", "By", "counter", "etl_data_processed_bytes_total"],
    ["etl.task.duration", "s", "histogram", "etl_task_duration_seconds"],
    ["etl.queue.wait", "s", "histogram", "etl_queue_wait_seconds"],
    ["http.server.request.duration", "s", "histogram", "http_server_request_duration_seconds"],
    ["system.memory.utilization", "1", "gauge", "system_memory_utilization_ratio"],
    ["process.cpu.time", "s", "counter", "process_cpu_time_seconds_total"],
    ["db.client.connections.usage", "{connection}", "updowncounter", "db_client_connections_usage"],
    ["kafka.bytes", "By", "counter", "kafka_bytes_total"],
  ] as const)("%s (%s, %s) -> %s", (name, unit, type, expected) => {
    expect(prometheusName(name, unit, type)).toBe(expected);
  });

  it("names every documented run metric", () => {
    expect(RUN_METRICS.map((m) => prometheusName(m.name, m.unit, m.type))).toEqual(["etl_records_processed_total", "etl_data_processed_bytes_total", "etl_task_duration_seconds", "etl_queue_wait_seconds"]);
  });
});
