import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config";
import { Autoscaler } from "./autoscaler";
import { Cluster } from "./cluster";
import { Network } from "./network";
import { NodePools } from "./nodePools";

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

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:index:Platform", name, {}, opts);
    const { config } = args;
    const tags = { "etl-platform/environment": config.environment, "etl-platform/cluster": config.cluster.name, "managed-by": "pulumi" };

    this.network = new Network(`${name}-network`, { config: config.network, clusterName: config.cluster.name, tags }, { parent: this });

    this.cluster = new Cluster(`${name}-cluster`, {
      config: config.cluster,
      environment: config.environment,
      vpcId: this.network.vpcId,
      privateSubnetIds: this.network.privateSubnetIds,
      publicSubnetIds: this.network.publicSubnetIds,
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
    if (config.autoscaler.enabled) {
      new Autoscaler(`${name}-autoscaler`, {
        config: config.autoscaler,
        clusterName: config.cluster.name,
        kubernetesVersion: config.cluster.kubernetesVersion,
        region: aws.getRegionOutput({}, { parent: this }).region,
        oidc,
        spotNodeGroupNames: this.nodePools.spotNodeGroupNames,
        serviceMonitor: false,
        provider: this.cluster.provider,
        tags,
      }, { parent: this, dependsOn: [this.nodePools] });
    }

    this.registerOutputs({});
  }
}
