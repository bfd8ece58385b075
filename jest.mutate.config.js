// The tests Stryker runs for `npm run mutate` (stryker.config.mjs), by the set of files being mutated:
//   npm run mutate -- diff/planDiff.ts                          # the diff's tests (default)
//   MUTATE_SET=config npm run mutate -- config/rules.ts         # the config rules' tests
//   MUTATE_SET=cron npm run mutate -- lib/cron.ts               # cron's tests
//   MUTATE_SET=cost npm run mutate -- cost/estimate.ts          # the cost estimate's tests
//   MUTATE_SET=karpenter npm run mutate -- config/karpenter.ts  # Karpenter's tests (config, components, cost, policy)
//   MUTATE_SET=graviton npm run mutate -- cost/graviton.ts      # Graviton's tests (instance types, config, cost)
const base = require("./jest.config");

const SETS = {
  diff: ["diff.test.ts", "diffRisk.test.ts", "planDiffCases.test.ts"],
  config: ["configRules.test.ts", "configMistakes.test.ts", "config.test.ts"],
  cron: ["lib.test.ts", "configRules.test.ts"],
  cost: ["cost.test.ts", "costLines.test.ts", "costVolumes.test.ts", "costParts.test.ts", "costReport.test.ts", "priceFeeds.test.ts", "spotPrices.test.ts", "graviton.test.ts"],
  karpenter: ["karpenter.test.ts", "karpenterCases.test.ts", "policy.test.ts", "graviton.test.ts"],
  graviton: ["graviton.test.ts", "configRules.test.ts", "lib.test.ts"],
};
const set = SETS[process.env.MUTATE_SET ?? "diff"];
if (!set) throw new Error(`MUTATE_SET: expected one of ${Object.keys(SETS).join(", ")}, got ${process.env.MUTATE_SET}`);

module.exports = { ...base, roots: ["<rootDir>/test"], testMatch: set.map((file) => `**/${file}`) };
