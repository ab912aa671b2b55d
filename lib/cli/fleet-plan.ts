import type { Command } from 'commander';
import {
  ConfigError,
  loadEnvironmentConfig,
  type FleetConfig,
  type FleetThingConfig,
  type KeylessConfig,
} from '../config';
import { fleetStackName } from '../contract';
import { layoutFleet, lockOf, recordPlacementsCommand, type FleetLayout } from '../fleet/placement';
import { planShards } from '../fleet/shard-plan';
import { commandOutput, envOption, jsonOption, thingNameArgument } from './options';
import { describeLockChange, recordPlacements, type ShardLockChange } from './shard-lock-file';

/** One Fleet stack as the operator sees it before a synth. */
export interface FleetStackPlan {
  readonly shard: number;
  readonly stackName: string;
  readonly things: number;
  /** Things the shard lock does not record yet: placed in memory until `fleet plan --write` records them. */
  readonly newThings: number;
  /** Things still waiting for a CSR (they get a thing but no certificate). */
  readonly withoutCsr: number;
  /** Room left before the shard is full (0 when a lowered maximum left it over-full). */
  readonly free: number;
}

export interface FleetPlan {
  readonly envName: string;
  readonly lockFile: string;
  readonly maxThingsPerShard: number;
  readonly stacks: readonly FleetStackPlan[];
  /** Where a thing added to the config now would go, if it sorts after every unplaced one. */
  readonly nextStackName: string;
  /** Things the lock records that the config no longer has: their slots are free again. */
  readonly released: readonly string[];
}

/** Where one thing is, or would be if added to the config. */
export interface ThingPlacement {
  readonly thingName: string;
  readonly stackName: string;
  /** `recorded`: in the shard lock; `unrecorded`: configured, not in the lock yet; `new`: not configured. */
  readonly status: 'recorded' | 'unrecorded' | 'new';
}

function fleetOf(config: KeylessConfig): FleetConfig {
  if (!config.iot || !config.fleet) {
    throw new ConfigError(
      `${config.configFile}: no iot section, so environment "${config.envName}" has no Fleet stacks`,
    );
  }
  return config.fleet;
}

function planOf(envName: string, fleet: FleetConfig, layout: FleetLayout<FleetThingConfig>): FleetPlan {
  const unrecorded = new Set(layout.unrecorded);
  const byShard = new Map<number, { things: number; newThings: number; withoutCsr: number }>();
  for (const thing of layout.things) {
    const entry = byShard.get(thing.shard) ?? { things: 0, newThings: 0, withoutCsr: 0 };
    entry.things++;
    if (unrecorded.has(thing.name)) entry.newThings++;
    if (thing.csrPem === undefined) entry.withoutCsr++;
    byShard.set(thing.shard, entry);
  }
  const stacks = [...byShard.entries()]
    .sort(([a], [b]) => a - b)
    .map(([shard, entry]) => ({
      shard,
      stackName: fleetStackName(envName, shard),
      ...entry,
      free: Math.max(0, layout.maxThingsPerShard - entry.things),
    }));
  let next = 1;
  while ((byShard.get(next)?.things ?? 0) >= layout.maxThingsPerShard) next++;
  return {
    envName,
    lockFile: fleet.lockFileShown,
    maxThingsPerShard: layout.maxThingsPerShard,
    stacks,
    nextStackName: fleetStackName(envName, next),
    released: layout.released,
  };
}

/** The Fleet stacks the next synth makes, from the config and the shard lock (linear in the fleet). */
export function fleetPlan(config: KeylessConfig): FleetPlan {
  const fleet = fleetOf(config);
  return planOf(config.envName, fleet, layoutFleet(fleet.things, fleet.shardLock));
}

/**
 * The stack of a configured thing, or the one a new thing would land in if added to the config as it is now:
 * the same planShards synth runs, with the new name among the unrecorded ones.
 */
export function placeThing(config: KeylessConfig, thingName: string): ThingPlacement {
  const fleet = fleetOf(config);
  const layout = layoutFleet(fleet.things, fleet.shardLock);
  const configured = layout.things.find((thing) => thing.name === thingName);
  if (configured) {
    const status = layout.unrecorded.includes(thingName) ? 'unrecorded' : 'recorded';
    return { thingName, stackName: fleetStackName(config.envName, configured.shard), status };
  }
  const names = [...layout.things.map((thing) => thing.name), thingName];
  const shard = planShards(names, fleet.shardLock.assignments, layout.maxThingsPerShard).assignments.get(
    thingName,
  )!;
  return { thingName, stackName: fleetStackName(config.envName, shard), status: 'new' };
}

