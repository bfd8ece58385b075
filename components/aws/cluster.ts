import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig, Environment } from "../../config/schema";
import type { PolicyDocument } from "../../lib/iam";
import { kubernetesVersions, type EksAddon, type KubernetesVersion } from "../../versions";
import type { LogSettings } from "./auditLogs";
import { WorkloadRole } from "./workloadRole";
import { boundaryTransform } from "./permissionsBoundary";

export interface ClusterArgs {
  config: ClusterConfig;
  environment: Environment;
  vpcId: pulumi.Input<string>;
  privateSubnetIds: pulumi.Input<string[]>;
  publicSubnetIds: pulumi.Input<string[]>;
  logs: LogSettings;
  tags: Record<string, string>;
  /** The permissions boundary of the roles pulumi-eks creates inside the cluster component (its service role). */
  permissionsBoundaryArn: pulumi.Input<string>;
}

/**
 * The EKS add-ons, each at the version pinned for the cluster's Kubernetes version, so a version bump moves
 * them too (EKS upgrades none of them with the control plane). The VPC CNI runs its network policy agent:
 * without `enableNetworkPolicy` no NetworkPolicy of the platform is enforced.
 * https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html
 */
export function addonSpecs(version: KubernetesVersion): { name: EksAddon; version: string; configurationValues?: string }[] {
  const versions = kubernetesVersions[version].addons;
  return [
    { name: "vpc-cni", version: versions["vpc-cni"], configurationValues: JSON.stringify({ enableNetworkPolicy: "true" }) },
    { name: "kube-proxy", version: versions["kube-proxy"] },
    { name: "coredns", version: versions.coredns },
    { name: "aws-ebs-csi-driver", version: versions["aws-ebs-csi-driver"] },
  ];
}

const CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
export const EBS_CSI_SERVICE_ACCOUNT = { namespace: "kube-system", name: "ebs-csi-controller-sa" };
/** The VPC CNI's daemon (EKS's `vpc-cni` add-on runs it as kube-system/aws-node). */
export const VPC_CNI_SERVICE_ACCOUNT = { namespace: "kube-system", name: "aws-node" };
export const DEFAULT_STORAGE_CLASS = "gp3";
/** The same volumes, deleted with their claims: for throwaway data such as the restore drill's. */
export const SCRATCH_STORAGE_CLASS = "gp3-scratch";

/** EKS access entries (API authentication mode, no aws-auth ConfigMap) giving each admin role cluster-admin. */
export function adminAccessEntries(adminRoleArns: string[]): Record<string, eks.types.input.AccessEntryArgs> {
  return Object.fromEntries(adminRoleArns.map((principalArn, i) => [`admin-${i}`, {
    principalArn,
    accessPolicies: { clusterAdmin: { policyArn: CLUSTER_ADMIN_POLICY, accessScope: { type: "cluster" } } },
  }]));
}

/**
 * A kubeconfig built only from the cluster's name, endpoint and CA, which change only when the cluster is
 * replaced. The eks.Cluster `kubeconfig` output also reflects provider credential options, so a Kubernetes
 * provider built from it can be replaced by an unrelated change, and with it every Kubernetes resource.
 */
export function stableKubeconfig(clusterName: string, endpoint: string, certificateAuthority: string): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: clusterName, cluster: { server: endpoint, "certificate-authority-data": certificateAuthority } }],
    contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
    "current-context": clusterName,
    users: [{
      name: clusterName,
      user: { exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", args: ["eks", "get-token", "--cluster-name", clusterName, "--output", "json"] } },
    }],
  });
}

/** What the EBS CSI driver may do with the volume key: encrypt new volumes and let EC2 attach them. */
export function ebsKeyPolicyForDriver(keyArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "UseKeyForVolumes", Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"], Resource: keyArn },
      { Sid: "GrantToEc2ForAttach", Effect: "Allow", Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], Resource: keyArn, Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } } },
    ],
  };
}

/**
 * The EKS control plane with encrypted secrets, restricted endpoint access, control-plane logs, an OIDC provider
 * for workload identities, the EBS CSI driver and a default encrypted gp3 StorageClass. Node pools are separate.
 */
