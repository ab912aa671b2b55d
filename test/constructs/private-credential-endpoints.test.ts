import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import {
  PrivateCredentialEndpoints,
  type PrivateCredentialEndpointsProps,
} from '../../lib/constructs/private-credential-endpoints';
import { testApp } from '../support/cdk-app';

const SUBNETS = ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'];

function endpoints(props: Partial<PrivateCredentialEndpointsProps> = {}) {
  const stack = new Stack(testApp(), 'Network', {
    env: { account: '111111111111', region: 'ap-northeast-1' },
  });
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0123456789abcdef0',
    vpcCidrBlock: '10.30.0.0/16',
    availabilityZones: ['ap-northeast-1a', 'ap-northeast-1c'],
    isolatedSubnetIds: SUBNETS,
  });
  const construct = new PrivateCredentialEndpoints(stack, 'CredentialEndpoints', {
    vpc,
    subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    vpcCidr: '10.30.0.0/16',
    vpgCidr: '100.64.0.0/16',
    iotCredentials: true,
    cognitoIdentity: true,
    ...props,
  });
  return { stack, construct, template: Template.fromStack(stack) };
}

describe('PrivateCredentialEndpoints', () => {
  const { stack, construct, template } = endpoints();
  const securityGroupId = stack.resolve(construct.securityGroup.securityGroupId);

  it('creates the IoT credentials provider endpoint in the GatePeer subnets, behind the group', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: 'com.amazonaws.ap-northeast-1.iot.credentials',
      VpcEndpointType: 'Interface',
      SubnetIds: SUBNETS,
      SecurityGroupIds: [securityGroupId],
      // AWS IoT Core endpoints have no automatic private DNS.
      PrivateDnsEnabled: false,
    });
  });

  it('creates the Cognito identity endpoint with private DNS', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: 'com.amazonaws.ap-northeast-1.cognito-identity',
      VpcEndpointType: 'Interface',
      SubnetIds: SUBNETS,
      SecurityGroupIds: [securityGroupId],
      PrivateDnsEnabled: true,
    });
  });

  it('admits HTTPS from the VPC and the VPG range only, and opens nothing outwards', () => {
    template.resourceCountIs('AWS::EC2::SecurityGroup', 1);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [
        {
          CidrIp: '10.30.0.0/16',
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
          Description: Match.anyValue(),
        },
        {
          CidrIp: '100.64.0.0/16',
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
          Description: Match.anyValue(),
        },
      ],
      // CDK's placeholder for "no egress": an ICMP rule to 255.255.255.255/32 that matches nothing.
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32' })],
    });
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  it('creates only the endpoints asked for', () => {
    const only = endpoints({ iotCredentials: false });
    only.template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
    expect(only.construct.iotCredentials).toBeUndefined();
    expect(only.construct.cognitoIdentity).toBeDefined();
  });
});
