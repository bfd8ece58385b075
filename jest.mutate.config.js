// The tests Stryker runs for `npm run mutate` (stryker.config.mjs): the diff's, which the diff's files are scored against.
const base = require("./jest.config");

module.exports = { ...base, roots: ["<rootDir>/test"], testMatch: ["**/diff.test.ts", "**/diffRisk.test.ts", "**/planDiffCases.test.ts"] };
