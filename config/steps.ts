/** The DAG of a multi-step pipeline. */

/** A dependency cycle among the steps, as the list of step names around it, or undefined. */
export function findCycle(steps: { name: string; dependsOn: string[] }[]): string[] | undefined {
  const dependencies = new Map(steps.map((step) => [step.name, step.dependsOn]));
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, trail: string[]): string[] | undefined => {
    if (state.get(name) === "done") return undefined;
    if (state.get(name) === "visiting") return [...trail.slice(trail.indexOf(name)), name];
    state.set(name, "visiting");
    for (const next of dependencies.get(name) ?? []) {
      const cycle = visit(next, [...trail, name]);
      if (cycle) return cycle;
    }
    state.set(name, "done");
    return undefined;
  };
  for (const step of steps) {
    const cycle = visit(step.name, []);
    if (cycle) return cycle;
  }
  return undefined;
}
