import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { NodePoolConfig, NodePoolsConfig } from "../../config/schema";
import { servicePrincipalTrustPolicy } from "../../lib/iam";
import { POOL_LABEL, poolLabels, poolTaints, type PoolRole, type Taint } from "../../lib/placement";

export interface NodePoolsArgs {
  config: NodePoolsConfig;
  clusterName: pulumi.Input<string>;
  /** One private subnet per zone, in zone order. */
  privateSubnetIds: pulumi.Input<string[]>;
  zoneCount: number;
  /** One stateful node group per zone (prod): EBS volumes are zonal, so each zone needs its own group to grow. */
  statefulGroupPerZone: boolean;
  /**
   * `cluster-autoscaler`: every pool is a node group it scales. `karpenter`: Karpenter launches the batch nodes (no
   * batch node groups), and nothing scales the system and stateful groups: their size follows desiredSize.
   */
  engine: "cluster-autoscaler" | "karpenter";
  tags: Record<string, string>;
}


/**
 * The EKS-optimized Amazon Linux 2023 AMI of each architecture (EKS API CreateNodegroup `amiType`:
 * AL2023_x86_64_STANDARD, AL2023_ARM_64_STANDARD). An AMI of the other architecture does not boot the type.
 */
export const AMI_TYPES = { amd64: "AL2023_x86_64_STANDARD", arm64: "AL2023_ARM_64_STANDARD" } as const;
/** One managed node group to create. */
export interface NodeGroupPlan {
  name: string;
  role: PoolRole;
  capacityType: "spot" | "on-demand";
  pool: NodePoolConfig;
  /** Index of the one private subnet (zone) this group is pinned to; all private subnets when undefined. */
  zoneIndex?: number;
  labels: Record<string, string>;
  taints: Taint[];
}

export function nodeGroupPlans(config: NodePoolsConfig, zoneCount: number, statefulGroupPerZone: boolean, engine: NodePoolsArgs["engine"] = "cluster-autoscaler"): NodeGroupPlan[] {
  const plan = (name: string, role: PoolRole, pool: NodePoolConfig, capacityType: "spot" | "on-demand", zoneIndex?: number): NodeGroupPlan => ({
    name, role, capacityType, pool, zoneIndex, labels: poolLabels(role, name, capacityType), taints: poolTaints(role),
  });
  const stateful = statefulGroupPerZone
    ? Array.from({ length: zoneCount }, (_, zone) => ({ ...plan(`stateful-${zone}`, "stateful", config.stateful, "on-demand", zone), labels: poolLabels("stateful", "stateful", "on-demand") }))
    : [plan("stateful", "stateful", config.stateful, "on-demand")];
  return [
    plan("system", "system", config.system, "on-demand"),
    ...stateful,
    ...(engine === "karpenter" ? [] : config.batch.map((pool) => plan(pool.name, "batch", pool, pool.capacityType))),
  ];
}

/**
 * Tags that tell the cluster autoscaler what a node of an empty group would look like, so a pool at zero can
 * scale up for a pod that needs its labels or tolerates its taints.
 * https://github.com/kubernetes/autoscaler/blob/master/cluster-autoscaler/cloudprovider/aws/README.md#auto-discovery-setup
 */
export function nodeTemplateTags(labels: Record<string, string>, taints: Taint[]): Record<string, string> {
  return {
    ...Object.fromEntries(Object.entries(labels).map(([key, value]) => [`k8s.io/cluster-autoscaler/node-template/label/${key}`, value])),
    ...Object.fromEntries(taints.map((taint) => [`k8s.io/cluster-autoscaler/node-template/taint/${taint.key}`, `${taint.value}:${taint.effect}`])),
  };
}

const EKS_TAINT_EFFECT = { NoSchedule: "NO_SCHEDULE" } as const;

/**
 * The managed node groups: on-demand system and stateful pools, spot and on-demand batch pools. Every node has
 * IMDSv2 only with a hop limit of 1 (pods use IRSA, never the node's role), an encrypted gp3 root volume and no
 * SSH key. Sizes follow config at creation; afterwards the desired size belongs to the cluster autoscaler (with
 * Karpenter, to config: nothing else scales these groups).
 */
export class NodePools extends pulumi.ComponentResource {
  public readonly nodeGroupNames: pulumi.Output<string[]>;
  /** The spot pools' node group names, which the autoscaler's expander prefers. */
  public readonly spotNodeGroupNames: pulumi.Output<string[]>;
  public readonly nodeRoleArn: pulumi.Output<string>;

