/**
 * Karpenter's AWS permissions and interruption plumbing, as the docs of the pinned version give them
 * (aws/karpenter-provider-aws at tag v1.14.1, website/content/en/preview/getting-started/getting-started-with-karpenter/
 * cloudformation.yaml, explained in reference/cloudformation.md). Pure: no SDK, so tests load it fast.
 */
import type { PolicyDocument } from "../../../lib/iam";
import { BOUNDARY_DENIED_ACTIONS, BOUNDARY_SERVICES } from "../permissionsBoundary";

export interface ControllerScope {
  partition: string;
  region: string;
  accountId: string;
  clusterName: string;
  /** The role Karpenter's nodes get (it passes it to EC2 through the instance profiles it creates). */
  nodeRoleArn: string;
  interruptionQueueArn: string;
}

/**
 * The controller's policies, one per managed policy of cloudformation.yaml, with the same Sids, actions, resources
 * and conditions: instances, fleets and launch templates only when tagged for this cluster and a NodePool; instance
 * profiles only when tagged for this cluster, region and an EC2NodeClass; the node role passed only to EC2.
 */
export function controllerPolicies(scope: ControllerScope): Record<string, PolicyDocument> {
  const { partition: p, region: r, accountId: a, clusterName: c } = scope;
  const ec2 = (resource: string, account = "*") => `arn:${p}:ec2:${r}:${account}:${resource}`;
  const owned = { [`aws:ResourceTag/kubernetes.io/cluster/${c}`]: "owned" };
  const requestOwned = { [`aws:RequestTag/kubernetes.io/cluster/${c}`]: "owned", "aws:RequestTag/eks:eks-cluster-name": c };
  const taggedResources = ["fleet/*", "instance/*", "volume/*", "network-interface/*", "launch-template/*", "spot-instances-request/*"].map((x) => ec2(x));
  const instanceProfiles = `arn:${p}:iam::${a}:instance-profile/*`;
  return {
    NodeLifecycle: {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AllowScopedEC2InstanceAccessActions",
          Effect: "Allow",
          Resource: [ec2("image/*", ""), ec2("snapshot/*", ""), ec2("security-group/*"), ec2("subnet/*"), ec2("capacity-reservation/*"), ec2("placement-group/*")],
          Action: ["ec2:RunInstances", "ec2:CreateFleet"],
        },
        {
          Sid: "AllowScopedEC2LaunchTemplateAccessActions",
          Effect: "Allow",
          Resource: ec2("launch-template/*"),
          Action: ["ec2:RunInstances", "ec2:CreateFleet"],
          Condition: { StringEquals: owned, StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" } },
        },
        {
          Sid: "AllowScopedEC2InstanceActionsWithTags",
          Effect: "Allow",
          Resource: taggedResources,
          Action: ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
          Condition: { StringEquals: requestOwned, StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" } },
        },
        {
          Sid: "AllowScopedResourceCreationTagging",
          Effect: "Allow",
          Resource: taggedResources,
          Action: "ec2:CreateTags",
          Condition: {
            StringEquals: { ...requestOwned, "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"] },
            StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" },
          },
        },
        {
          Sid: "AllowScopedResourceTagging",
          Effect: "Allow",
          Resource: ec2("instance/*"),
          Action: "ec2:CreateTags",
          Condition: {
            StringEquals: owned,
            StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" },
            StringEqualsIfExists: { "aws:RequestTag/eks:eks-cluster-name": c },
            "ForAllValues:StringEquals": { "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"] },
          },
        },
        {
          Sid: "AllowScopedDeletion",
          Effect: "Allow",
          Resource: [ec2("instance/*"), ec2("launch-template/*")],
          Action: ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
          Condition: { StringEquals: owned, StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" } },
        },
      ],
    },
    IAMIntegration: {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AllowPassingInstanceRole",
          Effect: "Allow",
          Resource: scope.nodeRoleArn,
          Action: "iam:PassRole",
          Condition: { StringEquals: { "iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"] } },
        },
        {
          Sid: "AllowScopedInstanceProfileCreationActions",
          Effect: "Allow",
          Resource: instanceProfiles,
          Action: ["iam:CreateInstanceProfile"],
          Condition: {
            StringEquals: { ...requestOwned, "aws:RequestTag/topology.kubernetes.io/region": r },
            StringLike: { "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*" },
          },
        },
        {
          Sid: "AllowScopedInstanceProfileTagActions",
          Effect: "Allow",
          Resource: instanceProfiles,
          Action: ["iam:TagInstanceProfile"],
          Condition: {
            StringEquals: { ...owned, "aws:ResourceTag/topology.kubernetes.io/region": r, ...requestOwned, "aws:RequestTag/topology.kubernetes.io/region": r },
            StringLike: { "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*", "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*" },
          },
        },
        {
          Sid: "AllowScopedInstanceProfileActions",
          Effect: "Allow",
          Resource: instanceProfiles,
          Action: ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"],
          Condition: { StringEquals: { ...owned, "aws:ResourceTag/topology.kubernetes.io/region": r }, StringLike: { "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*" } },
        },
      ],
    },
    EKSIntegration: {
      Version: "2012-10-17",
      Statement: [{ Sid: "AllowAPIServerEndpointDiscovery", Effect: "Allow", Resource: `arn:${p}:eks:${r}:${a}:cluster/${c}`, Action: "eks:DescribeCluster" }],
    },
    Interruption: {
      Version: "2012-10-17",
      Statement: [{ Sid: "AllowInterruptionQueueActions", Effect: "Allow", Resource: scope.interruptionQueueArn, Action: ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"] }],
    },
    ZonalShift: {
      Version: "2012-10-17",
      Statement: [{
        Sid: "AllowZonalShiftStatusReadOnly",
        Effect: "Allow",
        Resource: "*",
        Action: ["arc-zonal-shift:GetManagedResource"],
        Condition: { StringEquals: { "arc-zonal-shift:ResourceIdentifier": `arn:${p}:eks:${r}:${a}:cluster/${c}` } },
      }],
    },
    ResourceDiscovery: {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AllowRegionalReadActions",
          Effect: "Allow",
          Resource: "*",
          Action: [
            "ec2:DescribeCapacityReservations", "ec2:DescribeImages", "ec2:DescribeInstances", "ec2:DescribeInstanceStatus",
            "ec2:DescribeInstanceTypeOfferings", "ec2:DescribeInstanceTypes", "ec2:DescribeLaunchTemplates", "ec2:DescribePlacementGroups",
            "ec2:DescribeSecurityGroups", "ec2:DescribeSpotPriceHistory", "ec2:DescribeSubnets",
          ],
          Condition: { StringEquals: { "aws:RequestedRegion": r } },
        },
        { Sid: "AllowSSMReadActions", Effect: "Allow", Resource: `arn:${p}:ssm:${r}::parameter/aws/service/*`, Action: "ssm:GetParameter" },
        { Sid: "AllowPricingReadActions", Effect: "Allow", Resource: "*", Action: "pricing:GetProducts" },
        { Sid: "AllowUnscopedInstanceProfileListAction", Effect: "Allow", Resource: "*", Action: "iam:ListInstanceProfiles" },
        { Sid: "AllowInstanceProfileReadActions", Effect: "Allow", Resource: instanceProfiles, Action: "iam:GetInstanceProfile" },
      ],
    },
  };
}

