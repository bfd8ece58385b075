/** The Postgres cluster's name and alerts (pure: no SDK, so the rule tests load fast). */
import type { PostgresConfig } from "../../config/schema";
import type { AlertRule, RuleGroup } from "../../lib/alerts";
import { scheduleGaps } from "../../lib/cron";

export const PG_CLUSTER_NAME = "etl";

/** Longest time the newest base backup may age: the longest gap of its schedule plus an hour to run. */
export function maxBackupAgeSeconds(config: PostgresConfig): number {
  return scheduleGaps(config.backup.schedule, "UTC").maxSeconds + 3600;
}

/**
 * The Barman Cloud plugin's backup metric: the plugin name with dots and dashes as underscores, then the metric
 * (cloudnative-pg/plugin-barman-cloud internal/cnpgi/instance/metrics.go, buildFqName). The operator's own
 * `cnpg_collector_last_available_backup_timestamp` stays 0 when backups go through a plugin.
 */
export const BACKUP_TIMESTAMP_METRIC = "barman_cloud_cloudnative_pg_io_last_available_backup_timestamp";

/** No WAL archived for this long on the primary: six of CloudNativePG's default archive_timeout (5 minutes). */
export const WAL_ARCHIVE_STALL_SECONDS = 1800;

/** Alerts for the Postgres cluster: instances not ready, standbys lagging, backups too old, metrics missing. */
export function postgresAlertRules(config: PostgresConfig): RuleGroup[] {
  const instances = `namespace="${config.namespace}", pod=~"${PG_CLUSTER_NAME}-[0-9]+"`;
  const rules: AlertRule[] = [
    {
      alert: "PostgresInstanceNotReady",
      expr: `sum(kube_pod_status_ready{${instances}, condition="true"}) < ${config.instances}`,
      for: "5m",
      severity: config.instances > 1 ? "warning" : "critical",
      summary: "A Postgres instance is not ready",
      description: `Fewer than ${config.instances} instances of the ${PG_CLUSTER_NAME} cluster are ready.`,
    },
    {
      alert: "PostgresMetricsAbsent",
      // cnpg_collector_up: 1 while the instance manager reaches PostgreSQL (cloudnative-pg
      // pkg/management/postgres/webserver/metricserver/pg_collector.go). Absent: nothing is scraped at all.
      expr: `absent(cnpg_collector_up{${instances}})`,
      for: "15m",
      severity: "warning",
      summary: "No Postgres metrics are scraped",
      description: "Prometheus has no metrics from any Postgres instance: the alerts on lag and backups cannot fire.",
    },
  ];
  if (config.instances > 1) {
    rules.push({
      alert: "PostgresReplicationLag",
      // pg_replication.lag of the operator's default monitoring queries (the chart's monitoringQueriesConfigMap).
      expr: `max(cnpg_pg_replication_lag{${instances}}) > 60`,
      for: "5m",
      severity: "warning",
      summary: "A Postgres standby lags more than a minute",
      description: "A failover now would take longer, or lose the lagging transactions on an asynchronous standby.",
    });
  }
  if (config.backup.enabled) {
    rules.push({
      alert: "PostgresBackupTooOld",
      expr: `time() - max(${BACKUP_TIMESTAMP_METRIC}{${instances}}) > ${maxBackupAgeSeconds(config)}`,
      for: "10m",
      severity: "critical",
      summary: "The newest Postgres base backup is older than its schedule allows",
      description: `No base backup has completed within ${maxBackupAgeSeconds(config)} seconds (schedule "${config.backup.schedule}" plus an hour).`,
    }, {
      alert: "PostgresBackupMetricsAbsent",
      expr: `absent(${BACKUP_TIMESTAMP_METRIC}{${instances}})`,
      for: "30m",
      severity: "critical",
      summary: "The backup metric of the Barman Cloud plugin is missing",
      description: "Without it PostgresBackupTooOld cannot fire: the plugin sidecar is not running or not reporting.",
    });
    // WAL archiving is what a point-in-time recovery replays: when it fails, the recovery point stops moving
    // although the last base backup is recent. pg_stat_archiver of the primary (the default monitoring queries'
    // `pg_stat_archiver`, -1 for a time never reached; `pg_replication.in_recovery` is 0 on the primary only).
    const primary = `on (pod) (max by (pod) (cnpg_pg_replication_in_recovery{${instances}}) == 0)`;
    rules.push({
      alert: "PostgresWalArchivingFailing",
      expr: `(max by (pod) (cnpg_pg_stat_archiver_last_failed_time{${instances}}) > max by (pod) (cnpg_pg_stat_archiver_last_archived_time{${instances}})) and ${primary}`,
      for: "10m",
      severity: "critical",
      summary: "Postgres cannot archive its WAL",
      description: "The primary's last WAL archive attempt failed and none succeeded since: the point-in-time recovery window has stopped moving.",
    }, {
      alert: "PostgresWalArchivingStalled",
      // An idle primary still switches WAL every archive_timeout (CloudNativePG's default: 5 minutes).
      expr: `(max by (pod) (cnpg_pg_stat_archiver_seconds_since_last_archival{${instances}}) > ${WAL_ARCHIVE_STALL_SECONDS}) and ${primary}`,
      for: "5m",
      severity: "critical",
      summary: "Postgres has archived no WAL for 30 minutes",
      description: "No WAL segment reached the backups for 30 minutes although the primary switches segments at least every 5: the recovery point is falling behind.",
    });
  }
  return [{ name: "postgres", rules }];
}
