import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { NetworkConfig } from "../../config/schema";
import { defaultSubnetLayout } from "../../lib/cidr";
import { servicePrincipalTrustPolicy, type PolicyDocument } from "../../lib/iam";
import type { LogSettings } from "./auditLogs";

export interface NetworkArgs {
  config: NetworkConfig;
  /** The EKS cluster name, for the subnet discovery tags its load balancer controller and autoscaler read. */
  clusterName: string;
  /** Flow logs go to a KMS-encrypted log group kept for the platform's retention. */
  logs: LogSettings;
  /** Buckets of other accounts that workloads read or write (pipelines' declared S3 prefixes): the S3 endpoint admits them. */
  externalBuckets: string[];
  tags: Record<string, string>;
}

/**
 * What the S3 gateway endpoint lets through: this account's buckets, the buckets pipelines declare, and the bucket
 * ECR keeps image layers in (Amazon ECR User Guide, "Minimum Amazon S3 bucket permissions for Amazon ECR":
 * `arn:aws:s3:::prod-<region>-starport-layer-bucket/*`). Anything else in the region's S3 is refused on the way
 * out, so a pod holding stolen data cannot copy it into a bucket of another account.
 */
export function s3EndpointPolicy(accountId: string, region: string, externalBuckets: string[]): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "OwnBuckets", Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*", Condition: { StringEquals: { "aws:ResourceAccount": accountId } } },
      ...(externalBuckets.length > 0 ? [{ Sid: "DeclaredBuckets", Effect: "Allow" as const, Principal: "*" as const, Action: "s3:*", Resource: externalBuckets.flatMap((bucket) => [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`]) }] : []),
      { Sid: "EcrImageLayers", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::prod-${region}-starport-layer-bucket/*` },
    ],
  };
}

/** What the flow-log service may do: write into the one flow-log group. */
export function flowLogDeliveryPolicy(logGroupArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{
      Sid: "DeliverFlowLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"],
      Resource: [logGroupArn, `${logGroupArn}:*`],
    }],
  };
}

export interface SubnetPlan {
  zoneIndex: number;
  cidr: string;
  tier: "private" | "public";
  tags: Record<string, string>;
}

/** The subnets to create, one private and one public per zone, with the tags EKS uses to place load balancers. */
export function subnetPlan(config: NetworkConfig, clusterName: string): SubnetPlan[] {
  const layout = defaultSubnetLayout(config.cidr, config.availabilityZones);
  const privateCidrs = config.privateSubnetCidrs ?? layout.privateCidrs;
  const publicCidrs = config.publicSubnetCidrs ?? layout.publicCidrs;
  const clusterTag = { [`kubernetes.io/cluster/${clusterName}`]: "shared" };
  return [
    ...privateCidrs.map((cidr, zoneIndex): SubnetPlan => ({ zoneIndex, cidr, tier: "private", tags: { ...clusterTag, "kubernetes.io/role/internal-elb": "1" } })),
    ...publicCidrs.map((cidr, zoneIndex): SubnetPlan => ({ zoneIndex, cidr, tier: "public", tags: { ...clusterTag, "kubernetes.io/role/elb": "1" } })),
  ];
}

/** How many NAT gateways: one is cheap but a zonal single point of failure for egress; prod runs one per zone. */
export function natGatewayCount(config: NetworkConfig): number {
  return config.natGateways === "perZone" ? config.availabilityZones : 1;
}

/**
 * The platform's VPC: private subnets for nodes and pods, public subnets for load balancers and NAT, one of each
 * per zone, and an S3 gateway endpoint so backups and artifacts do not pay for NAT. With `existing` set, it
 * creates nothing and passes the given ids through.
 */
export class Network extends pulumi.ComponentResource {
  public readonly vpcId: pulumi.Output<string>;
  public readonly privateSubnetIds: pulumi.Output<string[]>;
  public readonly publicSubnetIds: pulumi.Output<string[]>;
  /** Zone name of each private subnet, in the same order. */
  public readonly privateSubnetZones: pulumi.Output<string[]>;
  public readonly vpcCidr: pulumi.Output<string>;
  /** Whether STS is reached through an interface endpoint in the VPC (not with an existing VPC: it may have its own). */
  public readonly stsInVpc: boolean;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:network:Network", name, {}, opts);
    const { config, tags } = args;

    if (config.existing) {
      const existing = config.existing;
      this.vpcId = pulumi.output(existing.vpcId);
      this.privateSubnetIds = pulumi.output(existing.privateSubnetIds);
      this.publicSubnetIds = pulumi.output(existing.publicSubnetIds);
      this.privateSubnetZones = pulumi.all(
        existing.privateSubnetIds.map((id) => aws.ec2.getSubnetOutput({ id }, { parent: this }).availabilityZone),
      );
      this.vpcCidr = aws.ec2.getVpcOutput({ id: existing.vpcId }, { parent: this }).cidrBlock;
      this.stsInVpc = false;
      this.registerOutputs({ vpcId: this.vpcId, privateSubnetIds: this.privateSubnetIds, publicSubnetIds: this.publicSubnetIds });
      return;
    }

