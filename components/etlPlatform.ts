import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config/schema";
import * as k8s from "@pulumi/kubernetes";
import { restrictedNamespaceLabels } from "../lib/podSecurity";
import { DATA_PRIORITY_CLASS } from "../lib/placement";
import { Argo } from "./platform/argo";
import { AuditLogs } from "./aws/auditLogs";
import { Autoscaler, capacityAlertRules } from "./aws/autoscaler";
import { Cluster } from "./aws/cluster";
import { Kafka, kafkaAlertRules } from "./platform/kafka";
import { Monitoring } from "./platform/monitoring";
import { Network } from "./aws/network";
import { NodePools } from "./aws/nodePools";
import { Postgres, postgresAlertRules } from "./platform/postgres";
import { SecretMirror } from "./platform/secretMirror";
import { Pipelines } from "./platform/pipelines";
import { pipelineAlertRules } from "../lib/pipelineSpecs";
import { KAFKA_CLUSTER_NAME } from "./platform/kafka";
import { PG_CLUSTER_NAME } from "./platform/postgres";

/** Where the pipelines run; the data services' operators write the pipelines' credentials here. */
export const PIPELINES_NAMESPACE = "pipelines";

export interface PlatformArgs {
  config: PlatformConfig;
  /** The `etl-platform:secrets` values (receiver URLs, pipeline credentials), one Pulumi secret. */
  secrets: pulumi.Output<Record<string, string>>;
}

/** The whole ETL platform of one environment: network, cluster and node pools, then everything on the cluster. */
export class Platform extends pulumi.ComponentResource {
  public readonly network: Network;
  public readonly cluster: Cluster;
  public readonly nodePools: NodePools;
  public readonly kafka: Kafka;
  public readonly postgres: Postgres;
  public readonly monitoring: Monitoring;
  public readonly argo: Argo;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:index:Platform", name, {}, opts);
    const { config } = args;
    const tags = { "etl-platform/environment": config.environment, "etl-platform/cluster": config.cluster.name, "managed-by": "pulumi" };

    const auditLogs = new AuditLogs(`${name}-audit`, { retentionDays: config.logging.retentionDays, protect: config.environment === "prod", tags }, { parent: this });
    const logs = { retentionDays: auditLogs.retentionDays, logKeyArn: auditLogs.logKeyArn, accessLogBucket: auditLogs.accessLogBucket };

    this.network = new Network(`${name}-network`, { config: config.network, clusterName: config.cluster.name, logs, tags }, { parent: this });

    this.cluster = new Cluster(`${name}-cluster`, {
      config: config.cluster,
      environment: config.environment,
      vpcId: this.network.vpcId,
      privateSubnetIds: this.network.privateSubnetIds,
      publicSubnetIds: this.network.publicSubnetIds,
      logs,
      tags,
    }, { parent: this });

    const zoneCount = config.network.existing?.privateSubnetIds.length ?? config.network.availabilityZones;
    this.nodePools = new NodePools(`${name}-nodes`, {
      config: config.nodePools,
      clusterName: this.cluster.clusterName,
      privateSubnetIds: this.network.privateSubnetIds,
      zoneCount,
      statefulGroupPerZone: config.environment === "prod",
      tags,
    }, { parent: this });

    const oidc = { arn: this.cluster.oidcProviderArn, url: this.cluster.oidcProviderUrl };
    const provider = this.cluster.provider;
    // Stateful workloads wait for their node pools and storage, so a first `pulumi up` schedules them at once.
    const dataPriority = new k8s.scheduling.v1.PriorityClass(`${name}-data-priority`, {
      metadata: { name: DATA_PRIORITY_CLASS },
      value: 100000,
      description: "Kafka, Postgres and Prometheus: scheduled before the pipelines that depend on them.",
    }, { parent: this, provider });
    const clusterReady = [this.nodePools, this.cluster, dataPriority];
    const pipelinesNamespace = new k8s.core.v1.Namespace(`${name}-pipelines-ns`, {
      metadata: { name: PIPELINES_NAMESPACE, labels: restrictedNamespaceLabels },
    }, { parent: this, provider, dependsOn: clusterReady });
    const secretMirror = new SecretMirror(`${name}-secret-mirror`, { provider }, { parent: this, dependsOn: clusterReady });

