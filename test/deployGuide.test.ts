/**
 * The first-deploy guide (docs/deploying.md) stays true: its starting policy covers every AWS service the plans'
 * resource types touch, the quotas the plan prints are computed from the declared resources, and the README points
 * a new user to the guide first.
 */
import * as fs from "fs";
import * as path from "path";
import { quotaLines, quotaNeeds } from "../plan/quotas";
import { AWS_STACKS, plan } from "./harness";
import { karpenterStack } from "./karpenterStacks";

const ROOT = path.join(__dirname, "..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

/**
 * The IAM service prefix of a resource type's API calls: the Pulumi module, except CloudWatch's, whose log groups
 * are CloudWatch Logs (`logs:`) and whose event rules and targets are EventBridge (`events:`).
 */
function iamServices(type: string): string[] {
  if (type === "eks:index:Cluster") return ["eks", "iam", "ec2", "kms"];
  const [pkg, module] = [type.split(":")[0], type.split(":")[1].split("/")[0]];
  if (pkg !== "aws") return [];
  if (type.startsWith("aws:cloudwatch/logGroup")) return ["logs"];
  if (type.startsWith("aws:cloudwatch/event")) return ["events"];
  return [module];
}

describe("the deploying identity's starting policy", () => {
  const policy = JSON.parse(read("docs/deployer-policy.json"));
  const allowed: string[] = policy.Statement.flatMap((statement: { Action: string | string[] }) => [statement.Action].flat());

  it.each([...AWS_STACKS, "staging with Karpenter", "prod with Karpenter"])("allows every AWS service that %s's resource types call", async (name) => {
    const [stack, variant] = name.split(" with ") as ["staging" | "prod", string | undefined];
    const types = [...new Set((await plan(stack, variant ? karpenterStack(stack) : undefined)).all.map((resource) => resource.type))];
    const services = [...new Set(types.flatMap(iamServices))].sort();
    expect(services.filter((service) => !allowed.some((action) => action.startsWith(`${service}:`)))).toEqual([]);
    // And the guide's table names each of them.
    const guide = read("docs/deploying.md");
    for (const service of services) expect(guide).toContain(`(\`${service}\`)`);
  });

  it("passes roles only to the services that use them, and creates no IAM users or access keys", () => {
    const pass = policy.Statement.find((statement: { Action: unknown }) => statement.Action === "iam:PassRole");
    expect(pass.Condition.StringEquals["iam:PassedToService"]).toEqual(["eks.amazonaws.com", "ec2.amazonaws.com", "vpc-flow-logs.amazonaws.com", "pods.eks.amazonaws.com"]);
    expect(allowed.filter((action) => action.startsWith("iam:") && /\*|User|AccessKey/.test(action))).toEqual([]);
  });
});

describe("the quotas a stack needs", () => {
  const group = (name: string, capacityType: string | undefined, instanceTypes: string[], maxSize: number) =>
    ({ type: "aws:eks/nodeGroup:NodeGroup", name, inputs: { capacityType, instanceTypes, scalingConfig: { minSize: 0, desiredSize: 0, maxSize } } });

  it("counts VPCs and Elastic IPs, and vCPUs of each capacity type at maxSize × the largest type", () => {
    const resources = [
      { type: "aws:ec2/vpc:Vpc", name: "vpc", inputs: {} },
      ...[0, 1].map((i) => ({ type: "aws:ec2/eip:Eip", name: `eip-${i}`, inputs: {} })),
      ...[0, 1].map((i) => ({ type: "aws:ec2/natGateway:NatGateway", name: `nat-${i}`, inputs: {} })),
      group("system", "ON_DEMAND", ["m6i.large"], 3),
      // The EKS API's default capacity type is ON_DEMAND (CreateNodegroup, capacityType).
      group("stateful", undefined, ["r6i.xlarge"], 2),
      group("batch", "SPOT", ["m6i.large", "m6i.2xlarge"], 5),
    ];
    expect(quotaNeeds(resources).map(({ code, needed }) => [code, needed])).toEqual([
      ["L-F678F1CE", 1], ["L-0263D0A3", 2], ["L-FE5A380F", 1], ["L-1216C47A", 3 * 2 + 2 * 4], ["L-34B43A08", 5 * 8],
    ]);
    expect(quotaLines(quotaNeeds(resources)).slice(-2)).toEqual([
      "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests, vCPUs (ec2/L-34B43A08) ≥ 40: every spot group at maxSize × its largest type's vCPUs: batch 5×8",
      "  warning: a new account may have as few as 5 vCPUs: read the applied value (aws service-quotas get-service-quota --service-code ec2 --quota-code L-34B43A08) and the default (get-aws-default-service-quota, same options), and ask for an increase before the first deploy",
    ]);
    // At the documented default or below, no warning.
    expect(quotaNeeds([group("tiny", "SPOT", ["t3.large"], 2)])[0]).not.toHaveProperty("warning");
    expect(quotaNeeds([group("small", "SPOT", ["t3.large"], 3)])[0].warning).toMatch(/^a new account may have as few as 5 vCPUs/);
  });

  it("asks nothing of a plan without AWS resources, and refuses an instance type it cannot size", () => {
    expect(quotaNeeds([{ type: "kubernetes:core/v1:Namespace", name: "ns", inputs: {} }])).toEqual([]);
    expect(() => quotaNeeds([group("odd", "SPOT", ["x9.huge"], 1)])).toThrow("node group odd: no vCPU count known for instance type x9.huge (lib/instanceTypes.ts)");
  });
});

describe("the README", () => {
  it("sends a new user to the deploy guide before anything else about deploying", () => {
    const readme = read("README.md");
    const firstDeployLink = readme.indexOf("docs/deploying.md");
    expect(firstDeployLink).toBeGreaterThan(-1);
    expect(firstDeployLink).toBeLessThan(readme.indexOf("## Architecture"));
    expect(read("docs/deploying.md")).toMatch(/npm run refresh-addons[\s\S]*npm run check-pins[\s\S]*pulumi up/);
  });
});