export class Cluster extends pulumi.ComponentResource {
  public readonly clusterName: pulumi.Output<string>;
  public readonly endpoint: pulumi.Output<string>;
  public readonly kubeconfig: pulumi.Output<string>;
  public readonly oidcProviderArn: pulumi.Output<string>;
  public readonly oidcProviderUrl: pulumi.Output<string>;
  public readonly clusterSecurityGroupId: pulumi.Output<string>;
  /** The Services' CIDR EKS chose (10.100.0.0/16 or 172.20.0.0/16, whichever the VPC does not overlap). */
  public readonly serviceCidr: pulumi.Output<string>;
  public readonly provider: k8s.Provider;
  /** KMS key encrypting EBS volumes of the default StorageClass. */
  public readonly volumeKeyArn: pulumi.Output<string>;
  public readonly storageClassName = DEFAULT_STORAGE_CLASS;
  public readonly scratchStorageClassName = SCRATCH_STORAGE_CLASS;

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:compute:Cluster", name, {}, opts);
    const { config, tags } = args;
    const protect = args.environment === "prod";

    const secretsKey = new aws.kms.Key(`${name}-secrets`, {
      description: `Envelope encryption of Kubernetes secrets in ${config.name}`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      tags,
    }, { parent: this, protect });
    const volumeKey = new aws.kms.Key(`${name}-volumes`, {
      description: `EBS volumes of ${config.name}`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      tags,
    }, { parent: this, protect });

    // EKS creates this log group on first write with no expiry and no key; creating it first sets both.
    const controlPlaneLogs = new aws.cloudwatch.LogGroup(`${name}-control-plane`, {
      name: `/aws/eks/${config.name}/cluster`,
      retentionInDays: args.logs.retentionDays,
      kmsKeyId: args.logs.logKeyArn,
      tags,
    }, { parent: this });

    const cluster = new eks.Cluster(name, {
      name: config.name,
      version: config.kubernetesVersion,
      vpcId: args.vpcId,
      privateSubnetIds: args.privateSubnetIds,
      publicSubnetIds: args.publicSubnetIds,
      nodeAssociatePublicIpAddress: false,
      skipDefaultNodeGroup: true,
      // The add-ons are managed below at pinned versions: pulumi-eks creates no CoreDNS add-on without its default
      // node group, and would manage the VPC CNI and kube-proxy at EKS's defaults.
      useDefaultVpcCni: true,
      corednsAddonOptions: { enabled: false },
      kubeProxyAddonOptions: { enabled: false },
      // Unset, EKS keeps a version past standard support at $0.60 per cluster-hour (EXTENDED is its default).
      upgradePolicy: { supportType: config.upgradePolicy },
      authenticationMode: eks.AuthenticationMode.Api,
      accessEntries: adminAccessEntries(config.adminRoleArns),
      encryptionConfigKeyArn: secretsKey.arn,
      enabledClusterLogTypes: config.logTypes,
      endpointPrivateAccess: true,
      endpointPublicAccess: config.publicAccessCidrs.length > 0,
      // Unset, EKS would default the public endpoint's allow-list to 0.0.0.0/0; with no CIDRs it is off entirely.
      publicAccessCidrs: config.publicAccessCidrs.length > 0 ? config.publicAccessCidrs : undefined,
      createOidcProvider: true,
      deletionProtection: protect,
      tags,
    }, { parent: this, dependsOn: [controlPlaneLogs], protect, transforms: [boundaryTransform(args.permissionsBoundaryArn)] });

    this.clusterName = cluster.eksCluster.name;
    this.endpoint = cluster.eksCluster.endpoint;
    this.oidcProviderArn = cluster.oidcProviderArn;
    this.oidcProviderUrl = cluster.oidcProviderUrl;
    this.clusterSecurityGroupId = cluster.eksCluster.vpcConfig.clusterSecurityGroupId;
    this.serviceCidr = cluster.eksCluster.kubernetesNetworkConfig.apply((network) => network.serviceIpv4Cidr!);
    this.volumeKeyArn = volumeKey.arn;
    this.kubeconfig = pulumi.secret(
      pulumi.all([cluster.eksCluster.endpoint, cluster.eksCluster.certificateAuthority.data])
        .apply(([endpoint, ca]) => stableKubeconfig(config.name, endpoint, ca)),
    );

