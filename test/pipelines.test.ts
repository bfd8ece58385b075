import fc from "fast-check";
import { scheduleGaps } from "../lib/cron";
import { cronJob, cronWorkflow, startingDeadlineSeconds, type PipelineWiring } from "../components/platform/pipelines";
import { pipelineNetworkPolicy } from "../components/platform/pipelines";
import { parsePlatformConfig } from "../config/load";
import { planDocument } from "../plan/document";
import { grantPolicy } from "../components/aws/s3ObjectStore";
import { awsWiring, plan, AWS_STACKS, type Declared, type Plan, SECRET_VALUES } from "./harness";
import { variants } from "./variants";
import { coreObjectProblems, customResourceProblems } from "./upstream";
import { asBatch } from "./pipelineModes";
import { configProblems as configProblemsOf } from "./harness";
import type { BatchPipelineConfig } from "../config/schema";

const CRONJOB = "kubernetes:batch/v1:CronJob";
const CRONWORKFLOW = "kubernetes:argoproj.io/v1alpha1:CronWorkflow";
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

const wiring: PipelineWiring = awsWiring;

function podSpecOf(resource: Declared): any {
  return resource.type === CRONJOB ? resource.inputs.spec.jobTemplate.spec.template.spec : resource.inputs.spec.workflowSpec;
}
function containersOf(resource: Declared): any[] {
  return resource.type === CRONJOB ? podSpecOf(resource).containers : podSpecOf(resource).templates.filter((t: any) => t.container).map((t: any) => t.container);
}

