/**
 * The cross-field rules (config/rules.ts), one rule per case with the exact problems it reports: each rule alone
 * (not beside another on the same key), and each boundary from both sides (3 zones and 2, a /20 and a /21, an RTO
 * equal to its deadline and a minute below, replicas equal to min ISR and one above). The table is in
 * test/configRuleCases.ts.
 */
import { CASES } from "./configRuleCases";
import { configProblems } from "./harness";

describe("each cross-field rule on its own", () => {
  it.each(CASES)("%s", (_what, config, problems) => {
    expect(configProblems(config)).toEqual(problems);
  });

  it("covers each rule family of the reference, accepting and refusing", () => {
    const refused = CASES.filter(([, , problems]) => problems.length > 0).map(([, , problems]) => problems[0].split(":")[1].split(/[.[]/)[0]);
    expect(new Set(refused)).toEqual(new Set(["network", "cluster", "nodePools", "kafka", "postgres", "kubernetesTarget", "argo", "monitoring", "pipelines"]));
    expect(CASES.filter(([, , problems]) => problems.length === 0).length).toBeGreaterThanOrEqual(15);
  });
});
