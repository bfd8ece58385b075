import { computeRules } from "./computeRules";
import { dataRules } from "./dataRules";
import { karpenterRules } from "./karpenterRules";
import type { Level, Rule } from "./rule";
import { streamingRules } from "./streamingRules";
import { workloadRules } from "./workloadRules";

export const rules: Rule[] = [...computeRules, ...karpenterRules, ...workloadRules, ...streamingRules, ...dataRules];

export type Environment = "staging" | "prod";

/** The policy config (`--policy-pack-config`) for an environment: each rule's enforcement level there. */
export function policyConfig(environment: Environment): Record<string, Level> {
  return Object.fromEntries(rules.map((rule) => [rule.name, rule.level[environment]]));
}