  constructor(name: string, args: NodePoolsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:compute:NodePools", name, {}, opts);
    const { tags } = args;

    const nodeRole = new aws.iam.Role(`${name}-node`, {
      assumeRolePolicy: JSON.stringify(servicePrincipalTrustPolicy("ec2.amazonaws.com")),
      tags,
    }, { parent: this });
    // The VPC CNI's permissions (AmazonEKS_CNI_Policy) are not the nodes': the aws-node add-on has its own IRSA
    // role (cluster.ts), so a pod that reaches the instance metadata cannot reassign the node's network interfaces.
    // The attachments keep their names (node-0, node-2): renaming one would delete an attachment of the same policy
    // at the end of the update, detaching it; only node-1 (the CNI policy) goes.
    const nodePolicies: [string, string][] = [
      ["0", "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"],
      ["2", "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly"],
    ];
    const attachments = nodePolicies.map(([id, policyArn]) =>
      new aws.iam.RolePolicyAttachment(`${name}-node-${id}`, { role: nodeRole.name, policyArn }, { parent: this }));

    // The stateful groups (one per zone) update one after the other: a launch template change rolls every node of a
    // group, and Strimzi's PodDisruptionBudget lets one broker go at a time, so zones rolled in parallel would block
    // each other's drains until EKS gives up (PodEvictionFailure after 15 minutes) and `up` stops half-way.
    let previousStateful: aws.eks.NodeGroup | undefined;
    const autoscaled = args.engine === "cluster-autoscaler";
    const groups = nodeGroupPlans(args.config, args.zoneCount, args.statefulGroupPerZone, args.engine).map((plan) => {
      const launchTemplate = new aws.ec2.LaunchTemplate(`${name}-${plan.name}`, {
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
        blockDeviceMappings: [{
          deviceName: "/dev/xvda",
          ebs: { volumeSize: plan.pool.diskSizeGiB, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
        }],
        tagSpecifications: [{ resourceType: "instance", tags: { ...tags, Name: `${name}-${plan.name}` } }],
        tags,
      }, { parent: this });

      const subnetIds = pulumi.output(args.privateSubnetIds).apply((ids) => (plan.zoneIndex === undefined ? ids : [ids[plan.zoneIndex]]));
      const nodeGroup = new aws.eks.NodeGroup(`${name}-${plan.name}`, {
        clusterName: args.clusterName,
        nodeRoleArn: nodeRole.arn,
        subnetIds,
        capacityType: plan.capacityType === "spot" ? "SPOT" : "ON_DEMAND",
        instanceTypes: plan.pool.instanceTypes,
        amiType: AMI_TYPES[plan.pool.architecture],
        scalingConfig: { minSize: plan.pool.minSize, desiredSize: plan.pool.desiredSize, maxSize: plan.pool.maxSize },
        labels: plan.labels,
        taints: plan.taints.map((taint) => ({ key: taint.key, value: taint.value, effect: EKS_TAINT_EFFECT[taint.effect] })),
        launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply(String) },
        updateConfig: { maxUnavailable: 1 },
        tags: { ...tags, ...nodeTemplateTags(plan.labels, plan.taints) },
      }, { parent: this, dependsOn: [...attachments, ...(plan.labels[POOL_LABEL] === "stateful" && previousStateful ? [previousStateful] : [])], ignoreChanges: autoscaled ? ["scalingConfig.desiredSize"] : [] });
      if (plan.labels[POOL_LABEL] === "stateful") previousStateful = nodeGroup;

      // EKS does not copy node group tags to its Auto Scaling group, where the autoscaler reads them. They matter
      // only for a group that can be at zero: otherwise the autoscaler copies a running node's labels and taints.
      const asgName = nodeGroup.resources.apply((resources) => resources[0].autoscalingGroups[0].name);
      const templateTags = plan.pool.minSize === 0 ? nodeTemplateTags(plan.labels, plan.taints) : {};
      for (const [key, value] of Object.entries(templateTags)) {
        const tagName = key.replace("k8s.io/cluster-autoscaler/node-template/", "").replace(/[^a-z0-9]+/gi, "-");
        new aws.autoscaling.Tag(`${name}-${plan.name}-${tagName}`, {
          autoscalingGroupName: asgName,
          tag: { key, value, propagateAtLaunch: false },
        }, { parent: this });
      }
      return { plan, nodeGroup };
    });

    this.nodeGroupNames = pulumi.all(groups.map(({ nodeGroup }) => nodeGroup.nodeGroupName));
    this.spotNodeGroupNames = pulumi.all(groups.filter(({ plan }) => plan.capacityType === "spot").map(({ nodeGroup }) => nodeGroup.nodeGroupName));
    this.nodeRoleArn = nodeRole.arn;
    this.registerOutputs({ nodeGroupNames: this.nodeGroupNames });
  }
}
