import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { DataStack } from '../../lib/stacks/data-stack';
import { devConfig, testApp } from '../support/cdk-app';

function synth(removalPolicy: 'retain' | 'destroy') {
  const config = devConfig((raw) => {
    raw.removalPolicy = removalPolicy;
  });
  const stack = new DataStack(testApp(), 'Data', { environment: config, data: config.data });
  return { stack, template: Template.fromStack(stack), config };
}

describe('DataStack', () => {
  const { stack, template, config } = synth('retain');
  const logicalId = (construct: IConstruct) =>
    stack.resolve((construct.node.defaultChild as CfnResource).logicalId) as string;

  describe('device bucket', () => {
    it('has the derived name, blocks public access, and is versioned and encrypted', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketName: 'keyless-iot-dev-111111111111-ap-northeast-1',
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      });
    });

    it('logs server access to the log bucket', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketName: config.names.deviceBucket,
        LoggingConfiguration: {
          DestinationBucketName: { Ref: logicalId(stack.deviceData.accessLogBucket) },
          LogFilePrefix: 'device-data/',
        },
      });
    });

    it('expires old versions after the configured days and aborts stale uploads', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketName: config.names.deviceBucket,
        LifecycleConfiguration: {
          Rules: [
            Match.objectLike({
              Status: 'Enabled',
              NoncurrentVersionExpiration: { NoncurrentDays: 30 },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
            }),
          ],
        },
      });
    });

    it('denies every request that is not over TLS 1.2 or newer', () => {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logicalId(stack.deviceData.bucket) },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
            }),
          ]),
        },
      });
    });

    it('keeps access logs for the configured days in a private, TLS-only bucket', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketName: 'keyless-iot-dev-logs-111111111111-ap-northeast-1',
        PublicAccessBlockConfiguration: Match.objectLike({
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        }),
        LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 90, Status: 'Enabled' })] },
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logicalId(stack.deviceData.accessLogBucket) },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'logging.s3.amazonaws.com' },
              Action: 's3:PutObject',
            }),
          ]),
        },
      });
    });
  });

  describe('tables', () => {
    it.each([
      ['keyless-iot-dev-reference', [{ AttributeName: 'id', KeyType: 'HASH' }]],
      [
        'keyless-iot-dev-device-data',
        [
          { AttributeName: 'deviceId', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      ],
    ])(
      '%s: keys from config, point-in-time recovery, encryption, deletion protection',
      (tableName, keySchema) => {
        template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
          TableName: tableName,
          KeySchema: keySchema,
          BillingMode: 'PAY_PER_REQUEST',
          SSESpecification: { SSEEnabled: true },
          Replicas: [
            Match.objectLike({
              Region: 'ap-northeast-1',
              PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
              DeletionProtectionEnabled: true,
            }),
          ],
        });
      },
    );
  });

  describe('device secret', () => {
    it('is generated at deploy time and encrypted with a rotating customer managed key', () => {
      template.hasResourceProperties('AWS::SecretsManager::Secret', {
        Name: 'keyless-iot/dev/device-secret',
        KmsKeyId: { 'Fn::GetAtt': [logicalId(stack.deviceSecret.key), 'Arn'] },
        GenerateSecretString: Match.objectLike({ PasswordLength: 40 }),
        SecretString: Match.absent(),
      });
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    });

    it('only lets AWS services create grants on the key', () => {
      template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'kms:CreateGrant',
              Condition: {
                BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
              },
            }),
          ]),
        },
      });
    });

    it('never puts a secret value in the template or an output', () => {
      expect(JSON.stringify(template.toJSON())).not.toMatch(/"SecretString"|"SecretStringTemplate"/);
    });
  });

  it('outputs every name and ARN later stacks and the bundle need', () => {
    expect(Object.keys(template.findOutputs('*'))).toEqual(
      expect.arrayContaining([
        'AccessLogBucketName',
        'DeviceBucketArn',
        'DeviceBucketName',
        'DeviceSecretArn',
        'DeviceSecretName',
        'DeviceTableArn',
        'DeviceTableName',
        'ReferenceTableArn',
        'ReferenceTableName',
        'SecretsKeyArn',
      ]),
    );
    template.hasOutput('DeviceSecretName', { Value: 'keyless-iot/dev/device-secret' });
    template.hasOutput('DeviceBucketName', { Value: { Ref: logicalId(stack.deviceData.bucket) } });
  });

  describe('removal policy from config', () => {
    const stateful = [
      'AWS::S3::Bucket',
      'AWS::DynamoDB::GlobalTable',
      'AWS::SecretsManager::Secret',
      'AWS::KMS::Key',
    ];

    it('retain: every stateful resource is retained and the stack is termination-protected', () => {
      for (const type of stateful) {
        const resources = Object.values(template.findResources(type));
        expect(resources.length).toBeGreaterThan(0);
        for (const resource of resources) {
          expect(resource).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
        }
      }
      expect(stack.terminationProtection).toBe(true);
      expect(template.findResources('Custom::S3AutoDeleteObjects')).toEqual({});
    });

    it('destroy: resources go with the stack, buckets are emptied first, nothing is protected', () => {
      const destroyed = synth('destroy');
      for (const type of stateful) {
        for (const resource of Object.values(destroyed.template.findResources(type))) {
          expect(resource).toMatchObject({ DeletionPolicy: 'Delete' });
        }
      }
      destroyed.template.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
      destroyed.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })],
      });
      expect(destroyed.stack.terminationProtection).toBe(false);
    });
  });

  it('is named and tagged for its environment', () => {
    expect(stack.stackName).toBe('KeylessIot-dev-Data');
    expect(stack.tags.tagValues()).toMatchObject({
      Project: 'keyless-iot',
      Environment: 'dev',
      CostCenter: 'iot-dev',
    });
  });
});
