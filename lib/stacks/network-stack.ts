import { Fn, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { ClosedNetworkConfig, EnvironmentCommon } from '../config';
import { GatePeerVpc } from '../constructs/gate-peer-vpc';
import { PrivateCredentialEndpoints } from '../constructs/private-credential-endpoints';
import { S3GatewayEndpoint } from '../constructs/s3-gateway-endpoint';
import { VpcFlowLog } from '../constructs/vpc-flow-log';
import { emitOutputs } from './stack-outputs';
import { keylessStackProps, removalPolicyOf } from './stack-props';

export interface NetworkStackProps {
  /** The environment's name, account, region, tags, removal policy and the device bucket's derived name. */
  readonly environment: EnvironmentCommon;
  /** The `closedNetwork` section: the GatePeer VPC, the closed prefix and the interface endpoints. */
  readonly closedNetwork: ClosedNetworkConfig;
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
    const { environment, closedNetwork: network } = props;
    super(
      scope,
      id,
      keylessStackProps(environment, 'Network', 'GatePeer VPC and S3 gateway endpoint for SORACOM'),
    );
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
      bucketNames: [environment.names.deviceBucket],
      bucketAccount: environment.account,
    });
    this.flowLog = new VpcFlowLog(this, 'FlowLog', {
      vpc: this.gatePeer.vpc,
      logGroupName: environment.names.flowLogGroup,
      retentionDays: network.flowLogRetentionDays,
      removalPolicy: removalPolicyOf(environment),
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

    emitOutputs(this, 'Network', {
      gatewayEndpointId: this.s3Endpoint.endpointId,
      vpcId: this.gatePeer.vpc.vpcId,
      routeTableIds: Fn.join(',', this.gatePeer.routeTableIds),
      gatePeerSecurityGroupId: this.gatePeer.gatePeerSecurityGroup.securityGroupId,
      flowLogGroupName: this.flowLog.logGroup.logGroupName,
      iotCredentialsEndpointId: this.credentialEndpoints?.iotCredentials?.vpcEndpointId,
      cognitoIdentityEndpointId: this.credentialEndpoints?.cognitoIdentity?.vpcEndpointId,
    });
  }

  /**
   * The zones from config. CDK's Vpc checks the zones it is given against the stack's, and a stack with an
   * explicit account would look those up in AWS at synth: synth must stay offline.
   */
  override get availabilityZones(): string[] {
    return [...this.zones];
  }
}
