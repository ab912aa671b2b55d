import { type KeylessConfigInput } from '../../lib/config';
import { LIMITS } from '../../lib/contract';
import { devConfig } from '../support/cdk-app';
import { devConfigProblems } from '../support/config-problems';

/**
 * The config of a quarantine: `iot.things[].quarantinedAt` next to `quarantined`, and
 * `krypton.quarantinedIdentities`, from which the device roles deny the sessions of quarantined devices. Old
 * configs (`"quarantined": true` without a time) keep loading; what IAM could not hold is refused at load.
 */

type Thing = NonNullable<NonNullable<KeylessConfigInput['iot']>['things']>[number];
const thingsOf = (raw: KeylessConfigInput): Array<Thing & Record<string, unknown>> =>
  raw.iot!.things! as Array<Thing & Record<string, unknown>>;
const kryptonOf = (raw: KeylessConfigInput): Record<string, unknown> =>
  raw.krypton as unknown as Record<string, unknown>;

describe('iot.things[].quarantinedAt', () => {
  it('is read next to quarantined, and an old config with "quarantined": true and no time still loads', () => {
    const config = devConfig((raw) => {
      Object.assign(thingsOf(raw)[0], { quarantined: true, quarantinedAt: '2026-12-07T18:00:00Z' });
      thingsOf(raw)[1].quarantined = true;
    });
    expect(config.iot!.things.map((t) => [t.name, t.quarantined, t.quarantinedAt])).toEqual([
      ['sensor-001', true, '2026-12-07T18:00:00Z'],
      ['sensor-002', true, undefined],
    ]);
  });

  it.each<[string, (raw: KeylessConfigInput) => void, string]>([
    [
      'a time on a thing that is not quarantined',
      (raw) => (thingsOf(raw)[0].quarantinedAt = '2026-12-07T18:00:00Z'),
      'config/dev.json: iot.things[0].quarantinedAt: expected no quarantinedAt on a thing that is not quarantined: set "quarantined": true, or remove quarantinedAt (`npx keyless device release` removes both), got "2026-12-07T18:00:00Z"',
    ],
    [
      'a time with an offset',
      (raw) =>
        Object.assign(thingsOf(raw)[0], { quarantined: true, quarantinedAt: '2026-12-07T18:00:00+09:00' }),
      'config/dev.json: iot.things[0].quarantinedAt: expected a UTC time such as 2026-01-31T09:30:00Z (a real date, no fraction), got "2026-12-07T18:00:00+09:00"',
    ],
    [
      'a date that does not exist',
      (raw) => Object.assign(thingsOf(raw)[0], { quarantined: true, quarantinedAt: '2026-02-30T00:00:00Z' }),
      'config/dev.json: iot.things[0].quarantinedAt: expected a UTC time such as 2026-01-31T09:30:00Z (a real date, no fraction), got "2026-02-30T00:00:00Z"',
    ],
    [
      'a number',
      (raw) => Object.assign(thingsOf(raw)[0], { quarantined: true, quarantinedAt: 1765130400 }),
      'config/dev.json: iot.things[0].quarantinedAt: expected a UTC time such as 2026-01-31T09:30:00Z, got 1765130400',
    ],
  ])('refuses %s', (_name, override, message) => {
    expect(devConfigProblems(override)).toContain(message);
  });

  it('refuses more quarantined things than the managed policies of the deny hold, with the numbers', () => {
    const many = (raw: KeylessConfigInput, count: number): void => {
      raw.iot!.policy.requiredAttributes = {};
      raw.iot!.things = Array.from({ length: count }, (_, i) => ({
        name: `quarantined-${String(i).padStart(4, '0')}`.padEnd(128, 'x'),
        quarantined: true,
        // Each at its own second: one statement per thing, the worst case.
        quarantinedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString().replace('.000Z', 'Z'),
      }));
    };
    expect(devConfigProblems((raw) => many(raw, LIMITS.quarantinedThingsAtWorst))).toEqual([]);
    expect(devConfigProblems((raw) => many(raw, LIMITS.quarantinedThingsAtWorst + 1))).toEqual([
      `config/dev.json: iot.things: expected at most as many quarantined things as ${LIMITS.quarantineDenyPolicies} IAM managed policies of ${LIMITS.managedPolicyChars} characters hold (the device role's deny of their sessions): ${LIMITS.quarantinedThingsAtWorst} of these ${LIMITS.quarantinedThingsAtWorst + 1} fit (at least ${LIMITS.quarantinedThingsAtWorst} always do). Release some, or revoke or decommission the ones kept quarantined for good, got "${LIMITS.quarantinedThingsAtWorst + 1} quarantined"`,
    ]);
  });
});

describe('krypton.quarantinedIdentities', () => {
  const id = (n: number): string =>
    `ap-northeast-1:${String(n).padStart(8, '0')}-1111-2222-3333-444455556666`;

  it('defaults to none and reads identities with their times', () => {
    expect(devConfig().krypton!.quarantinedIdentities).toEqual([]);
    const entry = { identityId: id(1), quarantinedAt: '2026-12-07T18:00:00Z' };
    expect(
      devConfig((raw) => (kryptonOf(raw).quarantinedIdentities = [entry])).krypton!.quarantinedIdentities,
    ).toEqual([entry]);
  });

  it.each<[string, unknown, string]>([
    [
      'an identity id that is not one',
      [{ identityId: 'sim-001', quarantinedAt: '2026-12-07T18:00:00Z' }],
      'config/dev.json: krypton.quarantinedIdentities[0].identityId: expected a Cognito identity id such as ap-northeast-1:0f1e2d3c-… (region, colon, lower-case hex and -), got "sim-001"',
    ],
    [
      'an entry without a time',
      [{ identityId: 'ap-northeast-1:0f1e2d3c' }],
      'config/dev.json: krypton.quarantinedIdentities[0].quarantinedAt: missing; expected a UTC time such as 2026-01-31T09:30:00Z',
    ],
    [
      'an identity listed twice',
      [
        { identityId: 'ap-northeast-1:0f1e2d3c', quarantinedAt: '2026-12-07T18:00:00Z' },
        { identityId: 'ap-northeast-1:0f1e2d3c', quarantinedAt: '2026-12-07T19:00:00Z' },
      ],
      'config/dev.json: krypton.quarantinedIdentities[1].identityId: expected an identity id listed once, got "ap-northeast-1:0f1e2d3c"',
    ],
  ])('refuses %s', (_name, entries, message) => {
    expect(devConfigProblems((raw) => (kryptonOf(raw).quarantinedIdentities = entries))).toContain(message);
  });

  it('refuses more identities than the managed policies of the deny hold', () => {
    const many = (count: number) => (raw: KeylessConfigInput) => {
      kryptonOf(raw).quarantinedIdentities = Array.from({ length: count }, (_, i) => ({
        identityId: `ap-northeast-1:${String(i).padStart(8, '0')}`.padEnd(55, 'a'),
        quarantinedAt: '2026-12-07T18:00:00Z',
      }));
    };
    expect(devConfigProblems(many(LIMITS.quarantinedIdentitiesAtWorst))).toEqual([]);
    expect(devConfigProblems(many(LIMITS.quarantinedIdentitiesAtWorst + 1))).toEqual([
      expect.stringMatching(
        new RegExp(
          `^config/dev.json: krypton.quarantinedIdentities: expected at most as many quarantined Krypton identities as ${LIMITS.quarantineDenyPolicies} IAM managed policies`,
        ),
      ),
    ]);
  });
});
