import { planShards, shardsOf } from '../../lib/fleet/shard-plan';

const names = (prefix: string, count: number, from = 1): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}${String(from + i).padStart(4, '0')}`);

describe('planShards', () => {
  it('fills shard 1 first, then opens new shards in sorted name order', () => {
    const plan = planShards(['c', 'a', 'e', 'b', 'd'], {}, 2);
    expect(Object.fromEntries(plan.assignments)).toEqual({ a: 1, b: 1, c: 2, d: 2, e: 3 });
    expect(plan.newlyAssigned).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(plan.released).toEqual([]);
  });

  it('keeps every recorded thing where it is, whatever the input order', () => {
    const recorded = { a: 2, b: 1, c: 3 };
    const forward = planShards(['a', 'b', 'c'], recorded, 2);
    const backward = planShards(['c', 'b', 'a'], recorded, 2);
    expect(Object.fromEntries(forward.assignments)).toEqual(recorded);
    expect(Object.fromEntries(backward.assignments)).toEqual(recorded);
    expect(forward.newlyAssigned).toEqual([]);
  });

  it('places new things in the lowest shard with room, never moving a recorded one', () => {
    const first = planShards(names('t', 250), {}, 100);
    const recorded = new Map(first.assignments);
    // Remove ten things from shard 1, add fifteen new ones that sort before everything else.
    const remaining = names('t', 250).filter((_, i) => i < 10 || i >= 20);
    const added = names('a', 15);
    const second = planShards([...added, ...remaining], recorded, 100);

    for (const name of remaining) expect(second.assignments.get(name)).toBe(recorded.get(name));
    expect(second.released).toEqual(names('t', 10, 11));
    // Ten freed slots in shard 1, then shard 3 had 50 free: the rest go there.
    expect(added.map((n) => second.assignments.get(n))).toEqual([...Array(10).fill(1), ...Array(5).fill(3)]);
  });

  it('leaves over-full recorded shards alone after maxPerShard is lowered', () => {
    const plan = planShards(['a', 'b', 'c', 'd'], { a: 1, b: 1, c: 1 }, 2);
    expect(Object.fromEntries(plan.assignments)).toEqual({ a: 1, b: 1, c: 1, d: 2 });
  });

  it('ignores duplicate names and rejects bad inputs', () => {
    expect(planShards(['a', 'a'], {}, 1).newlyAssigned).toEqual(['a']);
    expect(() => planShards(['a'], {}, 0)).toThrow('maxPerShard must be a positive integer, got: 0');
    expect(() => planShards(['a'], { a: 0 }, 5)).toThrow('recorded shard of "a" must be a positive integer, got: 0');
  });

  it('is a pure function of its inputs', () => {
    const recorded = new Map([['m', 1]]);
    planShards(['z', 'm', 'a'], recorded, 1);
    expect([...recorded]).toEqual([['m', 1]]);
    expect(planShards(['z', 'm', 'a'], recorded, 1)).toEqual(planShards(['a', 'z', 'm'], recorded, 1));
  });
});

describe('shardsOf', () => {
  it('groups things by shard, both in ascending order', () => {
    const grouped = shardsOf(new Map([['b', 2], ['c', 1], ['a', 2]]));
    expect([...grouped]).toEqual([[1, ['c']], [2, ['a', 'b']]]);
  });
});
