import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AutoscalerConfig } from "../../config/schema";
import type { PolicyDocument } from "../../lib/iam";
import { systemPlacement } from "../../lib/placement";
import { charts, CLUSTER_AUTOSCALER_REPOSITORY, kubernetesVersions, pinnedImage, pinnedRelease, type KubernetesVersion } from "../../versions";
import { WorkloadRole, type OidcProvider } from "./workloadRole";

export const AUTOSCALER_SERVICE_ACCOUNT = { namespace: "kube-system", name: "cluster-autoscaler" };

/** Priorities of the priority expander: higher wins. Spot pools first; on-demand pools only when spot has no room. */
export const SPOT_PRIORITY = 50;
export const FALLBACK_PRIORITY = 10;

export interface AutoscalerArgs {
  config: AutoscalerConfig;
  clusterName: string;
  kubernetesVersion: KubernetesVersion;
  region: pulumi.Input<string>;
  oidc: OidcProvider;
  /** Node group names of the spot pools, which the expander prefers. */
  spotNodeGroupNames: pulumi.Input<string[]>;
  /** Install a ServiceMonitor (needs the Prometheus Operator CRDs). */
  serviceMonitor: boolean;
  provider: k8s.Provider;
  tags: Record<string, string>;
}

/**
 * The autoscaler's permissions as upstream documents them: read-only discovery on every group, and changes only
 * to Auto Scaling groups tagged as owned by this cluster, which EKS tags its managed node groups with.
 * https://github.com/kubernetes/autoscaler/blob/master/cluster-autoscaler/cloudprovider/aws/README.md#iam-policy
 */
export function autoscalerIamPolicy(clusterName: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "Discover",
        Effect: "Allow",
        Action: [
          "autoscaling:DescribeAutoScalingGroups",
          "autoscaling:DescribeAutoScalingInstances",
          "autoscaling:DescribeLaunchConfigurations",
          "autoscaling:DescribeScalingActivities",
          "autoscaling:DescribeTags",
          "ec2:DescribeImages",
          "ec2:DescribeInstanceTypes",
          "ec2:DescribeLaunchTemplateVersions",
          "ec2:GetInstanceTypesFromInstanceRequirements",
        ],
        Resource: "*",
      },
      {
        Sid: "ReadNodeGroupTemplates",
        Effect: "Allow",
        Action: ["eks:DescribeNodegroup"],
        Resource: `arn:aws:eks:*:*:nodegroup/${clusterName}/*/*`,
      },
      {
        Sid: "ScaleOwnGroupsOnly",
        Effect: "Allow",
        Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
        Resource: "*",
        Condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: "owned" } },
      },
    ],
  };
}

/** Expander priorities: a regex per Auto Scaling group name (EKS names them `eks-<node group>-<id>`). */
export function expanderPriorities(spotNodeGroupNames: string[]): Record<number, string[]> {
  return {
    [SPOT_PRIORITY]: spotNodeGroupNames.map((group) => `^eks-${group}-.*`),
    [FALLBACK_PRIORITY]: [".*"],
  };
}

export function autoscalerValues(args: AutoscalerArgs, roleArn: pulumi.Input<string>, spotNodeGroupNames: pulumi.Input<string[]>) {
  const { config } = args;
  return {
    cloudProvider: "aws",
    awsRegion: args.region,
    autoDiscovery: { clusterName: args.clusterName },
    fullnameOverride: AUTOSCALER_SERVICE_ACCOUNT.name,
    // The chart (9.59.0 templates/deployment.yaml) renders `repository:tag` and has no digest key: the digest rides on the tag.
    image: { tag: pinnedImage(`${CLUSTER_AUTOSCALER_REPOSITORY}:${kubernetesVersions[args.kubernetesVersion].clusterAutoscalerImageTag}`).slice(CLUSTER_AUTOSCALER_REPOSITORY.length + 1) },
    rbac: {
      serviceAccount: { create: true, name: AUTOSCALER_SERVICE_ACCOUNT.name, annotations: { "eks.amazonaws.com/role-arn": roleArn } },
    },
    extraArgs: {
      "balance-similar-node-groups": true,
      expander: "priority,least-waste",
      "scale-down-unneeded-time": config.scaleDownUnneededTime,
      "max-node-provision-time": config.maxNodeProvisionTime,
      "skip-nodes-with-local-storage": false,
    },
    expanderPriorities: pulumi.output(spotNodeGroupNames).apply(expanderPriorities),
    nodeSelector: systemPlacement.nodeSelector,
    resources: config.resources,
    podDisruptionBudget: { maxUnavailable: 1 },
    securityContext: { runAsNonRoot: true, runAsUser: 65534, fsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
    containerSecurityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
    serviceMonitor: { enabled: args.serviceMonitor, namespace: AUTOSCALER_SERVICE_ACCOUNT.namespace, interval: "30s", selector: {} },
  };
}

/** The cluster autoscaler: discovers this cluster's node groups by tag and prefers spot pools. */
export class Autoscaler extends pulumi.ComponentResource {
  public readonly roleArn: pulumi.Output<string>;

  constructor(name: string, args: AutoscalerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:compute:Autoscaler", name, {}, opts);
    const role = new WorkloadRole(`${name}-role`, {
      oidc: args.oidc,
      namespace: AUTOSCALER_SERVICE_ACCOUNT.namespace,
      serviceAccount: AUTOSCALER_SERVICE_ACCOUNT.name,
      policy: autoscalerIamPolicy(args.clusterName),
      tags: args.tags,
    }, { parent: this });

    const values = autoscalerValues(args, role.arn, args.spotNodeGroupNames);
    new k8s.helm.v3.Release(name, pinnedRelease("cluster-autoscaler", charts.clusterAutoscaler, AUTOSCALER_SERVICE_ACCOUNT.namespace, values), {
      parent: this,
      provider: args.provider,
    });

    this.roleArn = role.arn;
    this.registerOutputs({ roleArn: this.roleArn });
  }
}

export { capacityAlertRules, capacityDashboard } from "./capacityAlerts";
