import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { serviceAccountTrustPolicy, type PolicyDocument } from "../../lib/iam";

/** The cluster's OIDC identity provider, which IAM roles for service accounts trust. */
export interface OidcProvider {
  arn: pulumi.Input<string>;
  url: pulumi.Input<string>;
}

export interface WorkloadRoleArgs {
  oidc: OidcProvider;
  namespace: string;
  /** The service account allowed to assume the role, or a few (each named exactly). */
  serviceAccount: string | string[];
  /** Inline policy: what the workload may do, nothing more. */
  policy?: pulumi.Input<PolicyDocument>;
  /** AWS managed policies to attach, where AWS maintains the exact least-privilege set (e.g. the EBS CSI driver). */
  managedPolicyArns?: string[];
  tags: Record<string, string>;
}

/** An IAM role that exactly one Kubernetes service account can assume (IRSA), with its permissions. */
export class WorkloadRole extends pulumi.ComponentResource {
  public readonly arn: pulumi.Output<string>;
  public readonly roleName: pulumi.Output<string>;

  constructor(name: string, args: WorkloadRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:identity:WorkloadRole", name, {}, opts);
    const role = new aws.iam.Role(name, {
      assumeRolePolicy: pulumi
        .all([args.oidc.arn, args.oidc.url])
        .apply(([arn, url]) => JSON.stringify(serviceAccountTrustPolicy(arn, url, args.namespace, args.serviceAccount))),
      tags: args.tags,
    }, { parent: this });
    if (args.policy) {
      new aws.iam.RolePolicy(name, { role: role.name, policy: pulumi.output(args.policy).apply((doc) => JSON.stringify(doc)) }, { parent: this });
    }
    (args.managedPolicyArns ?? []).forEach((policyArn, i) => {
      new aws.iam.RolePolicyAttachment(`${name}-${i}`, { role: role.name, policyArn }, { parent: this });
    });
    this.arn = role.arn;
    this.roleName = role.name;
    this.registerOutputs({ arn: this.arn });
  }
}