describe.each(AWS_STACKS)("pipelines of %s", (stack) => {
  let result: Plan;
  beforeAll(async () => {
    result = await plan(stack);
  });
  // The pipelines' CronWorkflows (the restore drill is one too, tested in restoreDrill.test.ts).
  const pipelineWorkflows = () => result.ofType(CRONWORKFLOW).filter((w) => w.inputs.metadata.labels?.["etl-platform/pipeline"]);
  const workloads = () => [...result.ofType(CRONJOB), ...pipelineWorkflows()];

  it("declares the example pipelines: an hourly Kafka-to-Postgres load, a nightly S3 extract, a parallel aggregate and a DAG", () => {
    expect(result.ofType(CRONJOB).map((r) => r.inputs.metadata.name).sort()).toEqual(["orders-kafka-to-postgres", "orders-shard-aggregate", "partner-export-extract"]);
    const parallel = result.ofType(CRONJOB).find((r) => r.inputs.metadata.name === "orders-shard-aggregate")!.inputs.spec.jobTemplate.spec;
    expect(parallel).toMatchObject({ completionMode: "Indexed", completions: 8, parallelism: 4, backoffLimitPerIndex: 2, maxFailedIndexes: 1 });
    expect(pipelineWorkflows().map((r) => r.inputs.metadata.name)).toEqual(["orders-daily-report"]);
  });

  it("validates every CronJob against the Kubernetes schema and every CronWorkflow against the Argo CRD", () => {
    for (const job of result.ofType(CRONJOB)) expect(coreObjectProblems({ apiVersion: "batch/v1", kind: "CronJob", ...job.inputs })).toEqual([]);
    for (const workflow of result.ofType(CRONWORKFLOW)) {
      expect(customResourceProblems({ apiVersion: workflow.inputs.apiVersion, kind: workflow.inputs.kind, metadata: workflow.inputs.metadata, spec: workflow.inputs.spec })).toEqual([]);
    }
  });

  it("gives every CronJob its reliability settings", () => {
    for (const job of result.ofType(CRONJOB)) {
      const spec = job.inputs.spec;
      const { minSeconds } = scheduleGaps(spec.schedule, spec.timeZone);
      expect(spec.concurrencyPolicy).toBe("Forbid");
      expect(spec.startingDeadlineSeconds).toBeGreaterThan(0);
      expect(spec.startingDeadlineSeconds).toBeLessThan(minSeconds);
      expect(spec.successfulJobsHistoryLimit).toBeGreaterThanOrEqual(0);
      expect(spec.failedJobsHistoryLimit).toBeGreaterThanOrEqual(1);
      expect(spec.timeZone).toBeTruthy();
      const jobSpec = spec.jobTemplate.spec;
      // One-pod runs retry 3 times; an Indexed run retries per index, with no run-wide limit.
      if (jobSpec.completionMode === "Indexed") expect([jobSpec.backoffLimit, jobSpec.backoffLimitPerIndex]).toEqual([undefined, 2]);
      else expect(jobSpec.backoffLimit).toBe(3);
      expect(jobSpec.activeDeadlineSeconds).toBeGreaterThan(0);
      expect(jobSpec.ttlSecondsAfterFinished).toBeGreaterThan(0);
      expect(jobSpec.template.spec.restartPolicy).toBe("Never");
      expect(jobSpec.podFailurePolicy.rules[0]).toEqual({ action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] });
    }
    const loader = result.one(CRONJOB, "etl-pipelines-orders-kafka-to-postgres").inputs.spec.jobTemplate.spec;
    expect(loader.podFailurePolicy.rules[1]).toEqual({ action: "FailJob", onExitCodes: { containerName: "main", operator: "In", values: [2] } });
  });

  it("gives every CronWorkflow the same reliability settings", () => {
    const workflow = result.one(CRONWORKFLOW, "etl-pipelines-orders-daily-report").inputs.spec;
    expect(workflow).toMatchObject({ concurrencyPolicy: "Forbid", schedules: ["0 3 * * *"], timezone: "Europe/Berlin", successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 3 });
    expect(workflow.startingDeadlineSeconds).toBeLessThan(scheduleGaps("0 3 * * *", "Europe/Berlin").minSeconds);
    expect(workflow.workflowSpec).toMatchObject({ activeDeadlineSeconds: 10800, ttlStrategy: { secondsAfterCompletion: 86400 }, podGC: { strategy: "OnPodCompletion" } });
    const steps = workflow.workflowSpec.templates.filter((t: any) => t.container);
    for (const step of steps) expect(step.retryStrategy).toMatchObject({ limit: "3", retryPolicy: "Always", expression: expect.stringContaining("lastRetry.status"), backoff: { duration: "30s", factor: "2" } });
    // Only steps retry: a retry strategy on the workflow or the DAG template would re-run the whole DAG.
    expect(workflow.workflowSpec.retryStrategy).toBeUndefined();
    expect(workflow.workflowSpec.templates.find((t: any) => t.dag).retryStrategy).toBeUndefined();
  });

  it("loads only after the validate step succeeds", () => {
    const dag = result.one(CRONWORKFLOW, "etl-pipelines-orders-daily-report").inputs.spec.workflowSpec.templates[0].dag.tasks;
    expect(dag).toEqual([
      { name: "extract", template: "extract" },
      { name: "validate", template: "validate", dependencies: ["extract"] },
      { name: "load", template: "load", dependencies: ["validate"] },
    ]);
  });

  it("runs pipelines on spot batch nodes with the pipelines' PriorityClass", () => {
    for (const workload of workloads()) {
      const pod = podSpecOf(workload);
      expect(pod.tolerations).toEqual([{ key: "etl-platform/batch", operator: "Equal", value: "true", effect: "NoSchedule" }]);
      expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions).toEqual([{ key: "etl-platform/capacity", operator: "In", values: ["spot"] }]);
      expect(pod.priorityClassName ?? pod.podPriorityClassName).toBe("etl-pipelines");
    }
    const priority = result.one("kubernetes:scheduling.k8s.io/v1:PriorityClass", "etl-pipelines-priority").inputs;
    const dataPriority = result.one("kubernetes:scheduling.k8s.io/v1:PriorityClass", "etl-data-priority").inputs;
    expect(priority.value).toBeLessThan(dataPriority.value);
  });

  it("runs every container non-root, read-only, without privileges, with /tmp writable", () => {
    for (const workload of workloads()) {
      const pod = podSpecOf(workload);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
      expect(pod.volumes[0]).toEqual({ name: "tmp", emptyDir: { sizeLimit: "1Gi" } });
      for (const container of containersOf(workload)) {
        expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } });
        expect(container.volumeMounts[0]).toEqual({ name: "tmp", mountPath: "/tmp" });
        expect(container.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
        expect(container.resources.limits.memory).toEqual(expect.any(String));
      }
    }
    for (const job of result.ofType(CRONJOB)) expect(podSpecOf(job).automountServiceAccountToken).toBe(false);
    expect(result.one("kubernetes:core/v1:Namespace", "etl-pipelines-ns").inputs.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  });

  it("gives each pipeline its own service account, and an IAM role only for the S3 prefixes it declares", () => {
    for (const workload of workloads()) {
      const name = workload.inputs.metadata.name;
      expect(podSpecOf(workload).serviceAccountName).toBe(name);
      expect(result.one("kubernetes:core/v1:ServiceAccount", `etl-pipelines-${name}`).inputs.automountServiceAccountToken).toBe(false);
    }
    const extractRole = JSON.parse(result.one("aws:iam/rolePolicy:RolePolicy", "etl-pipelines-partner-export-extract").inputs.policy);
    expect(extractRole).toEqual(grantPolicy([
      { bucketArn: "arn:aws:s3:::acme-partner-exports", prefix: "orders/", actions: ["list", "read"] },
      { bucketArn: "arn:aws:s3:::acme-data-lake", prefix: "raw/orders/", actions: ["write"] },
    ]));
    const trust = JSON.parse(result.one("aws:iam/role:Role", "etl-pipelines-partner-export-extract").inputs.assumeRolePolicy);
    expect(trust.Statement[0].Condition.StringEquals["oidc.eks.eu-west-1.amazonaws.com/id/MOCK:sub"]).toBe("system:serviceaccount:pipelines:partner-export-extract");
    expect(result.ofType("aws:iam/role:Role").some((r) => r.name === "etl-pipelines-orders-kafka-to-postgres")).toBe(false);
  });

  it("wires Kafka and Postgres through secret references only, with a KafkaUser per Kafka pipeline", () => {
    const env = containersOf(result.one(CRONJOB, "etl-pipelines-orders-kafka-to-postgres"))[0].env;
    const byName = Object.fromEntries(env.map((e: any) => [e.name, e]));
    expect(byName.KAFKA_BOOTSTRAP_SERVERS.value).toBe("etl-kafka-bootstrap.kafka.svc:9093");
    expect(byName.KAFKA_PASSWORD.valueFrom).toEqual({ secretKeyRef: { name: "orders-kafka-to-postgres", key: "password" } });
    expect(byName.PGHOST.value).toBe("etl-rw.postgres.svc");
    // Its own Postgres role (postgresRoles.ts), never the owner's etl-app credentials.
    expect(byName.PGPASSWORD.valueFrom).toEqual({ secretKeyRef: { name: "orders-kafka-to-postgres-postgres", key: "password" } });
    expect(byName.PGUSER.valueFrom).toEqual({ secretKeyRef: { name: "orders-kafka-to-postgres-postgres", key: "username" } });
    expect(result.ofType("kubernetes:core/v1:Secret").filter((secret) => secret.inputs.metadata.namespace === "pipelines").map((secret) => secret.inputs.metadata.name)).not.toContain("etl-app");
    const user = result.one("kubernetes:kafka.strimzi.io/v1:KafkaUser", "etl-pipelines-orders-kafka-to-postgres-kafka-user").inputs;
    expect(user.metadata.namespace).toBe("pipelines");
    expect(user.spec.authorization.acls.map((a: any) => a.resource.name)).toEqual(["orders", "orders-kafka-to-postgres"]);
    expect(customResourceProblems({ apiVersion: user.apiVersion, kind: user.kind, metadata: user.metadata, spec: user.spec })).toEqual([]);
    expect(result.one("kubernetes:core/v1:Secret", "etl-pipelines-mirror-orders-kafka-to-postgres-postgres").inputs.metadata.annotations).toEqual({ "reflector.v1.k8s.emberstack.com/reflects": "postgres/orders-kafka-to-postgres-postgres" });
  });

  it("denies all traffic by default and lets each pipeline reach exactly what it declares", () => {
    expect(result.one(NETPOL, "etl-pipelines-default-deny").inputs.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    const egressOf = (name: string) => result.one(NETPOL, `etl-pipelines-${name}`).inputs.spec.egress;
    const destinations = (name: string) => egressOf(name).map((rule: any) => `${rule.to[0].namespaceSelector?.matchLabels["kubernetes.io/metadata.name"] ?? rule.to[0].ipBlock.cidr}:${rule.ports[0].port}`);
    // Every pipeline sends OTLP to the collector (monitoring, gRPC 4317 and HTTP 4318), and to none of its neighbours.
    expect(destinations("orders-kafka-to-postgres")).toEqual(["kafka:9093", "postgres:5432", "monitoring:4317"]);
    // S3 through its prefix list's addresses, STS through its endpoint in the VPC: no internet.
    expect(destinations("partner-export-extract")).toEqual(["52.218.0.0/17:443", `${stack === "prod" ? "10.30" : "10.20"}.0.0/16:443`, "monitoring:4317"]);
    expect(egressOf("partner-export-extract")[0].to.map((peer: any) => peer.ipBlock.cidr)).toEqual(["52.218.0.0/17", "3.5.64.0/21"]);
    expect(egressOf("partner-export-extract")[2]).toEqual({
      to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "opentelemetry-collector", "app.kubernetes.io/instance": "otel-collector" } } }],
      ports: [{ protocol: "TCP", port: 4317 }, { protocol: "TCP", port: 4318 }],
    });
  });
});

