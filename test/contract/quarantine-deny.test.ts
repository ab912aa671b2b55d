import {
  deniedBefore,
  deployedCertificateStatus,
  formatQuarantineTime,
  isQuarantineTime,
  LIMITS,
  QUARANTINE_DENY,
  quarantineDenyDocuments,
  type QuarantinedPrincipal,
} from '../../lib/contract';
import { evaluatePolicies } from '../support/policy-evaluator';

/** The deny documents of quarantined devices: what they deny, and how many devices fit (the limits). */

const secondApart = (i: number): string => formatQuarantineTime(new Date(Date.UTC(2026, 0, 1, 0, 0, i)));
const worstThings = (count: number): QuarantinedPrincipal[] =>
  Array.from({ length: count }, (_, i) => ({
    id: `thing-${String(i).padStart(4, '0')}`.padEnd(128, 'x'),
    quarantinedAt: secondApart(i),
  }));
const worstIdentities = (count: number): QuarantinedPrincipal[] =>
  Array.from({ length: count }, (_, i) => ({
    id: `ap-northeast-1:${String(i).padStart(8, '0')}`.padEnd(55, 'a'),
  }));

describe('quarantine times', () => {
  it('are UTC to the second, real dates only', () => {
    expect(isQuarantineTime('2026-12-07T18:00:00Z')).toBe(true);
    for (const bad of [
      '2026-12-07T18:00:00.000Z',
      '2026-12-07T18:00:00+00:00',
      '2026-02-30T00:00:00Z',
      '2026-12-07',
      '',
    ]) {
      expect([bad, isQuarantineTime(bad)]).toEqual([bad, false]);
    }
    expect(formatQuarantineTime(new Date('2026-12-07T18:00:00.999Z'))).toBe('2026-12-07T18:00:00Z');
    expect(deniedBefore('2026-12-07T18:00:00Z')).toBe('2026-12-07T18:15:00Z');
    expect(QUARANTINE_DENY.settleSeconds).toBe(900);
  });
});

describe('quarantineDenyDocuments', () => {
  it('denies a thing every action for sessions issued before its time plus the settle window, and one without a time every session', () => {
    const { documents, fits } = quarantineDenyDocuments('thing', [
      { id: 'sensor-001', quarantinedAt: '2026-12-07T18:00:00Z' },
      { id: 'sensor-002' },
    ]);
    expect(fits).toBe(true);
    expect(documents).toEqual([
      {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Deny',
            Action: '*',
            Resource: '*',
            Condition: { StringEquals: { 'credentials-iot:ThingName': 'sensor-002' } },
          },
          {
            Effect: 'Deny',
            Action: '*',
            Resource: '*',
            Condition: {
              StringEquals: { 'credentials-iot:ThingName': 'sensor-001' },
              DateLessThan: { 'aws:TokenIssueTime': '2026-12-07T18:15:00Z' },
            },
          },
        ],
      },
    ]);
    const ask = (thing: string, issued: string) =>
      evaluatePolicies(documents, {
        action: 's3:PutObject',
        resource: 'arn:aws:s3:::b/k',
        context: { 'credentials-iot:ThingName': thing, 'aws:TokenIssueTime': issued },
      });
    expect(ask('sensor-001', '2026-12-07T17:30:00Z')).toBe('deny');
    expect(ask('sensor-001', '2026-12-07T18:14:59Z')).toBe('deny');
    expect(ask('sensor-001', '2026-12-07T18:15:00Z')).toBe('implicit-deny'); // not denied: nothing here allows
    expect(ask('sensor-002', '2030-01-01T00:00:00Z')).toBe('deny');
    expect(ask('sensor-003', '2026-12-07T17:30:00Z')).toBe('implicit-deny');
  });

  it('denies a Krypton identity every session, whatever its time, and puts identities in one statement', () => {
    const { documents } = quarantineDenyDocuments('identity', [
      { id: 'ap-northeast-1:bbbb', quarantinedAt: '2026-12-07T18:00:00Z' },
      { id: 'ap-northeast-1:aaaa', quarantinedAt: '2026-12-07T19:00:00Z' },
    ]);
    expect(documents[0].Statement).toEqual([
      {
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: {
          StringEquals: {
            'cognito-identity.amazonaws.com:sub': ['ap-northeast-1:aaaa', 'ap-northeast-1:bbbb'],
          },
        },
      },
    ]);
  });

  it('shares a statement between things quarantined at the same second', () => {
    const { documents } = quarantineDenyDocuments('thing', [
      { id: 'b', quarantinedAt: '2026-12-07T18:00:00Z' },
      { id: 'a', quarantinedAt: '2026-12-07T18:00:00Z' },
    ]);
    expect(documents[0].Statement).toHaveLength(1);
    expect(documents[0].Statement[0].Condition.StringEquals).toEqual({
      'credentials-iot:ThingName': ['a', 'b'],
    });
  });

  it('makes no document when nothing is quarantined', () => {
    expect(quarantineDenyDocuments('thing', [])).toEqual({ documents: [], covered: 0, fits: true });
  });

  it.each([
    ['things', 'thing' as const, worstThings, LIMITS.quarantinedThingsAtWorst],
    ['identities', 'identity' as const, worstIdentities, LIMITS.quarantinedIdentitiesAtWorst],
  ])(
    'fits exactly the limit of %s at the worst in managed policies within the IAM size, and refuses one more',
    (_what, kind, worst, limit) => {
      const packed = quarantineDenyDocuments(kind, worst(limit));
      expect(packed.fits).toBe(true);
      expect(packed.documents.length).toBeLessThanOrEqual(LIMITS.quarantineDenyPolicies);
      for (const document of packed.documents) {
        expect(JSON.stringify(document).length).toBeLessThanOrEqual(LIMITS.managedPolicyChars);
      }
      const over = quarantineDenyDocuments(kind, worst(limit + 1));
      expect(over).toMatchObject({ fits: false, covered: limit });
    },
  );

  it('covers every principal exactly once across its documents', () => {
    const principals = worstThings(100);
    const { documents } = quarantineDenyDocuments('thing', principals);
    const named = documents.flatMap((d) =>
      d.Statement.flatMap((s) => [s.Condition.StringEquals['credentials-iot:ThingName']].flat()),
    );
    expect(named.sort()).toEqual(principals.map((p) => p.id).sort());
  });
});

describe('deployedCertificateStatus', () => {
  it('deploys an active certificate INACTIVE while its thing is quarantined, and leaves inactive and revoked alone', () => {
    expect(deployedCertificateStatus({ status: 'active', quarantined: true })).toBe('INACTIVE');
    expect(deployedCertificateStatus({ status: 'active', quarantined: false })).toBe('ACTIVE');
    expect(deployedCertificateStatus({ status: 'inactive', quarantined: false })).toBe('INACTIVE');
    expect(deployedCertificateStatus({ status: 'revoked', quarantined: true })).toBe('REVOKED');
    expect(deployedCertificateStatus({ status: 'revoked', quarantined: false })).toBe('REVOKED');
  });
});
