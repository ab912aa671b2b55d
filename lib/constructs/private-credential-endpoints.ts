import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

export interface PrivateCredentialEndpointsProps {
  readonly vpc: ec2.IVpc;
  /** The subnets the endpoint interfaces go in (one per availability zone). */
  readonly subnets: ec2.SubnetSelection;
  /** The VPC's CIDR (given, since an imported VPC's may be unknown to CDK). */
  readonly vpcCidr: string;
  /** The SORACOM VPG's range: devices reach the endpoints from it through Canal. */
  readonly vpgCidr: string;
  /**
   * An interface endpoint for the AWS IoT credentials provider (`com.amazonaws.<region>.iot.credentials`).
   * @default false
   */
  readonly iotCredentials?: boolean;
  /**
   * An interface endpoint for Cognito identity (`com.amazonaws.<region>.cognito-identity`), the second hop of
   * the Krypton open-id-token flow.
   * @default false
   */
  readonly cognitoIdentity?: boolean;
}

/**
 * Interface endpoints that keep the credential exchange off the internet too, behind one security group that
 * admits HTTPS from the VPC and the VPG range only.
 */
export class PrivateCredentialEndpoints extends Construct {
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly iotCredentials?: ec2.InterfaceVpcEndpoint;
  public readonly cognitoIdentity?: ec2.InterfaceVpcEndpoint;

  constructor(scope: Construct, id: string, props: PrivateCredentialEndpointsProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Credential interface endpoints: HTTPS from the VPC and the SORACOM VPG range only',
      // Interface endpoints only answer; they never open connections.
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(ec2.Peer.ipv4(props.vpcCidr), ec2.Port.tcp(443), 'HTTPS from the VPC');
    this.securityGroup.addIngressRule(
      ec2.Peer.ipv4(props.vpgCidr),
      ec2.Port.tcp(443),
      'HTTPS from SORACOM devices through Canal',
    );

    const endpoint = (endpointId: string, service: ec2.InterfaceVpcEndpointAwsService, privateDns: boolean) =>
      new ec2.InterfaceVpcEndpoint(this, endpointId, {
        vpc: props.vpc,
        service,
        subnets: props.subnets,
        securityGroups: [this.securityGroup],
        // The group above already admits exactly the VPC and the VPG; `open` would add the VPC CIDR again.
        open: false,
        privateDnsEnabled: privateDns,
      });

    if (props.iotCredentials) {
      // AWS IoT Core does not create private DNS records for its endpoints: devices use the endpoint's own DNS
      // names, or the operator adds a private hosted zone for <prefix>.credentials.iot.<region>.amazonaws.com.
      this.iotCredentials = endpoint(
        'IotCredentials',
        ec2.InterfaceVpcEndpointAwsService.IOT_CORE_CREDENTIALS,
        false,
      );
    }
    if (props.cognitoIdentity) {
      this.cognitoIdentity = endpoint(
        'CognitoIdentity',
        ec2.InterfaceVpcEndpointAwsService.COGNITO_IDENTITY,
        true,
      );
    }
  }
}
