/**
 * The Postgres restore drill: its objects against the upstream schemas, its identity (reads the backups, never
 * writes them), its isolation from production, its deadlines and clean-up on every path, and its alerts.
 */
import { parse as parseYaml } from "yaml";
import { restoredCluster } from "../components/platform/restore";
import { postgresImages } from "../versions";
import { configProblems, plan, type Plan } from "./harness";
import { allows } from "./runtime/iam";
import { allowed } from "./runtime/networkPolicy";
import { restrictedViolations } from "./runtime/podSecurity";
import { coreObjectProblems, customResourceProblems } from "./upstream";

const CRONWORKFLOW = "kubernetes:argoproj.io/v1alpha1:CronWorkflow";

describe("the restore drill of prod", () => {
  let result: Plan;
  let workflow: any;
  let templates: Record<string, any>;
  beforeAll(async () => {
    result = await plan("prod");
    workflow = result.one(CRONWORKFLOW, "etl-restore-drill-workflow").inputs;
    templates = Object.fromEntries(workflow.spec.workflowSpec.templates.map((t: any) => [t.name, t]));
  });
  const manifest = (template: string) => parseYaml(templates[template].resource.manifest);

  it("is a CronWorkflow valid against Argo's CRD, weekly by default, never two at once", () => {
    expect(customResourceProblems({ apiVersion: workflow.apiVersion, kind: workflow.kind, metadata: workflow.metadata, spec: workflow.spec })).toEqual([]);
    expect(workflow.spec).toMatchObject({ schedules: ["0 5 * * 0"], timezone: "UTC", concurrencyPolicy: "Forbid" });
  });

  it("restores into a throwaway cluster by recovery through the plugin, without a WAL archiver", () => {
    const cluster = manifest("restore");
    expect(customResourceProblems(cluster)).toEqual([]);
    expect(cluster.metadata).toEqual({ name: "etl-drill", namespace: "postgres-drill" });
    expect(cluster.spec.imageName).toBe(postgresImages["17"]);
    expect(cluster.spec.bootstrap.recovery).toMatchObject({ source: "origin", database: "etl", owner: "etl" });
    expect(cluster.spec.externalClusters).toEqual([{ name: "origin", plugin: { name: "barman-cloud.cloudnative-pg.io", parameters: { barmanObjectName: "etl-backups", serverName: "etl" } } }]);
    // It must never write into the production archive.
    expect(cluster.spec.plugins).toBeUndefined();
    // Small, and on on-demand capacity away from production's stateful pool.
    expect(cluster.spec.resources).toEqual({ requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } });
    expect(cluster.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions).toEqual([{ key: "etl-platform/pool", operator: "In", values: ["system"] }]);
    // Its volumes go with it: a class that deletes released volumes (prod's gp3 retains them).
    expect(cluster.spec.storage.storageClass).toBe("gp3-scratch");
    expect(result.one("kubernetes:storage.k8s.io/v1:StorageClass", "etl-cluster-gp3-scratch").inputs.reclaimPolicy).toBe("Delete");
    expect(cluster.spec.serviceAccountTemplate.metadata.annotations["eks.amazonaws.com/role-arn"]).toBe("arn:aws:mock:eu-west-1:123456789012:Role/etl-restore-drill-reader");
    const store = manifest("object-store");
    expect(store.metadata).toEqual({ name: "etl-backups", namespace: "postgres-drill" });
    expect(store.spec.configuration.destinationPath).toBe("s3://etl-postgres-backups/etl");
    expect(store.spec.retentionPolicy).toBeUndefined();
  });

  it("checks the restored database with a Job that passes the restricted profile", () => {
    const job = manifest("check");
    expect(coreObjectProblems(job)).toEqual([]);
    expect(restrictedViolations(job.spec.template.spec)).toEqual([]);
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.template.spec.containers[0].env).toContainEqual({ name: "CHECK_QUERY", value: "SELECT 1" });
    expect(templates.check.resource).toMatchObject({ successCondition: "status.succeeded > 0", failureCondition: "status.failed > 0" });
  });

  it("measures the restore, holds a deadline, and cleans up whatever the outcome", () => {
    const spec = workflow.spec.workflowSpec;
    expect(spec.activeDeadlineSeconds).toBe(180 * 60);
    expect(templates.restore).toMatchObject({ activeDeadlineSeconds: 180 * 60, resource: { successCondition: "status.readyInstances == 1" } });
    expect(templates.restore.metrics.prometheus[0]).toMatchObject({ name: "etl_restore_drill_restore_seconds", gauge: { value: "{{duration}}" } });
    expect(templates.check.metrics.prometheus[0]).toMatchObject({ name: "etl_restore_drill_check_seconds", gauge: { value: "{{duration}}" } });
    // The exit handler runs on success, failure and deadline alike, and deletes all three objects.
    expect(spec.onExit).toBe("cleanup");
    const deleted = templates.cleanup.steps[0].map((step: any) => templates[step.template]);
    expect(deleted.map((t: any) => `${t.resource.action} ${parseYaml(t.resource.manifest).kind}`).sort()).toEqual(["delete Cluster", "delete Job", "delete ObjectStore"]);
    for (const t of deleted) expect(t.resource.flags).toContain("--ignore-not-found");
  });

  it("may read the backups, and neither write nor delete them", () => {
    const policy = JSON.parse(result.one("aws:iam/rolePolicy:RolePolicy", "etl-restore-drill-reader").inputs.policy);
    const backups = "arn:aws:mock:eu-west-1:123456789012:Bucket/etl-postgres-backups";
    expect(allows(policy, "s3:GetObject", `${backups}/etl/base/x/data.tar`)).toBe(true);
    expect(allows(policy, "s3:ListBucket", backups)).toBe(true);
    expect(allows(policy, "kms:Decrypt", "arn:aws:mock:eu-west-1:123456789012:Key/etl-postgres-backups")).toBe(true);
    expect(allows(policy, "s3:PutObject", `${backups}/etl/wals/x`)).toBe(false);
    expect(allows(policy, "s3:DeleteObject", `${backups}/etl/base/x/data.tar`)).toBe(false);
    expect(allows(policy, "kms:GenerateDataKey", "arn:aws:mock:eu-west-1:123456789012:Key/etl-postgres-backups")).toBe(false);
    const trust = JSON.parse(result.one("aws:iam/role:Role", "etl-restore-drill-reader").inputs.assumeRolePolicy);
    expect(trust.Statement[0].Condition.StringEquals["oidc.eks.eu-west-1.amazonaws.com/id/MOCK:sub"]).toBe("system:serviceaccount:postgres-drill:etl-drill");
  });

  it("admits the operator and its check, reaches S3 and the API server, and nothing in production", () => {
    const policies = result.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((p) => p.inputs);
    const drill = { namespace: "postgres-drill", labels: { "cnpg.io/cluster": "etl-drill", "cnpg.io/podRole": "instance" } };
    const check = { namespace: "postgres-drill", labels: { "etl-platform/restore-check": "true" } };
    const production = { namespace: "postgres", labels: { "cnpg.io/cluster": "etl", "cnpg.io/podRole": "instance" } };
    const operator = { namespace: "cnpg-system", labels: { "app.kubernetes.io/name": "cloudnative-pg" } };
    const s3 = { namespace: "", labels: {}, ip: "52.218.0.10" };
    expect(allowed(policies, { from: operator, to: drill, port: 8000 })).toBe(true);
    expect(allowed(policies, { from: check, to: drill, port: 5432 })).toBe(true);
    expect(allowed(policies, { from: drill, to: s3, port: 443 })).toBe(true);
    expect(allowed(policies, { from: drill, to: production, port: 5432 })).toBe(false);
    expect(allowed(policies, { from: check, to: production, port: 5432 })).toBe(false);
    expect(allowed(policies, { from: { namespace: "pipelines", labels: { "etl-platform/pipeline": "orders-kafka-to-postgres" } }, to: drill, port: 5432 })).toBe(false);
  });

  it("acts only in its namespace, on what it creates", () => {
    const role = result.one("kubernetes:rbac.authorization.k8s.io/v1:Role", "etl-restore-drill-role").inputs;
    expect(role.metadata.namespace).toBe("postgres-drill");
    expect(role.rules.map((r: any) => `${r.apiGroups[0]}/${r.resources[0]}`).sort()).toEqual(["barmancloud.cnpg.io/objectstores", "batch/jobs", "postgresql.cnpg.io/clusters"]);
  });

  it("alerts on a failed drill, a missing one and a slow restore", () => {
    const rules = result.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "etl-monitoring-rules-restore-drill").inputs.spec.groups[0].rules;
    const byName = Object.fromEntries(rules.map((r: any) => [r.alert, r]));
    expect(Object.keys(byName).sort()).toEqual(["RestoreDrillFailed", "RestoreDrillMissing", "RestoreDrillSlow"]);
    expect(byName.RestoreDrillSlow.expr).toBe("max(argo_workflows_etl_restore_drill_restore_seconds) > 3600");
    // Weekly: two intervals are 14 days, waited once: either in the expression or in `for`, never both.
    const missing = rules.filter((r: any) => r.alert === "RestoreDrillMissing");
    expect(missing.map((r: any) => [r.expr.includes("> 1209600"), r.for])).toEqual([[true, "0m"], [false, "1209600s"]]);
  });
});