    this.monitoring = new Monitoring(`${name}-monitoring`, {
      config: config.monitoring,
      environment: config.environment,
      storageClassName: this.cluster.storageClassName,
      secrets: args.secrets,
      ruleGroups: {
        kafka: kafkaAlertRules(config.kafka),
        postgres: postgresAlertRules(config.postgres),
        capacity: config.autoscaler.enabled ? capacityAlertRules() : [],
        pipelines: pipelineAlertRules(config.pipelines, PIPELINES_NAMESPACE, config.monitoring.freshnessMarginMinutes),
      },
      provider,
    }, { parent: this, dependsOn: clusterReady });
    const monitoringCrds = this.monitoring.crdsReady;

    if (config.autoscaler.enabled) {
      new Autoscaler(`${name}-autoscaler`, {
        config: config.autoscaler,
        clusterName: config.cluster.name,
        kubernetesVersion: config.cluster.kubernetesVersion,
        region: aws.getRegionOutput({}, { parent: this }).region,
        oidc,
        spotNodeGroupNames: this.nodePools.spotNodeGroupNames,
        serviceMonitor: true,
        provider,
        tags,
      }, { parent: this, dependsOn: [this.nodePools, ...monitoringCrds] });
    }

    this.kafka = new Kafka(`${name}-kafka`, {
      config: config.kafka,
      environment: config.environment,
      storageClassName: this.cluster.storageClassName,
      usersNamespace: PIPELINES_NAMESPACE,
      monitoringCrds,
      monitoringNamespace: config.monitoring.namespace,
      provider,
    }, { parent: this, dependsOn: [...clusterReady, pipelinesNamespace, secretMirror] });

    this.postgres = new Postgres(`${name}-postgres`, {
      config: config.postgres,
      environment: config.environment,
      storageClassName: this.cluster.storageClassName,
      oidc,
      clientNamespaces: config.argo.archive ? [PIPELINES_NAMESPACE, config.argo.namespace] : [PIPELINES_NAMESPACE],
      monitoringCrds,
      monitoringNamespace: config.monitoring.namespace,
      provider,
      accessLogBucket: auditLogs.accessLogBucket,
      tags,
    }, { parent: this, dependsOn: [...clusterReady, pipelinesNamespace, secretMirror] });

    this.argo = new Argo(`${name}-argo`, {
      config: config.argo,
      environment: config.environment,
      region: aws.getRegionOutput({}, { parent: this }).region,
      oidc,
      workflowNamespace: PIPELINES_NAMESPACE,
      secrets: args.secrets,
      postgres: { namespace: config.postgres.namespace, host: this.postgres.host, database: config.postgres.database, appSecretName: this.postgres.appSecretName },
      monitoringCrds,
      provider,
      accessLogBucket: auditLogs.accessLogBucket,
      tags,
    }, { parent: this, dependsOn: [...clusterReady, pipelinesNamespace, secretMirror, ...(config.argo.archive ? [this.postgres] : [])] });

    new Pipelines(`${name}-pipelines`, {
      pipelines: config.pipelines,
      artifacts: this.argo.artifacts,
      wiring: {
        namespace: PIPELINES_NAMESPACE,
        kafka: { bootstrap: this.kafka.bootstrapAddress, namespace: this.kafka.namespace, clusterName: KAFKA_CLUSTER_NAME, caSecret: this.kafka.clusterCaSecretName, authentication: config.kafka.authentication },
        postgres: { host: this.postgres.host, namespace: this.postgres.namespace, clusterName: PG_CLUSTER_NAME, database: config.postgres.database, appSecret: this.postgres.appSecretName },
      },
      kafkaAuthentication: config.kafka.authentication,
      secrets: args.secrets,
      oidc,
      argoReady: [this.argo.release],
      kafkaReady: [this.kafka],
      provider,
      tags,
    }, { parent: this, dependsOn: [pipelinesNamespace, secretMirror] });

    this.registerOutputs({});
  }
}
