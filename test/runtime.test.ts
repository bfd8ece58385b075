/**
 * What the cluster and AWS will do with what we declare, each fact taken from the upstream source of the pinned
 * version (cited at each table). Schema checks say whether an object is stored; these say whether it works.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { addonSpecs } from "../components/aws/cluster";
import { podFailurePolicy } from "../components/platform/pipelines";
import { COLLECTOR_POD_LABELS } from "../components/platform/telemetry";
import { OPERATOR_POD_LABELS, OPERATOR_WEBHOOK_PORT } from "../components/platform/monitoring";
import { INFRASTRUCTURE_FAILURE_MESSAGES, argoRetryExpression } from "../components/platform/pipelines";
import { chartCrdFiles, charts, EKS_ADDONS, kubernetesVersions, prometheusOperatorVersion, supportedKubernetesVersions } from "../versions";
import { plan, AWS_STACKS, type Declared, type Plan } from "./harness";
import { allows } from "./runtime/iam";
import { argoCustomMetrics, exporters, selectors } from "./runtime/metrics";
import { allowed, type Endpoint } from "./runtime/networkPolicy";
import { chartPods, helmMerge, restrictedViolations } from "./runtime/podSecurity";
import { UPSTREAM } from "./upstream";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const CRONJOB = "kubernetes:batch/v1:CronJob";
const CRONWORKFLOW = "kubernetes:argoproj.io/v1alpha1:CronWorkflow";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const chartDefaults = (dir: string) => parseYaml(fs.readFileSync(path.join(UPSTREAM, dir, "values.yaml"), "utf8"));

describe.each(AWS_STACKS)("runtime behaviour of %s", (stack) => {
  let result: Plan;
  beforeAll(async () => {
    result = await plan(stack);
  });
  const restrictedNamespaces = () => new Set(result.ofType(NAMESPACE)
    .filter((ns) => ns.inputs.metadata.labels?.["pod-security.kubernetes.io/enforce"] === "restricted").map((ns) => ns.inputs.metadata.name));
  const argoValues = () => helmMerge(chartDefaults("argo-workflows-1.0.18"), result.one(RELEASE, "etl-argo").inputs.values) as Record<string, any>;

  describe("admission: every pod in a restricted namespace passes the restricted Pod Security Standard", () => {
    it("the charts' own pods, rendered from upstream defaults merged with our values", () => {
      const fixtures: Record<string, string> = { "argo-workflows": "argo-workflows-1.0.18", "strimzi-kafka-operator": "strimzi-kafka-operator-1.2.0", keda: "keda-2.20.2" };
      const inRestricted = result.ofType(RELEASE).filter((release) => restrictedNamespaces().has(release.inputs.namespace));
      // A chart installed into a restricted namespace must have a model of its pods here, or this test fails.
      expect(inRestricted.map((release) => release.inputs.chart).sort()).toEqual(Object.keys(fixtures).sort());
      for (const release of inRestricted) {
        const values = helmMerge(chartDefaults(fixtures[release.inputs.chart]), release.inputs.values) as Record<string, any>;
        const pods = chartPods[release.inputs.chart](values);
        expect(pods.length).toBeGreaterThan(0);
        for (const pod of pods) expect({ pod: pod.name, problems: restrictedViolations(pod) }).toEqual({ pod: pod.name, problems: [] });
      }
    });

    it("the models see the chart defaults the restricted profile refuses (an empty podSecurityContext)", () => {
      const pods = chartPods["argo-workflows"](chartDefaults("argo-workflows-1.0.18"));
      expect(restrictedViolations(pods[0])).toContain("controller: no seccompProfile RuntimeDefault or Localhost (neither on the container nor the pod)");
      // and the CRD install Job, rendered only with full CRDs, which we do not install (it downloads them from GitHub)
      expect(pods.map((p) => p.name)).toContain("crd-install");
      expect(chartPods["argo-workflows"](argoValues()).map((p) => p.name)).not.toContain("crd-install");
    });

    it("our pipeline pods, including the init and wait containers Argo adds to each step", () => {
      const values = argoValues();
      for (const job of result.ofType(CRONJOB)) {
        expect(restrictedViolations(job.inputs.spec.jobTemplate.spec.template.spec)).toEqual([]);
      }
      const consumers = result.ofType("kubernetes:apps/v1:Deployment").filter((deployment) => deployment.inputs.metadata.namespace === "pipelines");
      expect(consumers.length).toBeGreaterThan(0);
      for (const consumer of consumers) expect(restrictedViolations(consumer.inputs.spec.template.spec)).toEqual([]);
      for (const workflow of result.ofType(CRONWORKFLOW)) {
        const spec = workflow.inputs.spec.workflowSpec;
        // Resource templates run argoexec in the `main` container with the executor's settings.
        const containers = spec.templates.filter((t: any) => t.container || t.resource).map((t: any) => t.container ?? { name: "main", securityContext: values.executor.securityContext });
        for (const container of containers) {
          // argoproj/argo-workflows v4.0.6 workflow/controller/workflowpod.go: the pod takes the workflow's
          // securityContext and volumes; init and wait take the controller config's executor settings
          // (the chart's `executor.securityContext`); Argo adds the var-run-argo emptyDir and the executor token Secret.
          const pod = {
            securityContext: spec.securityContext,
            initContainers: [{ name: "init", securityContext: values.executor.securityContext }],
            containers: [container, { name: "wait", securityContext: values.executor.securityContext }],
            volumes: [...(spec.volumes ?? []), { name: "var-run-argo", emptyDir: {} }, { name: "exec-sa-token", secret: { secretName: "argo-executor.service-account-token" } }],
          };
          expect(restrictedViolations(pod)).toEqual([]);
        }
      }
    });

    it("the operators' operand pods: Strimzi runs its pods under its restricted provider", () => {
      // strimzi-kafka-operator: STRIMZI_POD_SECURITY_PROVIDER_CLASS=restricted selects RestrictedPodSecurityProvider,
      // which gives every Kafka, entity operator and exporter container the restricted settings.
      const strimzi = result.one(RELEASE, "etl-kafka-operator").inputs.values;
      expect(strimzi.extraEnvs).toContainEqual({ name: "STRIMZI_POD_SECURITY_PROVIDER_CLASS", value: "restricted" });
      // cloudnative-pg/plugin-barman-cloud v0.13.0 (the appVersion of the pinned chart 0.7.0),
      // internal/cnpgi/operator/lifecycle.go: the sidecar it injects into every instance pod, with this fixed
      // securityContext; CloudNativePG's own containers default to seccomp RuntimeDefault, non-root (uid 26).
      const sidecar = { name: "plugin-barman-cloud", securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, privileged: false, readOnlyRootFilesystem: true, seccompProfile: { type: "RuntimeDefault" }, capabilities: { drop: ["ALL"] } } };
      expect(restrictedViolations({ containers: [sidecar] })).toEqual([]);
      const cluster = result.one("kubernetes:postgresql.cnpg.io/v1:Cluster", "etl-postgres-cluster").inputs.spec;
      expect(cluster.seccompProfile).toBeUndefined();
      expect(cluster.postgresUID).toBeUndefined();
    });
  });

  describe("identity: each workload's role allows what it does at runtime, and not more", () => {
    const policyOf = (name: string) => JSON.parse(result.one(ROLE_POLICY, name).inputs.policy);
    const artifacts = "arn:aws:mock:eu-west-1:123456789012:Bucket/etl-argo-artifacts";
    const artifactKey = "arn:aws:mock:eu-west-1:123456789012:Key/etl-argo-artifacts";
    const backups = "arn:aws:mock:eu-west-1:123456789012:Bucket/etl-postgres-backups";
    // [role policy, action, resource, allowed, what the workload does]
    const table: [string, string, string, boolean, string][] = [
      ["etl-pipelines-orders-daily-report", "s3:PutObject", `${artifacts}/orders-daily-report/orders-daily-report-1767225600/orders-daily-report-1767225600-extract-1/main.log`, true, "a step's wait container archives its log"],
      ["etl-pipelines-orders-daily-report", "kms:GenerateDataKey", artifactKey, true, "the log is encrypted with the bucket's key"],
      ["etl-pipelines-orders-daily-report", "s3:PutObject", `${artifacts}/partner-export-extract/x/main.log`, false, "another pipeline's prefix"],
      ["etl-pipelines-orders-daily-report", "s3:GetObject", `${artifacts}/orders-daily-report/x/main.log`, false, "reading the archive back"],
      ["etl-pipelines-orders-daily-report", "s3:PutObject", "arn:aws:s3:::acme-data-lake/curated/orders-report/day=1/part-0.parquet", true, "the step's declared S3 write"],
      ["etl-pipelines-partner-export-extract", "s3:GetObject", "arn:aws:s3:::acme-partner-exports/orders/2026-11-25.csv", true, "the extract reads its source"],
      ["etl-pipelines-partner-export-extract", "s3:PutObject", `${artifacts}/partner-export-extract/x`, false, "a CronJob archives nothing"],
      ["etl-argo-server", "s3:GetObject", `${artifacts}/orders-daily-report/x/main.log`, true, "the UI shows an archived log"],
      ["etl-argo-server", "s3:PutObject", `${artifacts}/orders-daily-report/x/main.log`, false, "the UI never writes"],
      ["etl-postgres-backup", "s3:PutObject", `${backups}/etl/wals/0000000100000000/000000010000000000000001.gz`, true, "the Barman Cloud sidecar archives WAL"],
      ["etl-postgres-backup", "s3:DeleteObject", `${backups}/etl/base/20261125T020000/data.tar.gz`, true, "retention removes old base backups"],
      ["etl-autoscaler-role", "autoscaling:SetDesiredCapacity", "arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:uuid:autoScalingGroupName/eks-batch-x", true, "scales a node group (tag-conditioned)"],
      ["etl-autoscaler-role", "eks:DescribeNodegroup", `arn:aws:eks:eu-west-1:123456789012:nodegroup/etl-${stack}/batch/uuid`, true, "reads a node group's template at zero"],
      ["etl-cluster-ebs-csi", "kms:CreateGrant", "arn:aws:mock:eu-west-1:123456789012:Key/etl-cluster-volumes", true, "lets EC2 attach an encrypted volume"],
      ["etl-network-flow-logs", "logs:PutLogEvents", "arn:aws:mock:eu-west-1:123456789012:LogGroup/etl-network-flow-logs:log-stream:eni-1-all", true, "delivers flow logs"],
    ];
    it.each(table)("%s: %s on %s -> %s (%s)", (role, action, resource, expected) => {
      expect(allows(policyOf(role), action, resource)).toBe(expected);
    });

    it("the executor reports step results with its own account; pipeline code gets no API token", () => {
      // argoproj/argo-workflows docs/workflow-rbac.md (>= v3.4): create and patch workflowtaskresults
      const role = result.one("kubernetes:rbac.authorization.k8s.io/v1:Role", "etl-pipelines-argo-executor").inputs;
      expect(role.rules).toEqual([{ apiGroups: ["argoproj.io"], resources: ["workflowtaskresults"], verbs: ["create", "patch"] }]);
      const binding = result.one("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "etl-pipelines-argo-executor").inputs;
      expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "argo-executor", namespace: "pipelines" }]);
      // util/secrets/secret_name.go: the token Secret is found by the name <account>.service-account-token
      const token = result.one("kubernetes:core/v1:Secret", "etl-pipelines-argo-executor-token").inputs;
      expect(token).toMatchObject({ type: "kubernetes.io/service-account-token", metadata: { name: "argo-executor.service-account-token", annotations: { "kubernetes.io/service-account.name": "argo-executor" } } });
      for (const workflow of result.ofType(CRONWORKFLOW).filter((w) => w.inputs.metadata.labels?.["etl-platform/pipeline"])) {
        const spec = workflow.inputs.spec.workflowSpec;
        // workflowpod.go: false is copied onto the pod and then requires executor.serviceAccountName
        expect(spec.automountServiceAccountToken).toBe(false);
        expect(spec.executor).toEqual({ serviceAccountName: "argo-executor" });
        expect(spec.serviceAccountName).toBe(workflow.inputs.metadata.name);
        expect(spec.artifactRepositoryRef).toEqual({ configMap: "artifact-repositories", key: workflow.inputs.metadata.name });
      }
      const repositories = result.one("kubernetes:core/v1:ConfigMap", "etl-pipelines-artifact-repositories").inputs.data;
      expect(parseYaml(repositories["orders-daily-report"])).toEqual({
        archiveLogs: true,
        s3: { bucket: "etl-argo-artifacts", endpoint: "s3.eu-west-1.amazonaws.com", region: "eu-west-1", insecure: false, useSDKCreds: true, keyFormat: "orders-daily-report/{{workflow.name}}/{{pod.name}}" },
      });
    });

    it("a cluster restored under the documented name has its own role: read the archive, write only its own prefix", () => {
      const trust = JSON.parse(result.one("aws:iam/role:Role", "etl-postgres-restore").inputs.assumeRolePolicy);
      expect(trust.Statement[0].Condition.StringEquals["oidc.eks.eu-west-1.amazonaws.com/id/MOCK:sub"]).toBe("system:serviceaccount:postgres:etl-restore");
      const restore = policyOf("etl-postgres-restore");
      expect(allows(restore, "s3:GetObject", `${backups}/etl/base/20261125T020000/data.tar.gz`)).toBe(true);
      expect(allows(restore, "s3:PutObject", `${backups}/etl-restore/wals/0000000100000000/000000010000000000000001.gz`)).toBe(true);
      expect(allows(restore, "s3:PutObject", `${backups}/etl/wals/0000000100000000/000000010000000000000001.gz`)).toBe(false);
      expect(allows(restore, "s3:DeleteObject", `${backups}/etl/base/20261125T020000/data.tar.gz`)).toBe(false);
      expect(result.outputs.postgresRestoreRoleArn).toContain("etl-postgres-restore");
    });
  });

  describe("metrics: every alert watches series its exporter emits, with labels they carry", () => {
    it("uses only known metric names and labels", () => {
      const workflowSpecs = result.ofType(CRONWORKFLOW).map((w) => w.inputs.spec.workflowSpec);
      const known: Record<string, string[]> = { ...argoCustomMetrics(workflowSpecs) };
      for (const exporter of Object.values(exporters())) Object.assign(known, exporter.metrics);
      const alerts = result.ofType("kubernetes:monitoring.coreos.com/v1:PrometheusRule").flatMap((r) => r.inputs.spec.groups.flatMap((g: any) => g.rules));
      expect(alerts.length).toBeGreaterThan(8);
      for (const alert of alerts) {
        const found = selectors(alert.expr);
        expect(found.length).toBeGreaterThan(0);
        for (const { metric, labels } of found) {
          expect({ alert: alert.alert, metric, known: metric in known }).toEqual({ alert: alert.alert, metric, known: true });
          for (const label of labels) expect({ alert: alert.alert, metric, label, known: known[metric].includes(label) }).toEqual({ alert: alert.alert, metric, label, known: true });
        }
      }
    });

    it("shows each streaming pipeline's lag, consumers and scaler on the Kafka dashboard, from series their exporters emit", () => {
      const known: Record<string, string[]> = {};
      for (const exporter of Object.values(exporters())) Object.assign(known, exporter.metrics);
      const kafka = JSON.parse(result.one("kubernetes:core/v1:ConfigMap", "etl-monitoring-dashboard-etl-kafka").inputs.data["etl-kafka.json"]);
      const streaming = kafka.panels.filter((panel: any) => panel.title.startsWith("Streaming pipelines"));
      expect(streaming.map((panel: any) => panel.title)).toEqual(["Streaming pipelines: lag", "Streaming pipelines: ready consumers", "Streaming pipelines: KEDA scaler active"]);
      for (const panel of streaming) {
        expect(panel.targets[0].expr).toContain("orders-enrich");
        for (const { metric, labels } of selectors(panel.targets[0].expr)) expect({ metric, unknown: labels.filter((label) => !known[metric]?.includes(label)) }).toEqual({ metric, unknown: [] });
      }
    });

    it("watches backups through the plugin's metric, and pages when that series is absent", () => {
      const rules = result.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "etl-monitoring-rules-postgres").inputs.spec.groups[0].rules;
      const byName = Object.fromEntries(rules.map((r: any) => [r.alert, r.expr]));
      expect(byName.PostgresBackupTooOld).toContain("barman_cloud_cloudnative_pg_io_last_available_backup_timestamp");
      expect(byName.PostgresBackupMetricsAbsent).toMatch(/^absent\(barman_cloud_cloudnative_pg_io_last_available_backup_timestamp\{/);
      expect(byName.PostgresMetricsAbsent).toMatch(/^absent\(cnpg_collector_up\{/);
      const monitor = result.one("kubernetes:monitoring.coreos.com/v1:PodMonitor", "etl-postgres-pods").inputs.spec;
      expect(monitor.selector).toEqual({ matchLabels: { "cnpg.io/podRole": "instance" } });
    });

    it("the selector parser finds the series an expression reads", () => {
      expect(selectors('time() - max(kube_cronjob_created{namespace="a", cronjob="b"}) > 3 unless on() (max(x{y=~"z"}) == 1)')).toEqual([
        { metric: "kube_cronjob_created", labels: ["namespace", "cronjob"] }, { metric: "x", labels: ["y"] },
      ]);
    });
  });

  describe("flows: with NetworkPolicies enforced, what must flow does and what must not does not", () => {
    it("runs the VPC CNI's network policy agent, without which no policy is enforced", () => {
      const cni = result.one("aws:eks/addon:Addon", "etl-cluster-vpc-cni").inputs;
      expect(JSON.parse(cni.configurationValues)).toEqual({ enableNetworkPolicy: "true" });
    });

    const pipeline = (name: string): Endpoint => ({ namespace: "pipelines", labels: { "etl-platform/pipeline": name } });
    const broker: Endpoint = { namespace: "kafka", labels: { "strimzi.io/cluster": "etl", "strimzi.io/kind": "Kafka", "strimzi.io/name": "etl-kafka", "strimzi.io/pool-name": "brokers" } };
    const kafkaExporter: Endpoint = { namespace: "kafka", labels: { "strimzi.io/cluster": "etl", "strimzi.io/kind": "Kafka", "strimzi.io/name": "etl-kafka-exporter" } };
    const entityOperator: Endpoint = { namespace: "kafka", labels: { "strimzi.io/cluster": "etl", "strimzi.io/kind": "Kafka", "strimzi.io/name": "etl-entity-operator" } };
    const instance = (cluster: string): Endpoint => ({ namespace: "postgres", labels: { "cnpg.io/cluster": cluster, "cnpg.io/podRole": "instance", "cnpg.io/instanceRole": "primary" } });
    const cnpgOperator: Endpoint = { namespace: "cnpg-system", labels: { "app.kubernetes.io/name": "cloudnative-pg" } };
    const strimziOperator: Endpoint = { namespace: "strimzi", labels: { "strimzi.io/kind": "cluster-operator", name: "strimzi-cluster-operator" } };
    const prometheus: Endpoint = { namespace: "monitoring", labels: { "app.kubernetes.io/name": "prometheus" } };
    const dns: Endpoint = { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } };
    const grafana: Endpoint = { namespace: "monitoring", labels: { "app.kubernetes.io/name": "grafana" } };
    const alertmanager: Endpoint = { namespace: "monitoring", labels: { "app.kubernetes.io/name": "alertmanager" } };
    const collector: Endpoint = { namespace: "monitoring", labels: COLLECTOR_POD_LABELS };
    // kube-prometheus-stack 88.5.3 templates/prometheus-operator/deployment.yaml: `app: <chart name>-operator`.
    const prometheusOperator: Endpoint = { namespace: "monitoring", labels: { app: "kube-prometheus-stack-operator", release: "etl-monitoring" } };
    const vpc = stack === "prod" ? "10.30" : "10.20";
    // The `kubernetes` Service's address (the mocks' Services CIDR 172.20.0.0/16) and the control plane's ENIs.
    const kubernetesService: Endpoint = { namespace: "", labels: {}, ip: "172.20.0.1" };
    const apiServer: Endpoint = { namespace: "", labels: {}, ip: `${vpc}.1.10` };
    const s3: Endpoint = { namespace: "", labels: {}, ip: "52.218.0.10" };
    // STS's interface endpoint in the VPC.
    const sts: Endpoint = { namespace: "", labels: {}, ip: `${vpc}.2.20` };
    const publicHost: Endpoint = { namespace: "", labels: {}, ip: "93.184.216.34" };
    const otherNetwork: Endpoint = { namespace: "", labels: {}, ip: "192.168.1.10" };
    const drillInstance: Endpoint = { namespace: "postgres-drill", labels: { "cnpg.io/cluster": "etl-drill", "cnpg.io/podRole": "instance" } };
    const drillCheck: Endpoint = { namespace: "postgres-drill", labels: { "etl-platform/restore-check": "true" } };
    // keda 2.20.2 templates/{manager,metrics-server,webhooks}/deployment.yaml: `app: {{ .Values.<component>.name }}`.
    const kedaOperator: Endpoint = { namespace: "keda", labels: { app: "keda-operator", name: "keda-operator", "app.kubernetes.io/name": "keda-operator" } };
    const kedaMetricsServer: Endpoint = { namespace: "keda", labels: { app: "keda-operator-metrics-apiserver" } };
    const kedaWebhooks: Endpoint = { namespace: "keda", labels: { app: "keda-admission-webhooks" } };

    /**
     * The policy Strimzi writes for the brokers (strimzi-kafka-operator 1.2.0 cluster-operator/.../model/KafkaCluster.java,
     * generateNetworkPolicy): control plane 9090 and agent 8443 from the operator, replication 9091 from the cluster,
     * the operators and the exporter, each listener port and the metrics port 9404 open to all.
     */
    const strimziBrokerPolicy = {
      metadata: { name: "etl-network-policy-kafka", namespace: "kafka" },
      spec: {
        podSelector: { matchLabels: { "strimzi.io/cluster": "etl", "strimzi.io/kind": "Kafka", "strimzi.io/name": "etl-kafka" } },
        policyTypes: ["Ingress"],
        ingress: [
          { ports: [{ port: 9090 }], from: [{ podSelector: { matchLabels: { "strimzi.io/cluster": "etl", "strimzi.io/kind": "Kafka", "strimzi.io/name": "etl-kafka" } } }, { namespaceSelector: {}, podSelector: { matchLabels: { "strimzi.io/kind": "cluster-operator" } } }] },
          { ports: [{ port: 9091 }], from: [{ namespaceSelector: {}, podSelector: { matchLabels: { "strimzi.io/kind": "cluster-operator" } } }, { podSelector: { matchLabels: { "strimzi.io/cluster": "etl", "strimzi.io/kind": "Kafka", "strimzi.io/name": "etl-kafka" } } }, { podSelector: { matchLabels: { "strimzi.io/name": "etl-entity-operator" } } }, { podSelector: { matchLabels: { "strimzi.io/name": "etl-kafka-exporter" } } }] },
          { ports: [{ port: 8443 }], from: [{ namespaceSelector: {}, podSelector: { matchLabels: { "strimzi.io/kind": "cluster-operator" } } }] },
          { ports: [{ port: 9093 }] },
          { ports: [{ port: 9404 }] },
        ],
      },
    };
    const policies = () => [...result.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((p: Declared) => p.inputs), strimziBrokerPolicy];

    // [from, to, port, protocol, must flow, why]
    const flows: [string, Endpoint, Endpoint, number, "TCP" | "UDP", boolean][] = [
      ["Kafka pipeline to the brokers' TLS listener", pipeline("orders-kafka-to-postgres"), broker, 9093, "TCP", true],
      ["Postgres pipeline to the primary", pipeline("orders-kafka-to-postgres"), instance("etl"), 5432, "TCP", true],
      ["every pipeline to cluster DNS (UDP)", pipeline("partner-export-extract"), dns, 53, "UDP", true],
      ["every pipeline to cluster DNS (TCP)", pipeline("orders-daily-report"), dns, 53, "TCP", true],
      ["steps pipeline's executor to the API server (the kubernetes Service)", pipeline("orders-daily-report"), kubernetesService, 443, "TCP", true],
      ["steps pipeline's executor to the API server (its ENIs)", pipeline("orders-daily-report"), apiServer, 443, "TCP", true],
      ["steps pipeline archives its logs to S3", pipeline("orders-daily-report"), s3, 443, "TCP", true],
      ["S3 pipeline to S3", pipeline("partner-export-extract"), s3, 443, "TCP", true],
      ["S3 pipeline exchanges its IRSA token with STS (its endpoint in the VPC)", pipeline("partner-export-extract"), sts, 443, "TCP", true],
      ["the restored drill instance reads the backups", drillInstance, s3, 443, "TCP", true],
      ["the restored drill instance's manager to the API server", drillInstance, kubernetesService, 443, "TCP", true],
      ["operator to an instance manager", cnpgOperator, instance("etl"), 8000, "TCP", true],
      ["operator to a cluster restored under another name", cnpgOperator, instance("etl-restore"), 8000, "TCP", true],
      ["pipelines to a restored cluster", pipeline("orders-kafka-to-postgres"), instance("etl-restore"), 5432, "TCP", true],
      ["standby to primary (replication)", instance("etl"), instance("etl"), 5432, "TCP", true],
      ["Prometheus scrapes Postgres", prometheus, instance("etl"), 9187, "TCP", true],
      ["Prometheus scrapes a restored cluster", prometheus, instance("etl-restore"), 9187, "TCP", true],
      ["Prometheus scrapes the brokers", prometheus, broker, 9404, "TCP", true],
      ["Prometheus scrapes the Kafka exporter", prometheus, kafkaExporter, 9404, "TCP", true],
      ["Strimzi operator to the brokers (replication)", strimziOperator, broker, 9091, "TCP", true],
      ["entity operator to the brokers", entityOperator, broker, 9091, "TCP", true],
      ["a pipeline without Kafka to the brokers", pipeline("partner-export-extract"), broker, 9093, "TCP", false],
      ["a pipeline without Postgres to Postgres", pipeline("partner-export-extract"), instance("etl"), 5432, "TCP", false],
      ["Prometheus to Postgres's SQL port", prometheus, instance("etl"), 5432, "TCP", false],
      ["a Kafka pipeline to the internet", pipeline("orders-kafka-to-postgres"), s3, 443, "TCP", false],
      ["an S3 pipeline to a private address outside the VPC", pipeline("partner-export-extract"), otherNetwork, 443, "TCP", false],
      ["an S3 pipeline to the kubernetes Service", pipeline("partner-export-extract"), kubernetesService, 443, "TCP", false],
      ["a steps pipeline without internet to a public address", pipeline("orders-daily-report"), publicHost, 443, "TCP", false],
      ["an S3 pipeline to a public address that is not S3", pipeline("partner-export-extract"), publicHost, 443, "TCP", false],
      ["the restored drill instance to the internet", drillInstance, publicHost, 443, "TCP", false],
      ["the drill's check to the API server", drillCheck, kubernetesService, 443, "TCP", false],
      ["the drill's check to S3", drillCheck, s3, 443, "TCP", false],
      ["Grafana queries Prometheus", grafana, prometheus, 9090, "TCP", true],
      ["Prometheus sends alerts to Alertmanager", prometheus, alertmanager, 9093, "TCP", true],
      ["Prometheus scrapes the collector's exporter", prometheus, collector, 8889, "TCP", true],
      ["the API server calls the operator's admission webhook (from the control plane's ENIs)", apiServer, prometheusOperator, 10250, "TCP", true],
      ["a pipeline sends OTLP to the collector", pipeline("partner-export-extract"), collector, 4317, "TCP", true],
      ["a pipeline to Prometheus", pipeline("orders-daily-report"), prometheus, 9090, "TCP", false],
      ["a pipeline to Alertmanager", pipeline("orders-daily-report"), alertmanager, 9093, "TCP", false],
      ["the restored drill instance to Grafana", drillInstance, grafana, 3000, "TCP", false],
      ["Kafka's brokers to Prometheus", broker, prometheus, 9090, "TCP", false],
      ["the Strimzi operator to the collector's exporter", strimziOperator, collector, 8889, "TCP", false],
      ["an address outside the VPC to the operator's webhook", otherNetwork, prometheusOperator, 10250, "TCP", false],
      ["a streaming consumer to the brokers' TLS listener", pipeline("orders-enrich"), broker, 9093, "TCP", true],
      ["a streaming consumer to cluster DNS", pipeline("orders-enrich"), dns, 53, "UDP", true],
      ["a streaming consumer sends OTLP to the collector", pipeline("orders-enrich"), collector, 4317, "TCP", true],
      ["a streaming consumer to Postgres (it declares postgres)", pipeline("orders-enrich"), instance("etl"), 5432, "TCP", true],
      ["a streaming consumer to the internet", pipeline("orders-enrich"), publicHost, 443, "TCP", false],
      ["a streaming consumer to the API server", pipeline("orders-enrich"), kubernetesService, 443, "TCP", false],
      ["a streaming consumer to KEDA", pipeline("orders-enrich"), kedaOperator, 8080, "TCP", false],
      // KEDA's troubleshooting ("FailedDiscoveryCheck"): the API server must reach the metrics API and the webhooks.
      ["the API server calls KEDA's metrics API (from the control plane's ENIs)", apiServer, kedaMetricsServer, 6443, "TCP", true],
      ["the API server calls KEDA's admission webhooks", apiServer, kedaWebhooks, 9443, "TCP", true],
      ["KEDA's metrics server reads the operator over gRPC", kedaMetricsServer, kedaOperator, 9666, "TCP", true],
      ["KEDA's operator reads the lag from the brokers", kedaOperator, broker, 9093, "TCP", true],
      ["KEDA's operator to the API server", kedaOperator, kubernetesService, 443, "TCP", true],
      ["KEDA's operator to cluster DNS", kedaOperator, dns, 53, "UDP", true],
      ["Prometheus scrapes KEDA's operator", prometheus, kedaOperator, 8080, "TCP", true],
      ["KEDA's operator to Postgres", kedaOperator, instance("etl"), 5432, "TCP", false],
      ["KEDA's operator to the internet", kedaOperator, publicHost, 443, "TCP", false],
      ["an address outside the VPC to KEDA's metrics API", otherNetwork, kedaMetricsServer, 6443, "TCP", false],
      ["a pipeline to KEDA's metrics API", pipeline("orders-daily-report"), kedaMetricsServer, 6443, "TCP", false],
    ];
    it("names the Prometheus Operator's pods and webhook port as the chart renders them with our values", () => {
      // kube-prometheus-stack 88.5.3 templates/prometheus-operator/deployment.yaml: `app: {{ kube-prometheus-stack.name }}-operator`
      // (the name is nameOverride, else the chart's name) and `--web.listen-address=:{{ prometheusOperator.tls.internalPort }}` with TLS on.
      const values = helmMerge(chartDefaults("kube-prometheus-stack-88.5.3"), result.one(RELEASE, "etl-monitoring").inputs.values) as Record<string, any>;
      expect(values.nameOverride ?? "").toBe("");
      expect(OPERATOR_POD_LABELS).toEqual({ app: "kube-prometheus-stack-operator" });
      expect(values.prometheusOperator.tls).toMatchObject({ enabled: true, internalPort: OPERATOR_WEBHOOK_PORT });
      expect(values.prometheusOperator.admissionWebhooks.enabled).toBe(true);
      const webhook = result.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "etl-monitoring-allow-admission-webhook").inputs.spec;
      expect(webhook.ingress[0].from).toEqual([{ ipBlock: { cidr: stack === "prod" ? "10.30.0.0/16" : "10.20.0.0/16" } }]);
    });

    it.each(flows)("%s", (_why, from, to, port, protocol, expected) => {
      expect(allowed(policies(), { from, to, port, protocol })).toBe(expected);
    });
  });
});