    const zones = aws.getAvailabilityZonesOutput({ state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] }, { parent: this });
    const zoneName = (index: number) => zones.names[index];

    const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
      cidrBlock: config.cidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { ...tags, Name: `${name}-vpc` },
    }, { parent: this });

    const internetGateway = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { ...tags, Name: `${name}-igw` } }, { parent: this });

    const subnets = subnetPlan(config, args.clusterName).map((plan) => {
      const subnetName = `${name}-${plan.tier}-${plan.zoneIndex}`;
      const subnet = new aws.ec2.Subnet(subnetName, {
        vpcId: vpc.id,
        cidrBlock: plan.cidr,
        availabilityZone: zoneName(plan.zoneIndex),
        mapPublicIpOnLaunch: false,
        tags: { ...tags, ...plan.tags, Name: subnetName },
      }, { parent: this });
      return { plan, subnet };
    });
    const publicSubnets = subnets.filter((s) => s.plan.tier === "public").map((s) => s.subnet);
    const privateSubnets = subnets.filter((s) => s.plan.tier === "private").map((s) => s.subnet);

    const publicRoutes = new aws.ec2.RouteTable(`${name}-public`, {
      vpcId: vpc.id,
      routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: internetGateway.id }],
      tags: { ...tags, Name: `${name}-public` },
    }, { parent: this });
    publicSubnets.forEach((subnet, i) => {
      new aws.ec2.RouteTableAssociation(`${name}-public-${i}`, { subnetId: subnet.id, routeTableId: publicRoutes.id }, { parent: this });
    });

    const natGateways = Array.from({ length: natGatewayCount(config) }, (_, i) => {
      const eip = new aws.ec2.Eip(`${name}-nat-${i}`, { domain: "vpc", tags: { ...tags, Name: `${name}-nat-${i}` } }, { parent: this });
      return new aws.ec2.NatGateway(`${name}-nat-${i}`, {
        allocationId: eip.id,
        subnetId: publicSubnets[i].id,
        tags: { ...tags, Name: `${name}-nat-${i}` },
      }, { parent: this, dependsOn: [internetGateway] });
    });

    // Each zone's private subnet leaves through its own zone's NAT gateway where there is one, so losing a zone
    // never cuts the other zones' egress.
    const privateRouteTables = privateSubnets.map((subnet, i) => {
      const routeTable = new aws.ec2.RouteTable(`${name}-private-${i}`, {
        vpcId: vpc.id,
        routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: natGateways[i % natGateways.length].id }],
        tags: { ...tags, Name: `${name}-private-${i}` },
      }, { parent: this });
      new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, { subnetId: subnet.id, routeTableId: routeTable.id }, { parent: this });
      return routeTable;
    });

    // Every flow, accepted or rejected, to a KMS-encrypted log group: CIS / Security Hub EC2.6.
    // https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-cwl.html
    const flowLogGroup = new aws.cloudwatch.LogGroup(`${name}-flow-logs`, {
      name: `/etl-platform/${args.clusterName}/vpc-flow-logs`,
      retentionInDays: args.logs.retentionDays,
      kmsKeyId: args.logs.logKeyArn,
      tags,
    }, { parent: this });
    const flowLogRole = new aws.iam.Role(`${name}-flow-logs`, {
      assumeRolePolicy: JSON.stringify(servicePrincipalTrustPolicy("vpc-flow-logs.amazonaws.com")),
      tags,
    }, { parent: this });
    new aws.iam.RolePolicy(`${name}-flow-logs`, {
      role: flowLogRole.name,
      policy: flowLogGroup.arn.apply((arn) => JSON.stringify(flowLogDeliveryPolicy(arn))),
    }, { parent: this });
    new aws.ec2.FlowLog(`${name}-flow-logs`, {
      vpcId: vpc.id,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: flowLogGroup.arn,
      iamRoleArn: flowLogRole.arn,
      maxAggregationInterval: 600,
      tags: { ...tags, Name: `${name}-flow-logs` },
    }, { parent: this });

    const region = aws.getRegionOutput({}, { parent: this });
    const account = aws.getCallerIdentityOutput({}, { parent: this });
    new aws.ec2.VpcEndpoint(`${name}-s3`, {
      vpcId: vpc.id,
      serviceName: pulumi.interpolate`com.amazonaws.${region.region}.s3`,
      vpcEndpointType: "Gateway",
      routeTableIds: privateRouteTables.map((table) => table.id),
      policy: pulumi.all([account.accountId, region.region]).apply(([accountId, regionName]) => JSON.stringify(s3EndpointPolicy(accountId, regionName, args.externalBuckets))),
      tags: { ...tags, Name: `${name}-s3` },
    }, { parent: this });
    // STS in the VPC: pods exchange their IRSA tokens without leaving it, so their NetworkPolicies name the VPC,
    // not the internet, for it (the pod identity webhook sets AWS_STS_REGIONAL_ENDPOINTS=regional).
    const stsSecurityGroup = new aws.ec2.SecurityGroup(`${name}-sts`, {
      vpcId: vpc.id,
      description: "STS interface endpoint: HTTPS from the VPC",
      ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: [config.cidr], description: "HTTPS from the VPC" }],
      tags: { ...tags, Name: `${name}-sts` },
    }, { parent: this });
    new aws.ec2.VpcEndpoint(`${name}-sts`, {
      vpcId: vpc.id,
      serviceName: pulumi.interpolate`com.amazonaws.${region.region}.sts`,
      vpcEndpointType: "Interface",
      privateDnsEnabled: true,
      subnetIds: privateSubnets.map((subnet) => subnet.id),
      securityGroupIds: [stsSecurityGroup.id],
      tags: { ...tags, Name: `${name}-sts` },
    }, { parent: this });

    this.vpcId = vpc.id;
    this.vpcCidr = pulumi.output(config.cidr);
    this.stsInVpc = true;
    this.privateSubnetIds = pulumi.all(privateSubnets.map((subnet) => subnet.id));
    this.publicSubnetIds = pulumi.all(publicSubnets.map((subnet) => subnet.id));
    this.privateSubnetZones = pulumi.all(privateSubnets.map((subnet) => subnet.availabilityZone));
    this.registerOutputs({ vpcId: this.vpcId, privateSubnetIds: this.privateSubnetIds, publicSubnetIds: this.publicSubnetIds });
  }
}
