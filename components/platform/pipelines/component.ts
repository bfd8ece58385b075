import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { pipelineSteps, type KafkaConfig, type PipelineConfig } from "../../../config/schema";
import { stringify as toYaml } from "yaml";
import { ARTIFACT_REPOSITORIES_CONFIGMAP, artifactRepository, EXECUTOR_RBAC_RULES, EXECUTOR_SERVICE_ACCOUNT, semaphoreConfigMap } from "./argoSupport";
import { cronJob } from "./cronJob";
import { cronWorkflow } from "./cronWorkflow";
import { pipelineNetworkPolicy } from "./networkPolicy";
import { envSecretName, PIPELINE_PRIORITY_CLASS, type PipelineWiring } from "./pod";
import { CONTAINER_DEFAULTS, type QuotaHard } from "./quota";
import { pipelineStoreGrants } from "./storeGrants";
import { scaledObject, streamingDeployment, streamingDisruptionBudget, triggerAuthentication } from "./streaming";
import { dnsEgress } from "../networkPolicies";
import { kafkaUser } from "../kafka";
import { mirrorTargetAnnotations } from "../secretMirror";
import { roleSecretName } from "../postgresRoles";
import type { PlatformTarget, StoreBucket, StoreCredentials } from "../target";

export interface PipelinesArgs {
  pipelines: PipelineConfig[];
  /** The namespace's ResourceQuota (quota.ts). */
  quota: QuotaHard;
  target: PlatformTarget;
  /** The Argo artifact bucket, where steps pipelines archive their step logs. */
  artifacts: StoreBucket;
  wiring: PipelineWiring;
  kafkaAuthentication: KafkaConfig["authentication"];
  secrets: pulumi.Output<Record<string, string>>;
  /** Resources the CronWorkflows wait for (Argo's CRDs). */
  argoReady: pulumi.Resource[];
  /** Resources KafkaUsers wait for (the Kafka cluster and its User Operator). */
  kafkaReady: pulumi.Resource[];
  /** Resources ScaledObjects and TriggerAuthentications wait for (KEDA's CRDs and webhooks). */
  kedaReady: pulumi.Resource[];
}

/**
 * The pipelines namespace's contents: its ResourceQuota and container defaults, default-deny networking, the
 * pipelines' PriorityClass, and per pipeline a
 * service account (with its own IAM role for declared S3 access), its secrets, its KafkaUser, its NetworkPolicy
 * and its CronJob or Argo CronWorkflow.
 */
