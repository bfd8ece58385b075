import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { pipelineSteps, type PlatformConfig } from "../../config/schema";
import type { RuleGroup } from "../../lib/alerts";
import { DATA_PRIORITY_CLASS } from "../../lib/placement";
import { pipelineAlertRules } from "./pipelines";
import { peakFootprint } from "../../config/footprint";
import { pipelineQuota } from "./pipelines";
import { restrictedNamespaceLabels } from "../../lib/podSecurity";
import { Argo } from "./argo";
import { Kafka, KAFKA_CLUSTER_NAME, kafkaAlertRules, TLS_PORT as KAFKA_TLS_PORT } from "./kafka";
import { Keda } from "./keda";
import { Monitoring } from "./monitoring";
import { Pipelines } from "./pipelines";
import { PG_CLUSTER_NAME, Postgres, postgresAlertRules } from "./postgres";
import { DRILL_SERVICE_ACCOUNT, RestoreDrill, restoreDrillAlertRules } from "./restoreDrill";
import { SecretMirror } from "./secretMirror";
import { AGENT_IDENTITY, LogShipping, logGroupNames, logShippingAlertRules, LOGGING_NAMESPACE, pipelineGroup } from "./logShipping";
import { logRouting, logsHint } from "./observability";
import { COLLECTOR_POD_LABELS, OTLP_GRPC_PORT, OTLP_HTTP_PORT, Telemetry } from "./telemetry";
import { CLOUDWATCH_DATASOURCE_UID, GRAFANA_SERVICE_ACCOUNT } from "./monitoring";
import { ARGO_ARCHIVE_SECRET, argoArchiveRole, pipelineRoles } from "./postgresRoles";
import { EXECUTOR_SERVICE_ACCOUNT, pipelinesDashboard } from "./pipelines";
import type { Dashboard } from "../../lib/dashboards";
import type { PlatformTarget } from "./target";

/** Where the pipelines run; the data services' operators write the pipelines' credentials here. */
export const PIPELINES_NAMESPACE = "pipelines";

export interface PlatformArgs {
  config: PlatformConfig;
  target: PlatformTarget;
  /** The `etl-platform:secrets` values (receiver URLs, pipeline credentials), one Pulumi secret. */
  secrets: pulumi.Output<Record<string, string>>;
  /** Alert rules of the layer below (the AWS layer's capacity alerts). */
  extraRuleGroups?: Record<string, RuleGroup[]>;
  /** Dashboards of the layer below (the autoscaler's). */
  extraDashboards?: Dashboard[];
}

/**
 * The platform layer: everything that needs only Kubernetes (operators, Kafka, Postgres, monitoring, Argo, the
 * pipelines), built on the small PlatformTarget interface, never on a cloud resource.
 */
export class Platform extends pulumi.ComponentResource {
  public readonly kafka: Kafka;
  public readonly postgres: Postgres;
  public readonly monitoring: Monitoring;
  public readonly argo: Argo;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:platform:Platform", name, {}, opts);
    const { config, target } = args;
    const provider = target.provider;
    // Stateful workloads wait for their nodes and storage, so a first `pulumi up` schedules them at once.
    const dataPriority = new k8s.scheduling.v1.PriorityClass(`${name}-data-priority`, {
      metadata: { name: DATA_PRIORITY_CLASS },
      value: 100000,
      description: "Kafka, Postgres and Prometheus: scheduled before the pipelines that depend on them.",
    }, { parent: this, provider });
    const clusterReady = [...target.ready, dataPriority];
    const drillRuns = config.postgres.backup.enabled && config.postgres.restoreDrill.enabled;
    const pipelinesNamespace = new k8s.core.v1.Namespace(`${name}-pipelines-ns`, {
      metadata: { name: PIPELINES_NAMESPACE, labels: restrictedNamespaceLabels },
    }, { parent: this, provider, dependsOn: clusterReady });
    // kube-system runs the cluster's privileged DaemonSets (the CNI, kube-proxy), so it cannot enforce a Pod
    // Security level; warn and audit at baseline make a privileged pod created there visible (a Workflow or a
    // person). Applied server-side to the existing namespace (a Patch resource never owns it).
    new k8s.core.v1.NamespacePatch(`${name}-kube-system-pod-security`, {
      metadata: { name: "kube-system", labels: { "pod-security.kubernetes.io/warn": "baseline", "pod-security.kubernetes.io/audit": "baseline" } },
    }, { parent: this, provider, dependsOn: clusterReady });
    const secretMirror = new SecretMirror(`${name}-secret-mirror`, { provider, placement: target.placement }, { parent: this, dependsOn: clusterReady });

