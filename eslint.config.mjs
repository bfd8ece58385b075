// Lint: typescript-eslint's recommended rules. `any` is allowed where the code reads untyped data
// (Kubernetes objects, policy inputs, the mock engine's wire format); everything else is typed.
// The layering (README, "Code layout") is a lint rule too: each folder may import only from the folders below it.
import tseslint from "typescript-eslint";

/** A relative import of any of `folders`, from whatever depth. */
const importsOf = (folders, message) => ({ regex: `^(\\.\\./)+(${folders.join("|")})(/|$)`, message });
const layer = (files, forbidden, extra = {}) => ({
  files,
  rules: { "no-restricted-imports": ["error", { patterns: [importsOf(forbidden, `${files.map((glob) => glob.replace("**/*.ts", "")).join(", ")} sits below ${forbidden.join(", ")}: imports run one way (README, "Code layout")`)], ...extra }] },
});
const ABOVE_COMPONENTS = ["index", "plan", "diff", "cost", "policy", "scripts"];

export default tseslint.config(
  { ignores: ["node_modules/**", "bin/**", "plan-out/**", "test/fixtures/**", ".stryker-tmp/**", "reports/**", "jest.config.js", "scripts/register.js"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-require-imports": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  // lib/: generic helpers that know no domain object.
  layer(["lib/**/*.ts"], ["config", "components", "versions", "eksCalendar", ...ABOVE_COMPONENTS]),
  // config/: the schema and its rules, read by the components, never reading them.
  layer(["config/**/*.ts"], ["components", ...ABOVE_COMPONENTS]),
  // The AWS layer builds the PlatformTarget the platform layer is given (components/platform/target.ts).
  layer(["components/aws/**/*.ts"], ABOVE_COMPONENTS),
  // The platform layer needs only Kubernetes: no AWS component, no AWS SDK.
  layer(["components/platform/**/*.ts"], ["aws", ...ABOVE_COMPONENTS], {
    paths: [
      { name: "@pulumi/aws", message: "components/platform needs only Kubernetes: AWS resources belong to components/aws, behind PlatformTarget" },
      { name: "@pulumi/eks", message: "components/platform needs only Kubernetes: AWS resources belong to components/aws, behind PlatformTarget" },
    ],
  }),
  // plan/: the offline engine the plan, the diff and the cost estimate share.
  layer(["plan/**/*.ts"], ["diff", "cost", "policy", "scripts"]),
  // The readers of a plan and the policy pack: never the commands.
  layer(["diff/**/*.ts", "cost/**/*.ts", "policy/**/*.ts"], ["scripts"]),
);
