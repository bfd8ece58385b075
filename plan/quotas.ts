/**
 * The AWS service quotas a stack's plan needs, from its declared resources: what to check in the account before the
 * first `pulumi up` (docs/deploying.md). A quota below the need fails that `up` half-way (a NAT gateway or an
 * Elastic IP refused), or later, when the autoscaler cannot add the nodes a peak needs.
 *
 * Quota codes (Service Quotas, `aws service-quotas get-service-quota --service-code <service> --quota-code <code>`):
 * VPCs per Region vpc/L-F678F1CE, NAT gateways per Availability Zone vpc/L-FE5A380F, EC2-VPC Elastic IPs
 * ec2/L-0263D0A3, Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances ec2/L-1216C47A and All Standard
 * (A, C, D, H, I, M, R, T, Z) Spot Instance Requests ec2/L-34B43A08, both counted in vCPUs (EC2 User Guide, "Spot
 * Instance quotas": "managed in terms of the number of virtual central processing units").
 */
import { instanceShape } from "../lib/instanceTypes";

export interface QuotaNeed {
  name: string;
  service: "ec2" | "vpc";
  code: string;
  needed: number;
  /** What the need is made of, e.g. "3 groups × maxSize × the largest type's vCPUs". */
  why: string;
  /** Set when a new account's quota may well be below the need. */
  warning?: string;
}

/**
 * A new account's vCPU quotas can be tiny: AWS documents 5 vCPUs as the default of All Standard Spot Instance
 * Requests (EC2 User Guide, "Spot Instance quotas"); the applied and default values are the account's to read.
 */
export const NEW_ACCOUNT_VCPUS = 5;
const vcpuWarning = (need: QuotaNeed): QuotaNeed => (need.needed > NEW_ACCOUNT_VCPUS
  ? { ...need, warning: `a new account may have as few as ${NEW_ACCOUNT_VCPUS} vCPUs: read the applied value (aws service-quotas get-service-quota --service-code ${need.service} --quota-code ${need.code}) and the default (get-aws-default-service-quota, same options), and ask for an increase before the first deploy` }
  : need);

interface Declared {
  type: string;
  name: string;
  inputs: Record<string, any>;
}

/** vCPUs of node groups of one capacity type at their ceiling: maxSize nodes of the group's largest type each. */
function vcpusAtCeiling(groups: Declared[]): { vcpus: number; why: string } {
  const parts = groups.map((group) => {
    const largest = Math.max(...(group.inputs.instanceTypes ?? []).map((type: string) => {
      const shape = instanceShape(type);
      if (!shape) throw new Error(`node group ${group.name}: no vCPU count known for instance type ${type} (lib/instanceTypes.ts)`);
      return shape.vcpus;
    }));
    return { name: group.name, vcpus: group.inputs.scalingConfig.maxSize * largest, maxSize: group.inputs.scalingConfig.maxSize, largest };
  });
  return {
    vcpus: parts.reduce((sum, part) => sum + part.vcpus, 0),
    why: parts.map((part) => `${part.name} ${part.maxSize}×${part.largest}`).join(", "),
  };
}

export function quotaNeeds(resources: Declared[]): QuotaNeed[] {
  const ofType = (type: string) => resources.filter((resource) => resource.type === type);
  const needs: QuotaNeed[] = [];
  const vpcs = ofType("aws:ec2/vpc:Vpc").length;
  if (vpcs) needs.push({ name: "VPCs per Region", service: "vpc", code: "L-F678F1CE", needed: vpcs, why: `${vpcs} VPC` });
  const eips = ofType("aws:ec2/eip:Eip").length;
  if (eips) needs.push({ name: "EC2-VPC Elastic IPs", service: "ec2", code: "L-0263D0A3", needed: eips, why: `${eips}, one per NAT gateway` });
  // The network puts one NAT gateway in each zone's public subnet (components/aws/network.ts): one per zone.
  if (ofType("aws:ec2/natGateway:NatGateway").length) needs.push({ name: "NAT gateways per Availability Zone", service: "vpc", code: "L-FE5A380F", needed: 1, why: "one per zone" });
  const groups = ofType("aws:eks/nodeGroup:NodeGroup");
  const onDemand = groups.filter((group) => (group.inputs.capacityType ?? "ON_DEMAND") === "ON_DEMAND");
  const spot = groups.filter((group) => group.inputs.capacityType === "SPOT");
  // Karpenter's NodePools: their `limits.cpu` is the vCPUs they may reach, of each capacity type they allow.
  const nodePools = ofType("kubernetes:karpenter.sh/v1:NodePool").map((pool) => ({
    name: pool.name,
    vcpus: Number(pool.inputs.spec?.limits?.cpu ?? 0),
    capacity: (pool.inputs.spec?.template?.spec?.requirements ?? []).find((r: { key: string }) => r.key === "karpenter.sh/capacity-type")?.values ?? ["on-demand"],
  }));
  const vcpuNeed = (capacity: "on-demand" | "spot", fromGroups: Declared[]) => {
    const fromGroupsNeed = fromGroups.length ? vcpusAtCeiling(fromGroups) : { vcpus: 0, why: "" };
    const pools = nodePools.filter((pool) => pool.capacity.includes(capacity));
    const parts = [fromGroupsNeed.why, ...pools.map((pool) => `${pool.name} limits.cpu ${pool.vcpus}`)].filter(Boolean);
    return { count: fromGroups.length + pools.length, vcpus: fromGroupsNeed.vcpus + pools.reduce((sum, pool) => sum + pool.vcpus, 0), why: parts.join(", ") };
  };
  const onDemandNeed = vcpuNeed("on-demand", onDemand);
  if (onDemandNeed.count) {
    needs.push(vcpuWarning({ name: "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances, vCPUs", service: "ec2", code: "L-1216C47A", needed: onDemandNeed.vcpus, why: `every on-demand group at maxSize × its largest type's vCPUs: ${onDemandNeed.why}` }));
  }
  const spotNeed = vcpuNeed("spot", spot);
  if (spotNeed.count) {
    needs.push(vcpuWarning({ name: "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests, vCPUs", service: "ec2", code: "L-34B43A08", needed: spotNeed.vcpus, why: `every spot group at maxSize × its largest type's vCPUs: ${spotNeed.why}` }));
  }
  return needs;
}

/** One line per quota: its service and code (for `aws service-quotas get-service-quota`), the need and what makes it. */
export function quotaLines(needs: QuotaNeed[]): string[] {
  return needs.flatMap((need) => [`${need.name} (${need.service}/${need.code}) ≥ ${need.needed}: ${need.why}`, ...(need.warning ? [`  warning: ${need.warning}`] : [])]);
}
