/**
 * The Postgres restore drill: on a schedule, an Argo CronWorkflow restores the latest backup into a throwaway
 * cluster in its own namespace, checks it, records how long the restore took, and deletes it whatever the outcome.
 * Its identity may only read the backups; its namespace's NetworkPolicies let nothing reach production.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { knownParts } from "../../lib/knownParts";
import type { PostgresConfig } from "../../config/schema";
import { apiServerEgress, CNPG_INSTANCE_LABELS, dnsEgress, httpsEgress, inNamespace, objectStoreEgress } from "./networkPolicies";
import { argoMetric as metric, EXECUTOR_RBAC_RULES } from "./pipelines";
import { restrictedNamespaceLabels, restrictedPodSecurityContext } from "../../lib/podSecurity";
import { CNPG_NAMESPACE, OBJECT_STORE_NAME, objectStoreSpec } from "./postgres";
import { CHECK_LABELS, restoreCheckJob, restoredCluster } from "./restore";
import type { PlatformTarget, StoreBucket, StoreCredentials } from "./target";

export const DRILL_NAMESPACE = "postgres-drill";
export const DRILL_CLUSTER = "etl-drill";
import { DRILL_WORKFLOW } from "./restoreDrillAlerts";

export { DRILL_WORKFLOW, restoreDrillAlertRules } from "./restoreDrillAlerts";
export const DRILL_SERVICE_ACCOUNT = "restore-drill";
const DRILL_POD_LABELS = { "etl-platform/restore-drill": "true" };

/** What the drill workflow creates, as the manifests of its resource steps. */
export interface DrillManifests {
  objectStore: Record<string, unknown>;
  cluster: Record<string, unknown>;
  check: Record<string, unknown>;
}

export function drillManifests(config: PostgresConfig, bucketName: string, target: Pick<PlatformTarget, "objectStore" | "scratchStorageClassName" | "placement">, credentials: Pick<StoreCredentials, "serviceAccountAnnotations" | "secret">): DrillManifests {
  // The production archive's location, read with the drill's read-only credentials; no retention (it never deletes).
  const spec: Partial<ReturnType<typeof objectStoreSpec>> = objectStoreSpec(bucketName, config, target.objectStore, credentials);
  delete spec.retentionPolicy;
  return {
    objectStore: { apiVersion: "barmancloud.cnpg.io/v1", kind: "ObjectStore", metadata: { name: OBJECT_STORE_NAME, namespace: DRILL_NAMESPACE }, spec },
    cluster: restoredCluster({
      name: DRILL_CLUSTER,
      namespace: DRILL_NAMESPACE,
      config,
      // Volumes deleted with their claims: the drill leaves nothing behind.
      storageClassName: target.scratchStorageClassName,
      storageSize: config.restoreDrill.storageSize,
      resources: config.restoreDrill.resources,
      // On-demand capacity that production's data services do not use (they have the tainted stateful pool).
      placement: target.placement.system,
      serviceAccountAnnotations: credentials.serviceAccountAnnotations as Record<string, string>,
    }),
    check: restoreCheckJob(DRILL_NAMESPACE, DRILL_CLUSTER, config),
  };
}


/**
 * The drill as a CronWorkflow of resource steps: the ObjectStore, the restored Cluster (the step waits until it
 * is ready: its duration is the restore time), the check Job; an exit handler deletes all three whatever the
 * outcome. Its outcome and restore time are Argo custom metrics, which the controller keeps after the pods go.
 */
