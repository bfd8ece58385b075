/**
 * Prints the manifest of a Postgres cluster restored from the production backups: the same builder the scheduled
 * restore drill uses (components/platform/restore.ts), for the manual restore of README.md.
 *
 *   npm run restore-manifest -- --stack prod [--name etl-restore] [--namespace postgres] [--target-time "2026-11-24 05:00:00+00"]
 */
import * as path from "path";
import { parsePlatformConfig } from "../config/load";
import { restoreManifestYaml } from "../components/platform/restore";
import { readStackFile } from "../plan/offline";

function option(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const stack = option(argv, "stack") ?? "prod";
  const { config: settings } = readStackFile(path.join(__dirname, "..", "stacks", `Pulumi.${stack}.yaml`));
  const raw = Object.fromEntries(Object.entries(settings).filter(([key]) => key.startsWith("etl-platform:")).map(([key, value]) => {
    try {
      return [key.slice("etl-platform:".length), JSON.parse(value)];
    } catch {
      return [key.slice("etl-platform:".length), value];
    }
  }));
  const config = parsePlatformConfig(raw);
  const storageClassName = config.target === "kubernetes" ? config.kubernetesTarget?.storageClassName ?? "standard" : "gp3";
  process.stdout.write(restoreManifestYaml({
    name: option(argv, "name") ?? "etl-restore",
    namespace: option(argv, "namespace") ?? config.postgres.namespace,
    config: config.postgres,
    storageClassName,
    targetTime: option(argv, "target-time"),
  }));
}