/** The IAM actions the controller needs (instance profiles for its nodes, passing the node role): nothing else of IAM. */
export const CONTROLLER_IAM_ACTIONS = [
  "iam:PassRole", "iam:CreateInstanceProfile", "iam:TagInstanceProfile", "iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile",
  "iam:DeleteInstanceProfile", "iam:GetInstanceProfile", "iam:ListInstanceProfiles",
];

/**
 * The controller's permissions boundary. The platform's (permissionsBoundary.ts) refuses every IAM action and
 * the SQS, SSM, Pricing and zonal-shift APIs, and would leave Karpenter unable to launch a node: this one adds
 * exactly those (IAM: the instance-profile actions, and passing only the node role) and keeps every other denial.
 */
export function controllerBoundaryPolicy(nodeRoleArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "AtMostThePlatformsServices", Effect: "Allow", Action: BOUNDARY_SERVICES.map((service) => `${service}:*`), Resource: "*" },
      { Sid: "KarpentersOwnApis", Effect: "Allow", Action: ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage", "ssm:GetParameter", "pricing:GetProducts", "arc-zonal-shift:GetManagedResource"], Resource: "*" },
      { Sid: "InstanceProfilesOnly", Effect: "Allow", Action: CONTROLLER_IAM_ACTIONS.filter((action) => action !== "iam:PassRole"), Resource: "*" },
      { Sid: "PassOnlyTheNodeRole", Effect: "Allow", Action: "iam:PassRole", Resource: nodeRoleArn },
      { Sid: "NeverKeysProtectionOrTrails", Effect: "Deny", Action: BOUNDARY_DENIED_ACTIONS.filter((action) => action !== "iam:*"), Resource: "*" },
    ],
  };
}

