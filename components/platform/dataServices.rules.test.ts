/** Kafka's, Postgres' and the pipelines namespace's quota alerts under the real rule engine (test/promtool.ts). */
import { parsePlatformConfig } from "../../config/load";
import { testRules } from "../../test/promtool";
import { KAFKA_CLUSTER_NAME, kafkaAlertRules } from "./kafkaAlerts";
import { BACKUP_TIMESTAMP_METRIC, maxBackupAgeSeconds, PG_CLUSTER_NAME, postgresAlertRules } from "./postgresAlerts";
import { pipelineAlertRules } from "./pipelines/alerts";

const prod = parsePlatformConfig({ environment: "prod", network: { availabilityZones: 3 } } as any);
const target = (namespace: string, pod: string) => `namespace="${namespace}", pod="${pod}", job="x", instance="10.0.0.1:9404"`;

describe("Kafka alerts (promtool)", () => {
  const kafka = prod.kafka;
  const broker = (i: number) => `${KAFKA_CLUSTER_NAME}-${kafka.combinedRoles ? "combined" : "brokers"}-${i}`;
  it("fire on under-replicated and offline partitions and a broker down, quiet when healthy", () => {
    const ready = (i: number, values: string) => ({ series: `kube_pod_status_ready{namespace="${kafka.namespace}", pod="${broker(i)}", condition="true"}`, values });
    const healthy = Array.from({ length: kafka.brokers }, (_, i) => ready(i, "1x60"));
    const result = testRules(kafkaAlertRules(kafka), [
      { name: "healthy", series: [...healthy, { series: `kafka_server_replicamanager_underreplicatedpartitions{${target(kafka.namespace, broker(0))}}`, values: "0x60" }], checks: ["KafkaUnderReplicatedPartitions", "KafkaOfflinePartitions", "KafkaBrokerDown"].map((alert) => ({ at: "50m", alert, fires: [] })) },
      {
        name: "a broker goes down at 10m, its partitions under-replicated, one offline",
        series: [
          ...healthy.slice(1), ready(0, "1x9 0x50"),
          { series: `kafka_server_replicamanager_underreplicatedpartitions{${target(kafka.namespace, broker(1))}}`, values: "0x9 4x50" },
          { series: `kafka_controller_kafkacontroller_offlinepartitionscount{${target(kafka.namespace, broker(1))}}`, values: "0x9 1x50" },
        ],
        checks: [
          { at: "13m", alert: "KafkaBrokerDown", fires: [] }, { at: "17m", alert: "KafkaBrokerDown", fires: [{}] },
          { at: "15m", alert: "KafkaUnderReplicatedPartitions", fires: [] }, { at: "22m", alert: "KafkaUnderReplicatedPartitions", fires: [{}] },
          { at: "13m", alert: "KafkaOfflinePartitions", fires: [{}] },
        ],
      },
    ]);
    expect(result.output).toContain("SUCCESS");
    expect(result.ok).toBe(true);
  });
});

describe("Postgres alerts (promtool)", () => {
  const postgres = prod.postgres;
  const instance = (i: number) => `${PG_CLUSTER_NAME}-${i}`;
  const maxAge = maxBackupAgeSeconds(postgres);
  it("fire on an instance not ready, lag, an old backup and missing metrics; quiet when healthy", () => {
    const ready = (i: number, values: string) => ({ series: `kube_pod_status_ready{namespace="${postgres.namespace}", pod="${instance(i)}", condition="true"}`, values });
    const perInstance = (metric: string, values: string) => Array.from({ length: postgres.instances }, (_, i) => ({ series: `${metric}{${target(postgres.namespace, instance(i + 1))}}`, values }));
    const healthy = [
      ...Array.from({ length: postgres.instances }, (_, i) => ready(i + 1, "1x120")),
      ...perInstance("cnpg_collector_up", "1x120"),
      ...perInstance("cnpg_pg_replication_lag", "0x120"),
      ...perInstance(BACKUP_TIMESTAMP_METRIC, "0x120"),
    ];
    const alerts = ["PostgresInstanceNotReady", "PostgresMetricsAbsent", "PostgresReplicationLag", "PostgresBackupTooOld", "PostgresBackupMetricsAbsent"];
    const result = testRules(postgresAlertRules(postgres), [
      { name: "healthy (the newest backup is from 0 s; checked before it is too old)", series: healthy, checks: alerts.map((alert) => ({ at: "100m", alert, fires: [] })) },
      {
        name: "instance 2 not ready and lagging from 10m",
        series: [...healthy.filter((s) => !s.series.includes(instance(2)) || s.series.includes("backup")), ready(2, "1x9 0x100"), { series: `cnpg_pg_replication_lag{${target(postgres.namespace, instance(2))}}`, values: "0x9 300x100" }, { series: `cnpg_collector_up{${target(postgres.namespace, instance(2))}}`, values: "1x120" }],
        checks: [{ at: "17m", alert: "PostgresInstanceNotReady", fires: [{}] }, { at: "17m", alert: "PostgresReplicationLag", fires: [{}] }],
      },
      {
        name: "no metrics at all",
        series: [],
        checks: [{ at: "20m", alert: "PostgresMetricsAbsent", fires: [{ namespace: postgres.namespace }] }, { at: "40m", alert: "PostgresBackupMetricsAbsent", fires: [{ namespace: postgres.namespace }] }],
      },
    ]);
    expect(result.output).toContain("SUCCESS");
    expect(result.ok).toBe(true);
    const old = testRules(postgresAlertRules(postgres), [{
      name: "the newest backup is from 0 s and none follows",
      interval: "5m",
      series: perInstance(BACKUP_TIMESTAMP_METRIC, `0x${(Math.ceil(maxAge / 3600) + 3) * 12}`),
      checks: [{ at: `${Math.floor(maxAge / 3600) - 1}h`, alert: "PostgresBackupTooOld", fires: [] }, { at: `${Math.ceil(maxAge / 3600) + 2}h`, alert: "PostgresBackupTooOld", fires: [{}] }],
    }], "10m");
    expect(old.output).toContain("SUCCESS");
    expect(old.ok).toBe(true);
  });
});