describe("retries: infrastructure failures retry, a failed check or a non-retriable exit never does", () => {
  /** The Job controller's podFailurePolicy: the first matching rule decides (pkg/controller/job/pod_failure_policy.go). */
  function jobOutcome(policy: ReturnType<typeof podFailurePolicy>, failure: { exitCode: number; conditions: string[] }): "retry, not counted" | "fail the job" | "retry, counted" {
    for (const rule of policy.rules as any[]) {
      const onCondition = rule.onPodConditions?.some((c: any) => failure.conditions.includes(c.type));
      const onExit = rule.onExitCodes && (rule.onExitCodes.operator === "In" ? rule.onExitCodes.values.includes(failure.exitCode) : !rule.onExitCodes.values.includes(failure.exitCode));
      if (onCondition || onExit) return rule.action === "Ignore" ? "retry, not counted" : rule.action === "FailJob" ? "fail the job" : "retry, counted";
    }
    return "retry, counted";
  }
  const policy = podFailurePolicy({ nonRetriableExitCodes: [2] } as any);
  it.each([
    ["spot reclaim or drain (DisruptionTarget)", { exitCode: 143, conditions: ["DisruptionTarget"] }, "retry, not counted"],
    ["eviction for node pressure (DisruptionTarget)", { exitCode: 137, conditions: ["DisruptionTarget"] }, "retry, not counted"],
    ["bad input: a non-retriable exit code", { exitCode: 2, conditions: [] }, "fail the job"],
    ["a crash", { exitCode: 1, conditions: [] }, "retry, counted"],
  ] as const)("CronJob: %s -> %s", (_kind, failure, outcome) => {
    expect(jobOutcome(policy, failure as any)).toBe(outcome);
  });

  /** Argo's retry expression, evaluated as expr-lang would: `matches` is a Go regexp, `in` list membership. */
  function argoRetries(expression: string, lastRetry: { status: string; exitCode: string; message: string }): boolean {
    const js = expression
      .replace(/(lastRetry\.\w+) matches '\(\?i\)([^']*)'/g, (_m, subject, pattern) => `new RegExp(${JSON.stringify(pattern)}, "i").test(${subject})`)
      .replace(/(lastRetry\.\w+) in \[([^\]]*)\]/g, (_m, subject, items) => `[${items}].includes(${subject})`)
      .replace(/==/g, "===");
    return new Function("lastRetry", `return (${js});`)(lastRetry);
  }
  const expression = argoRetryExpression([2]);
  it.each([
    ["executor or controller error", { status: "Error", exitCode: "0", message: "pod deleted" }, true],
    ["spot reclaim ends Failed", { status: "Failed", exitCode: "143", message: "Pod was terminated in response to imminent node shutdown." }, true],
    ["spot reclaim, killed", { status: "Failed", exitCode: "137", message: "Pod was terminated in response to imminent node shutdown." }, true],
    ["node-pressure eviction", { status: "Failed", exitCode: "137", message: "The node was low on resource: memory. Threshold quantity: 100Mi" }, true],
    ["a failed data-quality check", { status: "Failed", exitCode: "1", message: "Error (exit code 1)" }, false],
    ["out of memory (retrying cannot help)", { status: "Failed", exitCode: "137", message: "OOMKilled (exit code 137)" }, false],
    ["bad input: a non-retriable exit code", { status: "Failed", exitCode: "2", message: "Error (exit code 2)" }, false],
  ] as const)("Argo step: %s -> retried %s", (_kind, lastRetry, retried) => {
    expect(argoRetries(expression, lastRetry)).toBe(retried);
  });
  it("lists a source for every infrastructure message", () => {
    for (const entry of INFRASTRUCTURE_FAILURE_MESSAGES) expect(entry.source.length).toBeGreaterThan(10);
  });
});

