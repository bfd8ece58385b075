/** Levels of a DAG given as steps with dependencies: which steps may run at once. Knows nothing of pipelines. */

/** A DAG's steps by level: steps whose longest chain of dependencies is equally long, which may run at once. */
export function dagLevels(steps: { name: string; dependsOn: string[] }[]): string[][] {
  const depth = new Map<string, number>();
  const depthOf = (name: string, seen: Set<string>): number => {
    if (depth.has(name)) return depth.get(name)!;
    const step = steps.find((candidate) => candidate.name === name);
    const parents = (step?.dependsOn ?? []).filter((parent) => !seen.has(parent));
    const value = parents.length === 0 ? 0 : 1 + Math.max(...parents.map((parent) => depthOf(parent, new Set([...seen, name]))));
    depth.set(name, value);
    return value;
  };
  const levels: string[][] = [];
  for (const step of steps) (levels[depthOf(step.name, new Set())] ??= []).push(step.name);
  return levels.filter((level) => level !== undefined);
}

/** The most steps of a DAG that can run at once: its widest level. */
export function widestLevel(steps: { name: string; dependsOn: string[] }[]): number {
  return Math.max(1, ...dagLevels(steps).map((level) => level.length));
}
