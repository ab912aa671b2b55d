import * as iot from 'aws-cdk-lib/aws-iot';
import { Construct } from 'constructs';
import {
  CERTIFICATE_STATUS,
  isQuarantineAttributeName,
  LIMITS,
  NAME_RULES,
  QUARANTINE_ATTRIBUTE,
  type CertificateStatus,
} from '../contract';
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
  /**
   * The certificate's status. Changing it updates the certificate in place (CloudFormation calls
   * UpdateCertificate; Status is not a create-only property of AWS::IoT::Certificate), and nothing else moves.
   * @default 'ACTIVE'
   */
  readonly certificateStatus?: CertificateStatus;
  /**
   * Give the thing the quarantine attribute, which the IoT policy denies everything. The attribute is part of
   * the thing's AttributePayload, which CloudFormation owns: set anywhere else, the next update of the thing
   * would erase it (the AWS::IoT::Thing handler calls UpdateThing without merge).
   * @default false
   */
  readonly quarantined?: boolean;
}

/**
 * One device: its thing and, once it has a CSR, its certificate (ACTIVE unless config says otherwise) attached
 * to the thing and the policy.
 */
export class FleetThing extends Construct {
  public readonly thing: iot.CfnThing;
  public readonly certificate?: iot.CfnCertificate;

  constructor(scope: Construct, id: string, props: FleetThingProps) {
    super(scope, id);
    checkName('thingName', NAME_RULES.thingName, props.thingName);
    const reserved = Object.keys(props.attributes ?? {}).filter(isQuarantineAttributeName);
    if (reserved.length > 0) {
      throw new Error(
        `attributes must not name ${QUARANTINE_ATTRIBUTE.name} (in any letter case), reserved for quarantine: pass quarantined: true, got: ${reserved.join(', ')}`,
      );
    }
    const attributes: Record<string, string> = {
      ...props.attributes,
      ...(props.quarantined ? { [QUARANTINE_ATTRIBUTE.name]: QUARANTINE_ATTRIBUTE.value } : {}),
    };
    if (Object.keys(attributes).length > LIMITS.thingAttributes) {
      throw new Error(
        `a thing created by CloudFormation holds at most ${LIMITS.thingAttributes} attributes, got: ${Object.keys(attributes).join(', ')}`,
      );
    }
    const certificateStatus = props.certificateStatus ?? CERTIFICATE_STATUS.active;
    if (!Object.values<string>(CERTIFICATE_STATUS).includes(certificateStatus)) {
      throw new Error(
        `certificateStatus must be one of ${Object.values(CERTIFICATE_STATUS).join(', ')}, got: ${String(certificateStatus)}`,
      );
    }
    if (props.csrPem !== undefined && !props.csrPem.includes('-----BEGIN CERTIFICATE REQUEST-----')) {
      throw new Error(`csrPem must be a PEM certificate signing request, got: ${props.csrPem.slice(0, 40)}`);
    }

    this.thing = new iot.CfnThing(this, 'Resource', {
      thingName: props.thingName,
      attributePayload: Object.keys(attributes).length > 0 ? { attributes } : undefined,
    });
    if (props.csrPem === undefined) return;

    this.certificate = new iot.CfnCertificate(this, 'Certificate', {
      certificateSigningRequest: props.csrPem,
      // An INACTIVE or REVOKED certificate may stay attached: CloudFormation needs nothing else changed.
      status: certificateStatus,
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
