/**
 * Prints the manifest of a Postgres cluster restored from the production backups: the same builder the scheduled
 * restore drill uses (components/platform/restore.ts), for the manual restore of README.md. It is ready to apply:
 * on AWS it runs on the stateful pool, as production does, under the restore's own read-only backup role (the
 * stack output `postgresRestoreRoleArn`, read with the Pulumi CLI, or `--role-arn`).
 *
 *   npm run restore-manifest -- --stack prod [--name etl-restore] [--namespace postgres] [--target-time "2026-11-24 05:00:00+00"] [--role-arn <arn>]
 */
import { execFileSync } from "child_process";
import * as path from "path";
import { ConfigError } from "../config/load";
import type { PlatformConfig } from "../config/schema";
import { restoreManifestYaml, type RestoreArgs } from "../components/platform/restore";
import { statefulPlacement } from "../lib/placement";
import { readStackPlatformConfig } from "../plan/stackFile";

function option(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

export interface RestoreOptions {
  name?: string;
  namespace?: string;
  targetTime?: string;
  /** On AWS: the restore role's ARN (required there). */
  roleArn?: string;
}

/** The restored cluster's arguments for a stack's config: its storage class, placement and backup identity. */
export function restoreArgs(config: PlatformConfig, options: RestoreOptions): RestoreArgs {
  const aws = config.target === "aws";
  if (aws && !options.roleArn) throw new ConfigError(["--role-arn: expected the restore role's ARN (pulumi stack output postgresRestoreRoleArn), got nothing"]);
  return {
    name: options.name ?? "etl-restore",
    namespace: options.namespace ?? config.postgres.namespace,
    config: config.postgres,
    storageClassName: aws ? "gp3" : config.kubernetesTarget?.storageClassName ?? "standard",
    targetTime: options.targetTime,
    // On EKS the stateful pool, as production's instances (a zone of its own is the operator's choice); elsewhere
    // the nodes are not ours to select.
    ...(aws ? { placement: statefulPlacement, serviceAccountAnnotations: { "eks.amazonaws.com/role-arn": options.roleArn! } } : {}),
  };
}

/** The restore role from the stack's outputs (the Pulumi CLI, logged in to the stack's backend). */
function roleArnOf(stack: string): string | undefined {
  try {
    return execFileSync("pulumi", ["stack", "output", "postgresRestoreRoleArn", "--stack", stack], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const stack = option(argv, "stack") ?? "prod";
  try {
    const config = readStackPlatformConfig(path.join(__dirname, "..", "stacks", `Pulumi.${stack}.yaml`));
    const roleArn = option(argv, "role-arn") ?? (config.target === "aws" ? roleArnOf(stack) : undefined);
    process.stdout.write(restoreManifestYaml(restoreArgs(config, { name: option(argv, "name"), namespace: option(argv, "namespace"), targetTime: option(argv, "target-time"), roleArn })));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.problems.join("\n")}\n`);
    process.exit(2);
  }
}
