/**
 * The permissions boundary of every IAM role the program creates (workload roles, the nodes', the flow logs').
 * A boundary caps what a role can ever do, whatever policies are attached later: a compromised workload, or a
 * mistaken policy edit, can neither change identities nor erase the evidence and the backups.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PolicyDocument } from "../../lib/iam";

/** The tag that marks the boundary policy. */
export const BOUNDARY_TAG = "etl-platform/permissions-boundary";

/** What no role of the platform may do, whatever it is granted. */
export const BOUNDARY_DENIED_ACTIONS = [
  // Identities: no role creates, changes or passes another.
  "iam:*", "organizations:*", "account:*",
  // Keys: the ones that would make backups, logs and secrets unreadable.
  "kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy",
  // Buckets: their protection, not their objects.
  "s3:DeleteBucket", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketVersioning", "s3:PutLifecycleConfiguration",
  "s3:PutBucketObjectLockConfiguration", "s3:BypassGovernanceRetention", "s3:PutEncryptionConfiguration",
  "s3:PutBucketPublicAccessBlock", "s3:PutBucketLogging",
  // Logs and audit trails.
  "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:DisassociateKmsKey", "cloudtrail:*",
];

/**
 * The services the platform's roles use: the nodes' and the add-ons' managed policies (EC2, ECR, EKS, Auto
 * Scaling), the workloads' (S3, KMS, CloudWatch Logs, X-Ray), STS, and EventBridge (the protection alerts'
 * receivers). A role can never act on any other service.
 */
export const BOUNDARY_SERVICES = ["ec2", "ecr", "eks", "eks-auth", "autoscaling", "s3", "kms", "logs", "xray", "sts", "events"];

export function permissionsBoundaryPolicy(): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      // A boundary grants nothing by itself: each role still needs its own policy for every action.
      { Sid: "AtMostThePlatformsServices", Effect: "Allow", Action: BOUNDARY_SERVICES.map((service) => `${service}:*`), Resource: "*" },
      { Sid: "NeverIdentitiesKeysProtectionOrTrails", Effect: "Deny", Action: BOUNDARY_DENIED_ACTIONS, Resource: "*" },
    ],
  };
}

/**
 * The boundary on the roles a packaged component creates: pulumi-eks's cluster service role (v4.3.0
 * nodejs/eks/cluster/cluster.ts, `${name}-eksRole`, unless `serviceRole` is given). `transformations` run in this
 * process and never see a remote component's children; `transforms` run through the engine, which applies them
 * to those children too (https://www.pulumi.com/docs/iac/concepts/options/transforms/). Adding a boundary updates
 * the role in place (iam:PutRolePermissionsBoundary); handing the cluster a role of our own instead would
 * replace the cluster (an EKS cluster's role cannot change).
 */
export function boundaryTransform(boundaryArn: pulumi.Input<string>): pulumi.ResourceTransform {
  return async (args) => (args.type === "aws:iam/role:Role"
    ? { props: { ...args.props, permissionsBoundary: boundaryArn }, opts: args.opts }
    : undefined);
}

/** The boundary policy, and the transformation that puts it on every IAM role declared below a component. */
export function permissionsBoundary(name: string, tags: Record<string, string>, parent: pulumi.Resource): { policy: aws.iam.Policy; transformation: pulumi.ResourceTransformation } {
  const policy = new aws.iam.Policy(`${name}-permissions-boundary`, {
    description: "etl-platform: the most any role of the platform may do",
    policy: JSON.stringify(permissionsBoundaryPolicy()),
    // The policy pack's grant rules skip it: a boundary caps, it grants nothing (policy/computeRules.ts).
    tags: { ...tags, [BOUNDARY_TAG]: "true" },
  }, { parent });
  // A role that names its own boundary keeps it (Karpenter's controller: karpenter/policies.ts).
  const transformation: pulumi.ResourceTransformation = (args) => args.type === "aws:iam/role:Role"
    ? { props: { ...args.props, permissionsBoundary: args.props.permissionsBoundary ?? policy.arn }, opts: args.opts }
    : undefined;
  return { policy, transformation };
}
