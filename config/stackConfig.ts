/**
 * Reads this stack's config from the Pulumi runtime (what `pulumi up` or the offline plan set) and validates it
 * with config/load.ts: the only place the program reads config.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, configKey, NAMESPACE, parsePlatformConfig, rawPlatformConfig } from "./load";
import type { PlatformConfig } from "./schema";
import { kubernetesVersionNotes } from "./kubernetesVersion";
import { karpenterWarnings } from "./karpenter";
import { awsRegionProblem, namespaceProblems } from "./namespaces";
import { placeholders } from "./placeholders";
import { isOfflineRun } from "../lib/pinnedFiles";

const SECRETS_KEY = "secrets";
/** What the schema sees in place of each secret value: it checks names, and never holds a secret. */
const REDACTED = "[secret]";

// Whether a key was set with --secret. Pulumi exports this from its runtime but leaves it out of the typings.
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret: (key: string) => boolean };

export interface StackConfig {
  config: PlatformConfig;
  /** What is valid but needs attention soon (a Kubernetes version leaving standard support). */
  warnings: string[];
  /** `kubernetes:kubeconfig` and `kubernetes:context`: the cluster of target: kubernetes. */
  kubernetes: { kubeconfig?: string; context?: string };
  /** The `etl-platform:secrets` values, as one Pulumi secret. */
  secrets: pulumi.Output<Record<string, string>>;
}

/** Reads and validates this stack's config. The only place the program reads config. */
export function readStackConfig(): StackConfig {
  const all = pulumi.runtime.allConfig();
  const raw = rawPlatformConfig(all);
  const secretValues = raw[SECRETS_KEY];
  const problems: string[] = [...namespaceProblems(Object.keys(all))];
  const region = all["aws:region"];
  const regionProblem = region === undefined ? undefined : awsRegionProblem(region);
  if (regionProblem) problems.push(`aws:region: ${regionProblem}`);
  if (secretValues !== undefined) {
    if (!isConfigSecret(`${NAMESPACE}:${SECRETS_KEY}`)) {
      problems.push(`${configKey([SECRETS_KEY])}: expected values set with pulumi config set --secret, got plain text (rotate them: they are in the stack file)`);
    }
    if (typeof secretValues === "object" && secretValues !== null && !Array.isArray(secretValues)) {
      raw[SECRETS_KEY] = Object.fromEntries(Object.keys(secretValues).map((name) => [name, REDACTED]));
    }
  }
  let config: PlatformConfig | undefined;
  try {
    config = parsePlatformConfig(raw);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  // Under the real engine (not the offline plan, which lists them instead), the example stacks' placeholders stop
  // the run before anything reaches AWS (config/placeholders.ts).
  if (config && !isOfflineRun()) problems.push(...placeholders(config).map(({ path, message }) => `${configKey(path)}: ${message}`));
  if (problems.length > 0 || !config) throw new ConfigError(problems);
  const secrets = new pulumi.Config(NAMESPACE).getSecretObject<Record<string, string>>(SECRETS_KEY) ?? pulumi.secret<Record<string, string>>({});
  const warnings = config.target === "aws" ? [...kubernetesVersionNotes(config.cluster, new Date()).warnings, ...karpenterWarnings(config)].map((warning) => `${NAMESPACE}:${warning}`) : [];
  // Standard Pulumi Kubernetes config, for target: kubernetes (the default provider would read the same keys).
  const kubernetes = { kubeconfig: all["kubernetes:kubeconfig"], context: all["kubernetes:context"] };
  return { config, secrets, warnings, kubernetes };
}
