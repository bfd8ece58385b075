import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../../config/schema";
import { PRIVATE_RANGES } from "../platform/networkPolicies";
import { firstHostOf } from "../../lib/cidr";
import { architectureAwareBatch, karpenterPlacements, nodePoolPlacements } from "../../lib/placement";
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
  /** The permissions boundary, for the roles created where transformations do not reach (inside pulumi-eks). */
  permissionsBoundaryArn: pulumi.Input<string>;
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
  /** How many zones (private subnets) the nodes span. */
  public readonly zoneCount: number;

  constructor(name: string, args: AwsInfrastructureArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:aws:Infrastructure", name, {}, opts);
    const { config, tags } = args;
    const auditLogs = new AuditLogs(`${name}-audit`, { retentionDays: config.logging.retentionDays, protect: config.environment === "prod", breakGlassRoleArns: config.security.breakGlassRoleArns, tags }, { parent: this });
    const logs = { retentionDays: auditLogs.retentionDays, logKeyArn: auditLogs.logKeyArn, accessLogBucket: auditLogs.accessLogBucket };

    const externalBuckets = [...new Set(config.pipelines.flatMap((pipeline) => [...(pipeline.s3?.read ?? []), ...(pipeline.s3?.write ?? [])]).map((uri) => uri.replace(/^s3:\/\//, "").split("/")[0]))];
    this.network = new Network(`${name}-network`, { config: config.network, clusterName: config.cluster.name, logs, externalBuckets, tags }, { parent: this });
    this.cluster = new Cluster(`${name}-cluster`, {
      config: config.cluster,
      environment: config.environment,
      vpcId: this.network.vpcId,
      privateSubnetIds: this.network.privateSubnetIds,
      publicSubnetIds: this.network.publicSubnetIds,
      logs,
      permissionsBoundaryArn: args.permissionsBoundaryArn,
      tags,
    }, { parent: this });
    const zoneCount = config.network.existing?.privateSubnetIds.length ?? config.network.availabilityZones;
    this.zoneCount = zoneCount;
    this.nodePools = new NodePools(`${name}-nodes`, {
      config: config.nodePools,
      clusterName: this.cluster.clusterName,
      privateSubnetIds: this.network.privateSubnetIds,
      zoneCount,
      statefulGroupPerZone: config.environment === "prod",
      engine: config.autoscaler.engine,
      tags,
    }, { parent: this });

    this.oidc = { arn: this.cluster.oidcProviderArn, url: this.cluster.oidcProviderUrl };
    this.region = aws.getRegionOutput({}, { parent: this }).region;
    this.target = {
      environment: config.environment,
      provider: this.cluster.provider,
      storageClassName: this.cluster.storageClassName,
      scratchStorageClassName: this.cluster.scratchStorageClassName,
      objectStore: s3ObjectStore({ region: this.region, oidc: this.oidc, accessLogBucket: auditLogs.accessLogBucket, breakGlassRoleArns: config.security.breakGlassRoleArns, tags }),
      placement: {
        ...(config.autoscaler.engine === "karpenter" ? karpenterPlacements : nodePoolPlacements),
        batch: architectureAwareBatch(config.nodePools.batch),
      },
      egress: {
        // The `kubernetes` Service's address (a policy sees it before kube-proxy translates it) and the VPC,
        // where the control plane's ENIs are; no pod selector names them.
        apiServer: { cidrs: [this.cluster.serviceCidr.apply(firstHostOf), this.network.vpcCidr], ports: [443] },
        // S3 through the gateway endpoint: the region's S3 addresses, from its AWS-managed prefix list.
        objectStore: aws.ec2.getManagedPrefixListOutput({ name: pulumi.interpolate`com.amazonaws.${this.region}.s3` }, { parent: this }).entries
          .apply((entries) => entries.map((entry) => ({ cidr: entry.cidr }))),
        // STS's interface endpoint in the VPC; with an existing VPC, the public STS (outside the private ranges).
        identity: this.network.stsInVpc ? this.network.vpcCidr.apply((cidr) => [{ cidr }]) : [{ cidr: "0.0.0.0/0", except: PRIVATE_RANGES }],
      },
      // EKS's control-plane ENIs lie in the cluster's subnets: only the VPC's range names them.
      webhookCallers: [this.network.vpcCidr],
      ready: [this.nodePools, this.cluster],
      logs: config.logging.containerLogs.enabled
        ? cloudWatchLogSink({ region: this.region, oidc: this.oidc, tags, retentionDays: config.logging.retentionDays, logKeyArn: auditLogs.logKeyArn, protect: config.environment === "prod" })
        : undefined,
      traces: config.telemetry.enabled && (config.telemetry.traces ?? "xray") === "xray" ? xrayTraceSink({ region: this.region, oidc: this.oidc, tags }) : undefined,
    };
    this.registerOutputs({});
  }
}
