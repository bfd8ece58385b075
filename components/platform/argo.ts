import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ArgoConfig } from "../../config/schema";
import { EXECUTOR_RESOURCES } from "../../config/footprint";
import { imageUserPodSecurityContext, restrictedContainerSecurityContext, restrictedNamespaceLabels } from "../../lib/podSecurity";
import { charts, pinnedRelease } from "../../versions";
import { ArgoAccess, CONTROLLER_SERVICE_ACCOUNT } from "./argoAccess";
import { mirrorTargetAnnotations } from "./secretMirror";
import type { PlatformTarget, StoreBucket } from "./target";

export const SERVER_SERVICE_ACCOUNT = "argo-server";
const SSO_SECRET = "argo-server-sso";

export interface PostgresForArchive {
  namespace: string;
  host: string;
  database: string;
  /** The archive role's basic-auth Secret (postgresRoles.ts argoArchiveRole), mirrored into Argo's namespace. */
  archiveSecretName: string;
}

export interface ArgoArgs {
  config: ArgoConfig;
  target: PlatformTarget;
  /** Where workflows run. */
  workflowNamespace: string;
  secrets: pulumi.Output<Record<string, string>>;
  /** Postgres for the workflow archive (used when `archive` is on). */
  postgres: PostgresForArchive;
  monitoringCrds: pulumi.Resource[];
  /** The only accounts a workflow may run as (steps pipelines', the restore drill's): admission refuses others. */
  workflowServiceAccounts: string[];
  /** Argo's executor account in the workflows' namespace. */
  executorServiceAccount: string;
  /** The workflows' namespace, which the Roles live in. */
  workflowNamespaceReady: pulumi.Resource[];
}


/**
 * Applied to every workflow the controller runs, unless the workflow sets its own. No `retryStrategy` here: a
 * workflow-level retry strategy applies to every template, the DAG included, so a failed check would re-run the
 * whole DAG. Steps carry their own (components/platform/pipelines/retries.ts).
 */
export function workflowDefaults(config: ArgoConfig) {
  const defaults = config.workflowDefaults;
  return {
    spec: {
      activeDeadlineSeconds: defaults.activeDeadlineSeconds,
      ttlStrategy: { secondsAfterCompletion: defaults.ttlSecondsAfterFinished },
      podGC: { strategy: "OnPodCompletion" },
    },
  };
}

export function argoValues(args: Pick<ArgoArgs, "config" | "workflowNamespace" | "postgres"> & { target: Pick<PlatformTarget, "placement"> }, serverAnnotations: Record<string, pulumi.Input<string>>) {
  const { config } = args;
  const placement = { nodeSelector: args.target.placement.system.nodeSelector ?? {} };
  const small = { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } };
  // The chart renders a pod securityContext only from `podSecurityContext`, empty by default
  // (argo-helm argo-workflows-1.0.18 templates/controller/workflow-controller-deployment.yaml and
  // server/server-deployment.yaml): without a seccomp profile the `restricted` namespace refuses both pods.
  const podSecurityContext = imageUserPodSecurityContext;
  return {
    // The minimal CRDs are chart templates, so Helm upgrades them with the chart and needs no network. The full
    // ones are applied by a hook Job that downloads them from GitHub at install time (templates/crds-install-job.yaml).
    crds: { install: true, keep: true, full: false },
    // Namespaced: `--namespaced` on the controller and the server (templates/*-deployment.yaml), watching only the
    // workflows' namespace (`--managed-namespace`); the chart's RBAC off (argoAccess.ts holds it), no cluster
    // workflow templates (a ClusterRole each).
    singleNamespace: true,
    controller: {
      ...placement,
      extraArgs: ["--managed-namespace", args.workflowNamespace],
      serviceAccount: { create: true, name: CONTROLLER_SERVICE_ACCOUNT },
      rbac: { create: false },
      clusterWorkflowTemplates: { enabled: false },
      podSecurityContext,
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
            userNameSecret: { name: args.postgres.archiveSecretName, key: "username" },
            passwordSecret: { name: args.postgres.archiveSecretName, key: "password" },
            ssl: true,
            sslMode: "require",
          },
        }
        : {},
    },
    server: {
      ...placement,
      podSecurityContext,
      resources: small,
      extraArgs: ["--managed-namespace", args.workflowNamespace],
      rbac: { create: false },
      clusterWorkflowTemplates: { enabled: false },
      authModes: [config.serverAuthMode],
      serviceAccount: { create: true, name: SERVER_SERVICE_ACCOUNT, annotations: serverAnnotations },
      ...(config.sso ? { sso: { enabled: true, issuer: config.sso.issuer, redirectUrl: config.sso.redirectUrl, clientId: { name: SSO_SECRET, key: "client-id" }, clientSecret: { name: SSO_SECRET, key: "client-secret" }, rbac: { enabled: true }, scopes: ["groups"] } } : {}),
    },
    // Every workflow names its own service account (each pipeline's); no shared workflow account or role.
    workflow: { serviceAccount: { create: false }, rbac: { create: false } },
    // Argo's own containers in workflow pods, under the pipelines namespace's `restricted` standard.
    // Requests too: the pipelines namespace has a ResourceQuota (config/footprint.ts EXECUTOR_RESOURCES).
    executor: { securityContext: restrictedContainerSecurityContext, resources: EXECUTOR_RESOURCES },
    mainContainer: { securityContext: restrictedContainerSecurityContext },
    // Credentials come from the pods' IAM roles (IRSA), never from static keys. There is no default artifact
    // repository: each steps pipeline names its own (pipelines/argoSupport.ts artifactRepository).
    useStaticCredentials: false,
  };
}

