/** `npm run plan -- --diff <base>`: the head planned in-process against a base plan JSON or a git ref. */
import * as fs from "fs";
import type { OfflineRun } from "../plan/offline";
import { present } from "../plan/present";
import { DiffInputError, planRef } from "./baseFromRef";

export { DiffInputError };
import { diffPlans, type BaseResource, type HeadResource } from "./planDiff";
import { counts, diffMarkdown, diffText } from "./report";

export interface DiffRequest {
  stack: string;
  /** A plan JSON file, or a git ref to plan in a temporary worktree. */
  base: string;
  /** A checkout of the base, for the CRD fixtures of chart bumps (a git ref brings its own). */
  baseDir?: string;
  /** The stack file, when given with --config (the base plans the ref's version of it: baseStackFile). */
  configFile?: string;
  /** --base-config: the stack file the base plans. */
  baseConfig?: string;
  /** How to name the head's stack file in the output. */
  headStackFile: string;
  format: "text" | "json" | "markdown";
  allowDanger: boolean;
}

export interface DiffResult {
  danger: boolean;
  stdout: string;
}

export function headResources(run: OfflineRun): HeadResource[] {
  return run.resources.map((resource) => ({
    type: resource.type,
    name: resource.name,
    urn: resource.urn,
    parent: resource.parent,
    protect: resource.protect,
    inputs: present(resource.rawInputs) as Record<string, any>,
    propertyDependencies: resource.propertyDependencies,
    provider: resource.provider,
    ignoreChanges: resource.ignoreChanges,
    aliases: resource.aliases,
  }));
}

function readPlanDocument(file: string): { resources: unknown[] } {
  let document: any;
  try {
    document = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    throw new DiffInputError(`--diff ${file}: not JSON; give a plan written by npm run plan -- --json, or a git ref`);
  }
  if (!Array.isArray(document?.resources)) throw new DiffInputError(`--diff ${file}: not a plan (no resources); give a plan written by npm run plan -- --json, or a git ref`);
  const malformed = (document.resources as unknown[]).findIndex((entry: any) => !entry || typeof entry !== "object" || typeof entry.type !== "string" || typeof entry.name !== "string"
    || (entry.inputs !== undefined && (typeof entry.inputs !== "object" || entry.inputs === null)) || (entry.parent !== undefined && typeof entry.parent !== "string"));
  if (malformed >= 0) throw new DiffInputError(`--diff ${file}: resources[${malformed}] is not a planned resource (a type and a name, inputs an object, parent a URN); give a plan written by npm run plan -- --json`);
  for (const entry of document.resources as any[]) {
    entry.inputs ??= {};
    entry.protect = entry.protect === true;
  }
  return document;
}

export function runDiff(request: DiffRequest, run: OfflineRun, root: string): DiffResult {
  const isFile = fs.existsSync(request.base) && fs.statSync(request.base).isFile();
  const base = isFile
    ? { document: readPlanDocument(request.base), stackFile: `the plan ${request.base}`, dir: request.baseDir, dispose: () => undefined }
    : planRef(root, request.base, request.stack, request.configFile, request.baseConfig);
  try {
    const changes = diffPlans(base.document.resources as BaseResource[], headResources(run), { baseDir: base.dir, headDir: root });
    const summary = counts(changes);
    const stackFiles = { head: request.headStackFile, base: base.stackFile };
    const filesLine = `Stack files: head ${stackFiles.head}; base ${stackFiles.base}.`;
    const stdout =
      request.format === "json" ? `${JSON.stringify({ stack: request.stack, base: request.base, stackFiles, summary, changes }, null, 2)}\n`
      : request.format === "markdown" ? `${diffMarkdown(request.stack, changes)}\n\n${filesLine}\n`
      : `${diffText(request.stack, request.base, changes)}\n${filesLine}\n`;
    return { danger: summary.danger > 0, stdout };
  } finally {
    base.dispose();
  }
}
