import { FunnelCredentialIds } from '../../lib/soracom/funnel-credential-ids';

// The one definition of the ids the Funnel key rotation creates (new-credential) and so of the only SIM groups
// it switches and the only credentials it deletes: every rule of the pattern is pinned here, because an id it
// wrongly matched would be someone else's credential.
describe('FunnelCredentialIds', () => {
  const ids = new FunnelCredentialIds('keyless-funnel');

  // Equivalent mutants: forRotation's internal check (`if (false)`, an empty message) never fires, because the
  // ids it builds always match; it is there so that a change to one of the two definitions cannot go unnoticed.
  test('forRotation: <prefix>-<yyMMdd> in UTC, with -<HHmmss> when the day is taken', () => {
    const at = new Date('2026-03-09T23:04:05.678Z');
    expect(ids.forRotation(at, false)).toBe('keyless-funnel-260309');
    expect(ids.forRotation(at, true)).toBe('keyless-funnel-260309-230405');
    // UTC, not local time: one minute before midnight UTC is still that day.
    expect(ids.forRotation(new Date('2026-12-31T23:59:59Z'), true)).toBe('keyless-funnel-261231-235959');
  });

  test('matches exactly the ids forRotation makes', () => {
    expect(ids.matches('keyless-funnel-260309')).toBe(true);
    expect(ids.matches('keyless-funnel-260309-230405')).toBe(true);
    expect(ids.matches('keyless-funnel-991231-000000')).toBe(true);
  });

  test.each([
    ['no date', 'keyless-funnel'],
    ['an empty date', 'keyless-funnel-'],
    ['another prefix', 'other-260309'],
    ['the prefix inside a longer name', 'x-keyless-funnel-260309'],
    ['something after the date', 'keyless-funnel-260309-old'],
    ['something after the time', 'keyless-funnel-260309-2304051'],
    ['a short time', 'keyless-funnel-260309-2304'],
    ['a four-digit year', 'keyless-funnel-20260309'],
    ['month 00', 'keyless-funnel-260009'],
    ['month 13', 'keyless-funnel-261309'],
    ['day 00', 'keyless-funnel-260300'],
    ['day 32', 'keyless-funnel-260332'],
    ['hour 24', 'keyless-funnel-260309-240000'],
    ['minute 60', 'keyless-funnel-260309-236000'],
    ['second 60', 'keyless-funnel-260309-230460'],
    ['letters for digits', 'keyless-funnel-26O3O9'],
    ['upper case', 'KEYLESS-FUNNEL-260309'],
    ['a trailing newline', 'keyless-funnel-260309\n'],
  ])('does not match %s (%j)', (_what, id) => {
    expect(ids.matches(id)).toBe(false);
  });

  test('every valid month, day, hour, minute and second matches', () => {
    for (let month = 1; month <= 12; month++) {
      for (const day of [1, 9, 10, 19, 20, 29, 30, 31]) {
        const id = `keyless-funnel-26${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}`;
        expect([id, ids.matches(id)]).toEqual([id, true]);
      }
    }
    for (const time of ['000000', '095959', '100000', '195959', '200000', '235959']) {
      expect(ids.matches(`keyless-funnel-260101-${time}`)).toBe(true);
    }
  });

  test('a prefix with regular-expression characters matches only itself', () => {
    for (const prefix of [
      'a.b',
      'a+b',
      'a*b',
      'a?b',
      'a^b',
      'a$b',
      'a{1}b',
      'a(b)',
      'a|b',
      'a[b]',
      'a\\b',
      'a/b',
    ]) {
      const special = new FunnelCredentialIds(prefix);
      expect([prefix, special.matches(`${prefix}-260309`)]).toEqual([prefix, true]);
      expect(special.forRotation(new Date('2026-03-09T00:00:00Z'), false)).toBe(`${prefix}-260309`);
    }
    expect(new FunnelCredentialIds('a.b').matches('aXb-260309')).toBe(false);
    expect(new FunnelCredentialIds('a+b').matches('aab-260309')).toBe(false);
    expect(new FunnelCredentialIds('a*b').matches('b-260309')).toBe(false);
    expect(new FunnelCredentialIds('a?b').matches('b-260309')).toBe(false);
    expect(new FunnelCredentialIds('a|b').matches('b-260309')).toBe(false);
    expect(new FunnelCredentialIds('a{1}b').matches('ab-260309')).toBe(false);
    expect(new FunnelCredentialIds('a(b)').matches('ab-260309')).toBe(false);
    expect(new FunnelCredentialIds('a[b]').matches('ab-260309')).toBe(false);
    expect(new FunnelCredentialIds('a\\b').matches('a\\\\b-260309')).toBe(false);
    expect(new FunnelCredentialIds('a-b').matches('a-b-260309')).toBe(true);
    expect(new FunnelCredentialIds('a^b').matches('a^b-260309')).toBe(true);
  });

  test('couldCreate ignores letter case (SORACOM does not say ids are case-sensitive); matches does not', () => {
    expect(ids.couldCreate('KEYLESS-FUNNEL-260309')).toBe(true);
    expect(ids.couldCreate('Keyless-Funnel-260309-230405')).toBe(true);
    expect(ids.couldCreate('keyless-funnel-260309')).toBe(true);
    expect(ids.couldCreate('KEYLESS-FUNNEL-261309')).toBe(false);
    expect(ids.couldCreate('other-260309')).toBe(false);
  });

  test('shape names the pattern for messages', () => {
    expect(ids.shape).toBe('keyless-funnel-<yyMMdd>[-HHmmss]');
    expect(ids.prefix).toBe('keyless-funnel');
  });
});
