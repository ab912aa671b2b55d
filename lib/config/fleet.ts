import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  parseShardLock,
  renderShardLock,
  shardLockFile,
  type ShardLock,
  EMPTY_SHARD_LOCK,
} from '../fleet/shard-lock';
import { planShards } from '../fleet/shard-plan';
import { csrProblems } from './csr';
import type { IotConfig } from './sections/iot';

/** One thing as the Fleet stacks need it: its config, its shard and its CSR (public, PEM) if it has one. */
export interface FleetThing {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  /** The Fleet stack (1-based) that holds the thing; recorded in the shard lock file. */
  readonly shard: number;
  /** The CSR file, relative to the repository root. */
  readonly csrFile: string;
  /** The CSR in PEM, or undefined while the thing has none yet (it then gets no certificate). */
  readonly csrPem?: string;
}

/** The things of an environment with their shards, as read from config, CSR files and the shard lock. */
export interface FleetConfig {
  readonly things: readonly FleetThing[];
  readonly maxThingsPerShard: number;
  /** The lock file, absolute, and as shown to the operator. */
  readonly lockFile: string;
  readonly lockFileShown: string;
  /** Things placed on a shard by this synth: the lock file must record them (see recordShardAssignments). */
  readonly newlyAssigned: readonly string[];
  /** Things in the lock file that are no longer configured. */
  readonly released: readonly string[];
}

/** The repository root: CSR paths and `fleet/<env>/shards.json` are relative to it. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The default CSR location of a thing: `fleet/<env>/<thing>/csr.pem`. */
export function defaultCsrFile(envName: string, thingName: string): string {
  return path.posix.join('fleet', envName, thingName, 'csr.pem');
}

/**
 * Reads every thing's CSR and the shard lock. Returns the problems in the loader's format
 * (`<file>: <field>: <message>`) instead of throwing, so the loader can report them all at once.
 */
export function resolveFleet(
  iot: IotConfig,
  envName: string,
  configShown: string,
  repoRoot: string = REPO_ROOT,
): { fleet?: FleetConfig; problems: string[] } {
  const problems: string[] = [];
  const lockFile = shardLockFile(repoRoot, envName);
  const lockFileShown = path.relative(repoRoot, lockFile).split(path.sep).join('/');
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
    const absolute = path.resolve(repoRoot, csrFile);
    if (!fs.existsSync(absolute)) {
      // Only the default location may be empty: a thing not enrolled yet gets no certificate.
      if (thing.csrFile !== undefined)
        problems.push(`${field}: expected an existing CSR file, got ${JSON.stringify(csrFile)}`);
      return { csrFile };
    }
    let pem: string;
    try {
      pem = fs.readFileSync(absolute, 'utf8');
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

  const plan = planShards(
    iot.things.map((thing) => thing.name),
    lock.assignments,
    lock.maxThingsPerShard,
  );
  const things = iot.things.map((thing, index) => ({
    name: thing.name,
    attributes: thing.attributes,
    shard: plan.assignments.get(thing.name) as number,
    ...csrs[index],
  }));
  return {
    problems,
    fleet: {
      things,
      maxThingsPerShard: lock.maxThingsPerShard,
      lockFile,
      lockFileShown,
      newlyAssigned: plan.newlyAssigned,
      released: plan.released,
    },
  };
}

/**
 * Writes the shard lock when this synth placed new things or dropped removed ones, and says so. Called by the
 * CDK app (bin/app.ts) and `keyless enroll`; commit the file so the next synth places things the same way.
 * Returns the message to show, or undefined when the lock was already current.
 */
export function recordShardAssignments(fleet: FleetConfig): string | undefined {
  if (fleet.newlyAssigned.length === 0 && fleet.released.length === 0) return undefined;
  const assignments = new Map(fleet.things.map((thing) => [thing.name, thing.shard]));
  fs.mkdirSync(path.dirname(fleet.lockFile), { recursive: true });
  const partial = `${fleet.lockFile}.${process.pid}.tmp`;
  fs.writeFileSync(partial, renderShardLock(fleet.maxThingsPerShard, assignments));
  fs.renameSync(partial, fleet.lockFile);
  const parts = [];
  if (fleet.newlyAssigned.length > 0) {
    const shards = [...new Set(fleet.newlyAssigned.map((name) => assignments.get(name)))].sort(
      (a, b) => (a ?? 0) - (b ?? 0),
    );
    parts.push(`placed ${fleet.newlyAssigned.length} new thing(s) on Fleet shard(s) ${shards.join(', ')}`);
  }
  if (fleet.released.length > 0) parts.push(`released ${fleet.released.length} removed thing(s)`);
  return `${fleet.lockFileShown}: ${parts.join('; ')}. Commit this file: it keeps every thing in its Fleet stack.`;
}

/**
 * Adds things (by name, with the attributes `iot.policy.requiredAttributes` asks for) to `iot.things` of a config file that does not list them yet, keeping
 * everything else. Written with 2-space indent, then through the repository's prettier settings when prettier
 * is installed, so `npm run lint` stays green. Returns the names it added.
 */
export function addThingsToConfigFile(file: string, thingNames: readonly string[]): string[] {
  const text = fs.readFileSync(file, 'utf8');
  let raw: { iot?: { things?: { name?: unknown }[] } };
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: cannot read JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof raw.iot !== 'object' || raw.iot === null) {
    throw new Error(
      `${file}: iot: missing; add the iot section (see config/prod.example.json) before enrolling things`,
    );
  }
  const things = (raw.iot.things ??= []);
  const known = new Set(things.map((thing) => thing.name));
  const added = thingNames.filter((name) => !known.has(name));
  if (added.length === 0) return [];
  // A new thing carries the attributes the IoT policy requires, or it could never get credentials.
  const required =
    (raw.iot as { policy?: { requiredAttributes?: Record<string, string> } }).policy?.requiredAttributes ??
    {};
  things.push(
    ...added.map((name) =>
      Object.keys(required).length > 0 ? { name, attributes: { ...required } } : { name },
    ),
  );
  let output = `${JSON.stringify(raw, null, 2)}\n`;
  output = formatLikeTheRepository(output, file);
  const partial = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(partial, output);
  fs.renameSync(partial, file);
  return added;
}

/** Through the repository's own prettier (a child process: prettier 3 loads ESM), when it is installed. */
function formatLikeTheRepository(json: string, file: string): string {
  let prettier: string;
  try {
    prettier = require.resolve('prettier/bin/prettier.cjs');
  } catch {
    return json; // a production install without dev dependencies: plain 2-space JSON
  }
  return execFileSync(process.execPath, [prettier, '--stdin-filepath', file], {
    input: json,
    encoding: 'utf8',
  });
}
