/** The cluster's Kubernetes version against the EKS support calendar (eksCalendar.ts). */
import type { PlatformConfig } from "./schema";
import { daysOfStandardSupportLeft, eksCalendar, supportPhase, SUPPORT_WARNING_DAYS } from "../eksCalendar";

/**
 * What EKS will do with the version on `on`: problems (what `pulumi up` would meet: EKS refuses a version past
 * extended support, and upgrades a STANDARD-policy cluster whose standard support has ended) and warnings
 * (standard support ends within 60 days, or the cluster pays for extended support).
 */
export function kubernetesVersionNotes(cluster: Pick<PlatformConfig["cluster"], "kubernetesVersion" | "upgradePolicy">, on: Date): { problems: string[]; warnings: string[] } {
  const version = cluster.kubernetesVersion;
  const window = eksCalendar[version];
  const phase = supportPhase(version, on);
  const problems: string[] = [];
  const warnings: string[] = [];
  if (phase === "ended") {
    problems.push(`expected a version EKS still supports, got ${version} (its extended support ended on ${window.endOfExtendedSupport})`);
  } else if (phase === "extended" && cluster.upgradePolicy === "STANDARD") {
    problems.push(`expected a version in standard support with upgradePolicy STANDARD (EKS upgrades such a cluster once standard support ends), got ${version}, whose standard support ended on ${window.endOfStandardSupport}: move to a newer version, or set upgradePolicy: EXTENDED ($0.60 instead of $0.10 per cluster-hour)`);
  } else if (phase === "extended") {
    warnings.push(`cluster.kubernetesVersion ${version} is in EKS extended support since ${window.endOfStandardSupport} ($0.60 instead of $0.10 per cluster-hour) until ${window.endOfExtendedSupport}: plan the upgrade`);
  } else {
    const daysLeft = daysOfStandardSupportLeft(version, on);
    if (daysLeft < SUPPORT_WARNING_DAYS) {
      const then = cluster.upgradePolicy === "STANDARD" ? "EKS then upgrades the cluster by itself" : "the cluster then costs $0.60 instead of $0.10 per cluster-hour";
      warnings.push(`cluster.kubernetesVersion ${version} leaves EKS standard support on ${window.endOfStandardSupport} (in ${daysLeft} days): ${then}`);
    }
  }
  return { problems, warnings };
}

