import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import { Construct } from 'constructs';
import { DEVICE_TOPIC_ROOT, NAME_RULES, QUARANTINE_ATTRIBUTE } from '../contract';
import { checkName } from './prop-checks';

/** The name of the thing attached to the connecting certificate, as AWS IoT policies see it. */
export const IOT_THING_NAME_VARIABLE = '${iot:Connection.Thing.ThingName}';

/** The condition key of a thing attribute of the connecting thing. */
export function thingAttributeKey(name: string): string {
  return `iot:Connection.Thing.Attributes[${name}]`;
}

export interface DeviceIotPolicyProps {
  readonly policyName: string;
  /** `arn:…:rolealias/<alias>`: the only role alias certificates may exchange for credentials. */
  readonly roleAliasArn: string;
  /**
   * Only things of this type may get credentials (`iot:Connection.Thing.ThingTypeName`).
   * @default - any thing type
   */
  readonly requiredThingTypeName?: string;
  /**
   * Thing attributes a thing must carry with exactly these values to get credentials
   * (`iot:Connection.Thing.Attributes[<name>]`).
   * @default - none
   */
  readonly requiredAttributes?: Readonly<Record<string, string>>;
}

/**
 * The AWS IoT policy attached to every device certificate. One policy serves the whole fleet through the
 * `${iot:Connection.Thing.ThingName}` variable: a certificate may get credentials, connect with its thing's
 * name as client id and use the topics under `things/<thing>/` — only while it is attached to that thing.
 *
 * A quarantined thing (attribute `keylessQuarantine` = `true`, set from config by its Fleet stack) is denied
 * all of it. An explicit Deny overrides every Allow in AWS IoT policy evaluation, so the quarantine holds
 * whatever else a certificate is given. The thing attribute is known to the credentials provider only when the
 * device names its thing (`x-amzn-iot-thingname`); without that header the Allows below do not match either
 * (they all need `iot:Connection.Thing.*`), so leaving the header out gets nothing.
 *
 * What AWS documents, and what it leaves open: "Authorizing direct calls to AWS services using AWS IoT Core
 * credential provider" says a request naming its thing in `x-amzn-iot-thingname` is checked against the
 * certificate's attached thing and that thing variables are then usable ("You cannot use thing variables in
 * policies unless a thing name is passed in the request header"); "Thing policy variables" lists
 * `iot:Connection.Thing.Attributes[attributeName]`, `.ThingTypeName` and `.IsAttached`, but says ThingName and
 * ThingTypeName are "only available when a device connects over MQTT or MQTT over the WebSocket protocol", and
 * documents no `iot:Connection.Thing.ThingGroupArn`-style key at all (so a thing group could not be denied
 * here). Which of the two pages governs the credentials provider's evaluation of this policy could not be
 * confirmed offline. Either way the quarantine fails closed: the only Allow for iot:AssumeRoleWithCertificate
 * needs `iot:Connection.Thing.IsAttached` (and the required attributes), resolved by the same mechanism as the
 * quarantine attribute — if the attribute were not resolved, the Allow would not match either. The certificate
 * status is the cut AWS documents without any such question, so a quarantine does not rest on this policy alone:
 * it also makes the certificate INACTIVE (deployedCertificateStatus), and the device role denies the thing's
 * earlier sessions (lib/contract/quarantine-deny.ts).
 */
export class DeviceIotPolicy extends Construct {
  public readonly policy: iot.CfnPolicy;
  public readonly policyName: string;
  /** The policy document, rendered and parsed at synth so a malformed policy fails here, not at deploy. */
  public readonly document: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: DeviceIotPolicyProps) {
    super(scope, id);
    checkName('policyName', NAME_RULES.iotPolicyName, props.policyName);
    const stack = Stack.of(this);
    const iotArn = (resource: string): string => stack.formatArn({ service: 'iot', resource });
    const attached = { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } };

    const narrowing: Record<string, string> = {};
    if (props.requiredThingTypeName !== undefined) {
      narrowing['iot:Connection.Thing.ThingTypeName'] = props.requiredThingTypeName;
    }
    for (const [name, value] of Object.entries(props.requiredAttributes ?? {})) {
      narrowing[thingAttributeKey(name)] = value;
    }

    const document = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'DenyQuarantinedThings',
          effect: iam.Effect.DENY,
          actions: [
            'iot:AssumeRoleWithCertificate',
            'iot:Connect',
            'iot:Publish',
            'iot:Receive',
            'iot:Subscribe',
          ],
          // Every resource of each action, not only the ones allowed below: a quarantine must outlast any Allow.
          resources: [iotArn('rolealias/*'), iotArn('client/*'), iotArn('topic/*'), iotArn('topicfilter/*')],
          conditions: {
            StringEquals: { [thingAttributeKey(QUARANTINE_ATTRIBUTE.name)]: QUARANTINE_ATTRIBUTE.value },
          },
        }),
        new iam.PolicyStatement({
          sid: 'ExchangeCertificateForCredentials',
          actions: ['iot:AssumeRoleWithCertificate'],
          resources: [props.roleAliasArn],
          conditions: {
            ...attached,
            ...(Object.keys(narrowing).length > 0 ? { StringEquals: narrowing } : {}),
          },
        }),
        new iam.PolicyStatement({
          sid: 'ConnectAsOwnThing',
          actions: ['iot:Connect'],
          resources: [iotArn(`client/${IOT_THING_NAME_VARIABLE}`)],
          conditions: attached,
        }),
        new iam.PolicyStatement({
          sid: 'PublishAndReceiveOwnTopics',
          actions: ['iot:Publish', 'iot:Receive'],
          resources: [iotArn(`topic/${DEVICE_TOPIC_ROOT}/${IOT_THING_NAME_VARIABLE}/*`)],
        }),
        new iam.PolicyStatement({
          sid: 'SubscribeOwnTopics',
          actions: ['iot:Subscribe'],
          resources: [iotArn(`topicfilter/${DEVICE_TOPIC_ROOT}/${IOT_THING_NAME_VARIABLE}/*`)],
        }),
      ],
    });
    this.document = stack.resolve(document.toJSON());

    this.policy = new iot.CfnPolicy(this, 'Resource', {
      policyName: props.policyName,
      policyDocument: this.document,
    });
    this.policyName = props.policyName;
  }
}
