import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { registerFleetCommands } from '../../lib/cli/fleet-commands';
import { fleetPlan, placeThing, renderFleetPlan } from '../../lib/cli/fleet-plan';
import { parseConfig, type KeylessConfig, type KeylessConfigInput } from '../../lib/config';
import { CONFIG_DIR } from '../support/cdk-app';

const names = (count: number, prefix = 'sensor-'): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(4, '0')}`);

/** The dev config with these things, its shard lock (if any) in a repository root of its own. */
function configWith(
  thingNames: string[],
  lock?: { maxThingsPerShard?: number; assignments: object },
): KeylessConfig {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-plan-'));
  if (lock) {
    fs.mkdirSync(path.join(root, 'fleet', 'dev'), { recursive: true });
    fs.writeFileSync(
      path.join(root, 'fleet', 'dev', 'shards.json'),
      JSON.stringify({ version: 1, maxThingsPerShard: 100, ...lock }),
    );
  }
  const raw = JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, 'dev.json'), 'utf8')) as KeylessConfigInput;
  raw.iot!.things = thingNames.map((name) => ({ name, attributes: { Owner: 'keyless' } }));
  return parseConfig(raw, 'dev', 'config/dev.json', root);
}

const lockOf = (thingNames: string[], perShard = 100) =>
  Object.fromEntries(thingNames.map((name, i) => [name, Math.floor(i / perShard) + 1]));

test('an unrecorded fleet fills stacks in name order, and the plan says the lock will record them', () => {
  const plan = fleetPlan(configWith(names(250)));
  expect(plan.stacks).toEqual([
    { shard: 1, stackName: 'KeylessIot-dev-Fleet-1', things: 100, newThings: 100, withoutCsr: 100, free: 0 },
    { shard: 2, stackName: 'KeylessIot-dev-Fleet-2', things: 100, newThings: 100, withoutCsr: 100, free: 0 },
    { shard: 3, stackName: 'KeylessIot-dev-Fleet-3', things: 50, newThings: 50, withoutCsr: 50, free: 50 },
  ]);
  expect(plan.nextStackName).toBe('KeylessIot-dev-Fleet-3');
  expect(renderFleetPlan(plan)).toEqual([
    'Environment "dev": 250 things in 3 Fleet stack(s), at most 100 per stack (fleet/dev/shards.json)',
    '',
    'stack                     things       new    no CSR      free',
    'KeylessIot-dev-Fleet-1       100       100       100         0',
    'KeylessIot-dev-Fleet-2       100       100       100         0',
    'KeylessIot-dev-Fleet-3        50        50        50        50',
    '',
    '250 thing(s) are not in fleet/dev/shards.json yet: the next synth records where they are.',
    'A thing added now lands in KeylessIot-dev-Fleet-3 (the lowest-numbered stack with room).',
  ]);
});

test('removed things free their slots: the next thing fills the lowest stack with room, nobody moves', () => {
  const all = names(250);
  const remaining = all.filter((name) => name !== 'sensor-0042' && name !== 'sensor-0043');
  const config = configWith(remaining, { assignments: lockOf(all) });
  const plan = fleetPlan(config);
  expect(plan.stacks.map((s) => [s.stackName, s.things, s.newThings, s.free])).toEqual([
    ['KeylessIot-dev-Fleet-1', 98, 0, 2],
    ['KeylessIot-dev-Fleet-2', 100, 0, 0],
    ['KeylessIot-dev-Fleet-3', 50, 0, 50],
  ]);
  expect(plan.released).toEqual(['sensor-0042', 'sensor-0043']);
  expect(plan.nextStackName).toBe('KeylessIot-dev-Fleet-1');
  expect(renderFleetPlan(plan)).toContain(
    '2 thing(s) in fleet/dev/shards.json are no longer configured; their slots are free: sensor-0042, sensor-0043',
  );
  expect(placeThing(config, 'zz-new')).toEqual({
    thingName: 'zz-new',
    stackName: 'KeylessIot-dev-Fleet-1',
    status: 'new',
  });
});

test('--thing says where a recorded, a newly placed and a not yet configured thing are', async () => {
  const recorded = names(100);
  const config = configWith([...recorded, 'sensor-0101'], { assignments: lockOf(recorded) });
  const log: string[] = [];
  const run = async (...args: string[]): Promise<void> => {
    const program = new Command('keyless').exitOverride();
    registerFleetCommands(program, { loadConfig: () => config, log: (line) => log.push(line) });
    await program.parseAsync(['node', 'keyless', 'fleet', 'plan', '--env', 'dev', ...args]);
  };
  await run('--thing', 'sensor-0007');
  await run('--thing', 'sensor-0101');
  // A new name placed together with the other unplaced ones, as the loader would: sensor-0101 keeps its slot.
  await run('--thing', 'sensor-0000');
  expect(log).toEqual([
    'sensor-0007 is in KeylessIot-dev-Fleet-1 (recorded in fleet/dev/shards.json; it never moves).',
    'sensor-0101 goes to KeylessIot-dev-Fleet-2; the next synth records it in fleet/dev/shards.json.',
    'sensor-0000 is not configured; added to the config now, it lands in KeylessIot-dev-Fleet-2.',
  ]);
});

test('--json prints the plan for scripts', async () => {
  const config = configWith(names(3));
  const log: string[] = [];
  const program = new Command('keyless').exitOverride();
  registerFleetCommands(program, { loadConfig: () => config, log: (line) => log.push(line) });
  await program.parseAsync(['node', 'keyless', 'fleet', 'plan', '--env', 'dev', '--json']);
  expect(JSON.parse(log.join('\n'))).toMatchObject({
    envName: 'dev',
    maxThingsPerShard: 100,
    nextStackName: 'KeylessIot-dev-Fleet-1',
    stacks: [{ stackName: 'KeylessIot-dev-Fleet-1', things: 3 }],
  });
});

test('an environment without the iot section has no Fleet stacks to plan', () => {
  const raw = JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, 'dev.json'), 'utf8')) as KeylessConfigInput;
  delete raw.iot;
  expect(() => fleetPlan(parseConfig(raw, 'dev', 'config/dev.json'))).toThrow(
    'config/dev.json: no iot section, so environment "dev" has no Fleet stacks',
  );
});
