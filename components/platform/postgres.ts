import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PostgresConfig } from "../../config/schema";
import { allowIngress, CNPG_INSTANCE_LABELS, defaultDenyIngress } from "./networkPolicies";
import * as random from "@pulumi/random";
import { restrictedNamespaceLabels } from "../../lib/podSecurity";
import { GRANTS_JOB_LABELS, grantsJob, grantsSql, managedRoles, type PostgresRole } from "./postgresRoles";
import { DATA_PRIORITY_CLASS } from "../../lib/placement";
import { charts, pinnedImage, pinnedRelease, postgresImages } from "../../versions";
import { mirrorSourceAnnotations } from "./secretMirror";
import type { ObjectStore, Placements, PlatformTarget, StoreBucket, StoreCredentials } from "./target";

import { PG_CLUSTER_NAME } from "./postgresAlerts";

export { BACKUP_TIMESTAMP_METRIC, maxBackupAgeSeconds, PG_CLUSTER_NAME, postgresAlertRules, WAL_ARCHIVE_STALL_SECONDS } from "./postgresAlerts";
export const CNPG_NAMESPACE = "cnpg-system";
export const CNPG_API_VERSION = "postgresql.cnpg.io/v1";
export const BARMAN_PLUGIN = "barman-cloud.cloudnative-pg.io";
export const OBJECT_STORE_NAME = "etl-backups";
/** The secret CloudNativePG generates with the application owner's credentials (host, port, dbname, user, password, uri). */
export const APP_SECRET_NAME = `${PG_CLUSTER_NAME}-app`;

export interface PostgresArgs {
  config: PostgresConfig;
  target: PlatformTarget;
  /** Namespaces whose pods may connect (the pipelines', Argo's for its archive). */
  clientNamespaces: string[];
  /** A role each for the pipelines that use Postgres and for Argo's archive, with its grants and password Secret. */
  roles: PostgresRole[];
  monitoringCrds?: pulumi.Resource[];
  /** Where Prometheus runs: the only namespace allowed to scrape the instances' metrics. */
  monitoringNamespace: string;
}

/** What the Cluster spec needs of the target. */
export type ClusterTarget = Pick<PlatformTarget, "environment" | "storageClassName"> & { placement: Pick<Placements, "stateful" | "zoneLabel"> };

/** The CloudNativePG Cluster: HA over zones in prod, only on the stateful pool, WAL archived by the Barman Cloud plugin. */
export function postgresCluster(args: Pick<PostgresArgs, "config"> & { target: ClusterTarget; roles?: PostgresRole[] }, backupCredentials: Pick<StoreCredentials, "serviceAccountAnnotations">) {
  const { config, target } = args;
  const prod = target.environment === "prod";
  const stateful = target.placement.stateful;
  return {
    apiVersion: CNPG_API_VERSION,
    kind: "Cluster",
    metadata: { name: PG_CLUSTER_NAME },
    spec: {
      instances: config.instances,
      imageName: pinnedImage(postgresImages[config.majorVersion]),
      primaryUpdateStrategy: "unsupervised",
      bootstrap: { initdb: { database: config.database, owner: config.owner } },
      storage: { size: config.storageSize, storageClass: target.storageClassName },
      walStorage: { size: config.walStorageSize, storageClass: target.storageClassName },
      resources: config.resources,
      postgresql: {
        // A commit returns only once one standby in another zone has it: losing a zone loses no committed data.
        ...(config.instances > 1 ? { synchronous: { method: "any", number: 1, dataDurability: "required" } } : {}),
        parameters: { log_min_duration_statement: "1000", "pg_stat_statements.track": "all" },
      },
      affinity: {
        enablePodAntiAffinity: true,
        // Over zones where the nodes have them; else over nodes.
        topologyKey: target.placement.zoneLabel ?? "kubernetes.io/hostname",
        podAntiAffinityType: prod ? "required" : "preferred",
        ...(stateful.affinity?.nodeAffinity ? { nodeAffinity: stateful.affinity.nodeAffinity } : {}),
        ...(stateful.tolerations.length > 0 ? { tolerations: stateful.tolerations } : {}),
      },
      enablePDB: prod,
      priorityClassName: DATA_PRIORITY_CLASS,
      // The store's identity for the Barman Cloud sidecar: on AWS an IAM role (IRSA), no static keys anywhere.
      ...(Object.keys(backupCredentials.serviceAccountAnnotations).length > 0
        ? { serviceAccountTemplate: { metadata: { annotations: backupCredentials.serviceAccountAnnotations } } }
        : {}),
      // The owner's credentials (the `-app` Secret) are mirrored nowhere: every client has a role of its own.
      plugins: config.backup.enabled ? [{ name: BARMAN_PLUGIN, isWALArchiver: true, parameters: { barmanObjectName: OBJECT_STORE_NAME } }] : [],
      // A role per client (postgresRoles.ts), instead of every client sharing the owner's credentials.
      ...((args.roles?.length ?? 0) + config.retiredRoles.length > 0 ? { managed: { roles: managedRoles(args.roles ?? [], config.retiredRoles) } } : {}),
    },
  };
}

