/** Guard rails for the cluster, its nodes and IAM. */
import { instanceShape } from "../lib/instanceTypes";
import { both, EKS_CLUSTER, forTypes, IAM_POLICY, LAUNCH_TEMPLATE, NODE_GROUP, prodOnly, ROLE_POLICY, type Resource, type Rule } from "./rule";

/** The statements a policy grants: none for a permissions boundary (tagged etl-platform/permissions-boundary), which only caps. */
const grants = (props: Record<string, any>) => (props.tags?.["etl-platform/permissions-boundary"] === "true" ? [] : statements(props.policy));

const ALL_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

function statements(policy: unknown): any[] {
  if (typeof policy !== "string") return [];
  try {
    return [JSON.parse(policy).Statement ?? []].flat();
  } catch {
    return [];
  }
}

export const computeRules: Rule[] = [
  {
    name: "eks-version-pinned",
    description: "The EKS cluster sets its Kubernetes version, so an upgrade is a reviewed change. Set cluster.kubernetesVersion.",
    level: both("mandatory"),
    resource: forTypes([EKS_CLUSTER], (props) => [!props.version && "the EKS cluster has no Kubernetes version"]),
  },
  {
    name: "eks-control-plane-logs",
    description: "All five control-plane log types go to CloudWatch, for audits and incident review. Set cluster.logTypes to all five.",
    level: prodOnly,
    resource: forTypes([EKS_CLUSTER], (props) => {
      const missing = ALL_LOG_TYPES.filter((type) => !(props.enabledClusterLogTypes ?? []).includes(type));
      return [missing.length > 0 && `control-plane logs missing: ${missing.join(", ")}`];
    }),
  },
  {
    name: "eks-secrets-encrypted",
    description: "Kubernetes secrets are envelope-encrypted with a customer-managed KMS key. Pass encryptionConfigKeyArn to the cluster.",
    level: both("mandatory"),
    resource: forTypes([EKS_CLUSTER], (props) => [!props.encryptionConfigKeyArn && "secrets are not encrypted with a customer-managed KMS key"]),
  },
  {
    name: "eks-endpoint-restricted",
    description: "The API endpoint is never open to the whole internet. List your VPN's egress CIDRs in cluster.publicAccessCidrs, or leave it empty for a private endpoint.",
    level: prodOnly,
    resource: forTypes([EKS_CLUSTER], (props) => {
      const cidrs: string[] = props.publicAccessCidrs ?? [];
      return [
        props.endpointPublicAccess === true && cidrs.length === 0 && "the public endpoint is on without an allow-list (EKS then allows 0.0.0.0/0)",
        cidrs.some((cidr) => cidr.endsWith("/0")) && `the public endpoint is open to the world (${cidrs.join(", ")})`,
      ];
    }),
  },
  {
    name: "nodes-in-private-subnets",
    description: "Nodes run only in private subnets, without public IPs. Give node groups the network's private subnets.",
    level: both("mandatory"),
    stack: (resources) => {
      const isPublicSubnet = (r: Resource) => r.type === "aws:ec2/subnet:Subnet" && (r.props.tags?.["kubernetes.io/role/elb"] === "1" || r.props.mapPublicIpOnLaunch === true);
      const violations: { resource: Resource; message: string }[] = [];
      for (const cluster of resources.filter((r) => r.type === EKS_CLUSTER)) {
        if (cluster.props.nodeAssociatePublicIpAddress !== false) violations.push({ resource: cluster, message: "nodes may get public IP addresses" });
      }
      for (const group of resources.filter((r) => r.type === NODE_GROUP)) {
        // The subnets a node group's subnetIds come from, whatever their ids turn out to be.
        const publicSources = (group.propertyDependencies?.subnetIds ?? []).filter(isPublicSubnet);
        if (publicSources.length > 0) violations.push({ resource: group, message: `node group in public subnets: ${publicSources.map((s) => s.name).join(", ")}` });
      }
      return violations;
    },
  },
  {
    name: "imdsv2-required",
    description: "Nodes accept only IMDSv2 with a hop limit of 1, so pods cannot borrow the node's IAM role. Set metadataOptions in the launch template.",
    level: both("mandatory"),
    resource: forTypes([LAUNCH_TEMPLATE], (props) => [
      props.metadataOptions?.httpTokens !== "required" && "IMDSv1 is allowed (httpTokens is not \"required\")",
      !(props.metadataOptions?.httpPutResponseHopLimit >= 1 && props.metadataOptions?.httpPutResponseHopLimit <= 1) && `hop limit is ${props.metadataOptions?.httpPutResponseHopLimit ?? "unset"}, expected 1`,
    ]),
  },
  {
    name: "node-volumes-encrypted",
    description: "Node root volumes are encrypted. Set ebs.encrypted in the launch template's block device mappings.",
    level: both("mandatory"),
    resource: forTypes([LAUNCH_TEMPLATE], (props) => {
      const mappings: any[] = props.blockDeviceMappings ?? [];
      return [
        mappings.length === 0 && "no block device mapping: the root volume's encryption is left to the AMI",
        ...mappings.map((m) => String(m.ebs?.encrypted) !== "true" && `volume ${m.deviceName} is not encrypted`),
      ];
    }),
  },
  {
    name: "no-ssh-access",
    description: "No SSH keys on nodes: use SSM Session Manager or kubectl debug. Remove remoteAccess and keyName.",
    level: both("mandatory"),
    resource: (resource) => [
      ...(resource.type === NODE_GROUP && resource.props.remoteAccess ? ["the node group allows SSH (remoteAccess)"] : []),
      ...(resource.type === LAUNCH_TEMPLATE && resource.props.keyName ? [`the launch template has the SSH key ${resource.props.keyName}`] : []),
    ],
  },
  {
    name: "spot-pools-diversified",
    description: "A spot pool offers at least 4 instance types from at least 2 families, of one shape, so losing one spot market does not stop the pipelines.",
    level: both("mandatory"),
    resource: forTypes([NODE_GROUP], (props) => {
      if (props.capacityType !== "SPOT") return [];
      const types: string[] = props.instanceTypes ?? [];
      const families = new Set(types.map((t) => t.split(".")[0]));
      const shapes = new Set(types.map((t) => {
        const shape = instanceShape(t);
        return shape ? `${shape.vcpus}/${shape.memoryGiB}` : t;
      }));
      return [
        (types.length < 4 || families.size < 2) && `spot pool with ${types.length} types from ${families.size} families (${types.join(", ")})`,
        shapes.size > 1 && `spot pool mixes instance shapes (${types.join(", ")})`,
      ];
    }),
  },
  {
    name: "node-ami-matches-architecture",
    description: "A node group's AMI type is of its instance types' architecture: an arm64 (Graviton) type does not boot an x86_64 AMI, nor the reverse.",
    level: both("mandatory"),
    resource: forTypes([NODE_GROUP], (props) => {
      const architecture = /ARM_64/.test(String(props.amiType ?? "")) ? "arm64" : "amd64";
      const other = (props.instanceTypes ?? []).filter((t: string) => instanceShape(t) && instanceShape(t)!.architecture !== architecture);
      return [other.length > 0 && `AMI type ${props.amiType ?? "(EKS's default, x86_64)"} on ${architecture === "arm64" ? "x86" : "arm64"} instance types (${other.join(", ")})`];
    }),
  },
  {
    name: "autoscaler-iam-scoped",
    description: "The autoscaler may change only Auto Scaling groups tagged as owned by this cluster. Condition SetDesiredCapacity and TerminateInstanceInAutoScalingGroup on aws:ResourceTag/k8s.io/cluster-autoscaler/<cluster>.",
    level: both("mandatory"),
    resource: forTypes([ROLE_POLICY, IAM_POLICY], (props) => grants(props)
      .filter((s) => s.Effect === "Allow" && [s.Action].flat().some((a: string) => /^autoscaling:(SetDesiredCapacity|TerminateInstanceInAutoScalingGroup|\*)$/.test(a)))
      .map((s) => !JSON.stringify(s.Condition ?? {}).includes("aws:ResourceTag/k8s.io/cluster-autoscaler/") && "autoscaling changes are allowed on any Auto Scaling group")),
  },
  {
    name: "iam-role-permissions-boundary",
    description: "Every IAM role has a permissions boundary (components/aws/permissionsBoundary.ts), so that no policy attached to it later can change identities or erase keys, bucket protection or logs.",
    level: both("mandatory"),
    resource: forTypes(["aws:iam/role:Role"], (props) => [!props.permissionsBoundary && "the role has no permissions boundary"]),
  },
  {
    name: "no-iam-wildcard-admin",
    description: "No IAM statement allows every action (`*` or `*:*`): grant the actions a workload needs, on its resources.",
    level: both("mandatory"),
    resource: forTypes([ROLE_POLICY, IAM_POLICY], (props) => grants(props)
      .filter((s) => s.Effect === "Allow")
      .map((s) => [s.Action].flat().some((a: string) => a === "*" || a === "*:*") && `statement ${s.Sid ?? ""} allows every action`.trim())),
  },
];