describe("Postgres WAL archiving alerts (promtool)", () => {
  const postgres = prod.postgres;
  const pod = (i: number) => target(postgres.namespace, `${PG_CLUSTER_NAME}-${i}`);
  const primaryAndStandby = [
    { series: `cnpg_pg_replication_in_recovery{${pod(1)}}`, values: "0x90" },
    { series: `cnpg_pg_replication_in_recovery{${pod(2)}}`, values: "1x90" },
    // A standby archives nothing: its times stay -1 and its seconds since the last archival grow.
    { series: `cnpg_pg_stat_archiver_last_archived_time{${pod(2)}}`, values: "-1x90" },
    { series: `cnpg_pg_stat_archiver_last_failed_time{${pod(2)}}`, values: "-1x90" },
    { series: `cnpg_pg_stat_archiver_seconds_since_last_archival{${pod(2)}}`, values: "-1x90" },
  ];
  it("fire when the primary's archiving fails or stalls, not for a standby", () => {
    const result = testRules(postgresAlertRules(postgres), [
      {
        name: "healthy: a segment archived every 5 minutes",
        series: [...primaryAndStandby, { series: `cnpg_pg_stat_archiver_last_archived_time{${pod(1)}}`, values: "1000+300x90" }, { series: `cnpg_pg_stat_archiver_last_failed_time{${pod(1)}}`, values: "-1x90" }, { series: `cnpg_pg_stat_archiver_seconds_since_last_archival{${pod(1)}}`, values: "0x90" }],
        checks: [{ at: "80m", alert: "PostgresWalArchivingFailing", fires: [] }, { at: "80m", alert: "PostgresWalArchivingStalled", fires: [] }],
      },
      {
        name: "archiving fails from 20m (the bucket refuses): failures newer than the last success; nothing archived since",
        series: [
          ...primaryAndStandby,
          { series: `cnpg_pg_stat_archiver_last_archived_time{${pod(1)}}`, values: "1000x90" },
          { series: `cnpg_pg_stat_archiver_last_failed_time{${pod(1)}}`, values: "-1x19 2200+60x70" },
          { series: `cnpg_pg_stat_archiver_seconds_since_last_archival{${pod(1)}}`, values: "0+60x90" },
        ],
        checks: [
          { at: "25m", alert: "PostgresWalArchivingFailing", fires: [] }, { at: "35m", alert: "PostgresWalArchivingFailing", fires: [{ pod: `${PG_CLUSTER_NAME}-1` }] },
          { at: "33m", alert: "PostgresWalArchivingStalled", fires: [] }, { at: "40m", alert: "PostgresWalArchivingStalled", fires: [{ pod: `${PG_CLUSTER_NAME}-1` }] },
        ],
      },
    ]);
    expect(result.output).toContain("SUCCESS");
    expect(result.ok).toBe(true);
  });
});

describe("pipelines quota alert (promtool)", () => {
  it("fires after 15 minutes above 90 % of a resource, quiet below", () => {
    const quota = (resource: string, type: string, values: string) => ({ series: `kube_resourcequota{namespace="pipelines", resourcequota="pipelines", resource="${resource}", type="${type}"}`, values });
    const result = testRules(pipelineAlertRules([], "pipelines", 30), [{
      name: "pods at 95 % from 10m, cpu at 50 %",
      series: [quota("pods", "hard", "20x60"), quota("pods", "used", "5x9 19x50"), quota("requests.cpu", "hard", "10x60"), quota("requests.cpu", "used", "5x60")],
      checks: [{ at: "20m", alert: "PipelinesQuotaNearlyExhausted", fires: [] }, { at: "30m", alert: "PipelinesQuotaNearlyExhausted", fires: [{ resource: "pods" }] }],
    }]);
    expect(result.output).toContain("SUCCESS");
    expect(result.ok).toBe(true);
  });
});
