/**
 * The NodePool and EC2NodeClass of each batch pool under Karpenter: pure functions of the config (CloudNativePG's
 * pkg/specs style), checked in tests against the v1.14.1 CRDs (test/fixtures/upstream/karpenter-1.14.1/crds).
 */
import type { BatchPoolConfig, KarpenterSettings } from "../../../config/schema";
import { instanceShape } from "../../../lib/instanceTypes";
import { ARCH_LABEL, poolLabels, poolTaints } from "../../../lib/placement";

/** The tag Karpenter finds the nodes' subnets and security groups by (EC2NodeClass selector terms). */
export const DISCOVERY_TAG = "karpenter.sh/discovery";

/**
 * Requirement keys Karpenter's AWS provider labels nodes with (v1.14 concepts/scheduling.md, "Well-Known Labels";
 * pkg/apis/v1/labels.go): the instance's family (`m6i`), size (`xlarge`), category (`m`) and generation (`6`).
 */
export const INSTANCE_FAMILY = "karpenter.k8s.aws/instance-family";
export const INSTANCE_SIZE = "karpenter.k8s.aws/instance-size";
export const INSTANCE_CATEGORY = "karpenter.k8s.aws/instance-category";
export const INSTANCE_GENERATION = "karpenter.k8s.aws/instance-generation";
/** Core's capacity type label (karpenter.sh/v1 labels: `spot`, `on-demand`, `reserved`). */
export const CAPACITY_TYPE = "karpenter.sh/capacity-type";

/** Memory GiB per vCPU of each category Karpenter may widen a pool to (lib/instanceTypes.ts's families). */
const CATEGORY_MEMORY_PER_VCPU: Record<string, number> = { c: 2, m: 4, r: 8 };

interface Requirement {
  key: string;
  operator: "In";
  values: string[];
}

const unique = (values: string[]) => [...new Set(values)];
const sizeOf = (instanceType: string) => instanceType.slice(instanceType.indexOf(".") + 1);

/** What a node of the pool may be: the capacity types, the Linux instances of the pool's architecture, families (or categories) and sizes. */
export function poolRequirements(pool: BatchPoolConfig): Requirement[] {
  const capacity = pool.capacityType === "spot" && pool.onDemandFallback ? ["spot", "on-demand"] : [pool.capacityType];
  const shape: Requirement[] = pool.instanceCategories
    ? [
      { key: INSTANCE_CATEGORY, operator: "In", values: [...pool.instanceCategories] },
      ...(pool.instanceGenerations ? [{ key: INSTANCE_GENERATION, operator: "In" as const, values: pool.instanceGenerations.map(String) }] : []),
    ]
    : [{ key: INSTANCE_FAMILY, operator: "In", values: unique(pool.instanceTypes.map((type) => type.split(".")[0])) }];
  return [
    { key: CAPACITY_TYPE, operator: "In", values: capacity },
    // The pool's architecture: its images are checked for it (config/architecture.ts). The AL2023 alias resolves an
    // AMI per architecture (v1.14.1 pkg/providers/amifamily/al2023.go: x86_64 and arm64 standard variants).
    { key: ARCH_LABEL, operator: "In", values: [pool.architecture] },
    { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
    ...shape,
    { key: INSTANCE_SIZE, operator: "In", values: unique(pool.instanceTypes.map(sizeOf)) },
  ];
}

/**
 * The pool's ceiling as NodePool `limits`: what `maxSize` nodes of its largest allowed shape hold. Karpenter
 * launches no node that would take the pool's provisioned capacity past them.
 */
export function poolLimits(pool: BatchPoolConfig): { cpu: string; memory: string } {
  const shapes = pool.instanceTypes.map(instanceShape).filter((shape) => shape !== undefined);
  const vcpus = Math.max(...shapes.map((shape) => shape.vcpus));
  const memoryPerVcpu = pool.instanceCategories
    ? Math.max(...pool.instanceCategories.map((category) => CATEGORY_MEMORY_PER_VCPU[category]))
    : Math.max(...shapes.map((shape) => shape.memoryGiB / shape.vcpus));
  return { cpu: String(pool.maxSize * vcpus), memory: `${pool.maxSize * vcpus * memoryPerVcpu}Gi` };
}

export function nodePoolSpec(pool: BatchPoolConfig, settings: KarpenterSettings) {
  return {
    apiVersion: "karpenter.sh/v1",
    kind: "NodePool",
    metadata: { name: pool.name },
    spec: {
      template: {
        // The labels and taints of today's batch node groups (lib/placement.ts), so pipeline placement is unchanged.
        metadata: { labels: poolLabels("batch", pool.name, pool.capacityType) },
        spec: {
          nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: pool.name },
          taints: poolTaints("batch"),
          requirements: poolRequirements(pool),
          // Unset, a node expires after 720h (v1.14 concepts/disruption.md, "Expiration"): forceful, and with every
          // batch pod's do-not-disrupt annotation, endless without a terminationGracePeriod (config/karpenter.ts).
          expireAfter: settings.expireAfter ?? "Never",
          ...(settings.terminationGracePeriod ? { terminationGracePeriod: settings.terminationGracePeriod } : {}),
        },
      },
      disruption: {
        consolidationPolicy: "WhenEmptyOrUnderutilized",
        consolidateAfter: settings.consolidateAfter,
        budgets: [{ nodes: settings.disruptionBudget }],
      },
      limits: poolLimits(pool),
    },
  };
}

/** `S`: a string, or a Pulumi input of one (the role and the key are known only once created). */
export interface NodeClassInputs<S = string> {
  clusterName: string;
  /** The node role's name (Karpenter creates the instance profiles from it). */
  nodeRoleName: S;
  volumeKeyArn: S;
  amiAlias: string;
  tags: Record<string, string>;
}

/**
 * The pool's EC2NodeClass: the pinned AL2023 release, IMDSv2 only with one hop (pods never reach the node's
 * role: they use IRSA), an encrypted gp3 root volume under our key, and the subnets and security group tagged
 * for discovery (components/aws/karpenter/index.ts tags them).
 */
export function ec2NodeClassSpec<S = string>(pool: BatchPoolConfig, inputs: NodeClassInputs<S>) {
  const discovery = [{ tags: { [DISCOVERY_TAG]: inputs.clusterName } }];
  return {
    apiVersion: "karpenter.k8s.aws/v1",
    kind: "EC2NodeClass",
    metadata: { name: pool.name },
    spec: {
      role: inputs.nodeRoleName,
      amiSelectorTerms: [{ alias: inputs.amiAlias }],
      subnetSelectorTerms: discovery,
      securityGroupSelectorTerms: discovery,
      metadataOptions: { httpEndpoint: "enabled", httpProtocolIPv6: "disabled", httpPutResponseHopLimit: 1, httpTokens: "required" },
      blockDeviceMappings: [{
        deviceName: "/dev/xvda",
        ebs: { volumeSize: `${pool.diskSizeGiB}Gi`, volumeType: "gp3", encrypted: true, kmsKeyID: inputs.volumeKeyArn, deleteOnTermination: true },
      }],
      tags: inputs.tags,
    },
  };
}
