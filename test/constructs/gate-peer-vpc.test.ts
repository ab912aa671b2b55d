import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  GatePeerVpc,
  type CreatedGatePeerVpc,
  type GatePeerVpcProps,
  type ImportedGatePeerVpc,
} from '../../lib/constructs/gate-peer-vpc';
import { testApp } from '../support/cdk-app';

const CREATED: CreatedGatePeerVpc = {
  mode: 'create',
  cidr: '10.20.0.0/16',
  availabilityZones: ['ap-northeast-1a', 'ap-northeast-1c'],
};
const IMPORTED: ImportedGatePeerVpc = {
  mode: 'import',
  vpcId: 'vpc-0123456789abcdef0',
  cidr: '10.30.0.0/16',
  routeTableIds: ['rtb-0123456789abcdef0', 'rtb-0fedcba9876543210'],
  subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
  availabilityZones: ['ap-northeast-1a', 'ap-northeast-1c'],
};

/** A stack with an explicit environment that reports its zones, as NetworkStack does. */
class ZonedStack extends Stack {
  override get availabilityZones(): string[] {
    return ['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d'];
  }
}

function gatePeer(props: Partial<GatePeerVpcProps> = {}) {
  const stack = new ZonedStack(testApp(), 'Network', {
    env: { account: '111111111111', region: 'ap-northeast-1' },
  });
  const construct = new GatePeerVpc(stack, 'GatePeer', {
    vpc: CREATED,
    vpgCidr: '100.64.0.0/16',
    canalPeeringConnectionId: 'pcx-0123456789abcdef0',
    ...props,
  });
  return { stack, construct, template: Template.fromStack(stack) };
}

describe('GatePeerVpc', () => {
  describe('created', () => {
    const { stack, construct, template } = gatePeer();

    it('creates the VPC with the configured CIDR and one isolated subnet per configured zone, without lookups', () => {
      template.resourceCountIs('AWS::EC2::VPC', 1);
      template.hasResourceProperties('AWS::EC2::VPC', {
        CidrBlock: '10.20.0.0/16',
        EnableDnsHostnames: true,
        EnableDnsSupport: true,
      });
      template.resourceCountIs('AWS::EC2::Subnet', 2);
      for (const zone of CREATED.availabilityZones) {
        template.hasResourceProperties('AWS::EC2::Subnet', {
          AvailabilityZone: zone,
          MapPublicIpOnLaunch: false,
          Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: 'Isolated' }]),
        });
      }
      expect(testAppMissingContext(stack)).toEqual([]);
    });

    it('needs no NAT gateway and no internet gateway: S3 is reached through the gateway endpoint', () => {
      template.resourceCountIs('AWS::EC2::NatGateway', 0);
      template.resourceCountIs('AWS::EC2::InternetGateway', 0);
      template.resourceCountIs('AWS::EC2::EIP', 0);
    });

    it('exposes the route tables of the GatePeer subnets', () => {
      const tables = template.findResources('AWS::EC2::RouteTable');
      expect(construct.routeTableIds.map((id) => stack.resolve(id))).toEqual(
        Object.keys(tables).map((logicalId) => ({ Ref: logicalId })),
      );
    });

    it('admits VXLAN from the VPG range only, and sends only VXLAN back and HTTPS out', () => {
      template.hasResourceProperties('AWS::EC2::SecurityGroup', {
        GroupDescription: 'SORACOM GatePeer: VXLAN from the VPG range only',
        SecurityGroupIngress: [
          {
            CidrIp: '100.64.0.0/16',
            IpProtocol: 'udp',
            FromPort: 4789,
            ToPort: 4789,
            Description: Match.anyValue(),
          },
        ],
        SecurityGroupEgress: [
          {
            CidrIp: '100.64.0.0/16',
            IpProtocol: 'udp',
            FromPort: 4789,
            ToPort: 4789,
            Description: Match.anyValue(),
          },
          {
            CidrIp: '0.0.0.0/0',
            IpProtocol: 'tcp',
            FromPort: 443,
            ToPort: 443,
            Description: Match.anyValue(),
          },
        ],
      });
    });

    it('routes the VPG range through the Canal peering connection from every GatePeer route table', () => {
      template.resourceCountIs('AWS::EC2::Route', 2);
      for (const routeTableId of construct.routeTableIds) {
        template.hasResourceProperties('AWS::EC2::Route', {
          RouteTableId: stack.resolve(routeTableId),
          DestinationCidrBlock: '100.64.0.0/16',
          VpcPeeringConnectionId: 'pcx-0123456789abcdef0',
        });
      }
    });
  });

  describe('imported', () => {
    const { stack, construct, template } = gatePeer({ vpc: IMPORTED });

    it('creates no VPC or subnets, and uses the ids from config', () => {
      template.resourceCountIs('AWS::EC2::VPC', 0);
      template.resourceCountIs('AWS::EC2::Subnet', 0);
      template.resourceCountIs('AWS::EC2::RouteTable', 0);
      expect(construct.vpc.vpcId).toBe('vpc-0123456789abcdef0');
      expect(construct.routeTableIds).toEqual(IMPORTED.routeTableIds);
      expect(construct.vpc.selectSubnets(construct.subnets).subnetIds).toEqual(IMPORTED.subnetIds);
      expect(testAppMissingContext(stack)).toEqual([]);
    });

    it('adds one Canal route per configured route table, named after it', () => {
      template.resourceCountIs('AWS::EC2::Route', 2);
      for (const [index, routeTableId] of IMPORTED.routeTableIds.entries()) {
        expect(stack.resolve(construct.canalRoutes[index].routeTableId)).toBe(routeTableId);
        expect(construct.canalRoutes[index].node.id).toBe(`CanalRoute-${routeTableId}`);
      }
      template.hasResourceProperties('AWS::EC2::SecurityGroup', { VpcId: 'vpc-0123456789abcdef0' });
    });
  });

  it('adds no routes when no Canal peering connection is given', () => {
    const { template } = gatePeer({ canalPeeringConnectionId: undefined });
    template.resourceCountIs('AWS::EC2::Route', 0);
  });

  it('rejects an imported VPC it could not attach an endpoint or interfaces to', () => {
    expect(() => gatePeer({ vpc: { ...IMPORTED, routeTableIds: [] } })).toThrow(
      'GatePeerVpc needs at least one route table of vpc-0123456789abcdef0, got: []',
    );
    expect(() => gatePeer({ vpc: { ...IMPORTED, subnetIds: ['subnet-0123456789abcdef0'] } })).toThrow(
      'GatePeerVpc needs one subnet per availability zone (ap-northeast-1a, ap-northeast-1c), got: subnet-0123456789abcdef0',
    );
    expect(() => gatePeer({ vpc: { ...CREATED, availabilityZones: [] } })).toThrow(
      'GatePeerVpc needs at least one availability zone, got: []',
    );
  });
});

/** Context lookups the synth would need (there must be none: synth runs offline). */
function testAppMissingContext(stack: Stack): unknown[] {
  const assembly = stack.node.root as unknown as { synth(): { manifest: { missing?: unknown[] } } };
  return assembly.synth().manifest.missing ?? [];
}
