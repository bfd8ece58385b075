/**
 * Karpenter, when `autoscaler.engine: karpenter`: it launches the batch pools' nodes per pending pod and drains
 * them ahead of a spot interruption. The system and stateful pools stay managed node groups at their desiredSize.
 * Facts are from aws/karpenter-provider-aws at tag v1.14.1 (charts/karpenter, website/content/en/preview).
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AutoscalerConfig, BatchPoolConfig } from "../../../config/schema";
import { servicePrincipalTrustPolicy } from "../../../lib/iam";
import { restrictedNamespaceLabels } from "../../../lib/podSecurity";
import { systemPlacement } from "../../../lib/placement";
import { charts, chartCrdFiles, karpenterAmi, pinnedRelease, podIdentityAgentVersions, type KubernetesVersion } from "../../../versions";
import { crdConfigGroup } from "../../platform/crdFiles";
import { BOUNDARY_TAG } from "../permissionsBoundary";
import { DISCOVERY_TAG, ec2NodeClassSpec, nodePoolSpec } from "./nodeClasses";
import { controllerBoundaryPolicy, controllerPolicies, INTERRUPTION_EVENTS, interruptionQueuePolicy, nodeVolumeKeyPolicy, podIdentityTrustPolicy } from "./policies";

export const KARPENTER_SERVICE_ACCOUNT = { namespace: "karpenter", name: "karpenter" };

/** The node policies of today's node groups (nodePools.ts): the VPC CNI has its own IRSA role, not the nodes'. */
export const KARPENTER_NODE_POLICIES = ["arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy", "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly"];

export interface KarpenterArgs {
  config: AutoscalerConfig;
  batchPools: BatchPoolConfig[];
  /** The cluster's name as config gives it, for names, tags and policy scopes. */
  clusterName: string;
  /** The same name as the EKS cluster outputs it: the EKS API resources below wait for the cluster through it. */
  eksClusterName: pulumi.Input<string>;
  clusterSecurityGroupId: pulumi.Input<string>;
  /** The AWS layer's region (AwsInfrastructure reads it once). */
  region: pulumi.Input<string>;
  kubernetesVersion: KubernetesVersion;
  /** One private subnet per zone: Karpenter launches nodes in the ones tagged for discovery. */
  privateSubnetIds: pulumi.Input<string[]>;
  zoneCount: number;
  provider: k8s.Provider;
  /** What the chart's ServiceMonitor needs first (the Prometheus Operator's CRDs). */
  monitoringReady: pulumi.Resource[];
  tags: Record<string, string>;
}

/** The chart's values: ours merged over karpenter 1.14.1 values.yaml (test/fixtures/upstream/karpenter-1.14.1). */
export function karpenterValues(config: AutoscalerConfig, clusterName: string, queueName: pulumi.Input<string>, region: pulumi.Input<string>) {
  return {
    replicas: config.karpenter.replicas,
    // On the system node group only, never on a node it manages: the chart's default affinity already requires
    // `karpenter.sh/nodepool DoesNotExist`; the selector keeps it off the stateful pool too.
    nodeSelector: { ...systemPlacement.nodeSelector, "kubernetes.io/os": "linux" },
    serviceAccount: { create: true, name: KARPENTER_SERVICE_ACCOUNT.name },
    serviceMonitor: { enabled: true },
    podDisruptionBudget: { name: "karpenter", maxUnavailable: 1 },
    controller: {
      resources: config.resources,
      // Without AWS_REGION the controller asks IMDS for its region (pkg/operator/operator.go NewOperator at v1.14.1)
      // and exits when it cannot: the system nodes' hop limit of 1 keeps pods from IMDS (nodePools.ts), and EKS Pod
      // Identity injects credentials, not a region.
      env: [{ name: "AWS_REGION", value: region }],
    },
    settings: { clusterName, interruptionQueue: queueName },
  };
}

/**
 * API Priority and Fairness for the controller outside kube-system: the two FlowSchemas Karpenter's guide gives for
 * another namespace (v1.14 getting-started, "Preventing APIServer Request Throttling"; scripts/step15-apply-flowschemas.sh),
 * so its leader election and its calls are not throttled with ordinary workloads'. kube-system would get them by
 * default, but cannot enforce the restricted Pod Security profile (the VPC CNI and kube-proxy are privileged).
 */