describe("versions: what moves with a chart or Kubernetes bump", () => {
  it("pins every EKS add-on for every supported Kubernetes version, and the cluster uses its version's", async () => {
    for (const version of supportedKubernetesVersions) {
      expect(Object.keys(kubernetesVersions[version].addons).sort()).toEqual([...EKS_ADDONS].sort());
      for (const addon of addonSpecs(version)) expect(addon.version).toMatch(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/);
    }
    const result = await plan("staging");
    const cluster = result.one("eks:index:Cluster", "etl-cluster").inputs;
    // pulumi-eks creates no CoreDNS add-on without its default node group; we manage all of them instead.
    expect(cluster).toMatchObject({ skipDefaultNodeGroup: true, useDefaultVpcCni: true, corednsAddonOptions: { enabled: false }, kubeProxyAddonOptions: { enabled: false } });
    const addons = result.ofType("aws:eks/addon:Addon");
    expect(addons.map((a) => a.inputs.addonName).sort()).toEqual([...EKS_ADDONS].sort());
    for (const addon of addons) expect(addon.inputs.addonVersion).toBe(kubernetesVersions[cluster.version as keyof typeof kubernetesVersions].addons[addon.inputs.addonName as (typeof EKS_ADDONS)[number]]);
  });

  it("applies the CRDs of charts that keep them in crds/ at the pinned version, and has Helm skip them", async () => {
    const chartYaml = parseYaml(fs.readFileSync(path.join(UPSTREAM, "kube-prometheus-stack-88.5.3", "Chart.yaml"), "utf8"));
    expect(prometheusOperatorVersion).toBe(chartYaml.appVersion);
    // Each chart's own CRD files at its release tag, with a sha256 each; where a fixture holds the same file (a copy
    // of the chart at that tag), its bytes hash to the pinned sha256.
    const tags = { strimzi: `/strimzi-kafka-operator/${charts.strimzi.version}/`, kubePrometheusStack: `/helm-charts/kube-prometheus-stack-${charts.kubePrometheusStack.version}/` };
    const fixtureDirs = { strimzi: "strimzi-kafka-operator-1.2.0/crds", kubePrometheusStack: "kube-prometheus-stack-88.5.3/crds" };
    let checkedAgainstFixtures = 0;
    for (const chart of ["strimzi", "kubePrometheusStack"] as const) {
      expect(chartCrdFiles[chart]).toHaveLength(10);
      for (const file of chartCrdFiles[chart]) {
        expect(file.url).toContain(tags[chart]);
        expect(file.url).toMatch(/^https:\/\/raw\.githubusercontent\.com\//);
        expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
        const fixture = path.join(UPSTREAM, fixtureDirs[chart], path.basename(file.url));
        if (!fs.existsSync(fixture)) continue;
        expect({ file: file.url, sha256: createHash("sha256").update(fs.readFileSync(fixture)).digest("hex") }).toEqual({ file: file.url, sha256: file.sha256 });
        checkedAgainstFixtures++;
      }
    }
    expect(checkedAgainstFixtures).toBe(7);
    // Each kube-prometheus-stack file names the Prometheus Operator file it copies, at the chart's appVersion.
    expect(fs.readFileSync(path.join(UPSTREAM, "kube-prometheus-stack-88.5.3/crds/crd-prometheusrules.yaml"), "utf8").split("\n")[0])
      .toBe(`# https://raw.githubusercontent.com/prometheus-operator/prometheus-operator/${prometheusOperatorVersion}/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml`);
    const result = await plan("prod");
    const groups = result.ofType("kubernetes:yaml/v2:ConfigGroup");
    expect(groups.map((g) => g.name).sort()).toEqual(["etl-kafka-crds", "etl-monitoring-crds"]);
    for (const [releaseName, groupName, files] of [["etl-kafka-operator", "etl-kafka-crds", chartCrdFiles.strimzi], ["etl-monitoring", "etl-monitoring-crds", chartCrdFiles.kubePrometheusStack]] as const) {
      const release = result.one(RELEASE, releaseName);
      const group = result.one("kubernetes:yaml/v2:ConfigGroup", groupName);
      expect(group.inputs.files).toEqual(files.map((file) => file.url));
      expect(release.inputs.skipCrds).toBe(true);
      expect(release.dependsOn).toContain(group.urn);
    }
    expect(result.one(RELEASE, "etl-monitoring").inputs.values.crds).toEqual({ enabled: false });
    // Argo's minimal CRDs are chart templates (upgraded with the chart, no download at install time).
    expect(result.one(RELEASE, "etl-argo").inputs.values.crds).toEqual({ install: true, keep: true, full: false });
  });
});
