/**
 * What Pulumi does when an input of a resource changes: for every resource type the program declares, the input
 * paths whose change makes its provider replace the resource (delete and create, a new identity) rather than
 * update it in place. A test fails when a plan of any stack declares a type with no entry here.
 *
 * Sources:
 * - AWS: the Terraform provider that @pulumi/aws bridges marks these arguments `ForceNew`
 *   (hashicorp/terraform-provider-aws, internal/service/<service>/<resource>.go); pulumi-aws turns them into
 *   replacements. One entry per resource type, input names as Pulumi spells them.
 * - Kubernetes: pulumi-kubernetes v4, provider/pkg/provider/diff.go (`forceNewProperties`, read at v4.32.0):
 *   `.metadata.name` and `.metadata.namespace` for every kind, plus ConfigMap `.data`/`.binaryData` and Secret
 *   `.type`/`.data`/`.stringData` (unless the provider sets enableConfigMapMutable/enableSecretMutable; ours sets
 *   neither), StorageClass `.parameters`/`.provisioner`, PersistentVolumeClaim `.spec.accessModes`/`.selector`/
 *   `.storageClassName`/`.volumeName`, Job `.spec.completions`/`.parallelism`/`.selector`/`.template`, a
 *   RoleBinding's `.roleRef`. Nothing else: a field the API server holds immutable (a PriorityClass's `value`, a
 *   StorageClass's `reclaimPolicy`) is sent as an update, which the API server refuses (diff/risk.ts). A spec
 *   change of a custom resource is an update: what its operator then does is in diff/risk.ts.
 * - random: every input of RandomPassword and RandomString forces a new value (pulumi/pulumi-random, schema).
 */

export type ReplaceRule =
  /** A custom resource of a provider: these input paths (and anything under them) force a replacement. */
  | { kind: "resource"; forceNew: string[]; source: string }
  /** Every input forces a replacement. */
  | { kind: "resource"; forceNew: "*"; source: string }
  /** A component (ours, pulumi-eks's, a ConfigGroup): it holds no state; its children carry the changes. */
  | { kind: "component"; source: string };

const TF = (resource: string) => `terraform-provider-aws ${resource} (ForceNew arguments)`;
const K8S_DIFF = "pulumi-kubernetes provider/pkg/provider/diff.go";
const METADATA = ["metadata.name", "metadata.namespace"];

const aws = (resource: string, forceNew: string[]): ReplaceRule => ({ kind: "resource", forceNew, source: TF(resource) });
const kubernetes = (extra: string[] = [], source = K8S_DIFF): ReplaceRule => ({ kind: "resource", forceNew: [...METADATA, ...extra], source });
const component = (source: string): ReplaceRule => ({ kind: "component", source });

