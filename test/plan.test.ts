import { spawnSync } from "child_process";
import { ConfigError } from "../config/load";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { EXIT, headBudgetProblem, planOutput } from "../scripts/plan";
import { parseArgs } from "../plan/options";
import { writeManifests } from "../plan/document";
import { PULUMI_RPC_SIGNATURES } from "../plan/rpcSignatures";
import { plan, stackSettings, withConfig } from "./harness";

const ROOT = path.join(__dirname, "..");

function runPlan(args: string[]) {
  const result = spawnSync(process.execPath, ["-r", "./scripts/register.js", "scripts/plan.ts", ...args], { cwd: ROOT, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The command's own main, in-process (a spawn costs a whole Node.js start): its exit status and what it prints. */
async function runMain(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const { main } = require("../scripts/plan") as typeof import("../scripts/plan");
  const written = { stdout: "", stderr: "" };
  const out = jest.spyOn(process.stdout, "write").mockImplementation((chunk: any) => ((written.stdout += String(chunk)), true));
  const err = jest.spyOn(process.stderr, "write").mockImplementation((chunk: any) => ((written.stderr += String(chunk)), true));
  try {
    return { status: await main(args), ...written };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe("npm run plan", () => {
  // One Node.js start for both (a spawn costs one): the command's main plans staging as JSON, then a closure is
  // serialized in the same process. scripts/register.js stands in for the SDK's TypeScript and npm's Arborist
  // (scripts/lazyModule.js): @pulumi/pulumi requires TypeScript through typescript-shim.js
  // (runtime/closure/parseFunction.js) and @npmcli/arborist (runtime/closure/codePaths.js) as it loads; the plan
  // never serializes a closure, so neither loads in a plan (Arborist's own index is the stand-in's file; pacote,
  // which it requires, marks the real one). The CLI's own wiring (exit status, stderr) is the bad config's spawn below.
  let planned: { status: number; stdout: string; before: unknown; after: unknown; serialized: boolean; codePaths: boolean };
  beforeAll(() => {
    const script = `
      const { main } = require("./scripts/plan");
      const loaded = () => ({ typescript: Object.keys(require.cache).some((file) => /[\\/]typescript[\\/]lib[\\/]typescript\\.js$/.test(file)), arborist: Object.keys(require.cache).some((file) => /[\\/]pacote[\\/]lib[\\/]index\\.js$/.test(file)) });
      let stdout = "";
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = (chunk) => ((stdout += String(chunk)), true);
      main(["--stack", "staging", "--json"]).then(async (status) => {
        process.stdout.write = write;
        const before = loaded();
        const pulumi = require("@pulumi/pulumi");
        const [f, paths] = await Promise.all([pulumi.runtime.serializeFunction(() => 42), pulumi.runtime.computeCodePaths()]);
        write(JSON.stringify({ status, stdout, before, after: loaded(), serialized: f.text.includes("42"), codePaths: paths instanceof Map }));
      });`;
    const result = spawnSync(process.execPath, ["-r", "./scripts/register.js", "-e", script], { cwd: ROOT, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`the probe failed: ${result.stderr}`);
    planned = JSON.parse(result.stdout);
  }, 60_000);

  it("prints the JSON plan of a stack and exits 0", () => {
    const { status, stdout } = planned;
    expect(status).toBe(0);
    const document = JSON.parse(stdout);
    expect(document).toMatchObject({ stack: "staging", project: "etl-platform" });
    expect(Object.keys(document.resources[0]).sort()).toEqual(["dependsOn", "inputs", "name", "parent", "protect", "type"]);
    expect(document.resources.find((r: any) => r.type === "eks:index:Cluster").inputs.name).toBe("etl-staging");
    // The VPC id only exists once AWS creates it: offline it is unknown, never made up.
    expect(document.resources.find((r: any) => r.type === "aws:ec2/subnet:Subnet").inputs.vpcId).toBe("[unknown]");
    // The cost estimate's documented shape (README, "What it costs").
    expect(Object.keys(document.cost)).toEqual(expect.arrayContaining(["currency", "region", "priceDate", "monthly", "spot", "lines"]));
    expect(Object.keys(document.cost.monthly)).toEqual(["atDeploy", "idleFloor", "ceiling", "batchExpected"]);
    expect(Object.keys(document.cost.spot)).toEqual(expect.arrayContaining(["savingsMonthly", "savingsShare", "breakEvenNodeHours25"]));
    expect(Object.keys(document.cost.lines[0])).toEqual(expect.arrayContaining(["component", "item", "quantity", "unit", "unitPrice", "monthly"]));
  });

  it("exits 5 over the stack's cost budget, after printing the plan and its estimate", async () => {
    // In-process on the cached run (the budget is read by the command, not the program); the spawns above cover the CLI's wiring.
    const settings = stackSettings("staging");
    const run = await plan("staging", settings, "plan");
    const options = { ...parseArgs(["--stack", "staging", "--date", "2026-11-25"]), cost: true };
    const within = planOutput(options, settings, run);
    expect(within).toMatchObject({ code: EXIT.ok, stderr: "" });
    expect(within.stdout).toContain("Monthly cost estimate (USD, eu-west-1, 730 h a month, on 2026-11-25");
    // The example stack's placeholders, listed after the estimate: preview and up refuse them (config/placeholders.ts).
    expect(within.stdout).toContain("\nBefore your first deploy (pulumi preview and up refuse these; the offline plan accepts them):\n  etl-platform:cluster.publicAccessCidrs[0]: replace \"203.0.113.0/24\"");
    expect(JSON.parse(planOutput({ ...options, json: true }, settings, run).stdout).beforeFirstDeploy).toContain('etl-platform:cluster.adminRoleArns[0]: replace "arn:aws:iam::111111111111:role/platform-admin": an example AWS account (111111111111), a placeholder of the example stacks');
    const over = planOutput(options, withConfig(settings, { costBudget: { monthlyIdleFloor: 100 } }), run);
    expect(over.code).toBe(EXIT.overBudget);
    expect(over.stdout).toBe(within.stdout);
    expect(over.stderr).toMatch(/^etl-platform:costBudget\.monthlyIdleFloor: the estimated idle floor of \$\d+\.\d\d a month is over the budget of \$100\.00/);
    // A region the snapshot cannot price is refused like a bad config, naming the key.
    expect(planOutput(options, withConfig(settings, { "aws:region": "ap-south-2" }), run)).toMatchObject({ code: EXIT.invalidConfig, stdout: "" });
    expect(planOutput({ ...options, cost: false }, withConfig(settings, { "aws:region": "ap-south-2" }), run).code).toBe(EXIT.ok);
    // --diff reads the head's budget the same way (scripts/plan.ts, diffExitCode).
    expect(headBudgetProblem(options, withConfig(settings, { costBudget: { monthlyIdleFloor: 100 } }), run)).toBe(over.stderr.trim());
    expect(headBudgetProblem(options, settings, run)).toBeUndefined();
    expect(headBudgetProblem({ ...options, cost: false }, withConfig(settings, { costBudget: { monthlyIdleFloor: 100 } }), run)).toBeUndefined();
  });

  it("defers the SDK's TypeScript and npm's Arborist until a closure is serialized, which then still works", () => {
    const { before, after, serialized, codePaths } = planned;
    expect({ before, after, serialized, codePaths }).toEqual({ before: { typescript: false, arborist: false }, after: { typescript: true, arborist: true }, serialized: true, codePaths: true });
  });

  it("reads plans with the engine's wire markers, which match the installed SDK's", () => {
    // plan/rpcSignatures.ts copies them so that reading a plan loads no SDK; the engine defines them
    // (sdk/go/common/resource/properties.go) and the Node.js SDK exports its copies from runtime/rpc.
    const rpc = require("@pulumi/pulumi/runtime/rpc") as Record<string, unknown>;
    for (const [name, value] of Object.entries(PULUMI_RPC_SIGNATURES)) expect([name, rpc[name]]).toEqual([name, value]);
  });

  it("documents one table of exit codes in README", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    for (const code of Object.values(EXIT)) expect(readme).toMatch(new RegExp(`^\\| ${code} \\|`, "m"));
    expect(Object.values(EXIT)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("exits 1 with only the key-naming problems on stderr for a bad config", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-"));
    const file = path.join(dir, "Pulumi.bad.yaml");
    fs.writeFileSync(file, [
      "config:",
      "  etl-platform:environment: prod",
      "  etl-platform:network:",
      "    cidr: 10.0.0.0/99",
      "  etl-platform:kafka:",
      "    brokers: 1",
    ].join("\n"));
    // A spawn: the program's ConfigError also surfaces as an unhandled rejection of Pulumi's runtime, which would
    // end a jest worker; the command's process handles it.
    const { status, stdout, stderr } = runPlan(["--config", file]);
    expect(status).toBe(1);
    expect(stdout).toBe("");
    const lines = stderr.trim().split("\n");
    expect(lines).toContain("etl-platform:network.cidr: expected an IPv4 CIDR such as 10.0.0.0/16, got \"10.0.0.0/99\"");
    expect(lines).toContain("etl-platform:kafka.brokers: expected at least 3 in prod (one per zone), got 1");
    for (const line of lines) expect(line).toMatch(/^etl-platform:\S+: /);
  });

  it("exits 1 on a stack file YAML cannot parse, one line per problem naming where, no stack trace", async () => {
    const dir = fs.mkdtempSync(path.join(require("os").tmpdir(), "badyaml-"));
    const file = path.join(dir, "Pulumi.x.yaml");
    fs.writeFileSync(file, "config:\n  etl-platform:environment: staging\n   etl-platform:target: aws\n");
    const { status, stdout, stderr } = await runMain(["--config", file]);
    expect({ status, stdout }).toEqual({ status: 1, stdout: "" });
    for (const line of stderr.trim().split("\n")) expect(line).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2:\\d+: `));
    expect(stderr).not.toMatch(/^\s+at /m);
    // A duplicate key and an unreadable file are config problems of the same kind (exit 1 through ConfigError).
    const { readStackFileOrExplain } = require("../scripts/plan") as typeof import("../scripts/plan");
    fs.writeFileSync(file, "config:\n  etl-platform:environment: staging\n  etl-platform:environment: prod\n");
    expect(() => readStackFileOrExplain(file)).toThrow(ConfigError);
    expect(() => readStackFileOrExplain(dir)).toThrow(`${dir}: cannot read the stack file (EISDIR)`);
  });

  it("exits 2 on a usage error", async () => {
    expect((await runMain(["--stack", "nosuchstack"])).status).toBe(2);
    // The argument checks themselves, in-process (each spawn costs a whole Node.js start).
    expect(() => parseArgs([])).toThrow("--stack is required");
    expect(() => parseArgs(["--stack", "staging", "--frobnicate"])).toThrow('unknown argument "--frobnicate"');
    expect(() => parseArgs(["--stack"])).toThrow("--stack needs a value");
    expect(() => parseArgs(["--stack", "staging", "--date", "25.11.2026"])).toThrow('--date expects YYYY-MM-DD, got "25.11.2026"');
    expect(parseArgs(["--stack", "staging", "--no-cost"]).cost).toBe(false);
  });

  it("writes Kubernetes objects and Helm values as YAML files with --out", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-out-"));
    expect(writeManifests(await plan("prod", stackSettings("prod"), "plan"), dir)).toBeGreaterThan(50);
    const files = fs.readdirSync(dir);
    expect(files).toContain("StorageClass-etl-cluster-gp3.yaml");
    expect(files).toContain("helm-values-etl-autoscaler.yaml");
    expect(fs.readFileSync(path.join(dir, "StorageClass-etl-cluster-gp3.yaml"), "utf8")).toContain("provisioner: ebs.csi.aws.com");
  });
});

describe("the plan's text", () => {
  it("counts resources in one line per component, the counts adding up to the total, the full types left to --json", async () => {
    const { summary } = require("../plan/document") as typeof import("../plan/document");
    const run = await plan("prod", stackSettings("prod"), "plan");
    const text = summary(run);
    const lines = text.split("\n");
    const start = lines.indexOf("Resources by component (full types: --json or --out):");
    const components = lines.slice(start + 1, lines.indexOf("", start));
    const sum = components.map((line) => Number(/^  \S.* \((\d+)\): /.exec(line)![1])).reduce((a, b) => a + b, 0);
    expect(sum).toBe(run.resources.length);
    expect(text).toContain(`${run.resources.length} resources declared`);
    // Types that share a short name in a component keep their full token.
    expect(components.find((line) => line.startsWith("  (layers)"))).toBe("  (layers) (3): 1 Infrastructure, 1 etl-platform:index:Platform, 1 etl-platform:platform:Platform");
    expect(lines.length).toBeLessThan(200);
  });
});

describe("the command's help", () => {
  it("explains a forgotten -- (npm took the option), and prints its usage for --help", async () => {
    const { forgottenDashes, main } = require("../scripts/plan") as typeof import("../scripts/plan");
    expect(forgottenDashes(["prod"], { npm_config_stack: "true" })).toBe("npm took --stack as its own option: put -- before the plan's options (npm run plan -- --stack <name>)");
    expect(forgottenDashes(["--stack", "prod"], { npm_config_stack: "true" })).toBeUndefined();
    expect(forgottenDashes([], {})).toBeUndefined();
    let printed = "";
    const out = jest.spyOn(process.stdout, "write").mockImplementation((chunk: any) => ((printed += String(chunk)), true));
    try {
      expect(await main(["--help"])).toBe(0);
    } finally {
      out.mockRestore();
    }
    expect(printed).toMatch(/^usage: npm run plan -- --stack <name>/);
  });
});

describe("--out", () => {
  it("removes the files a previous --out wrote before it writes, and nothing else in the folder", async () => {
    const { writeManifests, WRITTEN_LIST } = require("../plan/document") as typeof import("../plan/document");
    const run = await plan("local", stackSettings("local"), "plan");
    const dir = fs.mkdtempSync(path.join(require("os").tmpdir(), "plan-out-"));
    fs.writeFileSync(path.join(dir, "notes.txt"), "mine");
    fs.writeFileSync(path.join(dir, "ConfigMap-stale.yaml"), "from an older plan");
    fs.writeFileSync(path.join(dir, WRITTEN_LIST), "ConfigMap-stale.yaml\n../escape.yaml\n");
    const count = writeManifests(run, dir);
    expect(fs.existsSync(path.join(dir, "ConfigMap-stale.yaml"))).toBe(false);
    expect(fs.readFileSync(path.join(dir, "notes.txt"), "utf8")).toBe("mine");
    expect(fs.readdirSync(dir).filter((name) => name.endsWith(".yaml"))).toHaveLength(count);
    expect(fs.readFileSync(path.join(dir, WRITTEN_LIST), "utf8").trim().split("\n")).toHaveLength(count);
  });
});
