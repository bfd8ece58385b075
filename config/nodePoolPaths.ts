/** Every node pool of the config with its key path, for rules that check each pool the same way. */
import type { PlatformConfig } from "./schema";

type Pools = PlatformConfig["nodePools"];
type Pool = Pools["system"] | Pools["batch"][number];

export function nodePoolsWithPaths(nodePools: Pools): [(string | number)[], Pool][] {
  return [
    [["nodePools", "system"], nodePools.system],
    [["nodePools", "stateful"], nodePools.stateful],
    ...nodePools.batch.map((pool, i): [(string | number)[], Pool] => [["nodePools", "batch", i], pool]),
  ];
}