export function drillWorkflow(config: PostgresConfig, namespace: string, manifests: DrillManifests) {
  const drill = config.restoreDrill;
  // Manifests as JSON, which is YAML too (Argo parses them as YAML).
  const apply = (name: string, manifest: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ name, resource: { action: "apply", manifest: JSON.stringify(manifest), ...extra } });
  const remove = (name: string, manifest: Record<string, any>) => ({
    name,
    resource: { action: "delete", flags: ["--ignore-not-found", "--wait=false"], manifest: JSON.stringify({ apiVersion: manifest.apiVersion, kind: manifest.kind, metadata: manifest.metadata }) },
  });
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "CronWorkflow",
    metadata: { name: DRILL_WORKFLOW, namespace, labels: DRILL_POD_LABELS },
    spec: {
      schedules: [drill.schedule],
      timezone: "UTC",
      concurrencyPolicy: "Forbid",
      startingDeadlineSeconds: 600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      workflowSpec: {
        entrypoint: "drill",
        onExit: "cleanup",
        serviceAccountName: DRILL_SERVICE_ACCOUNT,
        activeDeadlineSeconds: drill.deadlineMinutes * 60,
        ttlStrategy: { secondsAfterCompletion: 7 * 24 * 3600 },
        podGC: { strategy: "OnPodCompletion" },
        securityContext: restrictedPodSecurityContext,
        podMetadata: { labels: DRILL_POD_LABELS },
        metrics: {
          prometheus: [
            metric("etl_restore_drill_last_success_timestamp_seconds", "When the Postgres restore drill last succeeded", "{{status}} == Succeeded", { gauge: { value: "{{workflow.creationTimestamp.s}}", realtime: false } }),
            metric("etl_restore_drill_failures_total", "Failed Postgres restore drills", "{{status}} != Succeeded", { counter: { value: "1" } }),
          ],
        },
        templates: [
          { name: "drill", steps: [[{ name: "object-store", template: "object-store" }], [{ name: "restore", template: "restore" }], [{ name: "check", template: "check" }]] },
          apply("object-store", manifests.objectStore),
          {
            ...apply("restore", manifests.cluster, { successCondition: "status.readyInstances == 1" }),
            activeDeadlineSeconds: drill.deadlineMinutes * 60,
            metrics: { prometheus: [metric("etl_restore_drill_restore_seconds", "Seconds the last successful restore took, from the backups to a ready cluster", "{{status}} == Succeeded", { gauge: { value: "{{duration}}", realtime: false } })] },
          },
          {
            ...apply("check", manifests.check, { successCondition: "status.succeeded > 0", failureCondition: "status.failed > 0" }),
            metrics: { prometheus: [metric("etl_restore_drill_check_seconds", "Seconds the last restore drill's check took", "{{status}} == Succeeded", { gauge: { value: "{{duration}}", realtime: false } })] },
          },
          { name: "cleanup", steps: [[{ name: "check", template: "delete-check" }, { name: "cluster", template: "delete-cluster" }, { name: "object-store", template: "delete-object-store" }]] },
          remove("delete-check", manifests.check),
          remove("delete-cluster", manifests.cluster),
          remove("delete-object-store", manifests.objectStore),
        ],
      },
    },
  };
}