export const INSTANCE_LABELS = CNPG_INSTANCE_LABELS;
/**
 * The one other cluster name the backup role trusts: the README's restore guide and the operations guide restore
 * into a Cluster of this name, which must be able to read the backups (and archive its own WAL, under its own
 * server name) without editing IAM during an incident.
 */
export const RESTORE_CLUSTER_NAME = `${PG_CLUSTER_NAME}-restore`;

/**
 * Ingress to the Postgres instances: clients (pipelines, Argo's archive) and the other instances (replication) on
 * 5432, the operator on the instance manager's port 8000, Prometheus on the metrics port 9187; nothing else. The
 * policies select every instance of the namespace by role, not by cluster name, so a cluster restored under
 * another name is reachable by the operator (or it never becomes ready) and by its clients.
 */
export function postgresNetworkPolicies(namespace: string, clientNamespaces: string[], monitoringNamespace: string) {
  const instances = INSTANCE_LABELS;
  return [
    defaultDenyIngress(namespace),
    allowIngress(namespace, { name: "allow-clients", podLabels: instances, fromNamespaces: clientNamespaces, fromPodsHere: [instances], ports: [5432] }),
    allowIngress(namespace, { name: "allow-operator", podLabels: instances, fromNamespaces: [CNPG_NAMESPACE], ports: [8000] }),
    allowIngress(namespace, { name: "allow-metrics", podLabels: instances, fromNamespaces: [monitoringNamespace], ports: [9187] }),
    // The grants Job (postgresRoles.ts), from the namespace itself.
    allowIngress(namespace, { name: "allow-grants", podLabels: instances, fromNamespaces: [], fromPodsHere: [GRANTS_JOB_LABELS], ports: [5432] }),
  ];
}

/** Base backups on the configured schedule (CloudNativePG's cron has a leading seconds field). */
export function scheduledBackup(config: PostgresConfig) {
  return {
    apiVersion: CNPG_API_VERSION,
    kind: "ScheduledBackup",
    metadata: { name: `${PG_CLUSTER_NAME}-base` },
    spec: {
      schedule: `0 ${config.backup.schedule}`,
      cluster: { name: PG_CLUSTER_NAME },
      method: "plugin",
      pluginConfiguration: { name: BARMAN_PLUGIN },
      backupOwnerReference: "self",
      immediate: true,
    },
  };
}

/**
 * Where and how the plugin archives: the bucket, credentials from the pod's IAM role (AWS) or from the store's
 * generated keys (in-cluster), retention from config.
 */
export function objectStoreSpec(bucketName: string, config: PostgresConfig, store: Pick<ObjectStore, "kind" | "endpointUrl" | "backupClientEnv">, credentials: Pick<StoreCredentials, "secret">) {
  const secret = credentials.secret;
  return {
    configuration: {
      destinationPath: `s3://${bucketName}/${PG_CLUSTER_NAME}`,
      ...(store.kind === "aws" ? {} : { endpointURL: store.endpointUrl }),
      s3Credentials: secret
        ? { accessKeyId: { name: secret.name, key: secret.accessKeyIdKey }, secretAccessKey: { name: secret.name, key: secret.secretAccessKeyKey } }
        : { inheritFromIAMRole: true },
      wal: { compression: "gzip", maxParallel: 4 },
      data: { compression: "gzip", jobs: 2 },
    },
    retentionPolicy: `${config.backup.retentionDays}d`,
    ...(store.backupClientEnv.length > 0 ? { instanceSidecarConfiguration: { env: store.backupClientEnv } } : {}),
  };
}

