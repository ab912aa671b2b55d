import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  CLOSED_PREFIX_ACTIONS,
  ClosedNetworkBucketPolicy,
  type ClosedNetworkBucketPolicyProps,
} from '../../lib/constructs/closed-network-bucket-policy';
import { DeviceDataBucket } from '../../lib/constructs/device-data-bucket';
import { testApp } from '../support/cdk-app';
import {
  evaluatePolicies,
  flattenIntrinsics,
  type PolicyDocumentJson,
  type PolicyRequest,
} from '../support/policy-evaluator';

const BUCKET = 'keyless-iot-dev-111111111111-ap-northeast-1';
const ENDPOINT = 'vpce-0123456789abcdef0';
const ACCOUNT = '111111111111';

function policyOn(props: Partial<ClosedNetworkBucketPolicyProps> = {}) {
  const stack = new Stack(testApp(), 'Data', { env: { account: ACCOUNT, region: 'ap-northeast-1' } });
  const deviceData = new DeviceDataBucket(stack, 'DeviceData', {
    bucketName: BUCKET,
    accessLogBucketName: `${BUCKET}-logs`,
  });
  new ClosedNetworkBucketPolicy(stack, 'ClosedNetworkBucketPolicy', {
    bucket: deviceData.bucket,
    endpointId: ENDPOINT,
    ...props,
  });
  const bucketId = stack.resolve((deviceData.bucket.node.defaultChild as s3.CfnBucket).logicalId) as string;
  const bucketPolicy = flattenIntrinsics<PolicyDocumentJson>(
    stack.resolve(deviceData.bucket.policy!.document.toJSON()),
    { [`${bucketId}.Arn`]: `arn:aws:s3:::${BUCKET}` },
  );
  return { stack, bucketPolicy, bucketId };
}

/** A role whose own policy lets it do anything with the bucket: what is left is what the bucket policy says. */
const WIDE_IDENTITY_POLICY: PolicyDocumentJson = {
  Statement: [
    { Effect: 'Allow', Action: 's3:*', Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`] },
  ],
};

function request(
  action: string,
  key: string | undefined,
  context: Record<string, string> = {},
  principal = `arn:aws:iam::${ACCOUNT}:role/device`,
): PolicyRequest {
  return {
    action,
    resource: key === undefined ? `arn:aws:s3:::${BUCKET}` : `arn:aws:s3:::${BUCKET}/${key}`,
    principal: { AWS: principal },
    context: {
      'aws:SecureTransport': 'true',
      's3:TlsVersion': '1.3',
      'aws:PrincipalArn': principal,
      ...context,
    },
  };
}

describe('ClosedNetworkBucketPolicy', () => {
  const { stack, bucketPolicy, bucketId } = policyOn();
  const decide = (r: PolicyRequest) => evaluatePolicies([WIDE_IDENTITY_POLICY, bucketPolicy], r);

  it('adds one Deny to the bucket policy the bucket already has (never a second BucketPolicy)', () => {
    const template = Template.fromStack(stack);
    const policies = template.findResources('AWS::S3::BucketPolicy', {
      Properties: { Bucket: { Ref: bucketId } },
    });
    expect(Object.keys(policies)).toHaveLength(1);
    const statements = toStatements(bucketPolicy);
    expect(statements.filter((s) => s.Sid === 'ClosedPrefixOnlyThroughTheGatewayEndpoint')).toEqual([
      {
        Sid: 'ClosedPrefixOnlyThroughTheGatewayEndpoint',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: [...CLOSED_PREFIX_ACTIONS],
        Resource: `arn:aws:s3:::${BUCKET}/closed/*`,
        Condition: { StringNotEquals: { 'aws:SourceVpce': ENDPOINT } },
      },
    ]);
  });

  it('allows PutObject to closed/x through the endpoint and denies it without', () => {
    expect(decide(request('s3:PutObject', 'closed/x', { 'aws:SourceVpce': ENDPOINT }))).toBe('allow');
    expect(decide(request('s3:PutObject', 'closed/x'))).toBe('deny');
    expect(decide(request('s3:PutObject', 'closed/x', { 'aws:SourceVpce': 'vpce-0fedcba987654321f' }))).toBe(
      'deny',
    );
  });

  it.each([
    's3:GetObject',
    's3:GetObjectVersion',
    's3:DeleteObject',
    's3:PutObjectTagging',
    's3:AbortMultipartUpload',
  ])('denies %s on the closed prefix from outside the endpoint', (action) => {
    expect(decide(request(action, 'closed/deep/key'))).toBe('deny');
    expect(decide(request(action, 'closed/deep/key', { 'aws:SourceVpce': ENDPOINT }))).toBe('allow');
  });

  it('leaves the rest of the bucket alone: other prefixes, listing and bucket administration', () => {
    expect(decide(request('s3:PutObject', 'things/A/x'))).toBe('allow');
    expect(decide(request('s3:GetObject', 'closedish/x'))).toBe('allow');
    expect(decide(request('s3:ListBucket', undefined))).toBe('allow');
    expect(decide(request('s3:PutBucketPolicy', undefined))).toBe('allow');
    expect(decide(request('s3:DeleteBucketPolicy', undefined))).toBe('allow');
  });

  it('exempts the configured outside-access roles, and only them', () => {
    const processing = `arn:aws:iam::${ACCOUNT}:role/data-processing`;
    const { bucketPolicy: withRoles } = policyOn({
      outsideAccessRoleArns: [
        processing,
        `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_*`,
      ],
    });
    const decideWith = (r: PolicyRequest) => evaluatePolicies([WIDE_IDENTITY_POLICY, withRoles], r);
    expect(decideWith(request('s3:GetObject', 'closed/x', {}, processing))).toBe('allow');
    expect(
      decideWith(
        request(
          's3:GetObject',
          'closed/x',
          {},
          `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123abcd`,
        ),
      ),
    ).toBe('allow');
    expect(decideWith(request('s3:GetObject', 'closed/x', {}, `arn:aws:iam::${ACCOUNT}:role/device`))).toBe(
      'deny',
    );
  });

  it('honours another prefix', () => {
    const { bucketPolicy: other } = policyOn({ prefix: 'private/gate/' });
    const decideOther = (r: PolicyRequest) => evaluatePolicies([WIDE_IDENTITY_POLICY, other], r);
    expect(decideOther(request('s3:PutObject', 'private/gate/x'))).toBe('deny');
    expect(decideOther(request('s3:PutObject', 'closed/x'))).toBe('allow');
  });

  it('rejects a prefix or endpoint id it cannot use, and a bucket whose policy it cannot change', () => {
    expect(() => policyOn({ prefix: 'closed' })).toThrow(
      'ClosedNetworkBucketPolicy prefix must be an S3 key prefix ending in / such as closed/, got: closed',
    );
    expect(() => policyOn({ endpointId: 'vpc-0123456789abcdef0' })).toThrow(
      'ClosedNetworkBucketPolicy endpointId must be a VPC endpoint id such as vpce-0123456789abcdef0, got: vpc-0123456789abcdef0',
    );
    const stack = new Stack(testApp(), 'Elsewhere');
    const imported = s3.Bucket.fromBucketName(stack, 'Imported', BUCKET);
    expect(
      () => new ClosedNetworkBucketPolicy(stack, 'Policy', { bucket: imported, endpointId: ENDPOINT }),
    ).toThrow('ClosedNetworkBucketPolicy cannot add to the policy of an imported bucket: Elsewhere/Imported');
  });
});

function toStatements(document: PolicyDocumentJson) {
  return Array.isArray(document.Statement) ? document.Statement : [document.Statement];
}