    // Container logs leave the cluster only where the target has a log sink (CloudWatch Logs on AWS).
    const routing = target.logs && config.logging.containerLogs.enabled ? logRouting(config, PIPELINES_NAMESPACE) : undefined;
    const logGroups = routing && target.logs ? target.logs.groups(`${name}-logs`, logGroupNames(routing), AGENT_IDENTITY, this) : undefined;
    const grafanaLogs = logGroups ? { region: logGroups.region, ...logGroups.grantRead(`${name}-grafana`, { namespace: config.monitoring.namespace, serviceAccounts: [GRAFANA_SERVICE_ACCOUNT] }, this) } : undefined;

    this.monitoring = new Monitoring(`${name}-monitoring`, {
      config: config.monitoring,
      target,
      secrets: args.secrets,
      ruleGroups: {
        kafka: kafkaAlertRules(config.kafka),
        postgres: postgresAlertRules(config.postgres),
        "restore-drill": restoreDrillAlertRules(config.postgres, PIPELINES_NAMESPACE),
        ...args.extraRuleGroups,
        pipelines: pipelineAlertRules(config.pipelines, PIPELINES_NAMESPACE, config.monitoring.freshnessMarginMinutes, logsHint(routing, PIPELINES_NAMESPACE)),
        ...(routing ? { "log-shipping": logShippingAlertRules(LOGGING_NAMESPACE) } : {}),
      },
      cloudWatchLogs: grafanaLogs,
      streaming: { namespace: PIPELINES_NAMESPACE, pipelines: config.pipelines.filter((pipeline) => pipeline.mode === "streaming").map((pipeline) => pipeline.name) },
      dashboards: [...(args.extraDashboards ?? []), pipelinesDashboard({
        namespace: PIPELINES_NAMESPACE,
        pipelines: config.pipelines.map((pipeline) => pipeline.name),
        logs: routing && grafanaLogs ? { datasourceUid: CLOUDWATCH_DATASOURCE_UID, region: "default", groupOf: (pipeline) => pipelineGroup(routing, pipeline) } : undefined,
      })],
    }, { parent: this, dependsOn: clusterReady });
    const monitoringCrds = this.monitoring.crdsReady;
    if (routing && logGroups) {
      new LogShipping(`${name}-log-shipping`, {
        groups: logGroups,
        routing,
        refreshIntervalSeconds: config.logging.containerLogs.refreshIntervalSeconds,
        bufferMiB: config.logging.containerLogs.bufferMiB,
        provider,
        monitoringNamespace: config.monitoring.namespace,
        monitoringCrds,
      }, { parent: this, dependsOn: clusterReady });
    }
    const telemetry = config.telemetry.enabled
      ? new Telemetry(`${name}-telemetry`, {
        config: config.telemetry,
        environment: config.environment,
        namespace: config.monitoring.namespace,
        provider,
        placement: target.placement,
        traceSink: target.traces,
        monitoringCrds,
        ready: this.monitoring.namespaceReady,
        clientNamespaces: [PIPELINES_NAMESPACE],
      }, { parent: this, dependsOn: clusterReady })
      : undefined;
    const dataReady = [...clusterReady, pipelinesNamespace, secretMirror];

    this.kafka = new Kafka(`${name}-kafka`, {
      config: config.kafka,
      target,
      usersNamespace: PIPELINES_NAMESPACE,
      monitoringCrds,
      monitoringNamespace: config.monitoring.namespace,
    }, { parent: this, dependsOn: dataReady });

