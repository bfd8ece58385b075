/**
 * EC2 instance shapes for the families the node pools accept. The spot rules need each type's vCPU and memory
 * (a diversified spot pool must offer interchangeable shapes, or the autoscaler's node template is wrong for
 * some of its nodes), and config validation runs offline, so the shapes are derived here rather than looked up.
 *
 * Every family × size below, its vCPUs, memory and architecture, is as the cluster autoscaler's generated table
 * lists it (kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/ec2_instance_types.go at
 * cluster-autoscaler-1.32.5: e.g. `m6g.xlarge` VCPU 4, MemoryMb 16384, Architecture "arm64"); the sizes a family
 * lacks there (c5 has 9xlarge and 18xlarge, the t families stop at 2xlarge) are refused.
 */

export const ARCHITECTURES = ["amd64", "arm64"] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

interface Family {
  memoryPerVcpu: number;
  architecture: Architecture;
  /** Sizes of VCPUS_BY_SIZE the family does not have. */
  lacks?: string[];
}

const x86 = (memoryPerVcpu: number, lacks?: string[]): Family => ({ memoryPerVcpu, architecture: "amd64", ...(lacks ? { lacks } : {}) });
/** Graviton (AWS's arm64 processors): the `g` families. */
const graviton = (memoryPerVcpu: number, lacks?: string[]): Family => ({ memoryPerVcpu, architecture: "arm64", ...(lacks ? { lacks } : {}) });
const BURSTABLE_LACKS = ["4xlarge", "8xlarge", "12xlarge", "16xlarge"];

const FAMILIES: Record<string, Family> = {
  c5: x86(2, ["8xlarge", "16xlarge"]), c5a: x86(2), c6i: x86(2), c6a: x86(2), c7i: x86(2), c7a: x86(2),
  m5: x86(4), m5a: x86(4), m6i: x86(4), m6a: x86(4), m7i: x86(4), m7a: x86(4),
  r5: x86(8), r5a: x86(8), r6i: x86(8), r6a: x86(8), r7i: x86(8), r7a: x86(8),
  t3: x86(4, BURSTABLE_LACKS), t3a: x86(4, BURSTABLE_LACKS),
  // The `gd` families add local NVMe storage at the same shape: a spot pool needs 4 types of one shape.
  c6g: graviton(2), c7g: graviton(2), c8g: graviton(2), c6gd: graviton(2), c7gd: graviton(2),
  m6g: graviton(4), m7g: graviton(4), m8g: graviton(4), m6gd: graviton(4), m7gd: graviton(4),
  r6g: graviton(8), r7g: graviton(8), r8g: graviton(8), r6gd: graviton(8), r7gd: graviton(8),
  t4g: graviton(4, BURSTABLE_LACKS),
};

const VCPUS_BY_SIZE: Record<string, number> = {
  large: 2, xlarge: 4, "2xlarge": 8, "4xlarge": 16, "8xlarge": 32, "12xlarge": 48, "16xlarge": 64,
};

export interface InstanceShape {
  family: string;
  vcpus: number;
  memoryGiB: number;
  architecture: Architecture;
}

export const KNOWN_FAMILIES = Object.keys(FAMILIES);

/** Every instance type this platform knows, family by family. */
export const KNOWN_INSTANCE_TYPES: string[] = KNOWN_FAMILIES.flatMap((family) => Object.keys(VCPUS_BY_SIZE)
  .filter((size) => !FAMILIES[family].lacks?.includes(size)).map((size) => `${family}.${size}`));

/** The shape of an instance type such as `m6i.xlarge`, or undefined for a type this platform does not know. */
export function instanceShape(instanceType: string): InstanceShape | undefined {
  const [family, size] = instanceType.split(".");
  const known = Object.hasOwn(FAMILIES, family) ? FAMILIES[family] : undefined;
  const vcpus = Object.hasOwn(VCPUS_BY_SIZE, size) ? VCPUS_BY_SIZE[size] : undefined;
  if (!known || vcpus === undefined || known.lacks?.includes(size)) return undefined;
  return { family, vcpus, memoryGiB: vcpus * known.memoryPerVcpu, architecture: known.architecture };
}

/** The Graviton families that replace each x86 category: its 6th and 7th generations (our x86 families go up to 7). */
const GRAVITON_FAMILIES: Record<string, string[]> = { c: ["c6g", "c7g"], m: ["m6g", "m7g"], r: ["r6g", "r7g"], t: ["t4g"] };

/**
 * The Graviton type that would replace an x86 type of the same category and size: the same generation where
 * Graviton has one (m7i -> m7g), else the first Graviton generation (m5, m6i -> m6g; t3 -> t4g). Every x86 family
 * here is a category letter and a generation digit, and every size it has, its Graviton family has too.
 * Undefined for a type that is already Graviton or unknown.
 */
export function gravitonCounterpart(instanceType: string): string | undefined {
  const shape = instanceShape(instanceType);
  if (shape?.architecture !== "amd64") return undefined;
  const [category, generation] = shape.family;
  const families = GRAVITON_FAMILIES[category];
  const family = families.find((candidate) => candidate === `${category}${generation}g`) ?? families[0];
  return `${family}.${instanceType.split(".")[1]}`;
}
