/** A resource of the offline plan as the estimate reads it: inputs with unknowns as "[unknown]" and secrets hidden. */
export interface PlannedResource {
  type: string;
  name: string;
  inputs: Record<string, any>;
}

export const ofType = (resources: PlannedResource[], ...types: string[]) => resources.filter((resource) => types.includes(resource.type));
