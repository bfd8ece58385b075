/** The program's declared resources as the policy pack sees them, and a rule's violations among them. */
import type { Resource, Rule } from "../policy/rule";
import { present } from "../plan/present";
import type { Plan } from "./harness";

/** The program's resources as a policy sees them: inputs with secrets hidden, property dependencies resolved. */
export function asPolicyResources(result: Plan): Resource[] {
  const resources = result.all.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: present(r.rawInputs) as Record<string, any> }));
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  result.all.forEach((declared, i) => {
    (resources[i] as Resource).propertyDependencies = Object.fromEntries(
      Object.entries(declared.propertyDependencies).map(([key, urns]) => [key, urns.map((urn) => byUrn.get(urn)).filter((r): r is Resource => r !== undefined)]),
    );
  });
  return resources;
}

export function violations(rule: Rule, resources: Resource[]): string[] {
  if (rule.stack) return rule.stack(resources).map((v) => `${v.resource?.name ?? "stack"}: ${v.message}`);
  return resources.flatMap((resource) => rule.resource!(resource).map((message) => `${resource.name}: ${message}`));
}
