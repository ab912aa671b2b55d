import { Annotations, Match } from 'aws-cdk-lib/assertions';
import {
  ciRequiresRecordedPlacements,
  layoutFleet,
  lockIsStale,
  lockOf,
  recordPlacementsCommand,
  UnrecordedPlacementError,
  unrecordedPlacementWarning,
} from '../../lib/fleet/placement';
import { createEnvironmentStacks } from '../../lib/stacks/environment';
import { devConfig, testApp } from '../support/cdk-app';

const lock = (assignments: Record<string, number>, maxThingsPerShard = 2) => ({
  version: 1 as const,
  maxThingsPerShard,
  assignments,
});
const things = (...names: string[]) => names.map((name) => ({ name, note: `thing ${name}` }));

describe('layoutFleet', () => {
  it('keeps recorded shards, places the others in memory, and keeps what it was given', () => {
    const layout = layoutFleet(things('c', 'a', 'b', 'd'), lock({ c: 2, gone: 1 }));
    expect(layout.things).toEqual([
      { name: 'c', note: 'thing c', shard: 2 },
      { name: 'a', note: 'thing a', shard: 1 },
      { name: 'b', note: 'thing b', shard: 1 },
      { name: 'd', note: 'thing d', shard: 2 },
    ]);
    expect(layout.unrecorded).toEqual(['a', 'b', 'd']);
    expect(layout.released).toEqual(['gone']);
    expect(lockIsStale(layout)).toBe(true);
    expect(lockOf(layout)).toEqual(lock({ c: 2, a: 1, b: 1, d: 2 }));
  });

  it('is current when the lock records exactly the configured things', () => {
    const layout = layoutFleet(things('a', 'b'), lock({ a: 1, b: 1 }));
    expect(layout.unrecorded).toEqual([]);
    expect(layout.released).toEqual([]);
    expect(lockIsStale(layout)).toBe(false);
  });

  it('is stale when the lock only records a thing the config no longer has: its slot is free again', () => {
    const layout = layoutFleet(things('a'), lock({ a: 1, gone: 1 }));
    expect(layout.unrecorded).toEqual([]);
    expect(layout.released).toEqual(['gone']);
    expect(lockIsStale(layout)).toBe(true);
    expect(lockOf(layout)).toEqual(lock({ a: 1 }));
  });

  it('is stale when the config has a thing the lock does not record yet, and nothing was released', () => {
    const layout = layoutFleet(things('a', 'b'), lock({ a: 1 }));
    expect(layout.unrecorded).toEqual(['b']);
    expect(layout.released).toEqual([]);
    expect(lockIsStale(layout)).toBe(true);
  });

  it("keeps the lock's shard size, which decides where new things go", () => {
    const layout = layoutFleet(things('a', 'b', 'c'), lock({}, 3));
    expect(layout.maxThingsPerShard).toBe(3);
    expect(layout.things.map((thing) => thing.shard)).toEqual([1, 1, 1]);
    expect(lockOf(layout)).toEqual(lock({ a: 1, b: 1, c: 1 }, 3));
  });
});

describe('the messages about unrecorded placements', () => {
  const names = (count: number) => Array.from({ length: count }, (_, i) => `t${i + 1}`);

  it('name the command that records placements for the environment', () => {
    expect(recordPlacementsCommand('prod')).toBe('npx keyless fleet plan --env prod --write');
    expect(unrecordedPlacementWarning('prod', ['t1', 't2'])).toBe(
      'fleet/prod/shards.json does not record the Fleet stack of 2 thing(s) (t1, t2): this synth placed them in ' +
        'memory only, and a later change to the fleet may place them elsewhere. Record the placements with ' +
        '`npx keyless fleet plan --env prod --write` and commit fleet/prod/shards.json.',
    );
  });

  it('list five things at most and count the rest', () => {
    expect(unrecordedPlacementWarning('dev', names(5))).toContain('5 thing(s) (t1, t2, t3, t4, t5): ');
    expect(unrecordedPlacementWarning('dev', names(6))).toContain('6 thing(s) (t1, t2, t3, t4, t5 and 1 more): ');
    expect(new UnrecordedPlacementError('dev', names(12)).message).toContain(
      '12 thing(s) (t1, t2, t3, t4, t5 and 7 more), and CI is set',
    );
  });

  it('the CI refusal is an error of its own that carries the environment and the things', () => {
    const error = new UnrecordedPlacementError('prod', ['t1']);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('UnrecordedPlacementError');
    expect(error.envName).toBe('prod');
    expect(error.unrecorded).toEqual(['t1']);
  });
});

describe('the CI variable', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['  ', false],
    ['false', false],
    ['FALSE', false],
    [' false\n', false],
    ['0', false],
    [' 0 ', false],
    ['true', true],
    ['1', true],
    ['yes', true],
    ['github-actions', true],
  ])('%j requires recorded placements: %s', (value, required) => {
    expect(ciRequiresRecordedPlacements(value)).toBe(required);
  });
});

describe('a synth with a thing the shard lock does not record', () => {
  // The dev sample records sensor-001 and sensor-002; sensor-003 was added to the config by hand.
  const config = devConfig((raw) => {
    raw.iot!.things!.push({ name: 'sensor-003', attributes: { Owner: 'keyless' } });
  });

  it('places it in memory and warns, naming the command that records it', () => {
    const { fleet } = createEnvironmentStacks(testApp({ 'aws:cdk:bundling-stacks': [] }), config);
    expect(fleet.map((stack) => stack.stackName)).toEqual(['KeylessIot-dev-Fleet-1']);
    Annotations.fromStack(fleet[0]).hasWarning(
      '/KeylessIot-dev-Fleet-1',
      Match.stringLikeRegexp(
        'fleet/dev/shards.json does not record the Fleet stack of 1 thing\\(s\\) \\(sensor-003\\): this synth placed them in memory only.*Record the placements with `npx keyless fleet plan --env dev --write`',
      ),
    );
  });

  it('is refused when placements must be recorded (CI), before any stack exists', () => {
    const app = testApp({ 'aws:cdk:bundling-stacks': [] });
    expect(() => createEnvironmentStacks(app, config, { requireRecordedPlacements: true })).toThrow(
      new UnrecordedPlacementError('dev', ['sensor-003']),
    );
    expect(() => createEnvironmentStacks(app, config, { requireRecordedPlacements: true })).toThrow(
      'fleet/dev/shards.json does not record the Fleet stack of 1 thing(s) (sensor-003), and CI is set, so nothing ' +
        'is placed that the committed lock does not record. Run `npx keyless fleet plan --env dev --write`, ' +
        'commit fleet/dev/shards.json, and synth again.',
    );
    expect(app.node.children).toEqual([]);
  });

  it('is no problem in CI when every thing is recorded', () => {
    const { fleet } = createEnvironmentStacks(testApp({ 'aws:cdk:bundling-stacks': [] }), devConfig(), {
      requireRecordedPlacements: true,
    });
    expect(fleet).toHaveLength(1);
    Annotations.fromStack(fleet[0]).hasNoWarning('*', Match.stringLikeRegexp('does not record'));
  });
});
