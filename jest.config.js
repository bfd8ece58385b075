/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  // Rule tests stand next to the rules they test (components/**/*.rules.test.ts).
  roots: ["<rootDir>/test", "<rootDir>/components"],
  testMatch: ["**/*.test.ts"],
  // Type checking is `npm run typecheck`; the tests only transpile (sucrase, as the plan does).
  transform: { "^.+\\.ts$": "<rootDir>/test/transform.js" },
  testTimeout: 60000,
  globalSetup: "<rootDir>/test/warmPlans.js",
  // Every core: jest's default leaves one idle, which on a 2-core runner is half the machine.
  maxWorkers: "100%",
  // @pulumi/pulumi loads these two as it loads, for closure serialization only: each test file would compile
  // them again (scripts/lazyModule.js).
  moduleNameMapper: { "^typescript$": "<rootDir>/test/lazyModules/typescript.js", "^@npmcli/arborist$": "<rootDir>/test/lazyModules/arborist.js" },
};