describe("secret environment variables", () => {
  it("reach the container only through a Kubernetes Secret, never in plain text", async () => {
    const secretValue = SECRET_VALUES.partnerApiToken;
    const settings = variants.stagingWithSecrets();
    const offline = await plan("staging", settings, "plan");
    expect(JSON.stringify(planDocument(offline))).not.toContain(secretValue);
    const result = await plan("staging", settings);
    const env = result.one(CRONJOB, "etl-pipelines-partner-export-extract").inputs.spec.jobTemplate.spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: "PARTNER_API_TOKEN", valueFrom: { secretKeyRef: { name: "partner-export-extract-env", key: "PARTNER_API_TOKEN" } } });
    const secret = result.one("kubernetes:core/v1:Secret", "etl-pipelines-partner-export-extract-env");
    expect(JSON.stringify(secret.rawInputs.stringData)).toContain("1b47061264138c4ac30d75fd1eb44270");
    expect(secret.inputs.stringData).toEqual({ PARTNER_API_TOKEN: secretValue });
  });
});

describe("parallel batch pipelines (Indexed Jobs)", () => {
  const base = { name: "split", schedule: "0 2 * * *", timeZone: "UTC", image: "ghcr.io/acme/split:1.0.0", resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "1Gi" } }, nonRetriableExitCodes: [2] };
  const problemsOf = (fields: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    try {
      parsePlatformConfig({ environment: "staging", pipelines: [{ ...base, ...fields }], ...extra });
      return [];
    } catch (error) {
      return (error as { problems: string[] }).problems;
    }
  };

  it("becomes an Indexed Job with per-index retries and no run-wide backoffLimit; non-retriable codes fail only their index", () => {
    const pipeline = parsePlatformConfig({ environment: "staging", pipelines: [{ ...base, completions: 40, parallelism: 8, maxFailedIndexes: 2 }] }).pipelines[0] as BatchPipelineConfig;
    const spec = (cronJob(pipeline, wiring) as any).spec.jobTemplate.spec;
    expect(spec).toMatchObject({ completionMode: "Indexed", completions: 40, parallelism: 8, backoffLimitPerIndex: 3, maxFailedIndexes: 2, activeDeadlineSeconds: 3600 });
    // With backoffLimitPerIndex the API server defaults backoffLimit to unlimited; the pipeline's 3 would count
    // failures across all 40 indexes (Kubernetes documentation, "Backoff limit per index").
    expect("backoffLimit" in spec).toBe(false);
    expect(spec.podFailurePolicy.rules).toEqual([
      { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] },
      { action: "FailIndex", onExitCodes: { containerName: "main", operator: "In", values: [2] } },
    ]);
    expect(coreObjectProblems(cronJob(pipeline, wiring) as any)).toEqual([]);
  });

  it("refuses, naming the key, what the API server refuses and what exceeds the pipeline bound", () => {
    expect(problemsOf({ parallelism: 4 })).toEqual(["etl-platform:pipelines[0].parallelism: expected completions with parallelism (an Indexed Job: each pod takes one index from 0 to completions-1), got parallelism 4 alone"]);
    expect(problemsOf({ completions: 3, parallelism: 4 })).toEqual(["etl-platform:pipelines[0].parallelism: expected at most completions (3): more pods than indexes would never start, got 4"]);
    expect(problemsOf({ completions: 100, parallelism: 30 })).toEqual(["etl-platform:pipelines[0].parallelism: expected at most pipelineLimits.maxParallelism (20), got 30"]);
    expect(problemsOf({ completions: 100, parallelism: 30 }, { pipelineLimits: { maxParallelism: 40 } })).toEqual([]);
    expect(problemsOf({ backoffLimitPerIndex: 1 })).toEqual(["etl-platform:pipelines[0].backoffLimitPerIndex: expected completions with backoffLimitPerIndex: the API server accepts per-index retries only in an Indexed Job"]);
    expect(problemsOf({ maxFailedIndexes: 1 })).toEqual(["etl-platform:pipelines[0].maxFailedIndexes: expected completions with maxFailedIndexes: the API server accepts it only in an Indexed Job with per-index retries"]);
    expect(problemsOf({ completions: 3, maxFailedIndexes: 4 })).toEqual(["etl-platform:pipelines[0].maxFailedIndexes: expected at most completions (3), as the API server does, got 4"]);
    expect(problemsOf({ completions: 3, steps: [{ name: "a", command: ["a"] }] })).toEqual(["etl-platform:pipelines[0].completions: expected no completions on a multi-step pipeline (its steps run as an Argo DAG); split the work in a one-step pipeline"]);
  });
});