    this.postgres = new Postgres(`${name}-postgres`, {
      config: config.postgres,
      target,
      clientNamespaces: config.argo.archive ? [PIPELINES_NAMESPACE, config.argo.namespace] : [PIPELINES_NAMESPACE],
      roles: [...pipelineRoles(config.pipelines, PIPELINES_NAMESPACE), ...(config.argo.archive ? [argoArchiveRole(config.argo.namespace)] : [])],
      monitoringCrds,
      monitoringNamespace: config.monitoring.namespace,
    }, { parent: this, dependsOn: dataReady });

    this.argo = new Argo(`${name}-argo`, {
      config: config.argo,
      target,
      workflowNamespace: PIPELINES_NAMESPACE,
      secrets: args.secrets,
      postgres: { namespace: config.postgres.namespace, host: this.postgres.host, database: config.postgres.database, archiveSecretName: ARGO_ARCHIVE_SECRET },
      monitoringCrds,
      workflowServiceAccounts: [...config.pipelines.filter((pipeline) => pipelineSteps(pipeline)).map((pipeline) => pipeline.name), ...(drillRuns ? [DRILL_SERVICE_ACCOUNT] : [])],
      executorServiceAccount: EXECUTOR_SERVICE_ACCOUNT,
      workflowNamespaceReady: [pipelinesNamespace],
    }, { parent: this, dependsOn: [...dataReady, ...(config.argo.archive ? [this.postgres] : [])] });

    if (config.postgres.backup.enabled && config.postgres.restoreDrill.enabled) {
      // Its workflow runs in the pipelines namespace: peakFootprint counts it in the namespace's quota.
      new RestoreDrill(`${name}-restore-drill`, {
        config: config.postgres,
        target,
        backupBucket: this.postgres.backups,
        workflowNamespace: PIPELINES_NAMESPACE,
        ready: [this.argo.release, this.postgres],
      }, { parent: this, dependsOn: [pipelinesNamespace] });
    }

    // KEDA only where a streaming pipeline needs it.
    const keda = config.pipelines.some((pipeline) => pipeline.mode === "streaming")
      ? new Keda(`${name}-keda`, {
        environment: config.environment,
        provider,
        placement: target.placement,
        webhookCallers: target.webhookCallers,
        apiServer: target.egress.apiServer,
        monitoringNamespace: config.monitoring.namespace,
        monitoringCrds,
        kafka: { namespace: this.kafka.namespace, podLabels: { "strimzi.io/cluster": KAFKA_CLUSTER_NAME, "strimzi.io/kind": "Kafka" }, port: KAFKA_TLS_PORT },
      }, { parent: this, dependsOn: clusterReady })
      : undefined;

    new Pipelines(`${name}-pipelines`, {
      pipelines: config.pipelines,
      quota: pipelineQuota(peakFootprint(config.pipelines, drillRuns), config.pipelineLimits.quota),
      target,
      artifacts: this.argo.artifacts,
      wiring: {
        namespace: PIPELINES_NAMESPACE,
        placement: target.placement.batch,
        runAnnotations: target.placement.runAnnotations,
        egress: target.egress,
        objectStore: target.objectStore.inCluster,
        kafka: { bootstrap: this.kafka.bootstrapAddress, namespace: this.kafka.namespace, clusterName: KAFKA_CLUSTER_NAME, caSecret: this.kafka.clusterCaSecretName, authentication: config.kafka.authentication },
        postgres: { host: this.postgres.host, namespace: this.postgres.namespace, clusterName: PG_CLUSTER_NAME, database: config.postgres.database },
        telemetry: telemetry
          ? { endpoint: telemetry.endpoint, namespace: config.monitoring.namespace, podLabels: COLLECTOR_POD_LABELS, ports: [OTLP_GRPC_PORT, OTLP_HTTP_PORT], environment: config.environment }
          : undefined,
      },
      kafkaAuthentication: config.kafka.authentication,
      secrets: args.secrets,
      argoReady: [this.argo.release],
      kafkaReady: [this.kafka],
      kedaReady: keda?.ready ?? [],
    }, { parent: this, dependsOn: [pipelinesNamespace, secretMirror] });

    this.registerOutputs({});
  }
}
