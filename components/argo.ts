import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ArgoConfig, Environment } from "../config";
import type { PolicyDocument } from "../lib/iam";
import { restrictedContainerSecurityContext, restrictedNamespaceLabels } from "../lib/podSecurity";
import { systemPlacement } from "../lib/placement";
import { charts, pinnedRelease } from "../versions";
import { BackupBucket } from "./backupBucket";
import { mirrorTargetAnnotations } from "./secretMirror";
import { WorkloadRole, type OidcProvider } from "./workloadRole";

/** The service account every workflow pod in the pipelines namespace runs as (unless its pipeline has its own). */
export const WORKFLOW_SERVICE_ACCOUNT = "argo-workflow";
export const SERVER_SERVICE_ACCOUNT = "argo-server";
const SSO_SECRET = "argo-server-sso";

export interface PostgresForArchive {
  namespace: string;
  host: string;
  database: string;
  appSecretName: string;
}

export interface ArgoArgs {
  config: ArgoConfig;
  environment: Environment;
  region: pulumi.Input<string>;
  oidc: OidcProvider;
  /** Where workflows run. */
  workflowNamespace: string;
  secrets: pulumi.Output<Record<string, string>>;
  /** Postgres for the workflow archive (used when `archive` is on). */
  postgres: PostgresForArchive;
  monitoringCrds: pulumi.Resource[];
  provider: k8s.Provider;
  tags: Record<string, string>;
}

/** Artifact access: workflows read and write, the server (UI) only reads. */
export function artifactPolicy(bucketArn: string, keyArn: string, write: boolean): PolicyDocument {
  const objectActions = write ? ["s3:GetObject", "s3:PutObject"] : ["s3:GetObject"];
  const keyActions = write ? ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"] : ["kms:Decrypt", "kms:DescribeKey"];
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "ListArtifacts", Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketLocation"], Resource: bucketArn },
      { Sid: "Artifacts", Effect: "Allow", Action: objectActions, Resource: `${bucketArn}/*` },
      { Sid: "ArtifactKey", Effect: "Allow", Action: keyActions, Resource: keyArn },
    ],
  };
}

/** Applied to every workflow the controller runs, unless the workflow sets its own. */
export function workflowDefaults(config: ArgoConfig) {
  const defaults = config.workflowDefaults;
  return {
    spec: {
      activeDeadlineSeconds: defaults.activeDeadlineSeconds,
      ttlStrategy: { secondsAfterCompletion: defaults.ttlSecondsAfterFinished },
      podGC: { strategy: "OnPodCompletion" },
      retryStrategy: { limit: String(defaults.retryLimit), retryPolicy: "Always", backoff: { duration: "30s", factor: "2", maxDuration: "30m" } },
      serviceAccountName: WORKFLOW_SERVICE_ACCOUNT,
    },
  };
}

export function argoValues(args: ArgoArgs, bucketName: pulumi.Input<string>, workflowRoleArn: pulumi.Input<string>, serverRoleArn: pulumi.Input<string>) {
  const { config } = args;
  const placement = { nodeSelector: systemPlacement.nodeSelector };
  const small = { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } };
  return {
    crds: { install: true, keep: true },
    singleNamespace: false,
    controller: {
      ...placement,
      resources: small,
      workflowNamespaces: [args.workflowNamespace],
      metricsConfig: { enabled: true },
      serviceMonitor: { enabled: true },
      workflowDefaults: workflowDefaults(config),
      persistence: config.archive
        ? {
          archive: true,
          archiveTTL: `${config.artifactRetentionDays}d`,
          postgresql: {
            host: args.postgres.host,
            port: 5432,
            database: args.postgres.database,
            tableName: "argo_workflows",
            userNameSecret: { name: args.postgres.appSecretName, key: "username" },
            passwordSecret: { name: args.postgres.appSecretName, key: "password" },
            ssl: true,
            sslMode: "require",
          },
        }
        : {},
    },
    server: {
      ...placement,
      resources: small,
      authModes: [config.serverAuthMode],
      serviceAccount: { create: true, name: SERVER_SERVICE_ACCOUNT, annotations: { "eks.amazonaws.com/role-arn": serverRoleArn } },
      ...(config.sso ? { sso: { enabled: true, issuer: config.sso.issuer, redirectUrl: config.sso.redirectUrl, clientId: { name: SSO_SECRET, key: "client-id" }, clientSecret: { name: SSO_SECRET, key: "client-secret" }, rbac: { enabled: true }, scopes: ["groups"] } } : {}),
    },
    workflow: {
      serviceAccount: { create: true, name: WORKFLOW_SERVICE_ACCOUNT, annotations: { "eks.amazonaws.com/role-arn": workflowRoleArn } },
      rbac: { create: true },
    },
    // Argo's own containers in workflow pods, under the pipelines namespace's `restricted` standard.
    executor: { securityContext: restrictedContainerSecurityContext },
    mainContainer: { securityContext: restrictedContainerSecurityContext },
    // Credentials come from the pods' IAM roles (IRSA), never from static keys.
    useStaticCredentials: false,
    artifactRepository: {
      archiveLogs: true,
      s3: { bucket: bucketName, endpoint: "s3.amazonaws.com", region: args.region, insecure: false, useSDKCreds: true, keyFormat: "{{workflow.namespace}}/{{workflow.name}}/{{pod.name}}" },
    },
  };
}