export function cnpgOperatorValues(podMonitor: boolean, placement: Pick<Placements, "system">) {
  return {
    nodeSelector: placement.system.nodeSelector ?? {},
    resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "512Mi" } },
    monitoring: { podMonitorEnabled: podMonitor, grafanaDashboard: { create: podMonitor } },
  };
}

/**
 * Postgres on CloudNativePG: the operator, the Barman Cloud plugin (with cert-manager, which it needs), an S3
 * backup bucket reached through a workload identity, the Cluster, its scheduled backups and its metrics.
 */
export class Postgres extends pulumi.ComponentResource {
  public readonly namespace: string;
  public readonly host: string;
  public readonly appSecretName = APP_SECRET_NAME;
  /** The service-account annotations a manual restore's cluster (`etl-restore`) uses: its own role on AWS. */
  public readonly restoreServiceAccountAnnotations: Record<string, pulumi.Input<string>>;
  public readonly backupBucket: pulumi.Output<string>;
  /** The backups' bucket, for what restores them (the restore drill). */
  public readonly backups: StoreBucket;

  constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:data:Postgres", name, {}, opts);
    const { config, target } = args;
    const { provider } = target;
    const protect = target.environment === "prod";
    const k8sOpts = { parent: this, provider };
    const release = (releaseName: string, chart: (typeof charts)[keyof typeof charts], namespace: pulumi.Input<string>, values: Record<string, unknown>, dependsOn: pulumi.Resource[] = []) =>
      new k8s.helm.v3.Release(`${name}-${releaseName}`, pinnedRelease(releaseName, chart, namespace, values), { ...k8sOpts, dependsOn });

