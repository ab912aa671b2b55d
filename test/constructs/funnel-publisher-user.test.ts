import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { FunnelPublisherUser } from '../../lib/constructs/funnel-publisher-user';
import { nagViolations, testApp } from '../support/cdk-app';

function stack(): Stack {
  return new Stack(testApp(), 'Test', { env: { account: '111111111111', region: 'ap-northeast-1' } });
}

test('the user may publish under its topic prefix and do nothing else', () => {
  const s = stack();
  const publisher = new FunnelPublisherUser(s, 'FunnelPublisher', {
    userName: 'funnel',
    topicPrefix: 'funnel/dev',
  });
  const template = Template.fromStack(s);

  template.resourceCountIs('AWS::IAM::User', 1);
  template.resourceCountIs('AWS::IAM::AccessKey', 0);
  template.resourceCountIs('AWS::IAM::Policy', 0);
  template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
  template.hasResourceProperties('AWS::IAM::User', {
    UserName: 'funnel',
    Groups: [
      {
        Ref: s.resolve(
          (publisher.node.findChild('PublishGroup').node.defaultChild as iam.CfnGroup).logicalId,
        ),
      },
    ],
    Policies: Match.absent(),
    ManagedPolicyArns: Match.absent(),
  });
  template.hasResourceProperties('AWS::IAM::Group', {
    Policies: [
      {
        PolicyName: 'PublishUnderFunnelPrefix',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'PublishUnderFunnelPrefix',
              Effect: 'Allow',
              Action: 'iot:Publish',
              Resource: 'arn:aws:iot:ap-northeast-1:111111111111:topic/funnel/dev/*',
            },
          ],
        },
      },
    ],
    ManagedPolicyArns: Match.absent(),
  });
  expect(nagViolations(s)).toEqual([]);
});

test.each(['funnel/#', 'funnel/+/x', 'funnel/', '/funnel', ''])(
  'topic prefix %j is refused',
  (topicPrefix) => {
    expect(() => new FunnelPublisherUser(stack(), 'P', { userName: 'u', topicPrefix })).toThrow(
      `FunnelPublisherUser topicPrefix must be an MQTT topic prefix such as funnel/devices (no wildcards, no trailing /), got: ${topicPrefix}`,
    );
  },
);