describe("any valid pipeline config", () => {
  const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,50}[a-z0-9]$/);
  const schedule = fc.constantFrom("*/5 * * * *", "0 * * * *", "15 */2 * * *", "0 2 * * *", "30 6 * * 1-5", "0 0 1 * *", "*/1 * * * *");
  const pipelineArb = fc.record({
    name: label,
    schedule,
    timeZone: fc.constantFrom("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"),
    image: fc.constant("ghcr.io/acme/job:1.0.0"),
    resources: fc.constant({ requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } }),
    backoffLimit: fc.integer({ min: 0, max: 10 }),
    activeDeadlineSeconds: fc.integer({ min: 60, max: 86400 }),
    placement: fc.constantFrom("spot", "on-demand"),
    nonRetriableExitCodes: fc.array(fc.integer({ min: 1, max: 255 }), { maxLength: 3 }),
    postgres: fc.boolean(),
    internet: fc.boolean(),
    // Parallel batch: absent, or completions with a parallelism and limits the API server accepts.
    indexed: fc.option(fc.integer({ min: 1, max: 50 }).chain((completions) => fc.record({
      completions: fc.constant(completions),
      parallelism: fc.option(fc.integer({ min: 1, max: Math.min(completions, 20) }), { nil: undefined }),
      backoffLimitPerIndex: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
      maxFailedIndexes: fc.option(fc.integer({ min: 0, max: completions }), { nil: undefined }),
    })), { nil: undefined }),
  });

  it("keeps the invariants: deadline shorter than the interval, disruptions ignored, limits set, names short", () => {
    fc.assert(fc.property(pipelineArb, ({ indexed, ...raw }) => {
      const fields = Object.fromEntries(Object.entries(indexed ?? {}).filter(([, value]) => value !== undefined));
      const config = parsePlatformConfig({ environment: "staging", pipelines: [{ ...raw, ...fields }] });
      const pipeline = asBatch(config.pipelines[0]);
      const job = cronJob(pipeline, wiring) as any;
      const { minSeconds } = scheduleGaps(pipeline.schedule, pipeline.timeZone);
      expect(job.spec.startingDeadlineSeconds).toBeLessThan(minSeconds);
      expect(startingDeadlineSeconds(pipeline)).toBeGreaterThanOrEqual(10);
      expect(job.spec.concurrencyPolicy).toBe("Forbid");
      expect(job.spec.jobTemplate.spec.podFailurePolicy.rules[0].onPodConditions[0].type).toBe("DisruptionTarget");
      expect(job.spec.jobTemplate.spec.template.spec.containers[0].resources.limits.memory).toBeDefined();
      expect(job.metadata.name.length).toBeLessThanOrEqual(52);
      expect(job.spec.jobTemplate.spec.template.spec.tolerations[0].key).toBe("etl-platform/batch");
      expect(coreObjectProblems({ ...job })).toEqual([]);
      // One pod: the run retries backoffLimit times. Indexed: each index on its own, the run's total unbounded.
      const jobSpec = job.spec.jobTemplate.spec;
      const failAction = jobSpec.podFailurePolicy.rules[1]?.action;
      if (indexed) {
        expect(jobSpec).toMatchObject({ completionMode: "Indexed", completions: indexed.completions, parallelism: indexed.parallelism ?? 1, backoffLimitPerIndex: indexed.backoffLimitPerIndex ?? raw.backoffLimit });
        expect(jobSpec.backoffLimit).toBeUndefined();
        expect(jobSpec.maxFailedIndexes).toBe(indexed.maxFailedIndexes);
        if (failAction) expect(failAction).toBe("FailIndex");
      } else {
        expect(jobSpec).toMatchObject({ backoffLimit: raw.backoffLimit });
        expect(jobSpec.completionMode).toBeUndefined();
        if (failAction) expect(failAction).toBe("FailJob");
      }
      const egress = pipelineNetworkPolicy(pipeline, wiring).spec.egress as any[];
      expect(egress.length).toBe(Number(pipeline.postgres) + Number(pipeline.internet));
      const workflow = cronWorkflow({ ...pipeline, steps: [{ name: "a", command: ["a"], args: [], dependsOn: [], outputs: [], inputs: [] }] }, wiring);
      expect(workflow.spec.startingDeadlineSeconds).toBe(job.spec.startingDeadlineSeconds);
    }), { numRuns: 60 });
  });
});

