/**
 * Kubernetes APIs removed or deprecated by version, for the objects the plan declares.
 * Source: https://kubernetes.io/docs/reference/using-api/deprecation-guide/ (as of 2026-11-25), versions the
 * platform can run (versions.ts) and the ones just before them.
 */

/** `group/version` (core is `v1`) and kind, or `*` for every kind of that group/version. */
interface ApiChange {
  apiVersion: string;
  kind: string;
  use: string;
}

export const REMOVED_IN: Record<string, ApiChange[]> = {
  "1.29": [{ apiVersion: "flowcontrol.apiserver.k8s.io/v1beta2", kind: "*", use: "flowcontrol.apiserver.k8s.io/v1" }],
  "1.32": [{ apiVersion: "flowcontrol.apiserver.k8s.io/v1beta3", kind: "*", use: "flowcontrol.apiserver.k8s.io/v1" }],
};

export const DEPRECATED_IN: Record<string, ApiChange[]> = {
  "1.33": [{ apiVersion: "v1", kind: "Endpoints", use: "discovery.k8s.io/v1 EndpointSlice" }],
};

/** The apiVersion and kind of a Pulumi Kubernetes type, e.g. kubernetes:batch/v1:CronJob -> batch/v1, CronJob. */
export function apiOf(type: string): { apiVersion: string; kind: string } | undefined {
  const match = /^kubernetes:([^:]+):([A-Za-z]+)$/.exec(type);
  if (!match || match[1].startsWith("helm.sh") || match[1].startsWith("yaml")) return undefined;
  return { apiVersion: match[1].replace(/^core\//, ""), kind: match[2] };
}

/** Declared objects whose API is removed or deprecated in a version after `from`, up to `to`. */
export function apiFindings(types: { type: string; name: string }[], from: number, to: number): string[] {
  const findings: string[] = [];
  for (let minor = from + 1; minor <= to; minor++) {
    for (const [table, verb] of [[REMOVED_IN, "removed"], [DEPRECATED_IN, "deprecated"]] as const) {
      for (const change of table[`1.${minor}`] ?? []) {
        for (const { type, name } of types) {
          const api = apiOf(type);
          if (api?.apiVersion === change.apiVersion && (change.kind === "*" || change.kind === api.kind)) findings.push(`${name} (${api.apiVersion} ${api.kind}) is ${verb} in 1.${minor}: use ${change.use}`);
        }
      }
    }
  }
  return findings;
}