/** The drill namespace's policies: the operator and the check reach the instances; egress only to what a restore needs. */
export function drillNetworkPolicies(target: Pick<PlatformTarget, "egress" | "objectStore">) {
  return [
    { metadata: { name: "default-deny", namespace: DRILL_NAMESPACE }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
    {
      metadata: { name: "allow-restore", namespace: DRILL_NAMESPACE },
      spec: {
        podSelector: { matchLabels: CNPG_INSTANCE_LABELS },
        policyTypes: ["Ingress"],
        ingress: [
          { from: [inNamespace(CNPG_NAMESPACE)], ports: [{ protocol: "TCP", port: 8000 }] },
          { from: [{ podSelector: { matchLabels: CHECK_LABELS } }], ports: [{ protocol: "TCP", port: 5432 }] },
        ],
      },
    },
    {
      // Every pod: DNS, and Postgres within the namespace only (the check to the restored instance).
      metadata: { name: "allow-egress", namespace: DRILL_NAMESPACE },
      spec: {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [dnsEgress(), { to: [{ podSelector: {} }], ports: [{ protocol: "TCP", port: 5432 }] }],
      },
    },
    {
      // The restored instances only: the API server (CloudNativePG's instance manager reconciles its pod through
      // it) and the backups (the object store and, on AWS, the identity exchange). The check reaches neither.
      metadata: { name: "allow-instance-egress", namespace: DRILL_NAMESPACE },
      spec: {
        podSelector: { matchLabels: CNPG_INSTANCE_LABELS },
        policyTypes: ["Egress"],
        egress: [
          apiServerEgress(target.egress.apiServer),
          objectStoreEgress(target.egress.objectStore, target.objectStore.inCluster, target.egress.objectStorePort),
          ...(target.egress.identity ? [httpsEgress(target.egress.identity)] : []),
        ],
      },
    },
  ];
}

/** The drill workflow's own pods (in the workflows' namespace) reach only the API server. */
export function drillWorkflowNetworkPolicy(namespace: string, target: Pick<PlatformTarget, "egress">) {
  return {
    metadata: { name: DRILL_WORKFLOW, namespace },
    spec: {
      podSelector: { matchLabels: DRILL_POD_LABELS },
      policyTypes: ["Egress"],
      egress: [apiServerEgress(target.egress.apiServer)],
    },
  };
}

export interface RestoreDrillArgs {
  config: PostgresConfig;
  target: PlatformTarget;
  /** The production backups. */
  backupBucket: StoreBucket;
  /** Where Argo runs workflows (the drill's workflow and its service account live there). */
  workflowNamespace: string;
  /** Argo's and CloudNativePG's CRDs. */
  ready: pulumi.Resource[];
}

export class RestoreDrill extends pulumi.ComponentResource {
  constructor(name: string, args: RestoreDrillArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:data:RestoreDrill", name, {}, opts);
    const { config, target } = args;
    const k8sOpts = { parent: this, provider: target.provider };
    const namespace = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: DRILL_NAMESPACE, labels: restrictedNamespaceLabels } }, k8sOpts);
    // Read only: list and read the backups, never write or delete.
    const credentials = target.objectStore.grant(`${name}-reader`, { namespace: DRILL_NAMESPACE, serviceAccounts: [DRILL_CLUSTER] },
      [{ bucket: args.backupBucket, prefix: "", actions: ["list", "read"] }], this, [namespace]);

    for (const policy of drillNetworkPolicies(target)) {
      new k8s.networking.v1.NetworkPolicy(`${name}-${policy.metadata.name}`, policy, { ...k8sOpts, dependsOn: [namespace] });
    }
    const workflowPolicy = drillWorkflowNetworkPolicy(args.workflowNamespace, target);
    new k8s.networking.v1.NetworkPolicy(`${name}-workflow`, workflowPolicy, k8sOpts);

    const account = new k8s.core.v1.ServiceAccount(`${name}-account`, { metadata: { name: DRILL_SERVICE_ACCOUNT, namespace: args.workflowNamespace } }, k8sOpts);
    // In the drill namespace: the resources its steps create and delete (argoproj docs/workflow-rbac.md: a resource
    // template acts with the workflow's service account).
    const role = new k8s.rbac.v1.Role(`${name}-role`, {
      metadata: { name: DRILL_SERVICE_ACCOUNT, namespace: DRILL_NAMESPACE },
      rules: [
        { apiGroups: ["postgresql.cnpg.io"], resources: ["clusters"], verbs: ["get", "list", "create", "patch", "delete"] },
        { apiGroups: ["barmancloud.cnpg.io"], resources: ["objectstores"], verbs: ["get", "list", "create", "patch", "delete"] },
        { apiGroups: ["batch"], resources: ["jobs"], verbs: ["get", "list", "create", "patch", "delete"] },
      ],
    }, { ...k8sOpts, dependsOn: [namespace] });
    const binding = new k8s.rbac.v1.RoleBinding(`${name}-binding`, {
      metadata: { name: DRILL_SERVICE_ACCOUNT, namespace: DRILL_NAMESPACE },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: DRILL_SERVICE_ACCOUNT },
      subjects: [{ kind: "ServiceAccount", name: DRILL_SERVICE_ACCOUNT, namespace: args.workflowNamespace }],
    }, { ...k8sOpts, dependsOn: [role] });
    // In the workflows' namespace: what every workflow pod's executor needs (docs/workflow-rbac.md, v3.4 and later).
    const executorRole = new k8s.rbac.v1.Role(`${name}-executor`, {
      metadata: { name: `${DRILL_SERVICE_ACCOUNT}-executor`, namespace: args.workflowNamespace },
      rules: EXECUTOR_RBAC_RULES,
    }, k8sOpts);
    const executorBinding = new k8s.rbac.v1.RoleBinding(`${name}-executor`, {
      metadata: { name: `${DRILL_SERVICE_ACCOUNT}-executor`, namespace: args.workflowNamespace },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: `${DRILL_SERVICE_ACCOUNT}-executor` },
      subjects: [{ kind: "ServiceAccount", name: DRILL_SERVICE_ACCOUNT, namespace: args.workflowNamespace }],
    }, { ...k8sOpts, dependsOn: [executorRole] });

    // The manifests are YAML strings inside the workflow: every value in them must be resolved first. The rest of
    // the spec (schedule, steps, images, metrics) does not depend on the bucket or the identity: knownParts keeps
    // it known before they resolve, for the offline plan and the diff.
    const render = (bucket: string, annotations: Record<string, string>) =>
      drillWorkflow(config, args.workflowNamespace, drillManifests(config, bucket, target, { ...credentials, serviceAccountAnnotations: annotations })).spec;
    const actual = pulumi.all([args.backupBucket.name, pulumi.output(credentials.serviceAccountAnnotations)]).apply(([bucket, annotations]) => render(bucket, annotations));
    new k8s.apiextensions.CustomResource(`${name}-workflow`, {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "CronWorkflow",
      metadata: { name: DRILL_WORKFLOW, namespace: args.workflowNamespace, labels: DRILL_POD_LABELS },
      spec: knownParts(render("stand-in-bucket-a", { a: "a" }), render("stand-in-bucket-b", { b: "b" }), actual),
    }, { ...k8sOpts, dependsOn: [...args.ready, account, binding, executorBinding, ...credentials.ready] });
    this.registerOutputs({});
  }
}