export function karpenterFlowSchemas(namespace: string, serviceAccount: string) {
  const subjects = [{ kind: "ServiceAccount", serviceAccount: { name: serviceAccount, namespace } }];
  return [
    {
      metadata: { name: "karpenter-leader-election" },
      spec: {
        distinguisherMethod: { type: "ByUser" },
        matchingPrecedence: 200,
        priorityLevelConfiguration: { name: "leader-election" },
        rules: [{ resourceRules: [{ apiGroups: ["coordination.k8s.io"], namespaces: ["*"], resources: ["leases"], verbs: ["get", "create", "update"] }], subjects }],
      },
    },
    {
      metadata: { name: "karpenter-workload" },
      spec: {
        distinguisherMethod: { type: "ByUser" },
        matchingPrecedence: 1000,
        priorityLevelConfiguration: { name: "workload-high" },
        rules: [{
          nonResourceRules: [{ nonResourceURLs: ["*"], verbs: ["*"] }],
          resourceRules: [{ apiGroups: ["*"], clusterScope: true, namespaces: ["*"], resources: ["*"], verbs: ["*"] }],
          subjects,
        }],
      },
    },
  ];
}

export class Karpenter extends pulumi.ComponentResource {
  public readonly controllerRoleArn: pulumi.Output<string>;
  public readonly nodeRoleArn: pulumi.Output<string>;
  public readonly interruptionQueueName: pulumi.Output<string>;

