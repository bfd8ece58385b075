/**
 * A first deploy is as short as the dependencies allow: no Helm release waits for another unless it needs that
 * release's running webhook or controller. Each allowed wait is listed with the reason.
 */
import { plan, STACK_NAMES, type Plan } from "./harness";

const RELEASE = "kubernetes:helm.sh/v3:Release";

/** release → the releases it may wait for, and why. */
const NEEDED: Record<string, Record<string, string>> = {
  "plugin-barman-cloud": {
    // Its chart creates a cert-manager Issuer and Certificates (the plugin's mTLS with the operator), which
    // cert-manager's running webhook admits.
    "cert-manager": "cert-manager's webhook admits the plugin's Issuer and Certificates",
    // Its controller watches CloudNativePG's Clusters and Backups: their CRDs are templates of the cloudnative-pg chart.
    "cloudnative-pg": "the postgresql.cnpg.io CRDs its controller watches come with the cloudnative-pg release",
  },
  // With `argo.archive`, the workflow archive's database is a Postgres the running CloudNativePG operator creates.
  "argo-workflows": { "cloudnative-pg": "the archive's database is created by the running CloudNativePG operator" },
};

/** The releases a resource waits for, following dependsOn through everything that is not a release. */
function releasesAwaited(result: Plan, urn: string): Set<string> {
  const byUrn = new Map(result.all.map((resource) => [resource.urn, resource]));
  const children = new Map<string, string[]>();
  for (const resource of result.all) if (resource.parent) children.set(resource.parent, [...(children.get(resource.parent) ?? []), resource.urn]);
  const found = new Set<string>();
  const seen = new Set<string>();
  const visit = (current: string) => {
    if (seen.has(current)) return;
    seen.add(current);
    const resource = byUrn.get(current);
    if (!resource) return;
    if (current !== urn && resource.type === RELEASE) {
      found.add(resource.inputs.chart);
      return;
    }
    // Waiting for a component waits for all its children (the engine expands it).
    if (!resource.custom && current !== urn) for (const child of children.get(current) ?? []) visit(child);
    for (const dependency of resource.dependsOn) visit(dependency);
  };
  visit(urn);
  return found;
}

describe.each(STACK_NAMES)("Helm release order of %s", (stack) => {
  it("waits for another release only where its running webhook or controller is needed", async () => {
    const result = await plan(stack);
    const waits: Record<string, string[]> = Object.fromEntries(result.ofType(RELEASE).map((release) => [release.inputs.chart as string, [...releasesAwaited(result, release.urn)].sort()]));
    for (const [chart, awaited] of Object.entries(waits)) {
      const allowed = NEEDED[chart] ?? {};
      expect({ chart, unexpected: awaited.filter((other) => !(other in allowed)) }).toEqual({ chart, unexpected: [] });
    }
    // The operators install side by side with the monitoring stack: they need its CRDs, not its release.
    for (const chart of ["cloudnative-pg", "argo-workflows", "strimzi-kafka-operator"]) expect(waits[chart] ?? []).not.toContain("kube-prometheus-stack");
  });
});
