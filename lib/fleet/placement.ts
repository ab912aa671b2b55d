import { shardLockFile } from '../contract';
import type { ShardLock } from './shard-lock';
import { planShards } from './shard-plan';

/**
 * Where each thing of an environment goes, from the things in config and the placements the shard lock
 * (`fleet/<env>/shards.json`) records. Pure: it writes nothing. Recording placements is the CLI's job
 * (`keyless enroll`, `keyless fleet plan --write`); a synth only reads the lock, like `npm ci` reads a lockfile.
 */

/** A thing with the Fleet shard (1-based) that holds it. */
export type Placed<T> = T & { readonly shard: number };

export interface FleetLayout<T extends { readonly name: string }> {
  /** Every configured thing, in config order, with its shard: recorded, or placed now in memory. */
  readonly things: readonly Placed<T>[];
  readonly maxThingsPerShard: number;
  /** Things the lock does not record yet, in the order they were placed: until recorded, they may still move. */
  readonly unrecorded: readonly string[];
  /** Things the lock records that the config no longer has: their slots are free again. */
  readonly released: readonly string[];
}

/** Places every thing: recorded things keep their shard, the others go where planShards puts them. */
export function layoutFleet<T extends { readonly name: string }>(
  things: readonly T[],
  lock: ShardLock,
): FleetLayout<T> {
  const plan = planShards(
    things.map((thing) => thing.name),
    lock.assignments,
    lock.maxThingsPerShard,
  );
  return {
    things: things.map((thing) => ({ ...thing, shard: plan.assignments.get(thing.name) as number })),
    maxThingsPerShard: lock.maxThingsPerShard,
    unrecorded: plan.newlyAssigned,
    released: plan.released,
  };
}

/** True when the layout differs from what the lock records: new placements, or released things. */
export function lockIsStale(layout: FleetLayout<{ readonly name: string }>): boolean {
  return layout.unrecorded.length > 0 || layout.released.length > 0;
}

/** The lock that records a layout exactly. */
export function lockOf(layout: FleetLayout<{ readonly name: string }>): ShardLock {
  return {
    version: 1,
    maxThingsPerShard: layout.maxThingsPerShard,
    assignments: Object.fromEntries(layout.things.map((thing) => [thing.name, thing.shard])),
  };
}

/** The command that records placements for things added to the config by hand. */
export function recordPlacementsCommand(envName: string): string {
  return `npx keyless fleet plan --env ${envName} --write`;
}

/**
 * Whether the `CI` variable asks for recorded placements only: set, non-empty and not "false" or "0" (the values
 * CI services use). Read at the edge (bin/app.ts), so the library and its tests never depend on the ambient
 * environment.
 */
export function ciRequiresRecordedPlacements(ci: string | undefined): boolean {
  if (ci === undefined) return false;
  const value = ci.trim().toLowerCase();
  return value !== '' && value !== 'false' && value !== '0';
}

function shown(names: readonly string[]): string {
  return names.slice(0, 5).join(', ') + (names.length > 5 ? ` and ${names.length - 5} more` : '');
}

/** The warning a synth gives when it placed things the lock does not record. */
export function unrecordedPlacementWarning(envName: string, unrecorded: readonly string[]): string {
  return (
    `${shardLockFile(envName)} does not record the Fleet stack of ${unrecorded.length} thing(s) (${shown(unrecorded)}): ` +
    `this synth placed them in memory only, and a later change to the fleet may place them elsewhere. ` +
    `Record the placements with \`${recordPlacementsCommand(envName)}\` and commit ${shardLockFile(envName)}.`
  );
}

/**
 * Refused when placements must be recorded (CI): a synth in CI must deploy things where the committed lock says,
 * the way `npm ci` refuses a lockfile that does not match package.json.
 */
export class UnrecordedPlacementError extends Error {
  constructor(
    public readonly envName: string,
    public readonly unrecorded: readonly string[],
  ) {
    super(
      `${shardLockFile(envName)} does not record the Fleet stack of ${unrecorded.length} thing(s) (${shown(unrecorded)}), ` +
        `and CI is set, so nothing is placed that the committed lock does not record. ` +
        `Run \`${recordPlacementsCommand(envName)}\`, commit ${shardLockFile(envName)}, and synth again.`,
    );
    this.name = 'UnrecordedPlacementError';
  }
}
