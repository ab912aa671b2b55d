import { CfnOutput, Fn, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { ClosedNetworkConfig, KeylessConfig } from '../config';
import { GatePeerVpc } from '../constructs/gate-peer-vpc';
import { PrivateCredentialEndpoints } from '../constructs/private-credential-endpoints';
import { S3GatewayEndpoint } from '../constructs/s3-gateway-endpoint';
import { VpcFlowLog } from '../constructs/vpc-flow-log';
import { keylessStackProps, removalPolicyOf } from './stack-props';

export interface NetworkStackProps {
  readonly config: KeylessConfig;
}

/**
 * The closed-network path: SORACOM Air → VPG → Canal → GatePeer → S3 gateway endpoint → device bucket.
 * Names the device bucket by its derived name and references nothing in the Data stack, which depends on this
 * one for the endpoint id its bucket policy needs.
 */
export class NetworkStack extends Stack {
  public readonly closedNetwork: ClosedNetworkConfig;
  public readonly gatePeer: GatePeerVpc;
  public readonly s3Endpoint: S3GatewayEndpoint;
  public readonly flowLog: VpcFlowLog;
  public readonly credentialEndpoints?: PrivateCredentialEndpoints;
  private readonly zones: string[];

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    const { config } = props;
    super(
      scope,
      id,
      keylessStackProps(config, 'Network', 'GatePeer VPC and S3 gateway endpoint for SORACOM'),
    );
    if (config.closedNetwork === undefined) {
      throw new Error(`NetworkStack needs a closedNetwork section in ${config.configFile}`);
    }
    const network = config.closedNetwork;
    this.closedNetwork = network;
    this.zones = [...network.vpc.availabilityZones];

    this.gatePeer = new GatePeerVpc(this, 'GatePeer', {
      vpc: network.vpc,
      vpgCidr: network.vpgCidr,
      canalPeeringConnectionId: network.canalPeeringConnectionId,
    });
    this.s3Endpoint = new S3GatewayEndpoint(this, 'S3Endpoint', {
      vpcId: this.gatePeer.vpc.vpcId,
      routeTableIds: this.gatePeer.routeTableIds,
      bucketNames: [config.names.deviceBucket],
      bucketAccount: config.account,
    });
    this.flowLog = new VpcFlowLog(this, 'FlowLog', {
      vpc: this.gatePeer.vpc,
      logGroupName: `/keyless-iot/${config.envName}/gatepeer-vpc-flow-logs`,
      retentionDays: network.flowLogRetentionDays,
      removalPolicy: removalPolicyOf(config),
    });
    const { iotCredentials, cognitoIdentity } = network.interfaceEndpoints;
    if (iotCredentials || cognitoIdentity) {
      this.credentialEndpoints = new PrivateCredentialEndpoints(this, 'CredentialEndpoints', {
        vpc: this.gatePeer.vpc,
        subnets: this.gatePeer.subnets,
        vpcCidr: network.vpc.cidr,
        vpgCidr: network.vpgCidr,
        iotCredentials,
        cognitoIdentity,
      });
    }

    const outputs: Record<string, [string, string]> = {
      GatewayEndpointId: [
        this.s3Endpoint.endpointId,
        'S3 gateway endpoint: the only way into the closed prefix',
      ],
      VpcId: [this.gatePeer.vpc.vpcId, 'The GatePeer VPC'],
      RouteTableIds: [
        Fn.join(',', this.gatePeer.routeTableIds),
        'GatePeer route tables carrying the endpoint',
      ],
      GatePeerSecurityGroupId: [
        this.gatePeer.gatePeerSecurityGroup.securityGroupId,
        'Attach to the GatePeer instance (VXLAN from the VPG only)',
      ],
      FlowLogGroupName: [this.flowLog.logGroup.logGroupName, 'VPC flow logs of the GatePeer VPC'],
    };
    if (this.credentialEndpoints?.iotCredentials) {
      outputs.IotCredentialsEndpointId = [
        this.credentialEndpoints.iotCredentials.vpcEndpointId,
        'Interface endpoint for the AWS IoT credentials provider',
      ];
    }
    if (this.credentialEndpoints?.cognitoIdentity) {
      outputs.CognitoIdentityEndpointId = [
        this.credentialEndpoints.cognitoIdentity.vpcEndpointId,
        'Interface endpoint for Cognito identity',
      ];
    }
    for (const [outputId, [value, description]] of Object.entries(outputs)) {
      new CfnOutput(this, outputId, { value, description });
    }
  }

  /**
   * The zones from config. CDK's Vpc checks the zones it is given against the stack's, and a stack with an
   * explicit account would look those up in AWS at synth: synth must stay offline.
   */
  override get availabilityZones(): string[] {
    return [...this.zones];
  }
}
