import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config/schema";
import { Autoscaler, capacityAlertRules } from "./aws/autoscaler";
import { AwsInfrastructure } from "./aws/awsInfrastructure";
import { Platform } from "./platform/platform";

export interface EtlPlatformArgs {
  config: PlatformConfig;
  /** The `etl-platform:secrets` values (receiver URLs, pipeline credentials), one Pulumi secret. */
  secrets: pulumi.Output<Record<string, string>>;
}

/**
 * One environment of the ETL platform: the AWS layer (network, EKS, node pools, object store, identities) gives
 * the platform layer its target; the cluster autoscaler, which belongs to the AWS layer but is scraped by the
 * platform's Prometheus, comes last.
 */
export class EtlPlatform extends pulumi.ComponentResource {
  public readonly infrastructure: AwsInfrastructure;
  public readonly platform: Platform;

  constructor(name: string, args: EtlPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:index:Platform", name, {}, opts);
    const { config } = args;
    const tags = { "etl-platform/environment": config.environment, "etl-platform/cluster": config.cluster.name, "managed-by": "pulumi" };

    this.infrastructure = new AwsInfrastructure(name, { config, tags }, { parent: this });
    const target = this.infrastructure.target;
    this.platform = new Platform(name, {
      config,
      target,
      secrets: args.secrets,
      extraRuleGroups: { capacity: config.autoscaler.enabled ? capacityAlertRules() : [] },
    }, { parent: this });

    if (config.autoscaler.enabled) {
      new Autoscaler(`${name}-autoscaler`, {
        config: config.autoscaler,
        clusterName: config.cluster.name,
        kubernetesVersion: config.cluster.kubernetesVersion,
        region: this.infrastructure.region,
        oidc: this.infrastructure.oidc,
        spotNodeGroupNames: this.infrastructure.nodePools.spotNodeGroupNames,
        serviceMonitor: true,
        provider: target.provider,
        tags,
      }, { parent: this, dependsOn: [this.infrastructure.nodePools, ...this.platform.monitoring.crdsReady] });
    }
    this.registerOutputs({});
  }
}
