/**
 * EC2 instance shapes for the families the node pools accept. The spot rules need each type's vCPU and memory
 * (a diversified spot pool must offer interchangeable shapes, or the autoscaler's node template is wrong for
 * some of its nodes), and config validation runs offline, so the shapes are derived here rather than looked up.
 */

/** Memory GiB per vCPU, by family. Graviton (`g`) families are left out: the pipelines' images are amd64. */
const MEMORY_PER_VCPU: Record<string, number> = {
  c5: 2, c5a: 2, c6i: 2, c6a: 2, c7i: 2, c7a: 2,
  m5: 4, m5a: 4, m6i: 4, m6a: 4, m7i: 4, m7a: 4,
  r5: 8, r5a: 8, r6i: 8, r6a: 8, r7i: 8, r7a: 8,
  t3: 4, t3a: 4,
};

const VCPUS_BY_SIZE: Record<string, number> = {
  large: 2, xlarge: 4, "2xlarge": 8, "4xlarge": 16, "8xlarge": 32, "12xlarge": 48, "16xlarge": 64,
};

export interface InstanceShape {
  family: string;
  vcpus: number;
  memoryGiB: number;
}

export const KNOWN_FAMILIES = Object.keys(MEMORY_PER_VCPU);

/** The shape of an instance type such as `m6i.xlarge`, or undefined for a type this platform does not know. */
export function instanceShape(instanceType: string): InstanceShape | undefined {
  const [family, size] = instanceType.split(".");
  const perVcpu = MEMORY_PER_VCPU[family];
  const vcpus = VCPUS_BY_SIZE[size];
  if (perVcpu === undefined || vcpus === undefined) return undefined;
  return { family, vcpus, memoryGiB: vcpus * perVcpu };
}