/** Argo Workflows: controller and server on the system pool, artifacts in S3 through workload identities. */
export class Argo extends pulumi.ComponentResource {
  public readonly namespace: string;
  public readonly artifactBucket: pulumi.Output<string>;
  /** Where steps pipelines archive their step logs. */
  public readonly artifacts: StoreBucket;
  public readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: ArgoArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:workflows:Argo", name, {}, opts);
    const { config, target } = args;
    const k8sOpts = { parent: this, provider: target.provider };
    const namespace = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: config.namespace, labels: restrictedNamespaceLabels } }, k8sOpts);

    const store = target.objectStore;
    const bucket = store.bucket(`${name}-artifacts`, {
      purpose: "argo-artifacts",
      retentionDays: config.artifactRetentionDays,
      expireCurrentAfterDays: config.artifactRetentionDays,
      protect: false,
    }, this);
    // The UI shows an archived step log with the credentials its artifact's location names: on AWS (useSDKCreds)
    // the server's own identity, which may list and read the bucket, never write; with a store's static keys,
    // the Secret of the pipeline that wrote it, so the server needs none of its own.
    const server = store.kind === "aws"
      ? store.grant(`${name}-server`, { namespace: config.namespace, serviceAccounts: [SERVER_SERVICE_ACCOUNT] }, [{ bucket, prefix: "", actions: ["list", "read"] }], this, [namespace])
      : { serviceAccountAnnotations: {}, ready: [] };

    const dependsOn: pulumi.Resource[] = [namespace, ...args.monitoringCrds, ...server.ready];
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
        metadata: { name: args.postgres.archiveSecretName, namespace: config.namespace, annotations: mirrorTargetAnnotations(args.postgres.namespace, args.postgres.archiveSecretName) },
      }, { ...k8sOpts, dependsOn: [namespace], ignoreChanges: ["data", "stringData"] }));
    }

    const access = new ArgoAccess(`${name}-access`, {
      argoNamespace: config.namespace,
      workflowNamespace: args.workflowNamespace,
      serverServiceAccount: SERVER_SERVICE_ACCOUNT,
      allowedServiceAccounts: args.workflowServiceAccounts,
      executorServiceAccount: args.executorServiceAccount,
      archiveSecret: config.archive ? args.postgres.archiveSecretName : undefined,
      ssoSecret: config.sso ? SSO_SECRET : undefined,
      provider: target.provider,
      ready: [namespace, ...args.workflowNamespaceReady],
    }, { parent: this });
    dependsOn.push(...access.ready);
    const values = argoValues(args, server.serviceAccountAnnotations);
    this.release = new k8s.helm.v3.Release(name, pinnedRelease("argo-workflows", charts.argoWorkflows, config.namespace, values), { ...k8sOpts, dependsOn });

    this.namespace = config.namespace;
    this.artifactBucket = bucket.name;
    this.artifacts = bucket;
    this.registerOutputs({ namespace: this.namespace, artifactBucket: this.artifactBucket });
  }
}
