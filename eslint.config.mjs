// Lint: typescript-eslint's recommended rules. `any` is allowed where the code reads untyped data
// (Kubernetes objects, policy inputs, the mock engine's wire format); everything else is typed.
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/**", "bin/**", "plan-out/**", "test/fixtures/**", "jest.config.js", "scripts/register.js"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-require-imports": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
);