export class Pipelines extends pulumi.ComponentResource {
  constructor(name: string, args: PipelinesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:pipelines:Pipelines", name, {}, opts);
    const { wiring, pipelines, target } = args;
    const { provider, objectStore: store } = target;
    const namespace = wiring.namespace;
    const k8sOpts = { parent: this, provider };

    new k8s.scheduling.v1.PriorityClass(`${name}-priority`, {
      metadata: { name: PIPELINE_PRIORITY_CLASS },
      value: 1000,
      // A late batch job waits for room; it never evicts running work.
      preemptionPolicy: "Never",
      description: "ETL pipelines: below the data services, which they depend on.",
    }, k8sOpts);

    // The total every pipeline together may request; a container that sets nothing gets small defaults instead of
    // being refused by the quota (the LimitRanger admission plugin runs before ResourceQuota's).
    new k8s.core.v1.ResourceQuota(`${name}-quota`, {
      metadata: { name: "pipelines", namespace },
      spec: { hard: { ...args.quota } },
    }, k8sOpts);
    new k8s.core.v1.LimitRange(`${name}-defaults`, {
      metadata: { name: "container-defaults", namespace },
      spec: { limits: [{ type: "Container", ...CONTAINER_DEFAULTS }] },
    }, k8sOpts);

    new k8s.networking.v1.NetworkPolicy(`${name}-default-deny`, {
      metadata: { name: "default-deny", namespace },
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    }, k8sOpts);
    new k8s.networking.v1.NetworkPolicy(`${name}-allow-dns`, {
      metadata: { name: "allow-dns", namespace },
      spec: {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [dnsEgress()],
      },
    }, k8sOpts);

    const mirror = (secretName: string, sourceNamespace: string) => new k8s.core.v1.Secret(`${name}-mirror-${secretName}`, {
      metadata: { name: secretName, namespace, annotations: mirrorTargetAnnotations(sourceNamespace, secretName) },
    }, { ...k8sOpts, ignoreChanges: ["data", "stringData"] });
    // Each Postgres pipeline's own credentials (postgresRoles.ts); never the owner's.
    for (const pipeline of pipelines.filter((p) => p.postgres)) mirror(roleSecretName(pipeline.name), wiring.postgres.namespace);
    if (pipelines.some((p) => p.kafka)) mirror(wiring.kafka.caSecret, wiring.kafka.namespace);

    const stepsPipelines = pipelines.filter((p) => pipelineSteps(p));
    const executorReady = stepsPipelines.length > 0 ? this.argoExecutor(name, namespace, k8sOpts) : [];

    // Store access: every steps pipeline (its step logs), and pipelines that declare S3 prefixes.
    const credentials = new Map<string, StoreCredentials>();
    for (const pipeline of pipelines) {
      const grants = pipelineStoreGrants(pipeline, args.artifacts, store.kind !== "aws");
      if (grants.length > 0) credentials.set(pipeline.name, store.grant(`${name}-${pipeline.name}`, { namespace, serviceAccounts: [pipeline.name] }, grants, this));
    }
    const artifactRepositories = stepsPipelines.length > 0
      ? [new k8s.core.v1.ConfigMap(`${name}-artifact-repositories`, {
        metadata: { name: ARTIFACT_REPOSITORIES_CONFIGMAP, namespace },
        data: pulumi.all([args.artifacts.name, store.endpoint, store.region]).apply(([bucket, endpoint, region]) =>
          Object.fromEntries(stepsPipelines.map((pipeline) => [pipeline.name, toYaml(artifactRepository(pipeline, {
            bucket, endpoint, region, insecure: store.insecure, secret: credentials.get(pipeline.name)?.secret,
          }))]))),
      }, k8sOpts)]
      : [];
    for (const pipeline of pipelines) {
      const prefix = `${name}-${pipeline.name}`;
      const access = credentials.get(pipeline.name);
      const serviceAccount = new k8s.core.v1.ServiceAccount(prefix, {
        metadata: { name: pipeline.name, namespace, annotations: access?.serviceAccountAnnotations ?? {} },
        automountServiceAccountToken: pipeline.kubernetesApi,
      }, k8sOpts);
      const dependsOn: pulumi.Resource[] = [serviceAccount, ...(access?.ready ?? [])];

      const secretNames = Object.entries(pipeline.secretEnv);
      if (secretNames.length > 0) {
        dependsOn.push(new k8s.core.v1.Secret(`${prefix}-env`, {
          metadata: { name: envSecretName(pipeline), namespace },
          stringData: pulumi.secret(args.secrets.apply((values) => Object.fromEntries(secretNames.map(([envVar, secret]) => [envVar, values[secret]])))),
        }, k8sOpts));
      }
      if (pipeline.kafka) {
        const user = kafkaUser(pipeline.name, pipeline.kafka, args.kafkaAuthentication);
        dependsOn.push(new k8s.apiextensions.CustomResource(`${prefix}-kafka-user`, {
          apiVersion: user.apiVersion, kind: user.kind, metadata: { ...user.metadata, namespace }, spec: user.spec,
        }, { ...k8sOpts, dependsOn: args.kafkaReady }));
      }
      const policy = pipelineNetworkPolicy(pipeline, wiring);
      new k8s.networking.v1.NetworkPolicy(prefix, { metadata: policy.metadata, spec: policy.spec }, k8sOpts);

      const steps = pipelineSteps(pipeline);
      if (pipeline.mode === "streaming") {
        const deployment = streamingDeployment(pipeline, wiring);
        const consumer = new k8s.apps.v1.Deployment(prefix, { metadata: deployment.metadata, spec: deployment.spec }, { ...k8sOpts, dependsOn });
        const budget = streamingDisruptionBudget(pipeline, namespace);
        new k8s.policy.v1.PodDisruptionBudget(prefix, { metadata: budget.metadata, spec: budget.spec }, k8sOpts);
        const auth = triggerAuthentication(pipeline, wiring);
        const authentication = new k8s.apiextensions.CustomResource(`${prefix}-kafka-auth`, {
          apiVersion: auth.apiVersion, kind: auth.kind, metadata: auth.metadata, spec: auth.spec,
        }, { ...k8sOpts, dependsOn: [...dependsOn, ...args.kedaReady] });
        const scaler = scaledObject(pipeline, wiring);
        new k8s.apiextensions.CustomResource(`${prefix}-scaler`, {
          apiVersion: scaler.apiVersion, kind: scaler.kind, metadata: scaler.metadata, spec: scaler.spec,
        }, { ...k8sOpts, dependsOn: [consumer, authentication, ...args.kedaReady] });
      } else if (steps) {
        // Its semaphore holds one run (the controller reads it: the chart's ClusterRole gives it configmaps
        // get/list/watch; argo-workflows v4.0.6 workflow/sync/lock_name.go).
        const semaphore = semaphoreConfigMap(pipeline);
        dependsOn.push(new k8s.core.v1.ConfigMap(`${prefix}-semaphore`, { metadata: { name: semaphore.name, namespace }, data: { [semaphore.key]: "1" } }, k8sOpts));
        const workflow = cronWorkflow({ ...pipeline, steps }, wiring);
        new k8s.apiextensions.CustomResource(prefix, {
          apiVersion: workflow.apiVersion, kind: workflow.kind, metadata: workflow.metadata, spec: workflow.spec,
        }, { ...k8sOpts, dependsOn: [...dependsOn, ...executorReady, ...artifactRepositories, ...args.argoReady] });
      } else {
        const job = cronJob(pipeline, wiring);
        new k8s.batch.v1.CronJob(prefix, { metadata: job.metadata, spec: job.spec }, { ...k8sOpts, dependsOn });
      }
    }
    this.registerOutputs({});
  }