/**
 * `fleet plan --write`: records every placement and releases removed things. Returns what changed, and the
 * config as it reads now that the lock records everything.
 */
export function writeFleetPlan(config: KeylessConfig): {
  recorded: KeylessConfig;
  written?: ShardLockChange;
} {
  const fleet = fleetOf(config);
  const layout = layoutFleet(fleet.things, fleet.shardLock);
  const written = recordPlacements(fleet, layout);
  return { recorded: { ...config, fleet: { ...fleet, shardLock: lockOf(layout) } }, written };
}

export function renderFleetPlan(plan: FleetPlan): string[] {
  const total = plan.stacks.reduce((n, stack) => n + stack.things, 0);
  const lines = [
    `Environment "${plan.envName}": ${total} things in ${plan.stacks.length} Fleet stack(s), at most ` +
      `${plan.maxThingsPerShard} per stack (${plan.lockFile})`,
    '',
  ];
  const width = Math.max('stack'.length, ...plan.stacks.map((stack) => stack.stackName.length));
  const row = (cells: Array<string | number>): string =>
    [String(cells[0]).padEnd(width), ...cells.slice(1).map((cell) => String(cell).padStart(8))].join('  ');
  lines.push(row(['stack', 'things', 'new', 'no CSR', 'free']));
  for (const stack of plan.stacks) {
    lines.push(row([stack.stackName, stack.things, stack.newThings, stack.withoutCsr, stack.free]));
  }
  lines.push('');
  const placed = plan.stacks.reduce((n, stack) => n + stack.newThings, 0);
  if (placed > 0) {
    lines.push(
      `${placed} thing(s) are not in ${plan.lockFile} yet: synth places them in memory only. ` +
        `Record them with \`${recordPlacementsCommand(plan.envName)}\`.`,
    );
  }
  if (plan.released.length > 0) {
    const shown = plan.released.slice(0, 10).join(', ') + (plan.released.length > 10 ? ', …' : '');
    lines.push(
      `${plan.released.length} thing(s) in ${plan.lockFile} are no longer configured; their slots are free: ${shown}`,
    );
  }
  lines.push(`A thing added now lands in ${plan.nextStackName} (the lowest-numbered stack with room).`);
  return lines;
}

export function renderPlacement(placement: ThingPlacement, plan: FleetPlan): string {
  switch (placement.status) {
    case 'recorded':
      return `${placement.thingName} is in ${placement.stackName} (recorded in ${plan.lockFile}; it never moves).`;
    case 'unrecorded':
      return (
        `${placement.thingName} goes to ${placement.stackName}; ${plan.lockFile} does not record it yet: ` +
        `\`${recordPlacementsCommand(plan.envName)}\` does.`
      );
    case 'new':
      return `${placement.thingName} is not configured; added to the config now, it lands in ${placement.stackName}.`;
  }
}

/** What the fleet commands need besides their flags; tests replace any of it. */
export interface FleetPlanCommandDeps {
  readonly loadConfig?: (envName: string) => KeylessConfig;
  readonly streams?: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
}

/** `keyless fleet plan --env <env> [--thing NAME] [--write] [--json]`. */
export function registerFleetPlanCommand(fleet: Command, deps: FleetPlanCommandDeps = {}): void {
  fleet
    .command('plan')
    .description(
      'Show which Fleet stack holds each thing and where a new thing will land; --write records the placements',
    )
    .addOption(envOption())
    .option('--thing <name>', 'where this thing is, or would land if added', thingNameArgument)
    .option(
      '--write',
      'record every placement in the shard lock and release removed things (commit the file)',
    )
    .addOption(jsonOption())
    .action((opts: { env: string; thing?: string; write?: boolean; json?: boolean }) => {
      const output = commandOutput(Boolean(opts.json), deps.streams);
      const loaded = (deps.loadConfig ?? loadEnvironmentConfig)(opts.env);
      const { recorded: config, written } = opts.write ? writeFleetPlan(loaded) : { recorded: loaded };
      const plan = fleetPlan(config);
      const placement = opts.thing === undefined ? undefined : placeThing(config, opts.thing);
      output.result({
        ...plan,
        ...(placement ? { placement } : {}),
        ...(opts.write ? { written: written ?? null } : {}),
      });
      if (opts.write) {
        output.say(written ? describeLockChange(written) : `${plan.lockFile} already records every thing.`);
      }
      if (placement) output.say(renderPlacement(placement, plan));
      else renderFleetPlan(plan).forEach((line) => output.say(line));
    });
}