describe("the restore drill in the offline plan", () => {
  it("shows its schedule, steps and metrics; only the manifests that hold the bucket's name or the identity are unknown", async () => {
    const { planDocument } = require("../plan/document") as typeof import("../plan/document");
    const document = planDocument(await plan("prod", undefined, "plan"));
    const drill = document.resources.find((r: any) => r.type === CRONWORKFLOW && r.inputs.metadata.name === "postgres-restore-drill")!.inputs as any;
    expect(drill.spec).toMatchObject({ schedules: ["0 5 * * 0"], timezone: "UTC", concurrencyPolicy: "Forbid" });
    const manifests = Object.fromEntries(drill.spec.workflowSpec.templates.filter((t: any) => t.resource).map((t: any) => [t.name, t.resource.manifest]));
    // The ObjectStore names the bucket; the restored Cluster its service account's IAM role annotation.
    expect(Object.entries(manifests).filter(([, manifest]) => manifest === "[unknown]").map(([name]) => name)).toEqual(["object-store", "restore"]);
    expect(JSON.parse(manifests["delete-object-store"] as string).kind).toBe("ObjectStore");
    expect(drill.spec.workflowSpec.metrics.prometheus.map((m: any) => m.name)).toEqual(["etl_restore_drill_last_success_timestamp_seconds", "etl_restore_drill_failures_total"]);
  });
});

