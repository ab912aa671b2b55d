import * as iot from 'aws-cdk-lib/aws-iot';
import { Construct } from 'constructs';
import { LIMITS, NAME_RULES } from '../contract';
import { checkName } from './prop-checks';

export interface FleetThingProps {
  readonly thingName: string;
  /**
   * At most 3: CloudFormation creates the thing without a type, and an untyped thing holds at most 3.
   * @default - none
   */
  readonly attributes?: Readonly<Record<string, string>>;
  /**
   * The thing's CSR in PEM. AWS IoT signs it into the thing's certificate; the private key never leaves the
   * machine that made it.
   * @default - no certificate yet
   */
  readonly csrPem?: string;
  /** The IoT policy attached to the certificate, by name (it lives in the IotAccess stack). */
  readonly policyName: string;
}

/** One device: its thing and, once it has a CSR, its active certificate attached to the thing and the policy. */
export class FleetThing extends Construct {
  public readonly thing: iot.CfnThing;
  public readonly certificate?: iot.CfnCertificate;

  constructor(scope: Construct, id: string, props: FleetThingProps) {
    super(scope, id);
    checkName('thingName', NAME_RULES.thingName, props.thingName);
    const attributes = props.attributes ?? {};
    if (Object.keys(attributes).length > LIMITS.thingAttributes) {
      throw new Error(
        `a thing created by CloudFormation holds at most ${LIMITS.thingAttributes} attributes, got: ${Object.keys(attributes).join(', ')}`,
      );
    }
    if (props.csrPem !== undefined && !props.csrPem.includes('-----BEGIN CERTIFICATE REQUEST-----')) {
      throw new Error(`csrPem must be a PEM certificate signing request, got: ${props.csrPem.slice(0, 40)}`);
    }

    this.thing = new iot.CfnThing(this, 'Resource', {
      thingName: props.thingName,
      attributePayload: Object.keys(attributes).length > 0 ? { attributes: { ...attributes } } : undefined,
    });
    if (props.csrPem === undefined) return;

    this.certificate = new iot.CfnCertificate(this, 'Certificate', {
      certificateSigningRequest: props.csrPem,
      status: 'ACTIVE',
    });
    new iot.CfnThingPrincipalAttachment(this, 'ThingAttachment', {
      thingName: this.thing.ref,
      principal: this.certificate.attrArn,
    });
    new iot.CfnPolicyPrincipalAttachment(this, 'PolicyAttachment', {
      policyName: props.policyName,
      principal: this.certificate.attrArn,
    });
  }
}
