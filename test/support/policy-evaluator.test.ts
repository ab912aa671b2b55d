import {
  evaluatePolicy,
  flattenIntrinsics,
  thingConnectionContext,
  type PolicyDocumentJson,
} from './policy-evaluator';

const SUB = '${cognito-identity.amazonaws.com:sub}';

describe('policy evaluator (the oracle the isolation tests rely on)', () => {
  const document: PolicyDocumentJson = {
    Statement: [
      { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::bucket/krypton/${SUB}/*` },
      { Effect: 'Allow', Action: 's3:List*', Resource: 'arn:aws:s3:::bucket' },
      { Effect: 'Deny', NotAction: 's3:*', Resource: '*' },
    ],
  };

  it('substitutes policy variables in resources, and a missing variable matches nothing', () => {
    const context = { 'cognito-identity.amazonaws.com:sub': 'ap-northeast-1:x' };
    const request = (resource: string, ctx = context) =>
      evaluatePolicy(document, { action: 's3:GetObject', resource, context: ctx });
    expect(request('arn:aws:s3:::bucket/krypton/ap-northeast-1:x/a')).toBe('allow');
    expect(request('arn:aws:s3:::bucket/krypton/ap-northeast-1:y/a')).toBe('implicit-deny');
    expect(request('arn:aws:s3:::bucket/krypton/ap-northeast-1:x/a', {} as typeof context)).toBe(
      'implicit-deny',
    );
  });

  it('treats a * inside a substituted value literally', () => {
    const context = { 'cognito-identity.amazonaws.com:sub': '*' };
    expect(
      evaluatePolicy(document, {
        action: 's3:GetObject',
        resource: 'arn:aws:s3:::bucket/krypton/other/a',
        context,
      }),
    ).toBe('implicit-deny');
  });

  it('matches actions case-insensitively with wildcards, and an explicit Deny wins', () => {
    expect(evaluatePolicy(document, { action: 'S3:ListBucket', resource: 'arn:aws:s3:::bucket' })).toBe(
      'allow',
    );
    expect(evaluatePolicy(document, { action: 'iam:PassRole', resource: 'arn:aws:s3:::bucket' })).toBe(
      'deny',
    );
  });

  it('evaluates ForAllValues over an absent key as true (the dynamodb:LeadingKeys trap) and Null as its guard', () => {
    const statement = (withNull: boolean): PolicyDocumentJson => ({
      Statement: {
        Effect: 'Allow',
        Action: 'dynamodb:*',
        Resource: 'arn:aws:dynamodb:r:1:table/t',
        Condition: {
          'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [SUB] },
          ...(withNull ? { Null: { 'dynamodb:LeadingKeys': 'false' } } : {}),
        },
      },
    });
    const scan = {
      action: 'dynamodb:Scan',
      resource: 'arn:aws:dynamodb:r:1:table/t',
      context: { 'cognito-identity.amazonaws.com:sub': 'X' },
    };
    expect(evaluatePolicy(statement(false), scan)).toBe('allow');
    expect(evaluatePolicy(statement(true), scan)).toBe('implicit-deny');
    const own = { ...scan, context: { ...scan.context, 'dynamodb:LeadingKeys': ['X'] } };
    const mixed = { ...scan, context: { ...scan.context, 'dynamodb:LeadingKeys': ['X', 'Y'] } };
    expect(evaluatePolicy(statement(true), own)).toBe('allow');
    expect(evaluatePolicy(statement(true), mixed)).toBe('implicit-deny');
  });

  it('checks trust-policy principals and set operators on multi-valued keys', () => {
    const trust: PolicyDocumentJson = {
      Statement: {
        Effect: 'Allow',
        Action: 'sts:AssumeRoleWithWebIdentity',
        Principal: { Federated: 'cognito-identity.amazonaws.com' },
        Condition: {
          StringEquals: { 'cognito-identity.amazonaws.com:aud': 'pool-1' },
          'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
        },
      },
    };
    const ask = (amr: string[], aud = 'pool-1', principal = 'cognito-identity.amazonaws.com') =>
      evaluatePolicy(trust, {
        action: 'sts:AssumeRoleWithWebIdentity',
        principal: { Federated: principal },
        context: { 'cognito-identity.amazonaws.com:aud': aud, 'cognito-identity.amazonaws.com:amr': amr },
      });
    expect(ask(['authenticated', 'keyless.dev', 'keyless.dev:id'])).toBe('allow');
    expect(ask(['unauthenticated'])).toBe('implicit-deny');
    expect(ask(['authenticated'], 'pool-2')).toBe('implicit-deny');
    expect(ask(['authenticated'], 'pool-1', 'accounts.google.com')).toBe('implicit-deny');
  });

  it('lets an account root principal stand for the principals of that account', () => {
    const trust: PolicyDocumentJson = {
      Statement: {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { AWS: 'arn:aws:iam::123456789012:root' },
      },
    };
    const ask = (arn: string) => evaluatePolicy(trust, { action: 'sts:AssumeRole', principal: { AWS: arn } });
    expect(ask('arn:aws:iam::123456789012:role/soracom')).toBe('allow');
    expect(ask('arn:aws:iam::210987654321:role/soracom')).toBe('implicit-deny');
  });

  it('compares numeric keys, and a numeric condition on an absent key does not hold', () => {
    const tls: PolicyDocumentJson = {
      Statement: [
        { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
        {
          Effect: 'Deny',
          Action: 's3:*',
          Resource: '*',
          Condition: { NumericLessThan: { 's3:TlsVersion': '1.2' } },
        },
      ],
    };
    const ask = (version?: string) =>
      evaluatePolicy(tls, {
        action: 's3:GetObject',
        resource: 'arn:aws:s3:::b/k',
        context: { 's3:TlsVersion': version },
      });
    expect(ask('1.0')).toBe('deny');
    expect(ask('1.2')).toBe('allow');
    expect(ask('1.3')).toBe('allow');
    expect(ask(undefined)).toBe('allow');
  });

  it('compares date keys (ISO 8601 or epoch seconds), and a date condition on an absent key does not hold', () => {
    const issuedBefore = (operator: string, time: string): PolicyDocumentJson => ({
      Statement: [
        { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
        {
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: { [operator]: { 'aws:TokenIssueTime': time } },
        },
      ],
    });
    const ask = (document: PolicyDocumentJson, issued?: string) =>
      evaluatePolicy(document, {
        action: 's3:GetObject',
        resource: 'arn:aws:s3:::b/k',
        context: { 'aws:TokenIssueTime': issued },
      });
    const cut = '2026-12-07T18:15:00Z';
    const table: Array<[string, string, 'deny' | 'allow']> = [
      ['DateLessThan', '2026-12-07T18:14:59Z', 'deny'],
      ['DateLessThan', cut, 'allow'],
      ['DateLessThan', '2026-12-07T18:15:01Z', 'allow'],
      ['DateLessThanEquals', cut, 'deny'],
      ['DateGreaterThan', '2026-12-07T18:15:01Z', 'deny'],
      ['DateGreaterThan', cut, 'allow'],
      ['DateGreaterThanEquals', cut, 'deny'],
      ['DateEquals', '2026-12-07T19:15:00+01:00', 'deny'],
      ['DateNotEquals', cut, 'allow'],
      ['DateNotEquals', '2026-12-07T18:15:00.001Z', 'deny'],
    ];
    for (const [operator, issued, decision] of table) {
      expect([operator, issued, ask(issuedBefore(operator, cut), issued)]).toEqual([
        operator,
        issued,
        decision,
      ]);
    }
    // Epoch seconds on either side.
    expect(ask(issuedBefore('DateLessThan', String(Date.parse(cut) / 1000)), '2026-12-07T18:00:00Z')).toBe(
      'deny',
    );
    expect(ask(issuedBefore('DateLessThan', cut), String(Date.parse(cut) / 1000 + 60))).toBe('allow');
    // No issue time in the request: the Deny does not apply (IfExists would make it).
    expect(ask(issuedBefore('DateLessThan', cut), undefined)).toBe('allow');
    expect(ask(issuedBefore('DateLessThanIfExists', cut), undefined)).toBe('deny');
    // A value the oracle cannot read is an error, never a guess.
    expect(() => ask(issuedBefore('DateLessThan', 'yesterday'), cut)).toThrow(
      /cannot read "yesterday" as a date/,
    );
  });

  it('gives a connecting thing its AWS IoT condition keys, and none without a thing', () => {
    expect(
      thingConnectionContext({
        thingName: 'A',
        thingTypeName: 'Sensor',
        attributes: { Owner: 'keyless', keylessQuarantine: 'true' },
      }),
    ).toEqual({
      'iot:Connection.Thing.ThingName': 'A',
      'iot:Connection.Thing.IsAttached': 'true',
      'iot:Connection.Thing.ThingTypeName': 'Sensor',
      'iot:Connection.Thing.Attributes[Owner]': 'keyless',
      'iot:Connection.Thing.Attributes[keylessQuarantine]': 'true',
    });
    expect(thingConnectionContext({ thingName: 'B', attached: false })).toEqual({
      'iot:Connection.Thing.ThingName': 'B',
      'iot:Connection.Thing.IsAttached': 'false',
    });
    expect(thingConnectionContext()).toEqual({});
  });

  it('applies a Deny on a thing attribute only to things that carry it, and an Allow needing the thing to none without one', () => {
    const policy: PolicyDocumentJson = {
      Statement: [
        {
          Effect: 'Deny',
          Action: 'iot:Connect',
          Resource: '*',
          Condition: { StringEquals: { 'iot:Connection.Thing.Attributes[Q]': 'true' } },
        },
        {
          Effect: 'Allow',
          Action: 'iot:Connect',
          Resource: 'arn:aws:iot:r:1:client/${iot:Connection.Thing.ThingName}',
          Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
        },
      ],
    };
    const connect = (context: ReturnType<typeof thingConnectionContext>, client = 'A') =>
      evaluatePolicy(policy, {
        action: 'iot:Connect',
        resource: `arn:aws:iot:r:1:client/${client}`,
        context,
      });
    expect(connect(thingConnectionContext({ thingName: 'A', attributes: { Q: 'true' } }))).toBe('deny');
    expect(connect(thingConnectionContext({ thingName: 'A', attributes: { Q: 'no' } }))).toBe('allow');
    expect(connect(thingConnectionContext({ thingName: 'A' }))).toBe('allow');
    expect(connect(thingConnectionContext({ thingName: 'A', attached: false }))).toBe('implicit-deny');
    expect(connect(thingConnectionContext())).toBe('implicit-deny');
  });

  it('flattens Fn::Join, Ref and Fn::GetAtt', () => {
    expect(
      flattenIntrinsics(
        {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':x/', { Ref: 'Pool' }, { 'Fn::GetAtt': ['R', 'Arn'] }],
          ],
        },
        { Pool: 'p-1' },
      ),
    ).toBe('arn:aws:x/p-1<R.Arn>');
  });
});