describe("non-retriable exit codes", () => {
  const base = { name: "p", schedule: "0 * * * *", timeZone: "UTC", image: "x:1", resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "1Gi" } } };

  it("reach the podFailurePolicy strictly ascending and unique, whatever order and repeats the stack file has", () => {
    // kubernetes pkg/apis/batch/validation/validation.go (validatePodFailurePolicyRuleOnExitCodes): values must be
    // strictly ascending, unique, without 0 for `In`, at most 255.
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 255 }), { minLength: 1, maxLength: 300 }), (codes) => {
      const pipeline = asBatch(parsePlatformConfig({ environment: "staging", pipelines: [{ ...base, nonRetriableExitCodes: codes }] }).pipelines[0]);
      const values: number[] = (cronJob(pipeline, wiring) as any).spec.jobTemplate.spec.podFailurePolicy.rules[1].onExitCodes.values;
      for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]);
      expect(values.length).toBeLessThanOrEqual(255);
      expect(values).not.toContain(0);
      expect(new Set(values)).toEqual(new Set(codes));
    }), { numRuns: 100 });
  });

  it("refuses 0, which the API server refuses with `In`", () => {
    expect(() => parsePlatformConfig({ environment: "staging", pipelines: [{ ...base, nonRetriableExitCodes: [0, 2] }] })).toThrow("etl-platform:pipelines[0].nonRetriableExitCodes[0]: expected at least 1, got 0");
  });
});

