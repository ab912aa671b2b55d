import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FleetConfig, FleetThingConfig } from '../config';
import { lockIsStale, lockOf, type FleetLayout } from '../fleet/placement';
import { renderShardLock } from '../fleet/shard-lock';
import { writeFileAtomically } from './file-transaction';

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
  const planned = plannedLockWrite(fleet, layout);
  if (!planned) return undefined;
  fs.mkdirSync(path.dirname(planned.write.file), { recursive: true });
  writeFileAtomically(planned.write.file, planned.write.content);
  return planned.change;
}

/**
 * {@link recordPlacements} without the write: the lock file's new text and what it changes, or undefined when the
 * lock is current. For a command that writes it together with other files (file-transaction.ts).
 */
export function plannedLockWrite(
  fleet: FleetConfig,
  layout: FleetLayout<FleetThingConfig>,
): { write: { file: string; content: string }; change: ShardLockChange } | undefined {
  if (!lockIsStale(layout)) return undefined;
  const lock = lockOf(layout);
  const content = renderShardLock(lock.maxThingsPerShard, new Map(Object.entries(lock.assignments)));
  const placed = Object.fromEntries(layout.unrecorded.map((name) => [name, lock.assignments[name]]));
  return {
    write: { file: fleet.lockFile, content },
    change: { lockFile: fleet.lockFileShown, placed, released: layout.released },
  };
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