/** Argo Workflows: controller and server on the system pool, artifacts in S3 through workload identities. */
export class Argo extends pulumi.ComponentResource {
  public readonly namespace: string;
  public readonly artifactBucket: pulumi.Output<string>;
  public readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: ArgoArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:workflows:Argo", name, {}, opts);
    const { config, provider, tags } = args;
    const k8sOpts = { parent: this, provider };
    const namespace = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: config.namespace, labels: restrictedNamespaceLabels } }, k8sOpts);

    const bucket = new BackupBucket(`${name}-artifacts`, {
      purpose: "argo-artifacts",
      retentionDays: config.artifactRetentionDays,
      expireCurrentAfterDays: config.artifactRetentionDays,
      protect: false,
      tags,
    }, { parent: this });
    const role = (roleName: string, namespaceName: string, serviceAccount: string, write: boolean) => new WorkloadRole(`${name}-${roleName}`, {
      oidc: args.oidc,
      namespace: namespaceName,
      serviceAccount,
      policy: pulumi.all([bucket.arn, bucket.keyArn]).apply(([bucketArn, keyArn]) => artifactPolicy(bucketArn, keyArn, write)),
      tags,
    }, { parent: this });
    const workflowRole = role("workflows", args.workflowNamespace, WORKFLOW_SERVICE_ACCOUNT, true);
    const serverRole = role("server", config.namespace, SERVER_SERVICE_ACCOUNT, false);

    const dependsOn: pulumi.Resource[] = [namespace, ...args.monitoringCrds];
    if (config.sso) {
      const sso = config.sso;
      dependsOn.push(new k8s.core.v1.Secret(`${name}-sso`, {
        metadata: { name: SSO_SECRET, namespace: config.namespace },
        stringData: {
          "client-id": args.secrets.apply((values) => values[sso.clientIdSecret]),
          "client-secret": args.secrets.apply((values) => values[sso.clientSecretSecret]),
        },
      }, { ...k8sOpts, dependsOn: [namespace] }));
    }
    if (config.archive) {
      dependsOn.push(new k8s.core.v1.Secret(`${name}-archive-credentials`, {
        metadata: { name: args.postgres.appSecretName, namespace: config.namespace, annotations: mirrorTargetAnnotations(args.postgres.namespace, args.postgres.appSecretName) },
      }, { ...k8sOpts, dependsOn: [namespace], ignoreChanges: ["data", "stringData"] }));
    }

    const values = argoValues(args, bucket.bucketName, workflowRole.arn, serverRole.arn);
    this.release = new k8s.helm.v3.Release(name, pinnedRelease("argo-workflows", charts.argoWorkflows, config.namespace, values), { ...k8sOpts, dependsOn });

    this.namespace = config.namespace;
    this.artifactBucket = bucket.bucketName;
    this.registerOutputs({ namespace: this.namespace, artifactBucket: this.artifactBucket });
  }
}
