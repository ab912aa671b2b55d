import * as fs from 'node:fs';
import {
  csrFile as defaultCsrFile,
  inRepository,
  REPO_ROOT,
  shardLockFile,
  type ThingStatus,
} from '../contract';
import { EMPTY_SHARD_LOCK, parseShardLock, type ShardLock } from '../fleet/shard-lock';
import { csrProblems } from './csr';
import type { IotConfig } from './sections/iot';

/** One thing as the Fleet stacks need it: its config and its CSR (public, PEM) if it has one. */
export interface FleetThingConfig {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  /** The CSR file, relative to the repository root. */
  readonly csrFile: string;
  /** The CSR in PEM, or undefined while the thing has none yet (it then gets no certificate). */
  readonly csrPem?: string;
  /** The status its certificate deploys with. */
  readonly status: ThingStatus;
  /** Whether the thing carries the quarantine attribute the IoT policy denies. */
  readonly quarantined: boolean;
}

/**
 * The things of an environment as read from config and CSR files, and the placements the shard lock records.
 * Where each thing goes is the fleet code's to decide (lib/fleet/placement.ts); nothing here writes.
 */
export interface FleetConfig {
  readonly things: readonly FleetThingConfig[];
  /** `fleet/<env>/shards.json` as committed (empty when the file does not exist yet). */
  readonly shardLock: ShardLock;
  /** The lock file, absolute, and as shown to the operator. */
  readonly lockFile: string;
  readonly lockFileShown: string;
}

/**
 * Reads every thing's CSR and the shard lock. Returns the problems in the loader's format
 * (`<file>: <field>: <message>`) instead of throwing, so the loader can report them all at once.
 */
export function readFleet(
  iot: IotConfig,
  envName: string,
  configShown: string,
  repoRoot: string = REPO_ROOT,
  pendingCsrs: ReadonlyMap<string, string> = new Map(),
): { fleet?: FleetConfig; problems: string[] } {
  const problems: string[] = [];
  const lockFileShown = shardLockFile(envName);
  const lockFile = inRepository(repoRoot, lockFileShown);
  let lock: ShardLock = EMPTY_SHARD_LOCK;
  if (fs.existsSync(lockFile)) {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(lockFile, 'utf8'));
    } catch (error) {
      problems.push(
        `${lockFileShown}: cannot read JSON: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (raw !== undefined) {
      const parsed = parseShardLock(raw);
      problems.push(...parsed.problems.map((problem) => `${lockFileShown}: ${problem}`));
      if (parsed.lock) lock = parsed.lock;
    }
  }

  const csrs = iot.things.map((thing, index) => {
    const field = `${configShown}: iot.things[${index}].csrFile`;
    const csrFile = thing.csrFile ?? defaultCsrFile(envName, thing.name);
    const absolute = inRepository(repoRoot, csrFile);
    const pending = pendingCsrs.get(absolute);
    if (pending === undefined && !fs.existsSync(absolute)) {
      // Only the default location may be empty: a thing not enrolled yet gets no certificate.
      if (thing.csrFile !== undefined)
        problems.push(`${field}: expected an existing CSR file, got ${JSON.stringify(csrFile)}`);
      return { csrFile };
    }
    let pem: string;
    try {
      pem = pending ?? fs.readFileSync(absolute, 'utf8');
    } catch (error) {
      problems.push(
        `${field}: cannot read ${csrFile}: ${error instanceof Error ? error.message : String(error)}`,
      );
      return { csrFile };
    }
    const found = csrProblems(pem, thing.name, csrFile);
    problems.push(...found.map((problem) => `${field}: ${problem}`));
    return { csrFile, csrPem: found.length === 0 ? pem : undefined };
  });
  if (problems.length > 0) return { problems };

  const things = iot.things.map((thing, index) => ({
    name: thing.name,
    attributes: thing.attributes,
    status: thing.status,
    quarantined: thing.quarantined,
    ...csrs[index],
  }));
  return { problems, fleet: { things, shardLock: lock, lockFile, lockFileShown } };
}
