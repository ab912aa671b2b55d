import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { VpcFlowLog, type VpcFlowLogProps } from '../../lib/constructs/vpc-flow-log';
import { testApp } from '../support/cdk-app';

const LOG_GROUP = '/keyless-iot/dev/gatepeer-vpc-flow-logs';

function flowLog(props: Partial<VpcFlowLogProps> = {}) {
  const stack = new Stack(testApp(), 'Network', {
    env: { account: '111111111111', region: 'ap-northeast-1' },
  });
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0123456789abcdef0',
    availabilityZones: ['ap-northeast-1a'],
  });
  const construct = new VpcFlowLog(stack, 'FlowLog', { vpc, logGroupName: LOG_GROUP, ...props });
  return { stack, construct, template: Template.fromStack(stack) };
}

describe('VpcFlowLog', () => {
  const { stack, construct, template } = flowLog({ retentionDays: 90, removalPolicy: RemovalPolicy.DESTROY });
  const keyId = stack.resolve(construct.key.key.keyArn);

  it('logs all traffic of the VPC to the log group', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceId: 'vpc-0123456789abcdef0',
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
      LogGroupName: stack.resolve(construct.logGroup.logGroupName),
    });
  });

  it('keeps the records for the configured days, encrypted with a rotating customer managed key', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: LOG_GROUP,
      RetentionInDays: 90,
      KmsKeyId: keyId,
    });
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('lets CloudWatch Logs use the key for this log group only', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'CloudWatchLogsForkeylessiotdevgatepeervpcflowlogs',
            Effect: 'Allow',
            Principal: { Service: 'logs.ap-northeast-1.amazonaws.com' },
            Action: [
              'kms:Decrypt*',
              'kms:Describe*',
              'kms:Encrypt*',
              'kms:GenerateDataKey*',
              'kms:ReEncrypt*',
            ],
            Resource: '*',
            Condition: {
              ArnEquals: {
                'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:ap-northeast-1:111111111111:log-group:${LOG_GROUP}`,
              },
            },
          },
        ]),
      },
    });
  });

  it('lets the flow log service write to this log group only', () => {
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { Service: 'vpc-flow-logs.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': '111111111111' },
              ArnLike: {
                'aws:SourceArn': 'arn:aws:ec2:ap-northeast-1:111111111111:vpc-flow-log/*',
              },
            },
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      DeliverLogsPermissionArn: stack.resolve(construct.deliveryRole.roleArn),
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['logs:PutLogEvents']),
            Resource: stack.resolve(construct.logGroup.logGroupArn),
          }),
        ]),
      },
    });
  });

  it('rejects a retention CloudWatch Logs does not offer', () => {
    expect(() => flowLog({ retentionDays: 2 })).toThrow(
      'EncryptedLogGroup /keyless-iot/dev/gatepeer-vpc-flow-logs: retentionDays must be one of the periods CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653), got: 2',
    );
  });
});
