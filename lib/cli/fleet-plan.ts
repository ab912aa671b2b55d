import type { Command } from 'commander';
import { loadEnvironmentConfig, type KeylessConfig } from '../config';
import { fleetStackName } from '../fleet/outputs';
import { planShards } from '../fleet/shard-plan';

/** One Fleet stack as the operator sees it before a synth. */
export interface FleetStackPlan {
  readonly shard: number;
  readonly stackName: string;
  readonly things: number;
  /** Things the shard lock does not record yet: this plan placed them, the next synth records them. */
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
  /** `recorded`: in the shard lock; `placed`: configured, recorded by the next synth; `new`: not configured. */
  readonly status: 'recorded' | 'placed' | 'new';
}

function fleetOf(config: KeylessConfig) {
  if (!config.iot || !config.fleet) {
    throw new Error(
      `${config.configFile}: no iot section, so environment "${config.envName}" has no Fleet stacks`,
    );
  }
  return config.fleet;
}

/** What the shard lock records, without the things this load placed for the first time. */
function recordedShards(config: KeylessConfig): Map<string, number> {
  const fleet = fleetOf(config);
  const placedNow = new Set(fleet.newlyAssigned);
  return new Map(fleet.things.filter((t) => !placedNow.has(t.name)).map((t) => [t.name, t.shard]));
}

/** The Fleet stacks the next synth makes, from the config and the shard lock (linear in the fleet). */
export function fleetPlan(config: KeylessConfig): FleetPlan {
  const fleet = fleetOf(config);
  const placedNow = new Set(fleet.newlyAssigned);
  const byShard = new Map<number, { things: number; newThings: number; withoutCsr: number }>();
  for (const thing of fleet.things) {
    const entry = byShard.get(thing.shard) ?? { things: 0, newThings: 0, withoutCsr: 0 };
    entry.things++;
    if (placedNow.has(thing.name)) entry.newThings++;
    if (thing.csrPem === undefined) entry.withoutCsr++;
    byShard.set(thing.shard, entry);
  }
  const stacks = [...byShard.entries()]
    .sort(([a], [b]) => a - b)
    .map(([shard, entry]) => ({
      shard,
      stackName: fleetStackName(config.envName, shard),
      ...entry,
      free: Math.max(0, fleet.maxThingsPerShard - entry.things),
    }));
  let next = 1;
  while ((byShard.get(next)?.things ?? 0) >= fleet.maxThingsPerShard) next++;
  return {
    envName: config.envName,
    lockFile: fleet.lockFileShown,
    maxThingsPerShard: fleet.maxThingsPerShard,
    stacks,
    nextStackName: fleetStackName(config.envName, next),
    released: fleet.released,
  };
}

/**
 * The stack of a configured thing, or the one a new thing would land in if added to the config as it is now:
 * the same planShards the config loader runs, with the new name among the unplaced ones.
 */
export function placeThing(config: KeylessConfig, thingName: string): ThingPlacement {
  const fleet = fleetOf(config);
  const configured = fleet.things.find((thing) => thing.name === thingName);
  if (configured) {
    const status = fleet.newlyAssigned.includes(thingName) ? 'placed' : 'recorded';
    return { thingName, stackName: fleetStackName(config.envName, configured.shard), status };
  }
  const names = [...fleet.things.map((thing) => thing.name), thingName];
  const shard = planShards(names, recordedShards(config), fleet.maxThingsPerShard).assignments.get(
    thingName,
  )!;
  return { thingName, stackName: fleetStackName(config.envName, shard), status: 'new' };
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
    lines.push(`${placed} thing(s) are not in ${plan.lockFile} yet: the next synth records where they are.`);
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

export function renderPlacement(placement: ThingPlacement, lockFile: string): string {
  switch (placement.status) {
    case 'recorded':
      return `${placement.thingName} is in ${placement.stackName} (recorded in ${lockFile}; it never moves).`;
    case 'placed':
      return `${placement.thingName} goes to ${placement.stackName}; the next synth records it in ${lockFile}.`;
    case 'new':
      return `${placement.thingName} is not configured; added to the config now, it lands in ${placement.stackName}.`;
  }
}

/** `keyless fleet plan --env <env> [--thing NAME] [--json]`. */
export function addFleetPlanCommand(
  fleet: Command,
  deps: { loadConfig?: (envName: string) => KeylessConfig; log?: (line: string) => void } = {},
): void {
  fleet
    .command('plan')
    .description('Show which Fleet stack holds each thing, and where a new thing will land')
    .requiredOption('--env <env>', 'environment (config/<env>.json)')
    .option('--thing <name>', 'where this thing is, or would land if added')
    .option('--json', 'print the plan as JSON')
    .action((opts: { env: string; thing?: string; json?: boolean }) => {
      const log = deps.log ?? ((line: string) => process.stdout.write(`${line}\n`));
      const config = (deps.loadConfig ?? loadEnvironmentConfig)(opts.env);
      const plan = fleetPlan(config);
      const placement = opts.thing === undefined ? undefined : placeThing(config, opts.thing);
      if (opts.json) {
        log(JSON.stringify(placement ? { ...plan, placement } : plan, null, 2));
        return;
      }
      if (placement) log(renderPlacement(placement, plan.lockFile));
      else renderFleetPlan(plan).forEach((line) => log(line));
    });
}
