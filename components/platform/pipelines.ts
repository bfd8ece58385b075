import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { KafkaConfig, PipelineConfig } from "../../config/schema";
import type { PolicyDocument } from "../../lib/iam";
import { stringify as toYaml } from "yaml";
import {
  ARTIFACT_REPOSITORIES_CONFIGMAP, EXECUTOR_SERVICE_ACCOUNT, artifactPrefix, artifactRepository, cronJob, cronWorkflow, envSecretName,
  PIPELINE_PRIORITY_CLASS, pipelineNetworkPolicy, type PipelineWiring,
} from "../../lib/pipelineSpecs";
import { kafkaUser } from "./kafka";
import { mirrorTargetAnnotations } from "./secretMirror";
import { WorkloadRole, type OidcProvider } from "../aws/workloadRole";

/** The Argo artifact bucket, where steps pipelines archive their step logs. */
export interface ArtifactStore {
  bucketName: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
  keyArn: pulumi.Input<string>;
  region: pulumi.Input<string>;
}

export interface PipelinesArgs {
  pipelines: PipelineConfig[];
  artifacts: ArtifactStore;
  wiring: PipelineWiring;
  kafkaAuthentication: KafkaConfig["authentication"];
  secrets: pulumi.Output<Record<string, string>>;
  oidc: OidcProvider;
  /** Resources the CronWorkflows wait for (Argo's CRDs). */
  argoReady: pulumi.Resource[];
  /** Resources KafkaUsers wait for (the Kafka cluster and its User Operator). */
  kafkaReady: pulumi.Resource[];
  provider: k8s.Provider;
  tags: Record<string, string>;
}

/** Parses `s3://bucket/prefix` into the bucket and the key prefix. */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const [bucket, ...rest] = uri.replace(/^s3:\/\//, "").split("/");
  return { bucket, prefix: rest.join("/") };
}

/**
 * A steps pipeline's access to the artifact bucket: write its step logs under its own prefix, encrypting them
 * with the bucket's key (SSE-KMS needs GenerateDataKey to write, Decrypt for multipart uploads). Nothing else of
 * the bucket: neither another pipeline's prefix nor reading back.
 */
export function artifactWritePolicy(pipeline: Pick<PipelineConfig, "name">, bucketArn: string, keyArn: string): PolicyDocument["Statement"] {
  return [
    { Sid: "ArchiveStepLogs", Effect: "Allow", Action: ["s3:PutObject", "s3:AbortMultipartUpload"], Resource: `${bucketArn}/${artifactPrefix(pipeline)}*` },
    { Sid: "EncryptStepLogs", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: keyArn },
  ];
}

