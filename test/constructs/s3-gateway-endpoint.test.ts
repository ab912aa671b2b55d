import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DEVICE_S3_ACTIONS, S3GatewayEndpoint } from '../../lib/constructs/s3-gateway-endpoint';
import { testApp } from '../support/cdk-app';
import { evaluatePolicy, flattenIntrinsics, type PolicyDocumentJson } from '../support/policy-evaluator';

const BUCKET = 'keyless-iot-dev-111111111111-ap-northeast-1';

function endpointIn(props: Partial<ConstructorParameters<typeof S3GatewayEndpoint>[2]> = {}) {
  const stack = new Stack(testApp(), 'Network', {
    env: { account: '111111111111', region: 'ap-northeast-1' },
  });
  const endpoint = new S3GatewayEndpoint(stack, 'S3Endpoint', {
    vpcId: 'vpc-0123456789abcdef0',
    routeTableIds: ['rtb-0123456789abcdef0', 'rtb-0fedcba9876543210'],
    bucketNames: [BUCKET],
    ...props,
  });
  return { stack, endpoint };
}

describe('S3GatewayEndpoint', () => {
  const { stack, endpoint } = endpointIn();
  const template = Template.fromStack(stack);
  const policy = flattenIntrinsics<PolicyDocumentJson>(stack.resolve(endpoint.policyDocument.toJSON()));

  it('is a gateway endpoint for S3 in the stack region, on exactly the given route tables', () => {
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: 'com.amazonaws.ap-northeast-1.s3',
      VpcId: 'vpc-0123456789abcdef0',
      RouteTableIds: ['rtb-0123456789abcdef0', 'rtb-0fedcba9876543210'],
    });
    expect(stack.resolve(endpoint.endpointId)).toEqual({ Ref: stack.resolve(endpoint.endpoint.logicalId) });
  });

  it('has an endpoint policy naming only the device bucket, by its name, owned by this account', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DeviceBucketsOnly',
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Action: [...DEVICE_S3_ACTIONS].sort(),
            Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
            Condition: { StringEquals: { 'aws:ResourceAccount': '111111111111' } },
          },
        ],
      },
    });
  });

  const request = (action: string, resource: string, resourceAccount = '111111111111') => ({
    action,
    resource,
    principal: { AWS: 'arn:aws:sts::111111111111:assumed-role/device/sim-001' },
    context: { 'aws:ResourceAccount': resourceAccount },
  });

  it.each([
    ['s3:PutObject', `arn:aws:s3:::${BUCKET}/closed/x`],
    ['s3:GetObject', `arn:aws:s3:::${BUCKET}/closed/x`],
    ['s3:ListBucket', `arn:aws:s3:::${BUCKET}`],
    ['s3:AbortMultipartUpload', `arn:aws:s3:::${BUCKET}/closed/big`],
  ])('lets %s on the device bucket through', (action, resource) => {
    expect(evaluatePolicy(policy, request(action, resource))).toBe('allow');
  });

  it.each([
    ['another bucket', 's3:PutObject', 'arn:aws:s3:::someone-elses-bucket/x', '111111111111'],
    ['another bucket, listed', 's3:ListBucket', 'arn:aws:s3:::someone-elses-bucket', '111111111111'],
    [
      'a bucket of the same name in another account',
      's3:PutObject',
      `arn:aws:s3:::${BUCKET}/x`,
      '999999999999',
    ],
    ['bucket administration', 's3:PutBucketPolicy', `arn:aws:s3:::${BUCKET}`, '111111111111'],
  ])('denies %s (exfiltration guard)', (_what, action, resource, account) => {
    expect(evaluatePolicy(policy, request(action, resource, account))).toBe('implicit-deny');
  });

  it('rejects input it cannot build a policy from', () => {
    expect(() => endpointIn({ routeTableIds: [] })).toThrow(
      'S3GatewayEndpoint needs at least one route table id, got: []',
    );
    expect(() => endpointIn({ bucketNames: [] })).toThrow(
      'S3GatewayEndpoint needs at least one bucket name, got: []',
    );
    expect(() => endpointIn({ bucketNames: ['Bad_Bucket'] })).toThrow(
      'S3GatewayEndpoint bucketNames must be an S3 bucket name, got: Bad_Bucket',
    );
  });
});
