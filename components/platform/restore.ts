/**
 * Restoring Postgres from its backups, as plain objects: one builder for the manual restore of README.md
 * (`npm run restore-manifest`) and for the scheduled restore drill, so the two cannot drift.
 */
import { stringify as toYaml } from "yaml";
import type { PostgresConfig } from "../../config/schema";
import type { Placement } from "../../lib/placement";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../../lib/podSecurity";
import { pinnedImage, postgresImages } from "../../versions";
import { BARMAN_PLUGIN, CNPG_API_VERSION, OBJECT_STORE_NAME, PG_CLUSTER_NAME } from "./postgres";

export interface RestoreArgs {
  /** The new cluster's name; its service account has the same name. */
  name: string;
  namespace: string;
  config: PostgresConfig;
  storageClassName: string;
  storageSize?: string;
  /** Annotations of the cluster's service account (on AWS, the read-only backup role). */
  serviceAccountAnnotations?: Record<string, string>;
  /** Recover up to this time (`2026-11-24 05:00:00+00`); the latest backup plus all WAL when undefined. */
  targetTime?: string;
  /** The ObjectStore (in `namespace`) that points at the production backups. */
  objectStoreName?: string;
  /** Requests and limits; the production cluster's when undefined. */
  resources?: PostgresConfig["resources"];
  /** Where its pods run (the drill: on-demand nodes, away from production's stateful pool). */
  placement?: Placement;
}

/**
 * A CloudNativePG Cluster that bootstraps by recovery from the production cluster's backups: an `externalClusters`
 * entry through the Barman Cloud plugin with serverName = the production cluster, and no WAL-archiver plugin, so it
 * never writes into the production archive.
 */
export function restoredCluster(args: RestoreArgs) {
  const { config } = args;
  return {
    apiVersion: CNPG_API_VERSION,
    kind: "Cluster",
    metadata: { name: args.name, namespace: args.namespace },
    spec: {
      instances: 1,
      // The backup's major version: a restore cannot change it.
      imageName: pinnedImage(postgresImages[config.majorVersion]),
      storage: { size: args.storageSize ?? config.storageSize, storageClass: args.storageClassName },
      walStorage: { size: config.walStorageSize, storageClass: args.storageClassName },
      resources: args.resources ?? config.resources,
      ...(args.placement?.affinity?.nodeAffinity || args.placement?.tolerations.length
        ? { affinity: { ...(args.placement.affinity?.nodeAffinity ? { nodeAffinity: args.placement.affinity.nodeAffinity } : {}), ...(args.placement.tolerations.length ? { tolerations: args.placement.tolerations } : {}) } }
        : {}),
      ...(args.serviceAccountAnnotations && Object.keys(args.serviceAccountAnnotations).length > 0
        ? { serviceAccountTemplate: { metadata: { annotations: args.serviceAccountAnnotations } } }
        : {}),
      bootstrap: {
        recovery: {
          source: "origin",
          database: config.database,
          owner: config.owner,
          ...(args.targetTime ? { recoveryTarget: { targetTime: args.targetTime } } : {}),
        },
      },
      externalClusters: [{
        name: "origin",
        plugin: { name: BARMAN_PLUGIN, parameters: { barmanObjectName: args.objectStoreName ?? OBJECT_STORE_NAME, serverName: PG_CLUSTER_NAME } },
      }],
    },
  };
}

/** The manual restore's manifest, as README.md shows it and `npm run restore-manifest` prints it. */
export function restoreManifestYaml(args: RestoreArgs): string {
  return toYaml(restoredCluster(args));
}

export const CHECK_JOB = "restore-check";
export const CHECK_LABELS = { "etl-platform/restore-check": "true" };

/**
 * The drill's check, as a Job next to the restored cluster (it reads that cluster's app Secret, which only pods of
 * its namespace can): connect, the application database exists, and the configured query returns a row.
 */
export function restoreCheckJob(namespace: string, clusterName: string, config: PostgresConfig) {
  const secret = `${clusterName}-app`;
  const fromSecret = (key: string) => ({ valueFrom: { secretKeyRef: { name: secret, key } } });
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: CHECK_JOB, namespace, labels: CHECK_LABELS },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: 300,
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels: CHECK_LABELS },
        spec: {
          restartPolicy: "Never",
          automountServiceAccountToken: false,
          securityContext: restrictedPodSecurityContext,
          containers: [{
            name: "check",
            image: pinnedImage(postgresImages[config.majorVersion]),
            command: ["/bin/sh", "-c", 'test -n "$(psql -v ON_ERROR_STOP=1 -tAc "$CHECK_QUERY")"'],
            env: [
              { name: "PGHOST", value: `${clusterName}-rw` },
              { name: "PGSSLMODE", value: "require" },
              { name: "PGDATABASE", ...fromSecret("dbname") },
              { name: "PGUSER", ...fromSecret("username") },
              { name: "PGPASSWORD", ...fromSecret("password") },
              { name: "CHECK_QUERY", value: config.restoreDrill.checkQuery },
            ],
            resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
            securityContext: restrictedContainerSecurityContext,
          }],
        },
      },
    },
  };
}
