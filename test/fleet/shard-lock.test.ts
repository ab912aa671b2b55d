import { LIMITS } from '../../lib/contract';
import { EMPTY_SHARD_LOCK, parseShardLock, renderShardLock } from '../../lib/fleet/shard-lock';

describe('shard lock file', () => {
  it('round-trips, with assignments sorted by name', () => {
    const text = renderShardLock(100, new Map([['sensor-002', 1], ['sensor-001', 1]]));
    expect(text).toBe(
      '{\n  "version": 1,\n  "maxThingsPerShard": 100,\n  "assignments": {\n    "sensor-001": 1,\n    "sensor-002": 1\n  }\n}\n',
    );
    expect(parseShardLock(JSON.parse(text))).toEqual({
      lock: { version: 1, maxThingsPerShard: 100, assignments: { 'sensor-001': 1, 'sensor-002': 1 } },
      problems: [],
    });
  });

  it('names every problem with its field and value', () => {
    expect(parseShardLock({ version: 2, maxThingsPerShard: 500, assignments: { a: 0 }, extra: 1 }).problems).toEqual([
      'version: expected 1, got 2',
      "maxThingsPerShard: expected an integer from 1 to 110 (each thing costs 4 of a stack's 500 resources), got 500",
      'assignments.a: expected a shard number (an integer from 1), got 0',
      '(top level): unknown keys extra',
    ]);
  });
});

describe('shard lock file: what a parse accepts and refuses', () => {
  it('fills the defaults a hand-written lock may leave out', () => {
    expect(parseShardLock({ version: 1 })).toEqual({
      lock: { version: 1, maxThingsPerShard: LIMITS.defaultThingsPerShard, assignments: {} },
      problems: [],
    });
    expect(EMPTY_SHARD_LOCK).toEqual({
      version: 1,
      maxThingsPerShard: LIMITS.defaultThingsPerShard,
      assignments: {},
    });
  });

  it('accepts the bounds of the shard size and of a shard number', () => {
    for (const size of [1, LIMITS.maxThingsPerShard]) {
      expect(parseShardLock({ version: 1, maxThingsPerShard: size, assignments: { a: 1 } }).problems).toEqual([]);
    }
  });

  // Equivalent mutants: `.min(1, {})` for the shard size and the shard number. Without its own error, zod 4
  // reports a check with the schema's (`z.int({ error })`), which is the same text.
  it.each([
    [{ version: 1, maxThingsPerShard: 0 }, 'maxThingsPerShard: expected an integer from 1 to 110, got 0'],
    [{ version: 1, maxThingsPerShard: 1.5 }, 'maxThingsPerShard: expected an integer from 1 to 110, got 1.5'],
    [{ version: 1, maxThingsPerShard: '10' }, 'maxThingsPerShard: expected an integer from 1 to 110, got "10"'],
    [{ version: 1, assignments: { a: -1 } }, 'assignments.a: expected a shard number (an integer from 1), got -1'],
    [{ version: 1, assignments: { a: 1.5 } }, 'assignments.a: expected a shard number (an integer from 1), got 1.5'],
    [{ version: 1, assignments: { a: '1' } }, 'assignments.a: expected a shard number (an integer from 1), got "1"'],
    [{ version: '1' }, 'version: expected 1, got "1"'],
  ])('refuses %j', (raw, problem) => {
    expect(parseShardLock(raw)).toEqual({ problems: [problem] });
  });

  it('names every unknown key', () => {
    expect(parseShardLock({ version: 1, shards: 2, lock: true }).problems).toEqual([
      '(top level): unknown keys shards, lock',
    ]);
  });

  it('names the top level when the file is not an object', () => {
    const { lock, problems } = parseShardLock(null);
    expect(lock).toBeUndefined();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^\(top level\): .*, got null$/);
  });

  // Equivalent mutants of the comparator (`a <= b`, `a >= b`, `true`/`false` for `a > b`): names in a Map are
  // unique, so a and b are never equal, and V8's sort only asks whether the result is below 0.
  it('sorts assignments by name whatever order they were made in', () => {
    const text = renderShardLock(
      7,
      new Map([
        ['b', 2],
        ['c', 1],
        ['a', 3],
        ['ab', 1],
      ]),
    );
    expect(Object.keys(JSON.parse(text).assignments)).toEqual(['a', 'ab', 'b', 'c']);
    expect(JSON.parse(text)).toMatchObject({ version: 1, maxThingsPerShard: 7 });
  });
});
