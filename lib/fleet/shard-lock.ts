import { z } from 'zod';
import { LIMITS } from '../contract';

/**
 * The committed record of which Fleet stack holds which thing (`fleet/<env>/shards.json`), kept the way CDK
 * keeps lookups in cdk.context.json: written when a thing is first placed, read on every synth after that.
 */
export interface ShardLock {
  readonly version: 1;
  readonly maxThingsPerShard: number;
  readonly assignments: Readonly<Record<string, number>>;
}

export const EMPTY_SHARD_LOCK: ShardLock = {
  version: 1,
  maxThingsPerShard: LIMITS.defaultThingsPerShard,
  assignments: {},
};

const shardNumber = z.int({ error: 'expected a shard number (an integer from 1)' }).min(1, {
  error: 'expected a shard number (an integer from 1)',
});

export const shardLockSchema = z.strictObject({
  version: z.literal(1, { error: 'expected 1' }),
  maxThingsPerShard: z
    .int({ error: `expected an integer from 1 to ${LIMITS.maxThingsPerShard}` })
    .min(1, { error: `expected an integer from 1 to ${LIMITS.maxThingsPerShard}` })
    .max(LIMITS.maxThingsPerShard, {
      error: `expected an integer from 1 to ${LIMITS.maxThingsPerShard} (each thing costs 4 of a stack's ${LIMITS.stackResources} resources)`,
    })
    .default(LIMITS.defaultThingsPerShard),
  assignments: z.record(z.string(), shardNumber).default({}),
});

/** Validates a parsed lock file; problems read `<field>: <message>, got <value>`. */
export function parseShardLock(raw: unknown): { lock?: ShardLock; problems: string[] } {
  const result = shardLockSchema.safeParse(raw, { reportInput: true });
  if (result.success) return { lock: result.data, problems: [] };
  return {
    problems: result.error.issues.map((issue) => {
      const where = issue.path.map(String).join('.') || '(top level)';
      if (issue.code === 'unrecognized_keys') return `${where}: unknown keys ${issue.keys.join(', ')}`;
      return `${where}: ${issue.message}, got ${JSON.stringify(issue.input)}`;
    }),
  };
}

/** The lock file text: assignments sorted by name so diffs show only what changed. */
export function renderShardLock(maxThingsPerShard: number, assignments: ReadonlyMap<string, number>): string {
  const sorted = Object.fromEntries([...assignments.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const lock: ShardLock = { version: 1, maxThingsPerShard, assignments: sorted };
  return `${JSON.stringify(lock, null, 2)}\n`;
}
