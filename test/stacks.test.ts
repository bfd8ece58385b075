import { planDocument } from "../plan/document";
import { SECRET_PLACEHOLDER, type StackSettings } from "../plan/stackFile";
import { AWS_STACKS, plan, STACK_NAMES, type Plan, SECRET_VALUES } from "./harness";
import { variants, WARM_PLANS } from "./variants";
import * as fs from "fs";
import * as path from "path";
import { STACKS_DIR } from "./harness";

const WITH_SECRETS: Record<string, () => StackSettings> = { staging: variants.stagingWithSecrets, prod: variants.prodWithSecrets, local: variants.localWithSecrets };

describe.each(STACK_NAMES)("stack %s", (stack) => {
  let result: Plan;
  beforeAll(async () => {
    result = await plan(stack);
  });

  it("plans, declaring the platform component and its parts", async () => {
    const types = new Set(result.all.map((r) => r.type));
    const aws = AWS_STACKS.includes(stack);
    for (const type of ["etl-platform:index:Platform", "etl-platform:platform:Platform", ...(aws ? ["etl-platform:aws:Infrastructure", "etl-platform:network:Network", "etl-platform:compute:Cluster", "eks:index:Cluster", "aws:eks/nodeGroup:NodeGroup"] : [])]) {
      expect(types).toContain(type);
    }
    expect(result.outputs.target).toBe(aws ? "aws" : "kubernetes");
    if (aws) expect(result.outputs.environment).toBe(stack);
  });

  it("declares no two resources with the same type and name", async () => {
    const keys = result.all.map((r) => `${r.type}::${r.name}`);
    const duplicates = keys.filter((key, i) => keys.indexOf(key) !== i);
    expect(duplicates).toEqual([]);
  });

  it("parents every resource under the Platform component", async () => {
    const platform = result.one("etl-platform:index:Platform", "etl");
    const byUrn = new Map(result.all.map((r) => [r.urn, r]));
    const underPlatform = (r: (typeof result.all)[number]): boolean => {
      const parent = r.parent ? byUrn.get(r.parent) : undefined;
      return parent === platform || (parent !== undefined && underPlatform(parent));
    };
    const orphans = result.all.filter((r) => r !== platform && !underPlatform(r));
    expect(orphans.map((r) => `${r.type}::${r.name}`)).toEqual([]);
  });

  it("keeps secret values out of the plan's JSON", async () => {
    const offline = await plan(stack, WITH_SECRETS[stack](), "plan");
    const json = JSON.stringify(planDocument(offline));
    for (const secretValue of Object.values(SECRET_VALUES)) expect(json).not.toContain(secretValue);
    expect(json).not.toContain(SECRET_PLACEHOLDER);
    // The kubeconfig holds cluster credentials (an exec plugin today); it must stay a secret output.
    if (AWS_STACKS.includes(stack)) {
      const kubeconfig = offline.rawOutputs.kubeconfig as Record<string, unknown> | string;
      expect(typeof kubeconfig === "object" || kubeconfig === "04da6b54-80e4-46f7-96ec-b56ff0331ba9").toBe(true);
    }
  });
});

it("has a stack file for every stack the tests cover, and no other", () => {
  const files = fs.readdirSync(STACKS_DIR).filter((f) => /^Pulumi\..+\.yaml$/.test(f)).map((f) => f.replace(/^Pulumi\.|\.yaml$/g, ""));
  expect(files.sort()).toEqual([...STACK_NAMES].sort());
});

it("warms only variants a test file plans, each variant once per mode (test/warmPlans.js)", () => {
  // A variant no test asks for any more would only cost the warm-up its plan.
  const testFiles = fs.readdirSync(__dirname).filter((name) => name.endsWith(".test.ts")).map((name) => fs.readFileSync(path.join(__dirname, name), "utf8"));
  const unused = Object.keys(variants).filter((name) => !testFiles.some((text) => new RegExp(`\\b${name}\\b`).test(text)));
  expect(unused).toEqual([]);
  expect(new Set(WARM_PLANS.map((entry) => entry.join(" "))).size).toBe(WARM_PLANS.length);
  expect(new Set(WARM_PLANS.map(([, variant]) => variant))).toEqual(new Set(Object.keys(variants)));
});
