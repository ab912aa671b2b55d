import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FleetConfig, FleetThingConfig } from '../config';
import { lockIsStale, lockOf, type FleetLayout } from '../fleet/placement';
import { renderShardLock } from '../fleet/shard-lock';

/** What recording a layout changed in the shard lock. */
export interface ShardLockChange {
  /** The lock file as the operator types it. */
  readonly lockFile: string;
  /** Things placed for the first time, and the shards they went to. */
  readonly placed: Readonly<Record<string, number>>;
  /** Things the lock recorded that are no longer configured. */
  readonly released: readonly string[];
}

/**
 * Records a layout in `fleet/<env>/shards.json` (written atomically) when it places new things or releases removed
 * ones; commit the file so every later synth places things the same way. Only the CLI writes it (`keyless enroll`,
 * `keyless fleet plan --write`). Returns what changed, or undefined when the lock was already current.
 */
export function recordPlacements(
  fleet: FleetConfig,
  layout: FleetLayout<FleetThingConfig>,
): ShardLockChange | undefined {
  if (!lockIsStale(layout)) return undefined;
  const lock = lockOf(layout);
  fs.mkdirSync(path.dirname(fleet.lockFile), { recursive: true });
  const partial = `${fleet.lockFile}.${process.pid}.tmp`;
  fs.writeFileSync(
    partial,
    renderShardLock(lock.maxThingsPerShard, new Map(Object.entries(lock.assignments))),
  );
  fs.renameSync(partial, fleet.lockFile);
  const placed = Object.fromEntries(layout.unrecorded.map((name) => [name, lock.assignments[name]]));
  return { lockFile: fleet.lockFileShown, placed, released: layout.released };
}

/** One sentence for the operator: what the lock now records, and to commit it. */
export function describeLockChange(change: ShardLockChange): string {
  const parts: string[] = [];
  const placed = Object.keys(change.placed);
  if (placed.length > 0) {
    const shards = [...new Set(Object.values(change.placed))].sort((a, b) => a - b);
    parts.push(`placed ${placed.length} new thing(s) on Fleet shard(s) ${shards.join(', ')}`);
  }
  if (change.released.length > 0) parts.push(`released ${change.released.length} removed thing(s)`);
  return `${change.lockFile}: ${parts.join('; ')}. Commit this file: it keeps every thing in its Fleet stack.`;
}
