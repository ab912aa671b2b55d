import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { registerFleetCommands } from '../../lib/cli/fleet-commands';
import { fleetPlan, placeThing, renderFleetPlan } from '../../lib/cli/fleet-plan';
import { parseConfig, type KeylessConfig, type KeylessConfigInput } from '../../lib/config';
import { CONFIG_DIR } from '../support/cdk-app';
import { capturedStreams } from '../support/streams';

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
    '250 thing(s) are not in fleet/dev/shards.json yet: synth places them in memory only. ' +
      'Record them with `npx keyless fleet plan --env dev --write`.',
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

/** Runs `keyless fleet plan …` on a config, as the operator would; stdout and stderr apart. */
async function plan(config: KeylessConfig, ...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const { streams, out } = capturedStreams();
  const program = new Command('keyless').exitOverride();
  registerFleetCommands(program, {
    loadConfig: () => config,
    streams,
  });
  await program.parseAsync(['node', 'keyless', 'fleet', 'plan', '--env', 'dev', ...args]);
  return out;
}

test('--thing says where a recorded, an unrecorded and a not yet configured thing are', async () => {
  const recorded = names(100);
  const config = configWith([...recorded, 'sensor-0101'], { assignments: lockOf(recorded) });
  const lines = [
    (await plan(config, '--thing', 'sensor-0007')).stdout,
    (await plan(config, '--thing', 'sensor-0101')).stdout,
    // A new name placed together with the other unrecorded ones, as synth would: sensor-0101 keeps its slot.
    (await plan(config, '--thing', 'sensor-0000')).stdout,
  ];
  expect(lines).toEqual([
    'sensor-0007 is in KeylessIot-dev-Fleet-1 (recorded in fleet/dev/shards.json; it never moves).\n',
    'sensor-0101 goes to KeylessIot-dev-Fleet-2; fleet/dev/shards.json does not record it yet: ' +
      '`npx keyless fleet plan --env dev --write` does.\n',
    'sensor-0000 is not configured; added to the config now, it lands in KeylessIot-dev-Fleet-2.\n',
  ]);
});

test('--json prints only the plan on stdout, for scripts; the table goes to stderr', async () => {
  const { stdout, stderr } = await plan(configWith(names(3)), '--json');
  expect(JSON.parse(stdout)).toEqual({
    envName: 'dev',
    lockFile: 'fleet/dev/shards.json',
    maxThingsPerShard: 100,
    nextStackName: 'KeylessIot-dev-Fleet-1',
    released: [],
    stacks: [
      { shard: 1, stackName: 'KeylessIot-dev-Fleet-1', things: 3, newThings: 3, withoutCsr: 3, free: 97 },
    ],
  });
  expect(stderr).toContain('KeylessIot-dev-Fleet-1         3         3         3        97');
});

describe('--write', () => {
  it('records things added by hand and releases removed ones, and nothing else', async () => {
    const recorded = names(3);
    const config = configWith(['sensor-0001', 'sensor-0003', 'added-by-hand'], {
      assignments: lockOf(recorded),
    });
    const lockFile = config.fleet!.lockFile;
    const { stdout } = await plan(config, '--write', '--json');
    expect(JSON.parse(fs.readFileSync(lockFile, 'utf8'))).toEqual({
      version: 1,
      maxThingsPerShard: 100,
      assignments: { 'added-by-hand': 1, 'sensor-0001': 1, 'sensor-0003': 1 },
    });
    const result = JSON.parse(stdout);
    expect(result.written).toEqual({
      lockFile: 'fleet/dev/shards.json',
      placed: { 'added-by-hand': 1 },
      released: ['sensor-0002'],
    });
    // The plan shows the lock as written.
    expect(result.stacks).toEqual([expect.objectContaining({ things: 3, newThings: 0 })]);
    expect(result.released).toEqual([]);
  });

  it('writes nothing when the lock already records every thing, and says so', async () => {
    const config = configWith(names(2), { assignments: lockOf(names(2)) });
    const before = fs.readFileSync(config.fleet!.lockFile, 'utf8');
    const { stdout } = await plan(config, '--write');
    expect(stdout.split('\n')[0]).toBe('fleet/dev/shards.json already records every thing.');
    expect(fs.readFileSync(config.fleet!.lockFile, 'utf8')).toBe(before);
  });

  it('creates the lock of a fleet that has none yet, and says to commit it', async () => {
    const config = configWith(names(2));
    expect(fs.existsSync(config.fleet!.lockFile)).toBe(false);
    const { stdout } = await plan(config, '--write');
    expect(stdout.split('\n')[0]).toBe(
      'fleet/dev/shards.json: placed 2 new thing(s) on Fleet shard(s) 1. Commit this file: it keeps every thing in its Fleet stack.',
    );
    expect(JSON.parse(fs.readFileSync(config.fleet!.lockFile, 'utf8')).assignments).toEqual({
      'sensor-0001': 1,
      'sensor-0002': 1,
    });
  });
});

test('an environment without the iot section has no Fleet stacks to plan', () => {
  const raw = JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, 'dev.json'), 'utf8')) as KeylessConfigInput;
  delete raw.iot;
  expect(() => fleetPlan(parseConfig(raw, 'dev', 'config/dev.json'))).toThrow(
    'config/dev.json: no iot section, so environment "dev" has no Fleet stacks',
  );
});
