/**
 * The EKS release calendar of the Kubernetes versions in versions.ts: when each version's standard support
 * (14 months, $0.10 per cluster-hour) and extended support (12 more months, $0.60 per cluster-hour) end.
 * Source: https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html (release calendar), as of
 * 2026-11-25. Add a version here when it is added to versions.ts; a test keeps the two tables in step.
 */
import type { KubernetesVersion } from "./versions";

export interface SupportWindow {
  /** First day the version is available on EKS. */
  released: string;
  /** Last day of standard support; the day after, the cluster is in extended support (or auto-upgraded). */
  endOfStandardSupport: string;
  /** Last day of extended support; after it EKS upgrades the cluster whatever its upgrade policy. */
  endOfExtendedSupport: string;
}

export const eksCalendar: Record<KubernetesVersion, SupportWindow> = {
  "1.32": { released: "2025-01-25", endOfStandardSupport: "2026-03-23", endOfExtendedSupport: "2027-03-23" },
  "1.33": { released: "2025-05-28", endOfStandardSupport: "2026-07-29", endOfExtendedSupport: "2027-07-29" },
  "1.34": { released: "2025-10-06", endOfStandardSupport: "2026-12-02", endOfExtendedSupport: "2027-12-02" },
  "1.35": { released: "2026-01-28", endOfStandardSupport: "2027-03-27", endOfExtendedSupport: "2028-03-27" },
};

/** How long before the end of standard support the plan starts warning. */
export const SUPPORT_WARNING_DAYS = 60;

export type SupportPhase = "standard" | "extended" | "ended";

const DAY_MS = 24 * 3600 * 1000;
/** The end of a calendar day (UTC) given as YYYY-MM-DD. */
const endOfDay = (date: string) => Date.parse(`${date}T00:00:00Z`) + DAY_MS;

/** Where a version stands on a date. */
export function supportPhase(version: KubernetesVersion, on: Date): SupportPhase {
  const window = eksCalendar[version];
  if (on.getTime() < endOfDay(window.endOfStandardSupport)) return "standard";
  if (on.getTime() < endOfDay(window.endOfExtendedSupport)) return "extended";
  return "ended";
}

/** Whole days from `on` until standard support of the version ends (0 on its last day, negative after). */
export function daysOfStandardSupportLeft(version: KubernetesVersion, on: Date): number {
  return Math.ceil((endOfDay(eksCalendar[version].endOfStandardSupport) - on.getTime()) / DAY_MS) - 1;
}
