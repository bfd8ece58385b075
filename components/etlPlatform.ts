import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config/schema";
import { Autoscaler, capacityAlertRules, capacityDashboard } from "./aws/autoscaler";
import { Karpenter } from "./aws/karpenter";
import { AwsInfrastructure } from "./aws/awsInfrastructure";
import { permissionsBoundary } from "./aws/permissionsBoundary";
import { ProtectionAlerts } from "./aws/protectionAlerts";
import { kubernetesTarget } from "./platform/kubernetesTarget";
import { Platform } from "./platform/platform";

export interface EtlPlatformArgs {
  config: PlatformConfig;
  /** The `etl-platform:secrets` values (receiver URLs, pipeline credentials), one Pulumi secret. */
  secrets: pulumi.Output<Record<string, string>>;
  /** `kubernetes:kubeconfig` and `kubernetes:context`, for target: kubernetes. */
  kubernetes: { kubeconfig?: string; context?: string };
}

/**
 * One environment of the ETL platform. On target: aws the AWS layer (network, EKS, node pools, S3, identities)
 * gives the platform layer its target, and the cluster autoscaler, which belongs to the AWS layer but is scraped
 * by the platform's Prometheus, comes last. On target: kubernetes the platform layer runs on the given cluster
 * with an in-cluster object store, installed once every bucket and grant is known.
 */
export class EtlPlatform extends pulumi.ComponentResource {
  public readonly infrastructure?: AwsInfrastructure;
  public readonly platform: Platform;

  constructor(name: string, args: EtlPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:index:Platform", name, {}, opts);
    const { config } = args;

    if (config.target === "kubernetes") {
      const { target, inClusterStore, settings } = kubernetesTarget(name, { config, secrets: args.secrets, kubernetes: args.kubernetes }, this);
      this.platform = new Platform(name, { config, target, secrets: args.secrets }, { parent: this });
      inClusterStore?.install(`${name}-object-store`, {
        storageClassName: settings.storageClassName,
        size: settings.objectStoreSize,
        readers: [config.argo.namespace],
        keepVolume: config.environment === "prod",
      }, this);
      this.registerOutputs({});
      return;
    }

    const tags = { "etl-platform/environment": config.environment, "etl-platform/cluster": config.cluster.name, "managed-by": "pulumi" };
    // Every role below gets the boundary (transformations pass down to every descendant); the EKS cluster's own
    // service role, created inside pulumi-eks's remote component, gets it through a transform (cluster.ts).
    const boundary = permissionsBoundary(name, tags, this);
    const bounded = { parent: this, transformations: [boundary.transformation] };
    const infrastructure = new AwsInfrastructure(name, { config, tags, permissionsBoundaryArn: boundary.policy.arn }, bounded);
    this.infrastructure = infrastructure;
    const target = infrastructure.target;
    this.platform = new Platform(name, {
      config,
      target,
      secrets: args.secrets,
      extraRuleGroups: { capacity: config.autoscaler.enabled ? capacityAlertRules(config.autoscaler.engine) : [] },
      extraDashboards: config.autoscaler.enabled ? [capacityDashboard(config.autoscaler.engine)] : [],
    }, bounded);

    if (config.environment === "prod") {
      // The buckets whose protection prod guards: the Postgres backups and the audit access logs (their name prefixes).
      new ProtectionAlerts(`${name}-protection-alerts`, {
        bucketPrefixes: ["postgres-backups-", "access-logs-"],
        receivers: config.monitoring.receivers,
        secrets: args.secrets,
        tags,
      }, bounded);
    }

    if (config.autoscaler.enabled && config.autoscaler.engine === "karpenter") {
      new Karpenter(`${name}-karpenter`, {
        config: config.autoscaler,
        batchPools: config.nodePools.batch,
        clusterName: config.cluster.name,
        eksClusterName: infrastructure.cluster.clusterName,
        clusterSecurityGroupId: infrastructure.cluster.clusterSecurityGroupId,
        region: infrastructure.region,
        kubernetesVersion: config.cluster.kubernetesVersion,
        privateSubnetIds: infrastructure.network.privateSubnetIds,
        zoneCount: infrastructure.zoneCount,
        provider: target.provider,
        monitoringReady: this.platform.monitoring.crdsReady,
        tags,
      }, { ...bounded, dependsOn: [infrastructure.nodePools] });
    } else if (config.autoscaler.enabled) {
      new Autoscaler(`${name}-autoscaler`, {
        config: config.autoscaler,
        clusterName: config.cluster.name,
        kubernetesVersion: config.cluster.kubernetesVersion,
        region: infrastructure.region,
        oidc: infrastructure.oidc,
        spotNodeGroupNames: infrastructure.nodePools.spotNodeGroupNames,
        serviceMonitor: true,
        provider: target.provider,
        tags,
      }, { ...bounded, dependsOn: [infrastructure.nodePools, ...this.platform.monitoring.crdsReady] });
    }
    this.registerOutputs({});
  }
}
