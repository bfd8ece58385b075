/**
 * Refreshes the EKS add-on versions pinned per Kubernetes version in versions.ts from AWS:
 *
 *   npm run refresh-addons            # needs the aws CLI v2 and credentials that may call eks:DescribeAddonVersions
 *
 * For each Kubernetes version and add-on it takes the version EKS marks as the default for that cluster version
 * (`compatibilities[].defaultVersion`), else the newest compatible one, and rewrites that version's `addons` line
 * and its `podIdentityAgentVersions` entry (the eks-pod-identity-agent add-on, installed with Karpenter).
 * Review the diff, then plan: a version bump of an add-on is an in-place update of the EKS add-on.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { EKS_ADDONS, kubernetesVersions, type EksAddon, type KubernetesVersion } from "../versions";

/** The part of `aws eks describe-addon-versions --output json` this script reads. */
export interface DescribeAddonVersions {
  addons: { addonName: string; addonVersions: { addonVersion: string; compatibilities: { clusterVersion: string; defaultVersion: boolean }[] }[] }[];
}

/** Compares `v1.19.5-eksbuild.3` style versions numerically. */
function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.replace(/^v/, "").split(/[.-]|eksbuild/).filter(Boolean).map(Number);
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** The add-on version to pin for a cluster version: EKS's default for it, else the newest compatible one. */
export function pickAddonVersion(response: DescribeAddonVersions, addonName: string, clusterVersion: string): string {
  const addon = response.addons.find((a) => a.addonName === addonName);
  const compatible = (addon?.addonVersions ?? []).filter((v) => v.compatibilities.some((c) => c.clusterVersion === clusterVersion));
  if (compatible.length === 0) throw new Error(`no version of ${addonName} is compatible with Kubernetes ${clusterVersion}`);
  const preferred = compatible.find((v) => v.compatibilities.some((c) => c.clusterVersion === clusterVersion && c.defaultVersion));
  return (preferred ?? [...compatible].sort((a, b) => compareVersions(b.addonVersion, a.addonVersion))[0]).addonVersion;
}

/** versions.ts with one Kubernetes version's `addons` line replaced. */
export function rewriteAddonsLine(source: string, version: KubernetesVersion, addons: Record<EksAddon, string>): string {
  const line = `addons: { "vpc-cni": "${addons["vpc-cni"]}", coredns: "${addons.coredns}", "kube-proxy": "${addons["kube-proxy"]}", "aws-ebs-csi-driver": "${addons["aws-ebs-csi-driver"]}" },`;
  const pattern = new RegExp(`("${version.replace(".", "\\.")}": \\{\\n\\s*clusterAutoscalerImageTag: "[^"]+",\\n\\s*)addons: \\{[^}]*\\},`);
  if (!pattern.test(source)) throw new Error(`no addons line for ${version} in versions.ts`);
  return source.replace(pattern, `$1${line}`);
}

/** versions.ts with one Kubernetes version's eks-pod-identity-agent pin (podIdentityAgentVersions) set. */
export function rewritePodIdentityAgentLine(source: string, version: KubernetesVersion, addonVersion: string): string {
  const block = /(export const podIdentityAgentVersions[^=]*= \{\n)([\s\S]*?)(\n\};)/.exec(source);
  if (!block) throw new Error("no podIdentityAgentVersions in versions.ts");
  const line = new RegExp(`^(\\s*)"${version.replace(".", "\\.")}": [^,\\n]+,$`, "m");
  if (!line.test(block[2])) throw new Error(`no podIdentityAgentVersions entry for ${version} in versions.ts`);
  const lines = block[2].replace(line, `$1"${version}": "${addonVersion}",`);
  return source.replace(block[0], `${block[1]}${lines}${block[3]}`);
}

function describe(addonName: string, clusterVersion: string): DescribeAddonVersions {
  const out = execFileSync("aws", ["eks", "describe-addon-versions", "--addon-name", addonName, "--kubernetes-version", clusterVersion, "--output", "json"], { encoding: "utf8" });
  return JSON.parse(out) as DescribeAddonVersions;
}

if (require.main === module) {
  const file = path.join(__dirname, "..", "versions.ts");
  let source = fs.readFileSync(file, "utf8");
  for (const version of Object.keys(kubernetesVersions) as KubernetesVersion[]) {
    const addons = Object.fromEntries(EKS_ADDONS.map((name) => [name, pickAddonVersion(describe(name, version), name, version)])) as Record<EksAddon, string>;
    source = rewriteAddonsLine(source, version, addons);
    // Installed only with Karpenter (components/aws/karpenter), pinned like the others.
    const agent = pickAddonVersion(describe("eks-pod-identity-agent", version), "eks-pod-identity-agent", version);
    source = rewritePodIdentityAgentLine(source, version, agent);
    process.stdout.write(`${version}: ${JSON.stringify({ ...addons, "eks-pod-identity-agent": agent })}\n`);
  }
  fs.writeFileSync(file, source);
}
