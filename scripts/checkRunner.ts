/**
 * Stops a job that would talk to a cluster's API from a GitHub-hosted runner the endpoint does not admit: such a job
 * otherwise waits on the unreachable API until its timeout (an hour and a half for a deploy). Run only when no
 * runner of our own is configured (the workflow's `if`); README.md, "CI runners that reach the cluster".
 *
 *   npm run -s check-runner -- --stack staging --variable CLUSTER_RUNNER
 */
import * as path from "path";
import { ConfigError } from "../config/load";
import type { PlatformConfig } from "../config/schema";
import { readStackPlatformConfig } from "../plan/stackFile";

const ANYWHERE = "0.0.0.0/0";

/** Why a GitHub-hosted runner (from any address) cannot reach this stack's cluster API, or undefined when it can. */
export function hostedRunnerProblem(stack: string, config: PlatformConfig, variable: string): string | undefined {
  if (config.target !== "aws") return undefined;
  const cidrs = config.cluster.publicAccessCidrs;
  if (cidrs.includes(ANYWHERE)) return undefined;
  const admits = cidrs.length === 0 ? "no public address (private endpoint only)" : `only ${cidrs.join(", ")}`;
  return `stack ${stack}: its cluster's API endpoint admits ${admits} (etl-platform:cluster.publicAccessCidrs), so a GitHub-hosted runner cannot reach it; set the repository variable ${variable} or ${variable}_CODEBUILD_PROJECT to a runner that can (README.md, "CI runners that reach the cluster")`;
}

function option(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const stack = option(argv, "stack");
  const variable = option(argv, "variable") ?? "CLUSTER_RUNNER";
  if (!stack) {
    process.stderr.write("usage: check-runner --stack <stack> [--variable CLUSTER_RUNNER]\n");
    process.exit(2);
  }
  try {
    const problem = hostedRunnerProblem(stack, readStackPlatformConfig(path.join(__dirname, "..", "stacks", `Pulumi.${stack}.yaml`)), variable);
    if (problem) {
      // A GitHub Actions error annotation, shown on the run's summary.
      process.stdout.write(`::error title=No runner reaches the cluster::${problem}\n`);
      process.exit(1);
    }
    process.stdout.write(`stack ${stack}: its cluster's API endpoint is public; a GitHub-hosted runner reaches it\n`);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.problems.join("\n")}\n`);
    process.exit(1);
  }
}
