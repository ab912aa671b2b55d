import type { z } from 'zod';
import {
  cidrRange,
  cidrsOverlap,
  email,
  flag,
  intRange,
  matching,
  oneOf,
  quarantineDenyFits,
  quarantineTime,
  text,
} from '../../lib/config/rules';
import { LIMITS, NAME_RULES, quarantineDenyDocuments } from '../../lib/contract';

/** The sentences an operator reads for `value` (the loader adds the file, the path and the value). */
function messages(schema: z.ZodType, value: unknown): string[] {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues.map((issue) => issue.message);
}

describe('each rule says what a valid value is', () => {
  test('an integer range accepts its bounds and names them for anything else', () => {
    const days = intRange({ min: 1, max: 30, unit: 'days' });
    expect(messages(days, 1)).toEqual([]);
    expect(messages(days, 30)).toEqual([]);
    for (const bad of [0, 31, 2.5, '7', undefined]) {
      expect(messages(days, bad)).toEqual(['expected an integer from 1 to 30 days']);
    }
  });

  test('a name rule names its description, for a wrong string and for anything not a string', () => {
    const thing = matching(NAME_RULES.thingName);
    expect(messages(thing, 'sensor-001')).toEqual([]);
    expect(messages(thing, 'no spaces')).toEqual([`expected ${NAME_RULES.thingName.description}`]);
    expect(messages(thing, 42)).toEqual([`expected ${NAME_RULES.thingName.description}`]);
  });

  // Equivalent mutants: `.min(…, {})`, `.max(…, {})` and `.regex(…, {})` without their own error: zod 4 then reports
  // the error the schema was made with, the same sentence.
  test('an e-mail address is one, and anything else is named as not one', () => {
    expect(messages(email, 'alarms@example.com')).toEqual([]);
    expect(messages(email, 'alarms at example.com')).toEqual(['expected an e-mail address']);
  });

  test('a choice lists every value', () => {
    expect(messages(oneOf(['retain', 'destroy']), 'keep')).toEqual(['expected one of: retain, destroy']);
    expect(messages(oneOf(['retain', 'destroy']), 'destroy')).toEqual([]);
  });

  test('a flag is true or false, not a string that reads like one', () => {
    expect(messages(flag(), 'true')).toEqual(['expected true or false']);
    expect(messages(flag(), false)).toEqual([]);
  });

  test('free text has a length limit, and the limit itself is allowed', () => {
    expect(messages(text(5), 'abcde')).toEqual([]);
    expect(messages(text(5), 'abcdef')).toEqual(['expected at most 5 characters']);
  });

  test('a quarantine time is UTC to the second and a real date', () => {
    expect(messages(quarantineTime, '2026-01-31T09:30:00Z')).toEqual([]);
    for (const bad of ['2026-02-30T09:30:00Z', '2026-01-31T09:30:00.5Z', '2026-01-31T09:30:00+09:00']) {
      expect(messages(quarantineTime, bad)).toEqual([
        'expected a UTC time such as 2026-01-31T09:30:00Z (a real date, no fraction)',
      ]);
    }
    expect(messages(quarantineTime, 20260131)).toEqual(['expected a UTC time such as 2026-01-31T09:30:00Z']);
  });
});

describe('CIDR blocks', () => {
  test('a block runs from its network address to its broadcast address, whatever host bits it is written with', () => {
    expect(cidrRange('10.0.0.0/16')).toEqual({ first: 0x0a000000, last: 0x0a00ffff });
    expect(cidrRange('10.0.7.9/16')).toEqual({ first: 0x0a000000, last: 0x0a00ffff });
    expect(cidrRange('192.168.1.77/32')).toEqual({ first: 0xc0a8014d, last: 0xc0a8014d });
    expect(cidrRange('0.0.0.0/0')).toEqual({ first: 0, last: 0xffffffff });
  });

  test('two blocks overlap when they share an address, either way round', () => {
    expect(cidrsOverlap('10.0.0.0/16', '10.0.128.0/24')).toBe(true);
    expect(cidrsOverlap('10.0.128.0/24', '10.0.0.0/16')).toBe(true);
    expect(cidrsOverlap('10.0.0.0/24', '10.0.0.255/32')).toBe(true);
    expect(cidrsOverlap('10.0.0.255/32', '10.0.0.0/24')).toBe(true);
    // Adjacent blocks share no address.
    expect(cidrsOverlap('10.0.0.0/24', '10.0.1.0/24')).toBe(false);
    expect(cidrsOverlap('10.0.1.0/24', '10.0.0.0/24')).toBe(false);
  });
});

describe('the quarantine deny must fit its managed policies', () => {
  const things = (count: number) =>
    Array.from({ length: count }, (_, i) => ({
      id: `quarantined-thing-${String(i).padStart(100, '0')}`,
      quarantinedAt: '2026-01-31T09:30:00Z',
    }));
  const identities = (count: number) =>
    Array.from({ length: count }, (_, i) => ({
      id: `ap-northeast-1:${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`,
    }));

  test('no sentence when they fit', () => {
    expect(quarantineDenyFits('thing', things(LIMITS.quarantinedThingsAtWorst))).toBeUndefined();
    expect(quarantineDenyFits('identity', identities(LIMITS.quarantinedIdentitiesAtWorst))).toBeUndefined();
  });

  test('when they do not, the sentence says how many fit and what to do', () => {
    const manyThings = things(2000);
    expect(quarantineDenyFits('thing', manyThings)).toBe(
      `expected at most as many quarantined things as ${LIMITS.quarantineDenyPolicies} IAM managed policies of ` +
        `${LIMITS.managedPolicyChars} characters hold (the device role's deny of their sessions): ` +
        `${quarantineDenyDocuments('thing', manyThings).covered} of these 2000 fit (at least ` +
        `${LIMITS.quarantinedThingsAtWorst} always do). Release some, or revoke or decommission the ones kept ` +
        'quarantined for good',
    );
    const manyIdentities = identities(5000);
    expect(quarantineDenyFits('identity', manyIdentities)).toBe(
      `expected at most as many quarantined Krypton identities as ${LIMITS.quarantineDenyPolicies} IAM managed ` +
        `policies of ${LIMITS.managedPolicyChars} characters hold (the device role's deny of their sessions): ` +
        `${quarantineDenyDocuments('identity', manyIdentities).covered} of these 5000 fit (at least ` +
        `${LIMITS.quarantinedIdentitiesAtWorst} always do). Release some, or revoke or decommission the ones kept ` +
        'quarantined for good',
    );
  });
});
