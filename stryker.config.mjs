// Mutation testing of a file against the tests that exercise it: `npm run mutate -- <file>` (not in CI: minutes
// per file). Stryker changes the code (a condition, a comparison, a string) and counts the mutants the tests kill.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "jest",
  jest: { configFile: "jest.mutate.config.js", enableFindRelatedTests: false },
  coverageAnalysis: "perTest",
  reporters: ["clear-text", "progress"],
  concurrency: 2,
  timeoutMS: 60000,
  // The plan cache is keyed by the program's sources, so each mutant of a component would plan again: keep it out.
  ignorePatterns: ["node_modules/.cache", ".git", "reports", ".stryker-tmp"],
  tempDirName: ".stryker-tmp",
};
