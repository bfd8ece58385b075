import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { KafkaConfig, PipelineConfig } from "../config";
import type { PolicyDocument } from "../lib/iam";
import { cronJob, cronWorkflow, envSecretName, PIPELINE_PRIORITY_CLASS, pipelineNetworkPolicy, type PipelineWiring } from "../lib/pipelineSpecs";
import { kafkaUser } from "./kafka";
import { mirrorTargetAnnotations } from "./secretMirror";
import { WorkloadRole, type OidcProvider } from "./workloadRole";

export interface PipelinesArgs {
  pipelines: PipelineConfig[];
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

    const executorRole = pipelines.some((p) => p.steps)
      ? new k8s.rbac.v1.Role(`${name}-argo-executor`, {
        metadata: { name: "argo-executor", namespace },
        rules: [{ apiGroups: ["argoproj.io"], resources: ["workflowtaskresults"], verbs: ["create", "patch"] }],
      }, k8sOpts)
      : undefined;

    for (const pipeline of pipelines) {
      const prefix = `${name}-${pipeline.name}`;
      const role = pipeline.s3
        ? new WorkloadRole(prefix, { oidc: args.oidc, namespace, serviceAccount: pipeline.name, policy: s3AccessPolicy(pipeline.s3), tags: args.tags }, { parent: this })
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
        if (executorRole) {
          dependsOn.push(new k8s.rbac.v1.RoleBinding(`${prefix}-executor`, {
            metadata: { name: `${pipeline.name}-argo-executor`, namespace },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "argo-executor" },
            subjects: [{ kind: "ServiceAccount", name: pipeline.name, namespace }],
          }, { ...k8sOpts, dependsOn: [executorRole] }));
        }
        const workflow = cronWorkflow(pipeline, wiring);
        new k8s.apiextensions.CustomResource(prefix, {
          apiVersion: workflow.apiVersion, kind: workflow.kind, metadata: workflow.metadata, spec: workflow.spec,
        }, { ...k8sOpts, dependsOn: [...dependsOn, ...args.argoReady] });
      } else {
        const job = cronJob(pipeline, wiring);
        new k8s.batch.v1.CronJob(prefix, { metadata: job.metadata, spec: job.spec }, { ...k8sOpts, dependsOn });
      }
    }
    this.registerOutputs({});
  }
}
