/**
 * Reads the `etl-platform:` stack config, merges the environment's defaults and validates it with the zod
 * schema, so that a bad config stops with every problem at once, one line each, before any resource exists.
 */
import type { z } from "zod";
import { BATCH_ONLY_KEYS, platformConfigSchema, STREAMING_ONLY_KEYS, type PlatformConfig } from "./schema";
import { environmentDefaults, mergeDefaults } from "./defaults";
import { crossFieldProblems } from "./rules";
import { targetProblems } from "./target";
import { engineKeyProblems } from "./karpenter";
import { knownKeysAt, nearest } from "./suggest";

export const NAMESPACE = "etl-platform";

/**
 * Thrown for an invalid stack config; `problems` holds one line per problem. Pulumi's language host prints a
 * `RunError` without a stack trace, and recognises one by its `__pulumiRunError` field, not by its class, so that
 * it works across copies of the SDK (sdk/nodejs/errors.ts, `RunError.isInstance`): the field is enough, and this
 * module does not load the SDK (test/config.test.ts checks it against the installed one).
 */
export class ConfigError extends Error {
  readonly __pulumiRunError = true;

  constructor(public readonly problems: string[]) {
    super(`invalid stack config:\n${problems.join("\n")}`);
    this.name = "ConfigError";
  }
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** `["pipelines", 2, "schedule"]` -> `etl-platform:pipelines[2].schedule` */
export function configKey(path: readonly PropertyKey[]): string {
  // A key that is not a plain word (a space, a dot, nothing) is quoted, so the path stays readable.
  const segment = (part: PropertyKey, i: number) => {
    if (typeof part === "number") return `[${part}]`;
    const text = String(part);
    if (!/^[A-Za-z0-9_$@-]+$/.test(text)) return `[${JSON.stringify(text)}]`;
    return `${i === 0 ? "" : "."}${text}`;
  };
  const key = path.map(segment).join("");
  return `${NAMESPACE}:${key}`;
}

/** A pipeline key that only the other mode takes: the key is right, the mode is not. */
function modeOnlyKey(path: readonly PropertyKey[], key: string): string | undefined {
  if (path.length !== 2 || path[0] !== "pipelines") return undefined;
  if (BATCH_ONLY_KEYS.includes(key)) return `expected no ${key} on a streaming pipeline (mode: streaming runs continuously, scaled on its Kafka lag; ${key} is for batch pipelines)`;
  if (STREAMING_ONLY_KEYS.includes(key)) return `expected no ${key} on a batch pipeline (${key} is for mode: streaming)`;
  return undefined;
}

function issueLines(issue: z.core.$ZodIssue): string[] {
  const got = `got ${describe(issue.input)}`;
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => {
        const meant = nearest(key, knownKeysAt(platformConfigSchema, issue.path));
        return `${configKey([...issue.path, key])}: ${modeOnlyKey(issue.path, key) ?? `unknown key (${meant ? `did you mean ${meant}?` : "check its spelling against docs/config.md"})`}`;
      });
    case "invalid_union":
      if ("discriminator" in issue && issue.discriminator === "mode") {
        const input = issue.input as Record<string, unknown> | undefined;
        return [`${configKey(issue.path)}: expected "batch" (the default) or "streaming", got ${describe(input && typeof input === "object" ? input.mode : input)}`];
      }
      return [`${configKey(issue.path)}: ${issue.message}, ${got}`];
    case "invalid_type":
      // A schema's own message (e.g. a quantity written as a number) says more than the generic one.
      if (issue.input !== undefined && !issue.message.startsWith("Invalid input")) return [`${configKey(issue.path)}: ${issue.message}`];
      return [`${configKey(issue.path)}: ${issue.input === undefined ? `expected a value (${issue.expected}), got nothing: the key is required` : `expected ${issue.expected}, ${got}`}`];
    case "invalid_value":
      return [`${configKey(issue.path)}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, ${got}`];
    case "too_small":
    case "too_big": {
      const bound = issue.code === "too_small" ? `at least ${issue.minimum}` : `at most ${issue.maximum}`;
      const what = issue.origin === "array" ? `${bound} items` : issue.origin === "string" ? `${bound} characters` : bound;
      return [`${configKey(issue.path)}: expected ${what}, ${got}`];
    }
    case "invalid_format":
      return [`${configKey(issue.path)}: ${issue.message.startsWith("expected") ? issue.message : `expected ${issue.format === "cidrv4" ? "an IPv4 CIDR such as 10.0.0.0/16" : `a valid ${issue.format}`}`}, ${got}`];
    case "custom":
      return [`${configKey(issue.path)}: ${issue.message}`];
    default:
      return [`${configKey(issue.path)}: ${issue.message}, ${got}`];
  }
}

/**
 * Validates the namespace's raw config (key -> parsed YAML value) with the environment's defaults merged in.
 * Throws a ConfigError listing every problem.
 */
export function parsePlatformConfig(raw: Record<string, unknown>): PlatformConfig {
  const environment = raw.environment;
  if (environment !== "staging" && environment !== "prod") {
    throw new ConfigError([`${configKey(["environment"])}: expected "staging" or "prod" (it selects the defaults), got ${describe(environment)}`]);
  }
  const found = [...targetProblems(raw), ...engineKeyProblems(raw)];
  // A problem about a key inside a section says more than the one about the whole section: keep only the former.
  const inner = (outer: (string | number)[]) => found.some(({ path }) => path.length > outer.length && outer.every((part, i) => path[i] === part));
  const misplaced = found.filter(({ path }) => !inner(path)).map(({ path, message }) => `${configKey(path)}: ${message}`);
  if (misplaced.length > 0) throw new ConfigError(misplaced);
  const merged = mergeDefaults(environmentDefaults[environment], raw);
  // Fields first: the cross-field rules assume each field is valid (a zone count of 9 has no subnet layout).
  // When a field is not, the rules that read only valid sections still run, so one run reports what it can.
  const fields = platformConfigSchema.safeParse(merged, { reportInput: true });
  if (!fields.success) {
    // Each valid section parsed on its own (its defaults applied); the rules that read an invalid one are skipped.
    const input = merged as Record<string, unknown>;
    const sections: Record<string, unknown> = {};
    const invalidSections: string[] = [];
    for (const [section, schema] of Object.entries(platformConfigSchema.shape)) {
      const parsed = (schema as z.ZodType).safeParse(input[section]);
      if (parsed.success) sections[section] = parsed.data;
      else invalidSections.push(section);
    }
    const ruleLines = crossFieldProblems(sections as PlatformConfig, invalidSections).map(({ path, message }) => `${configKey(path)}: ${message}`);
    throw new ConfigError([...fields.error.issues.flatMap(issueLines), ...ruleLines]);
  }
  const ruleProblems = crossFieldProblems(fields.data);
  if (ruleProblems.length === 0) return fields.data;
  throw new ConfigError(ruleProblems.map(({ path, message }) => `${configKey(path)}: ${message}`));
}

/** The `etl-platform:` keys of a stack file's settings (key -> JSON text or plain string) as the loader takes them. */
export function rawPlatformConfig(settings: Record<string, string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(settings).filter(([key]) => key.startsWith(`${NAMESPACE}:`)).map(([key, value]) => [key.slice(NAMESPACE.length + 1), parseValue(value)]));
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
