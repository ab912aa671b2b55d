import { LIMITS } from '../contract';

/**
 * Which Fleet stack holds which thing. A CloudFormation stack holds at most 500 resources and 200 outputs
 * (each thing costs 4 resources and 1 output), so a large fleet is split over several stacks. A thing must
 * never move between stacks: moving it deletes its certificate in one stack and creates a new one in
 * another. Assignments are therefore recorded in a lock file (`fleet/<env>/shards.json`) and only things
 * that have none yet are placed.
 */

export interface ShardPlan {
  /** Shard (1-based) of every thing passed in, recorded or new. */
  readonly assignments: ReadonlyMap<string, number>;
  /** Things that had no recorded shard and were placed now, in the order they were placed. */
  readonly newlyAssigned: readonly string[];
  /** Recorded things no longer in the fleet: their slots are free again. */
  readonly released: readonly string[];
}

/**
 * Places things on shards. Pure: the same inputs always give the same plan.
 *
 * - recorded things keep their shard (even if that shard is now over `maxPerShard`, say after lowering it);
 * - unrecorded things, in sorted name order, go to the lowest-numbered shard with room, and a new shard is
 *   opened when all are full;
 * - recorded things that are gone free their slots without moving anyone.
 *
 * O(n log n) for the sort of the new names, linear otherwise.
 */
export function planShards(
  thingNames: Iterable<string>,
  recorded: ReadonlyMap<string, number> | Readonly<Record<string, number>>,
  maxPerShard: number = LIMITS.defaultThingsPerShard,
): ShardPlan {
  if (!Number.isInteger(maxPerShard) || maxPerShard < 1) {
    throw new Error(`maxPerShard must be a positive integer, got: ${maxPerShard}`);
  }
  const known: ReadonlyMap<string, number> =
    recorded instanceof Map ? recorded : new Map(Object.entries(recorded as Record<string, number>));

  const assignments = new Map<string, number>();
  const occupancy: number[] = []; // occupancy[shard] = things on it
  const unplaced: string[] = [];
  for (const name of thingNames) {
    if (assignments.has(name)) continue;
    const shard = known.get(name);
    if (shard === undefined) {
      unplaced.push(name);
      assignments.set(name, 0); // placeholder, keeps duplicates out
      continue;
    }
    if (!Number.isInteger(shard) || shard < 1) {
      throw new Error(`recorded shard of ${JSON.stringify(name)} must be a positive integer, got: ${shard}`);
    }
    assignments.set(name, shard);
    occupancy[shard] = (occupancy[shard] ?? 0) + 1;
  }

  unplaced.sort();
  // Shards only fill up while placing, so the lowest shard with room never moves backwards.
  let shard = 1;
  for (const name of unplaced) {
    while ((occupancy[shard] ?? 0) >= maxPerShard) shard++;
    assignments.set(name, shard);
    occupancy[shard] = (occupancy[shard] ?? 0) + 1;
  }

  const released: string[] = [];
  for (const name of known.keys()) {
    if (!assignments.has(name)) released.push(name);
  }
  return { assignments, newlyAssigned: unplaced, released };
}

/** The shards in use, ascending, each with its things in name order. */
export function shardsOf(assignments: ReadonlyMap<string, number>): Map<number, string[]> {
  const shards = new Map<number, string[]>();
  for (const [name, shard] of assignments) {
    const things = shards.get(shard);
    if (things) things.push(name);
    else shards.set(shard, [name]);
  }
  const sorted = new Map([...shards.entries()].sort(([a], [b]) => a - b));
  for (const things of sorted.values()) things.sort();
  return sorted;
}