    const operatorNamespace = new k8s.core.v1.Namespace(`${name}-operator-ns`, { metadata: { name: CNPG_NAMESPACE } }, k8sOpts);
    const namespace = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: config.namespace, labels: restrictedNamespaceLabels } }, { ...k8sOpts, protect });

    const operator = release("cnpg", charts.cloudnativePg, operatorNamespace.metadata.name, cnpgOperatorValues(args.monitoringCrds !== undefined, target.placement), args.monitoringCrds);
    const certManagerNamespace = new k8s.core.v1.Namespace(`${name}-cert-manager-ns`, { metadata: { name: "cert-manager" } }, k8sOpts);
    const certManager = release("cert-manager", charts.certManager, certManagerNamespace.metadata.name, {
      crds: { enabled: true }, nodeSelector: target.placement.system.nodeSelector ?? {},
    });
    const plugin = release("barman-cloud", charts.barmanCloudPlugin, operatorNamespace.metadata.name, {}, [operator, certManager]);

    const store = target.objectStore;
    const bucket = store.bucket(`${name}-backups`, { purpose: "postgres-backups", retentionDays: config.backup.retentionDays, protect, lockDays: protect ? config.backup.retentionDays : undefined }, this);
    // CloudNativePG runs the instances under a service account named after the cluster; a restore runs as its own.
    // The sidecar lists, reads (restores), writes (WAL, base backups) and deletes (retention) under the bucket.
    // On AWS a manual restore (README, "Restore to a point in time") gets a role of its own: it reads the archive
    // and writes only under its own server name, so a restored cluster can never delete or overwrite production's
    // backups. With an in-cluster store both share the ObjectStore's keys.
    const separateRestore = store.kind === "aws";
    const backupCredentials = store.grant(`${name}-backup`, { namespace: config.namespace, serviceAccounts: separateRestore ? [PG_CLUSTER_NAME] : [PG_CLUSTER_NAME, RESTORE_CLUSTER_NAME] },
      [{ bucket, prefix: "", actions: ["list", "read", "write", "delete"] }], this, [namespace]);
    this.restoreServiceAccountAnnotations = separateRestore
      ? store.grant(`${name}-restore`, { namespace: config.namespace, serviceAccounts: [RESTORE_CLUSTER_NAME] },
        [{ bucket, prefix: "", actions: ["list", "read"] }, { bucket, prefix: `${RESTORE_CLUSTER_NAME}/`, actions: ["write"] }], this, [namespace]).serviceAccountAnnotations
      : backupCredentials.serviceAccountAnnotations;

    const crOpts = { ...k8sOpts, dependsOn: [operator, plugin, namespace, ...backupCredentials.ready] };
    const objectStore = config.backup.enabled
      ? new k8s.apiextensions.CustomResource(`${name}-object-store`, {
        apiVersion: "barmancloud.cnpg.io/v1",
        kind: "ObjectStore",
        metadata: { name: OBJECT_STORE_NAME, namespace: config.namespace },
        spec: bucket.name.apply((bucketName) => objectStoreSpec(bucketName, config, store, backupCredentials)),
      }, crOpts)
      : undefined;

    // Each role's password: generated, kept by Pulumi as a secret, mirrored to its clients' namespace.
    const roleSecrets = args.roles.map((role) => {
      const password = new random.RandomPassword(`${name}-role-${role.name}`, { length: 32, special: false }, { parent: this });
      return new k8s.core.v1.Secret(`${name}-role-${role.name}`, {
        metadata: { name: role.secret, namespace: config.namespace, labels: { "cnpg.io/reload": "true" }, annotations: mirrorSourceAnnotations([role.secretNamespace]) },
        type: "kubernetes.io/basic-auth",
        stringData: { username: role.name, password: password.result },
      }, { ...k8sOpts, dependsOn: [namespace] });
    });
    const { spec } = postgresCluster(args, backupCredentials);
    const cluster = new k8s.apiextensions.CustomResource(`${name}-cluster`, {
      apiVersion: CNPG_API_VERSION, kind: "Cluster", metadata: { name: PG_CLUSTER_NAME, namespace: config.namespace }, spec,
    }, { ...crOpts, dependsOn: [operator, plugin, namespace, ...(objectStore ? [objectStore] : []), ...roleSecrets], protect });
    if (args.roles.length > 0 || config.retiredRoles.length > 0) {
      const sql = grantsSql(args.roles, config.database, config.owner, config.retiredRoles);
      const job = grantsJob({ namespace: config.namespace, sql, image: pinnedImage(postgresImages[config.majorVersion]), host: `${PG_CLUSTER_NAME}-rw`, database: config.database, ownerSecret: APP_SECRET_NAME });
      new k8s.batch.v1.Job(`${name}-grants`, { metadata: job.metadata, spec: job.spec }, { ...k8sOpts, dependsOn: [cluster] });
    }

    if (config.backup.enabled) {
      const backup = scheduledBackup(config);
      new k8s.apiextensions.CustomResource(`${name}-scheduled-backup`, {
        apiVersion: backup.apiVersion, kind: backup.kind, metadata: { ...backup.metadata, namespace: config.namespace }, spec: backup.spec,
      }, { ...k8sOpts, dependsOn: [cluster] });
    }

    for (const policy of postgresNetworkPolicies(config.namespace, args.clientNamespaces, args.monitoringNamespace)) {
      new k8s.networking.v1.NetworkPolicy(`${name}-${policy.metadata.name}`, { metadata: policy.metadata, spec: policy.spec }, { ...k8sOpts, dependsOn: [namespace] });
    }

    if (args.monitoringCrds) {
      new k8s.apiextensions.CustomResource(`${name}-pods`, {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata: { name: PG_CLUSTER_NAME, namespace: config.namespace },
        spec: postgresPodMonitorSpec(),
      }, { ...k8sOpts, dependsOn: [...args.monitoringCrds, namespace] });
    }

    this.namespace = config.namespace;
    this.host = `${PG_CLUSTER_NAME}-rw.${config.namespace}.svc`;
    this.backupBucket = bucket.name;
    this.backups = bucket;
    this.registerOutputs({ namespace: this.namespace, host: this.host, backupBucket: this.backupBucket });
  }
}

/**
 * Scrapes the instances only (not poolers or jobs of the cluster), on the instance manager's `metrics` port.
 * The PodMonitor adds `namespace` and `pod` to every series; CloudNativePG's own metrics carry no `cluster` label.
 */
export function postgresPodMonitorSpec() {
  return { selector: { matchLabels: INSTANCE_LABELS }, podMetricsEndpoints: [{ port: "metrics" }] };
}

