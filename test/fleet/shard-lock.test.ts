import { parseShardLock, renderShardLock } from '../../lib/fleet/shard-lock';

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