describe("the manual restore", () => {
  it("is the drill's builder: README.md shows what `npm run restore-manifest` prints", () => {
    const readme = require("fs").readFileSync(require("path").join(__dirname, "..", "README.md"), "utf8") as string;
    const { restoreManifestYaml } = require("../components/platform/restore") as typeof import("../components/platform/restore");
    const { parsePlatformConfig } = require("../config/load") as typeof import("../config/load");
    const { restoreArgs } = require("../scripts/restoreManifest") as typeof import("../scripts/restoreManifest");
    const config = parsePlatformConfig({ environment: "prod" });
    const yaml = restoreManifestYaml(restoreArgs(config, { targetTime: "2026-11-24 05:00:00+00", roleArn: "<postgresRestoreRoleArn>" }));
    // Indented as the README's numbered list indents it.
    expect(readme).toContain(yaml.trim().split("\n").map((line) => (line ? `   ${line}` : line)).join("\n"));
    expect(restoredCluster({ name: "x", namespace: "y", config: config.postgres, storageClassName: "gp3" }).spec.bootstrap.recovery).not.toHaveProperty("recoveryTarget");
  });

  it("needs no hand edits: on AWS the stateful pool and the restore's own backup role, elsewhere neither", () => {
    const { restoreArgs } = require("../scripts/restoreManifest") as typeof import("../scripts/restoreManifest");
    const { ConfigError, parsePlatformConfig } = require("../config/load") as typeof import("../config/load");
    const prod = parsePlatformConfig({ environment: "prod" });
    const cluster = restoredCluster(restoreArgs(prod, { roleArn: "arn:aws:iam::123456789012:role/etl-postgres-restore" })).spec as any;
    // The same placement as production's instances (components/platform/postgres.ts, target.placement.stateful).
    expect(cluster.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions).toEqual([
      { key: "etl-platform/pool", operator: "In", values: ["stateful"] }, { key: "etl-platform/capacity", operator: "In", values: ["on-demand"] },
    ]);
    expect(cluster.affinity.tolerations).toEqual([{ key: "etl-platform/stateful", operator: "Equal", value: "true", effect: "NoSchedule" }]);
    expect(cluster.serviceAccountTemplate).toEqual({ metadata: { annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/etl-postgres-restore" } } });
    expect(() => restoreArgs(prod, {})).toThrow(ConfigError);
    const local = parsePlatformConfig({ environment: "staging", target: "kubernetes", kubernetesTarget: { storageClassName: "standard" } });
    const onKind = restoredCluster(restoreArgs(local, {})).spec as any;
    expect(onKind).not.toHaveProperty("affinity");
    expect(onKind).not.toHaveProperty("serviceAccountTemplate");
    expect(onKind.storage.storageClass).toBe("standard");
  });

  it("refuses a drill without backups, and an RTO beyond the drill's deadline", () => {
    expect(configProblems({ environment: "staging", postgres: { backup: { enabled: false, schedule: "0 3 * * *", retentionDays: 7 } } })).toEqual([
      "etl-platform:postgres.restoreDrill.enabled: expected false while backup.enabled is false (the drill restores the backups), got true",
    ]);
    expect(configProblems({ environment: "staging", postgres: { restoreDrill: { rtoMinutes: 200, deadlineMinutes: 120 } } })[0]).toMatch(/^etl-platform:postgres.restoreDrill.rtoMinutes: expected less than deadlineMinutes/);
  });
});