/**
 * The trust policy of a role for EKS Pod Identity: the EKS Auth service assumes it and tags the session (EKS User
 * Guide, "Create IAM role with trust policy required by EKS Pod Identity": `pods.eks.amazonaws.com`, `sts:AssumeRole`
 * and `sts:TagSession`). The conditions on the session tags it sets ("Setting Conditions" there; pod-id-abac.md)
 * keep any other association of the account, another cluster's or another service account's, from using the role.
 */
export function podIdentityTrustPolicy(clusterName: string, namespace: string, serviceAccount: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{
      Sid: "AllowEksAuthToAssumeRoleForPodIdentity",
      Effect: "Allow",
      Principal: { Service: "pods.eks.amazonaws.com" },
      Action: ["sts:AssumeRole", "sts:TagSession"],
      Condition: {
        StringEquals: {
          "aws:RequestTag/eks-cluster-name": clusterName,
          "aws:RequestTag/kubernetes-namespace": namespace,
          "aws:RequestTag/kubernetes-service-account": serviceAccount,
        },
      },
    }],
  };
}

/** The interruption queue's policy (KarpenterInterruptionQueuePolicy): EventBridge and SQS may send; nothing without TLS. */
export function interruptionQueuePolicy(queueArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Id: "EC2InterruptionPolicy",
    Statement: [
      { Effect: "Allow", Principal: { Service: ["events.amazonaws.com", "sqs.amazonaws.com"] }, Action: "sqs:SendMessage", Resource: queueArn },
      { Sid: "DenyHTTP", Effect: "Deny", Action: "sqs:*", Resource: queueArn, Condition: { Bool: { "aws:SecureTransport": "false" } }, Principal: "*" },
    ],
  };
}

/**
 * The EventBridge rules that feed the queue: every event source the controller's parsers accept at v1.14.1
 * (pkg/controllers/interruption/messages/*\/parser.go) and cloudformation.yaml routes. Karpenter taints, drains and
 * terminates the node ahead of a spot interruption, a scheduled change or a stop; a rebalance recommendation only
 * becomes a Kubernetes event (concepts/disruption.md, "Interruption").
 */
export const INTERRUPTION_EVENTS = [
  { rule: "scheduled-change", source: "aws.health", detailType: "AWS Health Event" },
  { rule: "spot-interruption", source: "aws.ec2", detailType: "EC2 Spot Instance Interruption Warning" },
  { rule: "rebalance", source: "aws.ec2", detailType: "EC2 Instance Rebalance Recommendation" },
  { rule: "instance-state-change", source: "aws.ec2", detailType: "EC2 Instance State-change Notification" },
  { rule: "capacity-reservation-interruption", source: "aws.ec2", detailType: "EC2 Capacity Reservation Instance Interruption Warning" },
] as const;

/**
 * The key policy of the batch nodes' root-volume key. EC2 uses the key on behalf of whoever launches the instance
 * (Karpenter's controller, through CreateFleet): without a grant to it, "the node terminates almost immediately upon
 * creation" (v1.14 troubleshooting.md, "Node terminates before ready on failed encrypted EBS volume"). This is the
 * policy that page gives, the approach of EBS's own default key: any principal of the account, only through EC2 in
 * this region; the account keeps administering the key.
 */
export function nodeVolumeKeyPolicy(partition: string, accountId: string, region: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountAdministersTheKey",
        Effect: "Allow",
        Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      {
        Sid: "Allow access through EBS for all principals in the account that are authorized to use EBS",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
        Resource: "*",
        Condition: { StringEquals: { "kms:ViaService": `ec2.${region}.amazonaws.com`, "kms:CallerAccount": accountId } },
      },
    ],
  };
}
