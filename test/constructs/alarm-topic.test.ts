import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { AlarmTopic } from '../../lib/constructs/alarm-topic';
import { nagViolations, testApp } from '../support/cdk-app';

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

test('an address that is not one is refused', () => {
  expect(() => new AlarmTopic(stack(), 'A', { purpose: 'x', emails: ['ops'] })).toThrow(
    'AlarmTopic emails must be e-mail addresses, got: ops',
  );
});