export const REPLACE_RULES: Record<string, ReplaceRule> = {
  "aws:autoscaling/tag:Tag": aws("aws_autoscaling_group_tag", ["autoscalingGroupName", "tag.key"]),
  "aws:cloudwatch/logGroup:LogGroup": aws("aws_cloudwatch_log_group", ["name", "namePrefix", "logGroupClass"]),
  "aws:ec2/eip:Eip": aws("aws_eip", ["address", "domain", "ipamPoolId", "networkBorderGroup", "publicIpv4Pool"]),
  "aws:ec2/flowLog:FlowLog": aws("aws_flow_log", ["deliverCrossAccountRole", "destinationOptions", "eniId", "iamRoleArn", "logDestination", "logDestinationType", "logFormat", "maxAggregationInterval", "subnetId", "trafficType", "transitGatewayAttachmentId", "transitGatewayId", "vpcId", "regionalNatGatewayId"]),
  "aws:ec2/internetGateway:InternetGateway": aws("aws_internet_gateway", []),
  "aws:ec2/launchTemplate:LaunchTemplate": aws("aws_launch_template", ["name", "namePrefix"]),
  "aws:ec2/natGateway:NatGateway": aws("aws_nat_gateway", ["allocationId", "connectivityType", "privateIp", "subnetId", "secondaryPrivateIpAddressCount"]),
  "aws:ec2/routeTable:RouteTable": aws("aws_route_table", ["vpcId"]),
  "aws:ec2/routeTableAssociation:RouteTableAssociation": aws("aws_route_table_association", ["gatewayId", "subnetId"]),
  "aws:ec2/subnet:Subnet": aws("aws_subnet", ["availabilityZone", "availabilityZoneId", "cidrBlock", "ipv6Native", "outpostArn", "vpcId", "ipv4IpamPoolId", "ipv4NetmaskLength", "ipv6IpamPoolId", "ipv6NetmaskLength"]),
  "aws:ec2/vpc:Vpc": aws("aws_vpc", ["cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength"]),
  "aws:sns/topic:Topic": aws("aws_sns_topic", ["name", "namePrefix", "fifoTopic"]),
  "aws:sns/topicPolicy:TopicPolicy": aws("aws_sns_topic_policy", ["arn"]),
  "aws:cloudwatch/eventRule:EventRule": aws("aws_cloudwatch_event_rule", ["name", "namePrefix", "eventBusName"]),
  "aws:cloudwatch/eventTarget:EventTarget": aws("aws_cloudwatch_event_target", ["rule", "targetId", "eventBusName"]),
  "aws:cloudwatch/eventConnection:EventConnection": aws("aws_cloudwatch_event_connection", ["name"]),
  "aws:cloudwatch/eventApiDestination:EventApiDestination": aws("aws_cloudwatch_event_api_destination", ["name"]),
  "aws:iam/policy:Policy": aws("aws_iam_policy", ["name", "namePrefix", "path", "description"]),
  "aws:ec2/securityGroup:SecurityGroup": aws("aws_security_group", ["name", "namePrefix", "description", "vpcId"]),
  "aws:ec2/vpcEndpoint:VpcEndpoint": aws("aws_vpc_endpoint", ["serviceName", "serviceRegion", "vpcEndpointType", "vpcId", "resourceConfigurationArn", "serviceNetworkArn", "dnsOptions"]),
  "aws:eks/addon:Addon": aws("aws_eks_addon", ["addonName", "clusterName"]),
  "aws:eks/accessEntry:AccessEntry": aws("aws_eks_access_entry", ["clusterName", "principalArn", "type"]),
  // A framework resource: RequiresReplace() on these (internal/service/eks/pod_identity_association.go); the role updates in place.
  "aws:eks/podIdentityAssociation:PodIdentityAssociation": aws("aws_eks_pod_identity_association", ["clusterName", "namespace", "serviceAccount"]),
  "aws:sqs/queue:Queue": aws("aws_sqs_queue", ["name", "namePrefix", "fifoQueue"]),
  "aws:sqs/queuePolicy:QueuePolicy": aws("aws_sqs_queue_policy", ["queueUrl"]),
  "aws:ec2/tag:Tag": aws("aws_ec2_tag", ["resourceId", "key"]),
  "aws:eks/nodeGroup:NodeGroup": aws("aws_eks_node_group", ["amiType", "capacityType", "clusterName", "diskSize", "instanceTypes", "launchTemplate.id", "launchTemplate.name", "nodeGroupName", "nodeGroupNamePrefix", "nodeRoleArn", "remoteAccess", "subnetIds"]),
  "aws:iam/role:Role": aws("aws_iam_role", ["name", "namePrefix", "path"]),
  "aws:iam/rolePolicy:RolePolicy": aws("aws_iam_role_policy", ["name", "namePrefix", "role"]),
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": aws("aws_iam_role_policy_attachment", ["policyArn", "role"]),
  "aws:kms/key:Key": aws("aws_kms_key", ["customKeyStoreId", "customerMasterKeySpec", "keyUsage", "multiRegion", "xksKeyId"]),
  "aws:s3/bucket:Bucket": aws("aws_s3_bucket", ["bucket", "bucketPrefix", "objectLockEnabled"]),
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": aws("aws_s3_bucket_lifecycle_configuration", ["bucket", "expectedBucketOwner"]),
  "aws:s3/bucketLogging:BucketLogging": aws("aws_s3_bucket_logging", ["bucket", "expectedBucketOwner"]),
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls": aws("aws_s3_bucket_ownership_controls", ["bucket"]),
  "aws:s3/bucketPolicy:BucketPolicy": aws("aws_s3_bucket_policy", ["bucket"]),
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": aws("aws_s3_bucket_public_access_block", ["bucket"]),
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": aws("aws_s3_bucket_server_side_encryption_configuration", ["bucket", "expectedBucketOwner"]),
  "aws:s3/bucketVersioning:BucketVersioning": aws("aws_s3_bucket_versioning", ["bucket", "expectedBucketOwner"]),
  "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": aws("aws_s3_bucket_object_lock_configuration", ["bucket", "expectedBucketOwner", "objectLockEnabled"]),
  // pulumi-eks's Cluster is a component, but its inputs map onto one aws.eks.Cluster whose name, encryption key and
  // service network force a new cluster (aws_eks_cluster: name, encryption_config, kubernetes_network_config are
  // ForceNew); its subnets and version update in place, within limits (operatorRules.ts).
  // encryptionConfigKeyArn: EKS never changes a cluster's secrets key in place, and the provider does not replace
  // the cluster for it (only removing encryption does): a refused change (diff/risk.ts). bootstrapSelfManagedAddons:
  // pulumi-eks ignores its changes (nodejs/eks/cluster/cluster.ts, ignoreChanges).
  "eks:index:Cluster": { kind: "resource", forceNew: ["name", "kubernetesServiceIpAddressRange", "ipFamily", "serviceRole"], source: `pulumi-eks Cluster over ${TF("aws_eks_cluster")}` },
  // A Deployment's selector is force-new (diff.go `deployment`): a streaming consumer replaced is an outage of its
  // group until the new one runs; the rest of its spec rolls.
  "kubernetes:apps/v1:Deployment": kubernetes(["spec.selector"]),
  "kubernetes:argoproj.io/v1alpha1:CronWorkflow": kubernetes(),
  // KEDA's custom resources: metadata only, as every custom resource; KEDA reconciles spec changes in place.
  "kubernetes:keda.sh/v1alpha1:ScaledObject": kubernetes(),
  "kubernetes:keda.sh/v1alpha1:TriggerAuthentication": kubernetes(),
  // diff.go lists PodDisruptionBudget's `.spec` as force-new only for policy/v1beta1; a policy/v1 spec updates in place.
  "kubernetes:policy/v1:PodDisruptionBudget": kubernetes(),
  "kubernetes:barmancloud.cnpg.io/v1:ObjectStore": kubernetes(),
  "kubernetes:batch/v1:CronJob": kubernetes(),
  "kubernetes:karpenter.sh/v1:NodePool": kubernetes(),
  "kubernetes:flowcontrol.apiserver.k8s.io/v1:FlowSchema": kubernetes(),
  "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass": kubernetes(),
  // A Job's template, selector and completions are immutable; pulumi-kubernetes' diff.go lists them as force-new.
  "kubernetes:batch/v1:Job": kubernetes(["spec.completions", "spec.parallelism", "spec.selector", "spec.template"]),
  "kubernetes:core/v1:ConfigMap": kubernetes(["data", "binaryData"]),
  "kubernetes:core/v1:LimitRange": kubernetes(),
  "kubernetes:core/v1:Namespace": kubernetes(),
  // A Patch resource applies its fields server-side to an existing object; a new name patches another object.
  "kubernetes:core/v1:NamespacePatch": kubernetes(),
  "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy": kubernetes(),
  "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding": kubernetes(),
  "kubernetes:core/v1:PersistentVolumeClaim": kubernetes(["spec.accessModes", "spec.selector", "spec.storageClassName", "spec.volumeName"]),
  "kubernetes:core/v1:ResourceQuota": kubernetes(["spec.scopes"]),
  "kubernetes:core/v1:Secret": kubernetes(["type", "data", "stringData"]),
  "kubernetes:core/v1:ServiceAccount": kubernetes(),
  // A Helm release is known by its name and namespace; anything else is a `helm upgrade`.
  "kubernetes:helm.sh/v3:Release": { kind: "resource", forceNew: ["name", "namespace"], source: "pulumi-kubernetes helm.sh/v3 Release (provider/pkg/provider/helm_release.go)" },
  "kubernetes:kafka.strimzi.io/v1:Kafka": kubernetes(),
  "kubernetes:kafka.strimzi.io/v1:KafkaNodePool": kubernetes(),
  "kubernetes:kafka.strimzi.io/v1:KafkaTopic": kubernetes(),
  "kubernetes:kafka.strimzi.io/v1:KafkaUser": kubernetes(),
  "kubernetes:monitoring.coreos.com/v1:PodMonitor": kubernetes(),
  "kubernetes:monitoring.coreos.com/v1:PrometheusRule": kubernetes(),
  "kubernetes:networking.k8s.io/v1:NetworkPolicy": kubernetes(),
  "kubernetes:postgresql.cnpg.io/v1:Cluster": kubernetes(),
  "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup": kubernetes(),
  "kubernetes:rbac.authorization.k8s.io/v1:Role": kubernetes(),
  "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": kubernetes(["roleRef"], `${K8S_DIFF}; RoleBinding.roleRef is immutable (k8s.io/kubernetes pkg/apis/rbac/validation)`),
  "kubernetes:scheduling.k8s.io/v1:PriorityClass": kubernetes([], `${K8S_DIFF}; value and preemptionPolicy are updates the API server refuses (diff/risk.ts)`),
  "kubernetes:storage.k8s.io/v1:StorageClass": kubernetes(["parameters", "provisioner"], `${K8S_DIFF}; reclaimPolicy and volumeBindingMode are updates the API server refuses (diff/risk.ts)`),
  "kubernetes:storage.k8s.io/v1:StorageClassPatch": kubernetes(),
  // A component over the objects of its files, which offline are not read (they are URLs): its own inputs are
  // what changes, and risk.ts names the files (the CRDs of a chart bump).
  "kubernetes:yaml/v2:ConfigGroup": { kind: "resource", forceNew: [], source: "pulumi-kubernetes yaml/v2 ConfigGroup: a component applying the objects of its files (server-side apply, so an update)" },
  // A provider pointed at another cluster: pulumi-kubernetes replaces it, and with it every object it manages.
  "pulumi:providers:kubernetes": { kind: "resource", forceNew: ["kubeconfig", "context", "cluster"], source: "pulumi-kubernetes provider/pkg/provider/provider.go (DiffConfig: a changed cluster replaces the provider)" },
  "random:index/randomPassword:RandomPassword": { kind: "resource", forceNew: "*", source: "pulumi-random RandomPassword: every input forces a new value" },
  "random:index/randomString:RandomString": { kind: "resource", forceNew: "*", source: "pulumi-random RandomString: every input forces a new value" },
};

/** Our own components (etl-platform:*) hold no state. */
export function replaceRule(type: string): ReplaceRule | undefined {
  if (type.startsWith("etl-platform:")) return component("a component of this program");
  return REPLACE_RULES[type];
}

/** Whether an input path (`a.b[2].c`) is `prefix` or lies under it: a key or an index of it, not a longer name. */
export function isWithin(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

/** Whether a changed input path is (or is under) one of the force-new paths. */
export function forcesReplacement(rule: ReplaceRule, path: string): boolean {
  if (rule.kind === "component") return false;
  if (rule.forceNew === "*") return true;
  return rule.forceNew.some((prefix) => isWithin(path, prefix));
}
