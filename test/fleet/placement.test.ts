import { Annotations, Match } from 'aws-cdk-lib/assertions';
import {
  ciRequiresRecordedPlacements,
  layoutFleet,
  lockIsStale,
  lockOf,
  UnrecordedPlacementError,
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
    expect(lockIsStale(layout)).toBe(false);
  });
});

describe('the CI variable', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['  ', false],
    ['false', false],
    ['FALSE', false],
    ['0', false],
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
