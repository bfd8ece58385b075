/**
 * The base of a diff given as a git ref: that commit checked out in a temporary worktree and planned offline
 * there, with its own program and stack files. The worktree borrows this checkout's node_modules when every
 * package the base's lockfile pins is installed here at the same version (a package only the head added is never
 * loaded by the base's code), and installs its own otherwise.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** A --diff base that is neither a plan JSON nor a git ref: a usage error (exit 2), not a crash. */
export class DiffInputError extends Error {}

export interface PlannedBase {
  /** The base's plan JSON (`npm run plan -- --json`). */
  document: { resources: any[] };
  /** Which stack file the base planned, as the diff reports it. */
  stackFile: string;
  /** The checkout, for the CRD fixtures of chart bumps; removed by `dispose`. */
  dir: string;
  dispose: () => void;
}

/**
 * The stack file the base plans, and how to name it: `--base-config` when given; for a head stack file inside the
 * repository, the ref's version of that path (an edited copy then diffs against what the ref had); a file outside
 * the repository is planned on both sides (the ref cannot have it); with neither, the ref's stacks/ file of the stack.
 */
export function baseStackFile(root: string, worktree: string, ref: string, stack: string, configFile?: string, baseConfig?: string): { args: string[]; label: string } {
  if (baseConfig) return { args: ["--config", path.resolve(baseConfig)], label: `${path.resolve(baseConfig)} (--base-config)` };
  if (!configFile) return { args: ["--stack", stack], label: `${ref}:stacks/Pulumi.${stack}.yaml` };
  const relative = path.relative(root, path.resolve(configFile));
  if (relative.startsWith("..") || path.isAbsolute(relative)) return { args: ["--config", path.resolve(configFile)], label: `${path.resolve(configFile)} (outside the repository: the same file on both sides)` };
  const atRef = path.join(worktree, relative);
  if (!fs.existsSync(atRef)) throw new DiffInputError(`--diff ${ref}: ${relative} does not exist at ${ref}; give the base's stack file with --base-config`);
  return { args: ["--config", atRef], label: `${ref}:${relative.split(path.sep).join("/")}` };
}

export function planRef(root: string, ref: string, stack: string, configFile?: string, baseConfig?: string): PlannedBase {
  const git = (...args: string[]) => execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  let commit: string;
  try {
    commit = git("rev-parse", "--verify", "--quiet", `${ref}^{commit}`);
  } catch {
    throw new DiffInputError(`--diff ${ref}: neither a plan JSON file nor a git ref of this repository`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "etl-plan-base-"));
  git("worktree", "add", "--detach", dir, commit);
  const dispose = () => {
    try {
      git("worktree", "remove", "--force", dir);
    } catch {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    if (lockCovers(path.join(root, "package-lock.json"), path.join(dir, "package-lock.json"))) fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
    else execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
    const stackFile = baseStackFile(root, dir, ref, stack, configFile, baseConfig);
    const args = ["-r", "./scripts/register.js", "scripts/plan.ts", "--json", ...stackFile.args];
    const result = spawnSync(process.execPath, args, { cwd: dir, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    // 5 (over budget) still prints the plan.
    if (result.status !== 0 && result.status !== 5) throw new Error(`the base ${ref} (${commit.slice(0, 7)}) did not plan (exit ${result.status}):\n${result.stderr}`);
    return { document: JSON.parse(result.stdout), stackFile: stackFile.label, dir, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}

/** Whether the packages installed from `installed` include every package of `wanted` at the same version and integrity. */
export function lockCovers(installed: string, wanted: string): boolean {
  const packages = (file: string): Record<string, { version?: string; integrity?: string }> => JSON.parse(fs.readFileSync(file, "utf8")).packages ?? {};
  const have = packages(installed);
  return Object.entries(packages(wanted)).every(([key, want]) => key === "" || (have[key]?.version === want.version && have[key]?.integrity === want.integrity));
}