/** Exactly the S3 access a pipeline declares: list and read its read prefixes, write its write prefixes. */
export function s3AccessPolicy(access: NonNullable<PipelineConfig["s3"]>): PolicyDocument {
  const read = access.read.map(parseS3Uri);
  const write = access.write.map(parseS3Uri);
  const statements: PolicyDocument["Statement"] = [];
  for (const [i, { bucket, prefix }] of read.entries()) {
    statements.push(
      { Sid: `List${i}`, Effect: "Allow", Action: "s3:ListBucket", Resource: `arn:aws:s3:::${bucket}`, Condition: { StringLike: { "s3:prefix": `${prefix}*` } } },
      { Sid: `Read${i}`, Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/${prefix}*` },
    );
  }
  for (const [i, { bucket, prefix }] of write.entries()) {
    statements.push({ Sid: `Write${i}`, Effect: "Allow", Action: ["s3:PutObject", "s3:AbortMultipartUpload"], Resource: `arn:aws:s3:::${bucket}/${prefix}*` });
  }
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * The pipelines namespace's contents: default-deny networking, the pipelines' PriorityClass, and per pipeline a
 * service account (with its own IAM role for declared S3 access), its secrets, its KafkaUser, its NetworkPolicy
 * and its CronJob or Argo CronWorkflow.
 */
export class Pipelines extends pulumi.ComponentResource {
  constructor(name: string, args: PipelinesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:pipelines:Pipelines", name, {}, opts);
    const { wiring, provider, pipelines } = args;
    const namespace = wiring.namespace;
    const k8sOpts = { parent: this, provider };

    new k8s.scheduling.v1.PriorityClass(`${name}-priority`, {
      metadata: { name: PIPELINE_PRIORITY_CLASS },
      value: 1000,
      // A late batch job waits for room; it never evicts running work.
      preemptionPolicy: "Never",
      description: "ETL pipelines: below the data services, which they depend on.",
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
        egress: [{
          to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
          ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
        }],
      },
    }, k8sOpts);

    const mirror = (secretName: string, sourceNamespace: string) => new k8s.core.v1.Secret(`${name}-mirror-${secretName}`, {
      metadata: { name: secretName, namespace, annotations: mirrorTargetAnnotations(sourceNamespace, secretName) },
    }, { ...k8sOpts, ignoreChanges: ["data", "stringData"] });
    if (pipelines.some((p) => p.postgres)) mirror(wiring.postgres.appSecret, wiring.postgres.namespace);
    if (pipelines.some((p) => p.kafka)) mirror(wiring.kafka.caSecret, wiring.kafka.namespace);

    const stepsPipelines = pipelines.filter((p) => p.steps);
    const executorReady = stepsPipelines.length > 0 ? this.argoExecutor(name, namespace, k8sOpts) : [];
    const artifactRepositories = stepsPipelines.length > 0
      ? [new k8s.core.v1.ConfigMap(`${name}-artifact-repositories`, {
        metadata: { name: ARTIFACT_REPOSITORIES_CONFIGMAP, namespace },
        data: pulumi.all([args.artifacts.bucketName, args.artifacts.region]).apply(([bucket, region]) =>
          Object.fromEntries(stepsPipelines.map((pipeline) => [pipeline.name, toYaml(artifactRepository(pipeline, bucket, region))]))),
      }, k8sOpts)]
      : [];

    for (const pipeline of pipelines) {
      const prefix = `${name}-${pipeline.name}`;
      // Every steps pipeline has a role, for its step logs; others only when they declare S3 access.
      const iamPolicy = pipeline.steps
        ? pulumi.all([args.artifacts.bucketArn, args.artifacts.keyArn]).apply(([bucketArn, keyArn]): PolicyDocument => ({
          Version: "2012-10-17",
          Statement: [...(pipeline.s3 ? s3AccessPolicy(pipeline.s3).Statement : []), ...artifactWritePolicy(pipeline, bucketArn, keyArn)],
        }))
        : pipeline.s3 ? s3AccessPolicy(pipeline.s3) : undefined;
      const role = iamPolicy
        ? new WorkloadRole(prefix, { oidc: args.oidc, namespace, serviceAccount: pipeline.name, policy: iamPolicy, tags: args.tags }, { parent: this })
        : undefined;
      const serviceAccount = new k8s.core.v1.ServiceAccount(prefix, {
        metadata: { name: pipeline.name, namespace, annotations: role ? { "eks.amazonaws.com/role-arn": role.arn } : {} },
        automountServiceAccountToken: pipeline.kubernetesApi,
      }, k8sOpts);
      const dependsOn: pulumi.Resource[] = [serviceAccount];

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

      if (pipeline.steps) {
        const workflow = cronWorkflow(pipeline, wiring);
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
      rules: [{ apiGroups: ["argoproj.io"], resources: ["workflowtaskresults"], verbs: ["create", "patch"] }],
    }, k8sOpts);
    const binding = new k8s.rbac.v1.RoleBinding(`${name}-argo-executor`, {
      metadata: { name: EXECUTOR_SERVICE_ACCOUNT, namespace },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: EXECUTOR_SERVICE_ACCOUNT },
      subjects: [{ kind: "ServiceAccount", name: EXECUTOR_SERVICE_ACCOUNT, namespace }],
    }, { ...k8sOpts, dependsOn: [role, account] });
    return [account, token, binding];
  }
}
