import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../../config/schema";
import { PRIVATE_RANGES } from "../platform/networkPolicies";
import { nodePoolPlacements } from "../../lib/placement";
import type { PlatformTarget } from "../platform/target";
import { AuditLogs } from "./auditLogs";
import { Cluster } from "./cluster";
import { Network } from "./network";
import { NodePools } from "./nodePools";
import { cloudWatchLogSink, xrayTraceSink } from "./observabilitySinks";
import { s3ObjectStore } from "./s3ObjectStore";
import type { OidcProvider } from "./workloadRole";

export interface AwsInfrastructureArgs {
  config: PlatformConfig;
  tags: Record<string, string>;
}


/**
 * The AWS layer: network, audit logs, the EKS cluster and its node pools, and an S3 object store with IAM roles
 * for workloads. It hands the platform layer a PlatformTarget and nothing AWS-specific beyond it.
 */
export class AwsInfrastructure extends pulumi.ComponentResource {
  public readonly network: Network;
  public readonly cluster: Cluster;
  public readonly nodePools: NodePools;
  public readonly oidc: OidcProvider;
  public readonly region: pulumi.Output<string>;
  public readonly target: PlatformTarget;

  constructor(name: string, args: AwsInfrastructureArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:aws:Infrastructure", name, {}, opts);
    const { config, tags } = args;
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

    this.oidc = { arn: this.cluster.oidcProviderArn, url: this.cluster.oidcProviderUrl };
    this.region = aws.getRegionOutput({}, { parent: this }).region;
    this.target = {
      environment: config.environment,
      provider: this.cluster.provider,
      storageClassName: this.cluster.storageClassName,
      scratchStorageClassName: this.cluster.scratchStorageClassName,
      objectStore: s3ObjectStore({ region: this.region, oidc: this.oidc, accessLogBucket: auditLogs.accessLogBucket, tags }),
      placement: nodePoolPlacements,
      egress: {
        // The control plane's ENIs are VPC addresses behind the `kubernetes` ClusterIP; no pod selector names them.
        apiServer: { cidrs: ["0.0.0.0/0"], ports: [443] },
        // S3 and STS are public endpoints: pods reach them outside the private ranges.
        objectStore: [{ cidr: "0.0.0.0/0", except: PRIVATE_RANGES }],
      },
      ready: [this.nodePools, this.cluster],
      logs: config.logging.containerLogs.enabled
        ? cloudWatchLogSink({ region: this.region, oidc: this.oidc, tags, retentionDays: config.logging.retentionDays, logKeyArn: auditLogs.logKeyArn, protect: config.environment === "prod" })
        : undefined,
      traces: config.telemetry.enabled && (config.telemetry.traces ?? "xray") === "xray" ? xrayTraceSink({ region: this.region, oidc: this.oidc, tags }) : undefined,
    };
    this.registerOutputs({});
  }
}
