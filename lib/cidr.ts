/** IPv4 CIDR arithmetic for laying out subnets inside the VPC range. Input format is validated by zod (`z.cidrv4`). */

export interface Cidr {
  /** The network address as an unsigned 32-bit integer. */
  base: number;
  prefix: number;
}

export function parseCidr(cidr: string): Cidr {
  const [address, prefixText] = cidr.split("/");
  const base = address.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const prefix = Number(prefixText);
  return { base: base - (base % blockSize(prefix)), prefix };
}

export function formatCidr({ base, prefix }: Cidr): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(base / 2 ** shift) % 256);
  return `${octets.join(".")}/${prefix}`;
}

function blockSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

/** True when `inner` lies entirely inside `outer`. */
export function cidrContains(outer: string, inner: string): boolean {
  const o = parseCidr(outer);
  const i = parseCidr(inner);
  return i.prefix >= o.prefix && i.base >= o.base && i.base + blockSize(i.prefix) <= o.base + blockSize(o.prefix);
}

export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  return x.base < y.base + blockSize(y.prefix) && y.base < x.base + blockSize(x.prefix);
}

/** The `index`-th block of size `/newPrefix` inside `cidr`. */
export function subnetOf(cidr: string, newPrefix: number, index: number): string {
  const parent = parseCidr(cidr);
  if (newPrefix < parent.prefix || newPrefix > 32) {
    throw new RangeError(`cannot split ${cidr} into /${newPrefix} blocks`);
  }
  if (index >= 2 ** (newPrefix - parent.prefix)) {
    throw new RangeError(`${cidr} has no /${newPrefix} block number ${index}`);
  }
  return formatCidr({ base: parent.base + index * blockSize(newPrefix), prefix: newPrefix });
}

/**
 * The default subnet layout for a VPC range: the first eighths of the range are the private (node and pod)
 * subnets, one per zone, because the VPC CNI gives every pod a VPC address; the last eighth is cut into
 * small public subnets that only hold load balancers and NAT gateways.
 */
export function defaultSubnetLayout(vpcCidr: string, zoneCount: number): { privateCidrs: string[]; publicCidrs: string[] } {
  const { prefix } = parseCidr(vpcCidr);
  const lastEighth = subnetOf(vpcCidr, prefix + 3, 7);
  return {
    privateCidrs: Array.from({ length: zoneCount }, (_, i) => subnetOf(vpcCidr, prefix + 3, i)),
    publicCidrs: Array.from({ length: zoneCount }, (_, i) => subnetOf(lastEighth, prefix + 6, i)),
  };
}

/**
 * A range whose address has bits set below its prefix (`10.20.1.0/16`), or undefined when it is a network
 * address. EC2 refuses such a VPC or subnet range ("is not a valid CIDR block", CreateVpc / CreateSubnet), so the
 * config refuses it too, with the range that was probably meant.
 */
export function hostBitsProblem(cidr: string): string | undefined {
  const [address, prefix] = cidr.split("/");
  // A malformed range is reported by its format check.
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(address) || !/^\d{1,2}$/.test(prefix ?? "") || Number(prefix) > 32) return undefined;
  const networkAddress = formatCidr(parseCidr(cidr));
  if (networkAddress.split("/")[0] === address) return undefined;
  return `expected a network address (no bits set after the /${cidr.split("/")[1]} prefix), got ${cidr}: did you mean ${networkAddress}?`;
}

/**
 * The address of the `kubernetes` Service: the first host of the Services' CIDR (kube-apiserver
 * pkg/controlplane/services.go, ServiceIPRange: "the first IP ... for the kubernetes service"), as a /32.
 */
export function firstHostOf(cidr: string): string {
  const { base } = parseCidr(cidr);
  return `${formatCidr({ base: base + 1, prefix: 32 })}`;
}
