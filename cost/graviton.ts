/**
 * What moving the system and stateful pools to Graviton (`architecture: arm64`) would save: each x86 type priced
 * against the Graviton type of its category and size (lib/instanceTypes.ts gravitonCounterpart), at the nodes the
 * pools start with (desiredSize), from the same snapshot as the rest of the estimate. A type the snapshot does
 * not price leaves the saving unknown, never guessed. Batch pools are left out: their saving depends on which
 * pipelines' images are multi-arch (a pipeline's imageArchitectures).
 */
import { gravitonCounterpart } from "../lib/instanceTypes";
import { cents, HOURS_PER_MONTH } from "./lines";
import type { PricedNodeGroup } from "./nodes";
import type { RegionPrices } from "./prices";

export interface GravitonSwitch {
  pool: "system" | "stateful";
  from: string;
  to: string;
  /** The pool's nodes at deploy (all its groups' desiredSize). */
  nodes: number;
  /** USD a month at deploy; null when the snapshot has no on-demand price for `to` (or `from`) in the region. */
  monthlySaving: number | null;
  /** The types of the two the snapshot does not price in the region. */
  unpriced: string[];
}

export function gravitonSwitches(groups: PricedNodeGroup[], region: RegionPrices): GravitonSwitch[] {
  const switches: GravitonSwitch[] = [];
  for (const pool of ["system", "stateful"] as const) {
    const poolGroups = groups.filter((group) => group.pool === pool && !group.batch);
    // Already Graviton (or unknown to the platform), or no such pool: nothing to compare.
    const from = poolGroups.length ? poolGroups[0].instanceTypes[0] : undefined;
    const to = from === undefined ? undefined : gravitonCounterpart(from);
    if (from === undefined || to === undefined) continue;
    const nodes = poolGroups.reduce((sum, group) => sum + group.desiredSize, 0);
    const unpriced = [from, to].filter((type) => region.onDemand[type] === undefined);
    switches.push({ pool, from, to, nodes, monthlySaving: unpriced.length ? null : cents(nodes * HOURS_PER_MONTH * (region.onDemand[from] - region.onDemand[to])), unpriced });
  }
  return switches;
}

/** One note: the saving of each pool, or which prices the snapshot lacks. */
export function gravitonNote(switches: GravitonSwitch[], regionName: string): string[] {
  if (switches.length === 0) return [];
  const effect = (saving: number | null) => (saving === null ? "not priced" : saving >= 0 ? `saves $${saving.toFixed(2)} a month` : `costs $${(-saving).toFixed(2)} a month more`);
  const described = switches.map(({ pool, from, to, nodes, monthlySaving }) => `${pool} ${nodes} × ${from} → ${to}: ${effect(monthlySaving)}`);
  const unpriced = [...new Set(switches.flatMap((candidate) => candidate.unpriced))];
  return [`Graviton (architecture: arm64) at deploy: ${described.join("; ")}.${unpriced.length ? ` The price snapshot has no on-demand price for ${unpriced.join(", ")} in ${regionName}: npm run refresh-prices adds the Graviton types from AWS's Price List.` : ""}`];
}
