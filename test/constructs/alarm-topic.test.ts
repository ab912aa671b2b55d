import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { AlarmTopic } from '../../lib/constructs/alarm-topic';
import { nagViolations, testApp } from '../support/cdk-app';
import {
  evaluatePolicy,
  flattenIntrinsics,
  type PolicyDocumentJson,
  type PolicyStatementJson,
} from '../support/policy-evaluator';

function stack(): Stack {
  return new Stack(testApp(), 'Test', { env: { account: '111111111111', region: 'ap-northeast-1' } });
}

test('the topic is encrypted with a customer managed key CloudWatch may use, and mails every address', () => {
  const s = stack();
  const alarms = new AlarmTopic(s, 'Alarms', {
    purpose: 'test alarms',
    emails: ['a@example.com', 'b@example.com'],
  });
  const template = Template.fromStack(s);
  template.hasResourceProperties('AWS::SNS::Topic', {
    KmsMasterKeyId: {
      'Fn::GetAtt': [s.resolve((alarms.key.node.defaultChild as kms.CfnKey).logicalId), 'Arn'],
    },
  });
  template.hasResourceProperties('AWS::KMS::Key', {
    EnableKeyRotation: true,
    KeyPolicy: {
      Statement: Match.arrayWith([
        Match.objectLike({
          Sid: 'CloudWatchAlarmsPublish',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        }),
      ]),
    },
  });
  for (const email of ['a@example.com', 'b@example.com']) {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: email });
  }
  // TLS only.
  template.hasResourceProperties('AWS::SNS::TopicPolicy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ]),
    },
  });
  expect(nagViolations(s)).toEqual([]);
});

// SNS developer guide, "Enable compatibility between event sources from AWS services and encrypted topics":
// the service principal's key grant takes aws:SourceAccount and aws:SourceArn against confused deputies.
test('CloudWatch may use the key only for alarms of this account and region', () => {
  const s = stack();
  const alarms = new AlarmTopic(s, 'Alarms', { purpose: 'test alarms' });
  const keyId = s.resolve((alarms.key.node.defaultChild as kms.CfnKey).logicalId);
  const policy = flattenIntrinsics<PolicyDocumentJson>(
    Template.fromStack(s).toJSON().Resources[keyId].Properties.KeyPolicy,
  );
  const grant = (policy.Statement as PolicyStatementJson[]).find(
    (st) => st.Sid === 'CloudWatchAlarmsPublish',
  );
  expect(grant?.Condition).toEqual({
    StringEquals: { 'aws:SourceAccount': '111111111111' },
    ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:ap-northeast-1:111111111111:alarm:*' },
  });
  const use = (context: Record<string, string>) =>
    evaluatePolicy(
      { Statement: [grant as PolicyStatementJson] },
      {
        action: 'kms:GenerateDataKey',
        resource: '*',
        principal: { Service: 'cloudwatch.amazonaws.com' },
        context,
      },
    );
  const alarm = 'arn:aws:cloudwatch:ap-northeast-1:111111111111:alarm:KeylessIot-dev-Funnel-Failure';
  expect(use({ 'aws:SourceAccount': '111111111111', 'aws:SourceArn': alarm })).toBe('allow');
  expect(
    use({
      'aws:SourceAccount': '222222222222',
      'aws:SourceArn': 'arn:aws:cloudwatch:ap-northeast-1:222222222222:alarm:x',
    }),
  ).toBe('implicit-deny');
  expect(
    use({
      'aws:SourceAccount': '111111111111',
      'aws:SourceArn': 'arn:aws:cloudwatch:us-east-1:111111111111:alarm:x',
    }),
  ).toBe('implicit-deny');
  expect(use({})).toBe('implicit-deny');
});

test('an address that is not one is refused', () => {
  expect(() => new AlarmTopic(stack(), 'A', { purpose: 'x', emails: ['ops'] })).toThrow(
    'AlarmTopic emails must be e-mail addresses, got: ops',
  );
});
