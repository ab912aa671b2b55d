import { Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { acknowledgeCompliance } from './compliance-acknowledgements';

/** A VPC that already holds (or will hold) the GatePeer: everything is named, nothing is looked up. */
export interface ImportedGatePeerVpc {
  readonly mode: 'import';
  readonly vpcId: string;
  readonly cidr: string;
  /** The route tables of the GatePeer subnets. */
  readonly routeTableIds: readonly string[];
  /** One subnet per availability zone, in the order of `availabilityZones`. */
  readonly subnetIds: readonly string[];
  readonly availabilityZones: readonly string[];
}

/** A VPC this construct creates, with one isolated GatePeer subnet per availability zone. */
export interface CreatedGatePeerVpc {
  readonly mode: 'create';
  readonly cidr: string;
  readonly availabilityZones: readonly string[];
}

export interface GatePeerVpcProps {
  readonly vpc: ImportedGatePeerVpc | CreatedGatePeerVpc;
  /** The SORACOM VPG's range: the only source the GatePeer accepts VXLAN from. */
  readonly vpgCidr: string;
  /**
   * The SORACOM Canal peering connection; when given, each GatePeer route table routes the VPG range through it.
   * @default - no routes (add them by hand, or Canal is not set up yet)
   */
  readonly canalPeeringConnectionId?: string;
}

/** VXLAN, the encapsulation SORACOM Gate uses between the VPG and the GatePeer. */
const VXLAN_PORT = 4789;

/**
 * The customer VPC that SORACOM Gate peers with: the VPC (imported by id or created), the security group for the
 * GatePeer instance, and the routes back to the VPG through the Canal peering connection.
 *
 * The GatePeer instance itself is set up with SORACOM's tooling; attach `gatePeerSecurityGroup` to it and turn its
 * source/destination check off (it forwards device traffic).
 *
 * A created VPC checks its zones against the stack's: in a stack with an explicit account and region, the stack
 * must report its zones (override `availabilityZones`, as NetworkStack does) or synth would look them up in AWS.
 */
export class GatePeerVpc extends Construct {
  public readonly vpc: ec2.IVpc;
  /** The route tables of the GatePeer subnets: the S3 gateway endpoint goes on these. */
  public readonly routeTableIds: string[];
  /** The GatePeer subnets (one per availability zone): interface endpoints go here. */
  public readonly subnets: ec2.SubnetSelection;
  public readonly gatePeerSecurityGroup: ec2.SecurityGroup;
  public readonly canalRoutes: ec2.CfnRoute[] = [];

  constructor(scope: Construct, id: string, props: GatePeerVpcProps) {
    super(scope, id);
    const source = props.vpc;
    if (source.availabilityZones.length === 0) {
      throw new Error('GatePeerVpc needs at least one availability zone, got: []');
    }

    if (source.mode === 'import') {
      if (source.routeTableIds.length === 0) {
        throw new Error(`GatePeerVpc needs at least one route table of ${source.vpcId}, got: []`);
      }
      if (source.subnetIds.length !== source.availabilityZones.length) {
        throw new Error(
          `GatePeerVpc needs one subnet per availability zone (${source.availabilityZones.join(', ')}), got: ${source.subnetIds.join(', ')}`,
        );
      }
      this.vpc = ec2.Vpc.fromVpcAttributes(this, 'Resource', {
        vpcId: source.vpcId,
        vpcCidrBlock: source.cidr,
        availabilityZones: [...source.availabilityZones],
        isolatedSubnetIds: [...source.subnetIds],
      });
      this.routeTableIds = [...source.routeTableIds];
    } else {
      const vpc = new ec2.Vpc(this, 'Resource', {
        ipAddresses: ec2.IpAddresses.cidr(source.cidr),
        // Given explicitly: a stack with an explicit account would otherwise look its zones up at synth.
        availabilityZones: [...source.availabilityZones],
        // Isolated: S3 is reached through the gateway endpoint, so no NAT gateway and no internet gateway.
        subnetConfiguration: [{ name: 'GatePeer', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
        natGateways: 0,
        createInternetGateway: false,
        // Private DNS of the interface endpoints needs both.
        enableDnsHostnames: true,
        enableDnsSupport: true,
        // Nothing here uses the default group; restricting it would add a custom-resource Lambda outside the VPC.
        restrictDefaultSecurityGroup: false,
      });
      acknowledgeCompliance(
        vpc,
        'VPCDefaultSecurityGroupClosed',
        "Nothing is attached to the default group: the GatePeer and the interface endpoints each have their own. Closing it takes CDK's Custom::VpcRestrictDefaultSG, a Lambda function outside the VPC with ec2:RevokeSecurityGroup* rights, which would add more to review than it removes.",
      );
      Validations.of(vpc).acknowledge({
        id: 'CloudFormation-Validate::W3010',
        reason:
          'The subnets sit in the zones named in config on purpose: synth runs offline (no zone lookup), and the operator chooses the zones the GatePeer runs in.',
      });
      this.vpc = vpc;
      this.routeTableIds = vpc.isolatedSubnets.map((subnet) => subnet.routeTable.routeTableId);
    }
    this.subnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

    this.gatePeerSecurityGroup = new ec2.SecurityGroup(this, 'GatePeerSecurityGroup', {
      vpc: this.vpc,
      description: 'SORACOM GatePeer: VXLAN from the VPG range only',
      allowAllOutbound: false,
    });
    const vpg = ec2.Peer.ipv4(props.vpgCidr);
    this.gatePeerSecurityGroup.addIngressRule(vpg, ec2.Port.udp(VXLAN_PORT), 'VXLAN from the SORACOM VPG');
    this.gatePeerSecurityGroup.addEgressRule(vpg, ec2.Port.udp(VXLAN_PORT), 'VXLAN back to the SORACOM VPG');
    // Isolated subnets route only to the VPC, the S3 gateway endpoint and the interface endpoints, so this
    // reaches nothing else; S3's addresses come from a managed prefix list whose id cannot be known offline.
    this.gatePeerSecurityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'HTTPS from devices to S3 (gateway endpoint) and the interface endpoints',
    );

    if (props.canalPeeringConnectionId !== undefined) {
      this.routeTableIds.forEach((routeTableId, index) => {
        // Named after the route table when it is known, so reordering the config never replaces a route.
        const routeId = Token.isUnresolved(routeTableId)
          ? `CanalRoute${index}`
          : `CanalRoute-${routeTableId}`;
        this.canalRoutes.push(
          new ec2.CfnRoute(this, routeId, {
            routeTableId,
            destinationCidrBlock: props.vpgCidr,
            vpcPeeringConnectionId: props.canalPeeringConnectionId,
          }),
        );
      });
    }
  }
}