  constructor(name: string, args: KarpenterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:compute:Karpenter", name, {}, opts);
    const { tags, clusterName } = args;
    const parent = { parent: this };
    const partition = aws.getPartitionOutput({}, parent).partition;
    const region = pulumi.output(args.region);
    const accountId = aws.getCallerIdentityOutput({}, parent).accountId;

    // Nodes: their own role (an access entry of type EC2_LINUX lets them join; a managed node group's role has one
    // that EKS made for it), a volume key EC2 may use on the launcher's behalf, and discovery tags.
    const nodeRole = new aws.iam.Role(`${name}-node`, { assumeRolePolicy: JSON.stringify(servicePrincipalTrustPolicy("ec2.amazonaws.com")), tags }, parent);
    const nodeAttachments = KARPENTER_NODE_POLICIES.map((policyArn, i) => new aws.iam.RolePolicyAttachment(`${name}-node-${i}`, { role: nodeRole.name, policyArn }, parent));
    const accessEntry = new aws.eks.AccessEntry(`${name}-node`, { clusterName: args.eksClusterName, principalArn: nodeRole.arn, type: "EC2_LINUX", tags }, parent);
    const volumeKey = new aws.kms.Key(`${name}-volumes`, {
      description: `Root volumes of ${clusterName}'s Karpenter nodes`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: pulumi.all([partition, accountId, region]).apply(([p, a, r]) => JSON.stringify(nodeVolumeKeyPolicy(p, a, r))),
      tags,
    }, parent);
    const subnetIds = pulumi.output(args.privateSubnetIds);
    const discoveryTags = [
      ...Array.from({ length: args.zoneCount }, (_, zone) => new aws.ec2.Tag(`${name}-subnet-${zone}`, { resourceId: subnetIds.apply((ids) => ids[zone]), key: DISCOVERY_TAG, value: clusterName }, parent)),
      // The nodes share the EKS cluster security group with the node groups' (EKS gives it to their nodes).
      new aws.ec2.Tag(`${name}-security-group`, { resourceId: args.clusterSecurityGroupId, key: DISCOVERY_TAG, value: clusterName }, parent),
    ];

    // Interruption: the queue and the rules that feed it (policies.ts). Our VPCs reach SQS through their NAT
    // gateways; a VPC without one needs the com.amazonaws.<region>.sqs endpoint (docs/operations.md).
    const queue = new aws.sqs.Queue(`${name}-interruptions`, { name: clusterName, messageRetentionSeconds: 300, sqsManagedSseEnabled: true, tags }, parent);
    new aws.sqs.QueuePolicy(`${name}-interruptions`, { queueUrl: queue.url, policy: queue.arn.apply((arn) => JSON.stringify(interruptionQueuePolicy(arn))) }, parent);
    for (const event of INTERRUPTION_EVENTS) {
      const rule = new aws.cloudwatch.EventRule(`${name}-${event.rule}`, {
        description: `${event.detailType} to Karpenter's interruption queue`,
        eventPattern: JSON.stringify({ source: [event.source], "detail-type": [event.detailType] }),
        tags,
      }, parent);
      new aws.cloudwatch.EventTarget(`${name}-${event.rule}`, { rule: rule.name, arn: queue.arn, targetId: "KarpenterInterruptionQueueTarget" }, parent);
    }

    // The controller's identity: EKS Pod Identity (the agent add-on and an association), the documented policies,
    // and a boundary of its own (the platform's would refuse its IAM and SQS calls).
    const boundary = new aws.iam.Policy(`${name}-controller-boundary`, {
      description: "etl-platform: the most Karpenter's controller may do",
      policy: nodeRole.arn.apply((arn) => JSON.stringify(controllerBoundaryPolicy(arn))),
      tags: { ...tags, [BOUNDARY_TAG]: "true" },
    }, parent);
    const { namespace, name: serviceAccount } = KARPENTER_SERVICE_ACCOUNT;
    const controllerRole = new aws.iam.Role(`${name}-controller`, {
      assumeRolePolicy: JSON.stringify(podIdentityTrustPolicy(clusterName, namespace, serviceAccount)),
      permissionsBoundary: boundary.arn,
      tags,
    }, parent);
    const scope = pulumi.all([partition, region, accountId, nodeRole.arn, queue.arn]).apply(([p, r, a, nodeRoleArn, queueArn]) =>
      controllerPolicies({ partition: p, region: r, accountId: a, clusterName, nodeRoleArn, interruptionQueueArn: queueArn }));
    const controllerPolicyNames = ["NodeLifecycle", "IAMIntegration", "EKSIntegration", "Interruption", "ZonalShift", "ResourceDiscovery"];
    const grants = controllerPolicyNames.map((policy) => new aws.iam.RolePolicy(`${name}-controller-${policy}`, {
      role: controllerRole.name,
      policy: scope.apply((policies) => JSON.stringify(policies[policy])),
    }, parent));
    const agent = new aws.eks.Addon(`${name}-pod-identity-agent`, {
      clusterName: args.eksClusterName,
      addonName: "eks-pod-identity-agent",
      addonVersion: podIdentityAgentVersions[args.kubernetesVersion],
      resolveConflictsOnCreate: "OVERWRITE",
      resolveConflictsOnUpdate: "OVERWRITE",
      tags,
    }, parent);
    const association = new aws.eks.PodIdentityAssociation(`${name}-controller`, { clusterName: args.eksClusterName, namespace, serviceAccount, roleArn: controllerRole.arn, tags }, parent);

    // Kubernetes: the restricted namespace, the CRDs at the chart's tag (Helm never upgrades a chart's crds/), the
    // chart, then one EC2NodeClass and NodePool per batch pool.
    const k8sOpts = { parent: this, provider: args.provider };
    const ns = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: namespace, labels: restrictedNamespaceLabels } }, k8sOpts);
    const crds = crdConfigGroup(`${name}-crds`, chartCrdFiles.karpenter, k8sOpts);
    for (const flowSchema of karpenterFlowSchemas(namespace, serviceAccount)) {
      new k8s.flowcontrol.v1.FlowSchema(`${name}-${flowSchema.metadata.name}`, flowSchema, k8sOpts);
    }
    const release = new k8s.helm.v3.Release(name, {
      ...pinnedRelease("karpenter", charts.karpenter, namespace, karpenterValues(args.config, clusterName, queue.name, region)),
      skipCrds: true,
    }, { ...k8sOpts, dependsOn: [ns, crds, association, agent, accessEntry, ...grants, ...args.monitoringReady] });
    for (const pool of args.batchPools) {
      const nodeClass = ec2NodeClassSpec<pulumi.Input<string>>(pool, { clusterName, nodeRoleName: nodeRole.name, volumeKeyArn: volumeKey.arn, amiAlias: karpenterAmi.alias, tags });
      const nodeClassResource = new k8s.apiextensions.CustomResource(`${name}-${pool.name}-class`, {
        apiVersion: nodeClass.apiVersion,
        kind: nodeClass.kind,
        metadata: nodeClass.metadata,
        spec: nodeClass.spec,
      }, { ...k8sOpts, dependsOn: [release, ...discoveryTags, ...nodeAttachments] });
      new k8s.apiextensions.CustomResource(`${name}-${pool.name}`, nodePoolSpec(pool, args.config.karpenter), { ...k8sOpts, dependsOn: [nodeClassResource] });
    }

    this.controllerRoleArn = controllerRole.arn;
    this.nodeRoleArn = nodeRole.arn;
    this.interruptionQueueName = queue.name;
    this.registerOutputs({ controllerRoleArn: this.controllerRoleArn, nodeRoleArn: this.nodeRoleArn });
  }
}