    this.provider = new k8s.Provider(`${name}-k8s`, {
      kubeconfig: this.kubeconfig,
      enableServerSideApply: true,
      // The provider is replaced (and with it every object it manages) only when this changes: pulumi-kubernetes
      // provider/pkg/provider/provider.go (DiffConfig, v4.32.0) otherwise replaces it whenever the kubeconfig turns
      // unknown in a preview. The OIDC issuer is the cluster's own: new only with a new cluster (unknown until then).
      // Setting it on a provider that had none is an addition, which DiffConfig does not count as a replacement.
      clusterIdentifier: this.oidcProviderUrl,
    }, { parent: this });

    const ebsDriverRole = new WorkloadRole(`${name}-ebs-csi`, {
      oidc: { arn: this.oidcProviderArn, url: this.oidcProviderUrl },
      namespace: EBS_CSI_SERVICE_ACCOUNT.namespace,
      serviceAccount: EBS_CSI_SERVICE_ACCOUNT.name,
      managedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"],
      policy: volumeKey.arn.apply(ebsKeyPolicyForDriver),
      tags,
    }, { parent: this });

    // The CNI's permissions on its own role (IRSA), not on the nodes' (EKS User Guide, "Configure the Amazon VPC CNI
    // plugin to use IRSA"): AWS maintains the exact set in AmazonEKS_CNI_Policy.
    const cniRole = new WorkloadRole(`${name}-vpc-cni`, {
      oidc: { arn: this.oidcProviderArn, url: this.oidcProviderUrl },
      namespace: VPC_CNI_SERVICE_ACCOUNT.namespace,
      serviceAccount: VPC_CNI_SERVICE_ACCOUNT.name,
      managedPolicyArns: ["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"],
      tags,
    }, { parent: this });
    const addonRoles: Partial<Record<EksAddon, pulumi.Output<string>>> = { "aws-ebs-csi-driver": ebsDriverRole.arn, "vpc-cni": cniRole.arn };

    const addons = new Map(addonSpecs(config.kubernetesVersion).map((addon) => [addon.name, new aws.eks.Addon(`${name}-${addon.name}`, {
      clusterName: this.clusterName,
      addonName: addon.name,
      addonVersion: addon.version,
      configurationValues: addon.configurationValues,
      serviceAccountRoleArn: addonRoles[addon.name],
      // EKS installs self-managed CNI, kube-proxy and CoreDNS with every cluster; the add-ons take them over.
      resolveConflictsOnCreate: "OVERWRITE",
      resolveConflictsOnUpdate: "OVERWRITE",
      tags,
    }, { parent: this })]));
    const ebsDriver = addons.get("aws-ebs-csi-driver")!;

    // EKS ships a `gp2` class (unencrypted, Immediate binding); it must not stay the default beside ours.
    new k8s.storage.v1.StorageClassPatch(`${name}-gp2-not-default`, {
      metadata: { name: "gp2", annotations: { "storageclass.kubernetes.io/is-default-class": "false" } },
    }, { parent: this, provider: this.provider });

    new k8s.storage.v1.StorageClass(`${name}-gp3`, {
      metadata: { name: DEFAULT_STORAGE_CLASS, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
      provisioner: "ebs.csi.aws.com",
      parameters: { type: "gp3", encrypted: "true", kmsKeyId: volumeKey.arn, "csi.storage.k8s.io/fstype": "ext4" },
      // A volume is created in the zone of the pod that first claims it, not in a random zone.
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
      // In prod a deleted claim keeps its volume: data outlives a mistaken `pulumi destroy` of a workload.
      reclaimPolicy: protect ? "Retain" : "Delete",
    }, { parent: this, provider: this.provider, dependsOn: [ebsDriver] });
    new k8s.storage.v1.StorageClass(`${name}-gp3-scratch`, {
      metadata: { name: SCRATCH_STORAGE_CLASS },
      provisioner: "ebs.csi.aws.com",
      parameters: { type: "gp3", encrypted: "true", kmsKeyId: volumeKey.arn, "csi.storage.k8s.io/fstype": "ext4" },
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
      reclaimPolicy: "Delete",
    }, { parent: this, provider: this.provider, dependsOn: [ebsDriver] });

    this.registerOutputs({
      clusterName: this.clusterName,
      endpoint: this.endpoint,
      kubeconfig: this.kubeconfig,
      oidcProviderArn: this.oidcProviderArn,
    });
  }
}