describe("files handed from step to step (Argo artifacts)", () => {
  const resources = { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "1Gi" } };
  const steps = (load: Record<string, unknown> = {}) => [
    { name: "extract", command: ["x"], outputs: [{ name: "orders", path: "/tmp/out/orders.txt" }] },
    { name: "load", command: ["y"], dependsOn: ["extract"], inputs: [{ from: "extract.orders", path: "/tmp/in/orders.txt" }], ...load },
  ];
  const withSteps = (s: unknown[]) => ({ environment: "staging", pipelines: [{ name: "p", schedule: "0 * * * *", timeZone: "UTC", image: "x:1", resources, steps: s }] });

  it("become the DAG task's argument from the earlier task's output, and the templates' inputs and outputs", () => {
    const pipeline = asBatch(parsePlatformConfig(withSteps(steps())).pipelines[0]);
    const spec = cronWorkflow(pipeline, wiring).spec.workflowSpec as any;
    const load = spec.templates[0].dag.tasks.find((t: any) => t.name === "load");
    expect(load.arguments).toEqual({ artifacts: [{ name: "extract-orders", from: "{{tasks.extract.outputs.artifacts.orders}}" }] });
    const templates = Object.fromEntries(spec.templates.map((t: any) => [t.name, t]));
    expect(templates.extract.outputs).toEqual({ artifacts: [{ name: "orders", path: "/tmp/out/orders.txt" }] });
    expect(templates.load.inputs).toEqual({ artifacts: [{ name: "extract-orders", path: "/tmp/in/orders.txt" }] });
    expect(templates.extract.inputs).toBeUndefined();
    const workflow = cronWorkflow(pipeline, wiring);
    expect(customResourceProblems({ apiVersion: workflow.apiVersion, kind: workflow.kind, metadata: workflow.metadata, spec: workflow.spec })).toEqual([]);
  });

  it("let the pipeline's identity read back its own prefix, which a pipeline that hands nothing on cannot", () => {
    const { pipelineStoreGrants } = require("../components/platform/pipelines") as typeof import("../components/platform/pipelines");
    const passing = parsePlatformConfig(withSteps(steps())).pipelines[0];
    const plain = parsePlatformConfig(withSteps([{ name: "a", command: ["x"] }])).pipelines[0];
    expect(pipelineStoreGrants(passing, "artifacts")).toEqual([{ bucket: "artifacts", prefix: "p/", actions: ["write", "read"] }]);
    expect(pipelineStoreGrants(plain, "artifacts")).toEqual([{ bucket: "artifacts", prefix: "p/", actions: ["write"] }]);
  });

  it("refuses an input of a step it does not depend on, an output that does not exist, and paths outside /tmp", () => {
    expect(configProblemsOf(withSteps(steps({ dependsOn: [] })))).toEqual(['etl-platform:pipelines[0].steps[1].inputs[0].from: expected an output of a step in dependsOn (none), got "extract.orders"']);
    expect(configProblemsOf(withSteps(steps({ inputs: [{ from: "extract.refunds", path: "/tmp/in/x" }] })))).toEqual(['etl-platform:pipelines[0].steps[1].inputs[0].from: expected an output of step extract (orders), got "refunds"']);
    expect(configProblemsOf(withSteps(steps({ inputs: [{ from: "extract.orders", path: "/data/in" }] })))).toEqual(["etl-platform:pipelines[0].steps[1].inputs[0].path: expected an absolute path under /tmp/ (the root filesystem is read-only), got \"/data/in\""]);
  });
});