  /**
   * The identity of Argo's executor in steps pipelines: a service account allowed only what
   * argoproj/argo-workflows docs/workflow-rbac.md lists for v3.4 and later (create and patch
   * WorkflowTaskResults), and its token Secret. Since Kubernetes 1.24 no token Secret is made automatically;
   * Argo finds it by the name `<account>.service-account-token` (docs/service-account-secrets.md,
   * util/secrets/secret_name.go).
   */
  private argoExecutor(name: string, namespace: string, k8sOpts: pulumi.CustomResourceOptions): pulumi.Resource[] {
    const account = new k8s.core.v1.ServiceAccount(`${name}-argo-executor`, {
      metadata: { name: EXECUTOR_SERVICE_ACCOUNT, namespace },
      automountServiceAccountToken: false,
    }, k8sOpts);
    const token = new k8s.core.v1.Secret(`${name}-argo-executor-token`, {
      metadata: { name: `${EXECUTOR_SERVICE_ACCOUNT}.service-account-token`, namespace, annotations: { "kubernetes.io/service-account.name": EXECUTOR_SERVICE_ACCOUNT } },
      type: "kubernetes.io/service-account-token",
    }, { ...k8sOpts, dependsOn: [account], ignoreChanges: ["data"] });
    const role = new k8s.rbac.v1.Role(`${name}-argo-executor`, {
      metadata: { name: EXECUTOR_SERVICE_ACCOUNT, namespace },
      rules: EXECUTOR_RBAC_RULES,
    }, k8sOpts);
    const binding = new k8s.rbac.v1.RoleBinding(`${name}-argo-executor`, {
      metadata: { name: EXECUTOR_SERVICE_ACCOUNT, namespace },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: EXECUTOR_SERVICE_ACCOUNT },
      subjects: [{ kind: "ServiceAccount", name: EXECUTOR_SERVICE_ACCOUNT, namespace }],
    }, { ...k8sOpts, dependsOn: [role, account] });
    return [account, token, binding];
  }
}
