/**
 * Reads a `Pulumi.<stack>.yaml` stack file as the Pulumi CLI would give it to the program, and finds what is wrong
 * with it as YAML. Kept apart from the offline runner so that reading a stack file loads no Pulumi SDK.
 */
import * as fs from "fs";
import { isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from "yaml";
import { ConfigError, parsePlatformConfig, rawPlatformConfig } from "../config/load";
import type { PlatformConfig } from "../config/schema";

/** Stands in for a `secure:` value, which cannot be decrypted offline. */
export const SECRET_PLACEHOLDER = "offline-placeholder-for-a-secret";

export interface StackSettings {
  /** Full config keys (`etl-platform:network`, `aws:region`) to their values as Pulumi stores them (JSON for objects). */
  config: Record<string, string>;
  secretKeys: string[];
}

/** The top-level keys of a Pulumi stack file (pkg/workspace/project.go, ProjectStack). */
const STACK_FILE_KEYS = ["config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment"];

/** `config` map keys, then `.key` and `[i]`: the path as a stack file's reader names it. */
function yamlPath(path: (string | number)[]): string {
  const [first, second, ...rest] = path;
  const head = first === "config" && second !== undefined ? String(second) : [first, second].filter((p) => p !== undefined).join(".");
  return head + rest.map((part) => (typeof part === "number" ? `[${part}]` : `.${part}`)).join("");
}

/** Every key that appears twice in one mapping: YAML forbids it, and the last one would silently win. */
function duplicateKeys(node: YamlNode | null | undefined, path: (string | number)[] = []): string[] {
  if (isMap(node)) {
    const seen = new Set<string>();
    return node.items.flatMap((pair) => {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const duplicate = seen.has(key) ? [`${yamlPath([...path, key])}: duplicate key (YAML keys must be unique; keep one "${key}")`] : [];
      seen.add(key);
      return [...duplicate, ...duplicateKeys(pair.value as YamlNode, [...path, key])];
    });
  }
  if (isSeq(node)) return node.items.flatMap((item, i) => duplicateKeys(item as YamlNode, [...path, i]));
  return [];
}

/**
 * Problems of a stack file as YAML, before any value is read: syntax errors (with their line), duplicate keys
 * and top-level keys Pulumi does not know, one line each.
 */
export function stackFileProblems(text: string, file: string, parsed?: ReturnType<typeof parseDocument>): string[] {
  const document = parsed ?? parseDocument(text, { uniqueKeys: false });
  const syntax = document.errors.map((error) => `${file}:${error.linePos?.[0].line ?? "?"}:${error.linePos?.[0].col ?? "?"}: ${error.message.split("\n")[0]}`);
  if (syntax.length > 0) return syntax;
  const problems = duplicateKeys(document.contents);
  const top = document.toJS() as unknown;
  if (top !== null && top !== undefined && (typeof top !== "object" || Array.isArray(top))) return [...problems, `${file}: expected a mapping with a config section`];
  for (const key of Object.keys((top ?? {}) as object)) {
    if (!STACK_FILE_KEYS.includes(key)) problems.push(`${key}: unknown top-level key of a stack file (expected ${STACK_FILE_KEYS.join(", ")})`);
  }
  const config = (top as { config?: unknown } | null)?.config;
  if (config !== undefined && config !== null && (typeof config !== "object" || Array.isArray(config))) problems.push("config: expected a mapping of keys such as etl-platform:environment");
  return problems;
}

/** A stack file's `etl-platform:` config, validated as the program validates it (a ConfigError otherwise). */
export function readStackPlatformConfig(path: string): PlatformConfig {
  return parsePlatformConfig(rawPlatformConfig(readStackFile(path).config));
}

/** Reads a `Pulumi.<stack>.yaml` file: `secure:` values become secret placeholders, objects become JSON. */
export function readStackFile(path: string): StackSettings {
  const text = fs.readFileSync(path, "utf8");
  const parsed = parseDocument(text, { uniqueKeys: false });
  const problems = stackFileProblems(text, path, parsed);
  if (problems.length > 0) throw new ConfigError(problems);
  const document = (parsed.toJS() ?? {}) as { config?: Record<string, unknown> };
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(document.config ?? {})) {
    let secret = false;
    const replaceSecure = (node: unknown): unknown => {
      if (node && typeof node === "object" && !Array.isArray(node)) {
        const entries = Object.entries(node);
        if (entries.length === 1 && entries[0][0] === "secure") {
          secret = true;
          return SECRET_PLACEHOLDER;
        }
        return Object.fromEntries(entries.map(([k, v]) => [k, replaceSecure(v)]));
      }
      return Array.isArray(node) ? node.map(replaceSecure) : node;
    };
    const plain = replaceSecure(value);
    config[key] = typeof plain === "string" ? plain : JSON.stringify(plain);
    if (secret) secretKeys.push(key);
  }
  return { config, secretKeys };
}
