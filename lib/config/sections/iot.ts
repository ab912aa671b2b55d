import { z } from 'zod';
import {
  isQuarantineAttributeName,
  LIMITS,
  NAME_RULES,
  QUARANTINE_ATTRIBUTE,
  QUARANTINE_DENY,
  THING_STATUSES,
} from '../../contract';
import {
  flag,
  intRange,
  iotName,
  matching,
  oneOf,
  quarantineDenyFits,
  quarantineTime,
  roleAliasName,
  text,
} from '../rules';
import { deviceKey } from './device-key';

const attributeName = matching(NAME_RULES.thingAttributeName);
const attributeValue = matching(NAME_RULES.thingAttributeValue);

const thing = z
  .strictObject({
    name: iotName.describe('The thing name; also the certificate subject CN and the MQTT client id. Unique.'),
    attributes: z
      .record(attributeName, attributeValue)
      .refine((attributes) => Object.keys(attributes).length <= LIMITS.thingAttributes, {
        error: `expected at most ${LIMITS.thingAttributes} attributes (CloudFormation creates a thing before its thing type is set, and an untyped thing holds at most ${LIMITS.thingAttributes})`,
      })
      .default({})
      .describe(
        'Thing attributes, at most 3: CloudFormation creates the thing before its thing type is set, and an ' +
          'untyped thing holds at most 3. Must include every iot.policy.requiredAttributes entry with its value.',
      ),
    csrFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The thing's CSR, relative to the repository root (default fleet/<env>/<name>/csr.pem). The loader " +
          'checks it: PEM, subject CN = the thing name, RSA >= 2048 or EC P-256/P-384/P-521, valid self-signature. ' +
          'Without a CSR the thing gets no certificate yet.',
      ),
    status: oneOf(THING_STATUSES)
      .default('active')
      .describe(
        "The status of the thing's certificate, deployed as its AWS::IoT::Certificate Status: `active`, " +
          '`inactive` (refused by AWS IoT; can be made active again) or `revoked` (refused for good: AWS IoT ' +
          'cannot make a revoked certificate active again, so the deploy that tries fails; `npx keyless enroll ' +
          '--force` makes a new key and certificate instead). `npx keyless device revoke` sets it in AWS at once ' +
          'and writes it here.',
      ),
    quarantined: flag()
      .default(false)
      .describe(
        `Cut the thing off: the thing carries the attribute ` +
          `${QUARANTINE_ATTRIBUTE.name}=${QUARANTINE_ATTRIBUTE.value}, which the IoT policy denies credentials, ` +
          'MQTT connections and topics (it counts towards the 3 attributes); an `active` certificate deploys ' +
          'INACTIVE while the thing is quarantined (`inactive` and `revoked` stay as they are); and the device ' +
          'role denies the sessions it was issued before quarantinedAt. Set and cleared at once with ' +
          '`npx keyless device quarantine` / `release`, which write it here so a deploy keeps it.',
      ),
    quarantinedAt: quarantineTime
      .optional()
      .describe(
        'When the thing was quarantined (UTC, `YYYY-MM-DDThh:mm:ssZ`; written by `npx keyless device quarantine`). ' +
          `The device role denies every session of the thing issued before this time plus ${QUARANTINE_DENY.settleSeconds} s ` +
          '(the time AWS IoT may take to apply the quarantine): credentials issued before the quarantine stop ' +
          'working at the deploy. Only with "quarantined": true. Left out (a config from before it existed), the ' +
          'role denies every session of the thing, and new ones after a release only once the release is deployed.',
      ),
    deviceKey: deviceKey
      .optional()
      .describe("Where this thing's private key lives. Default: iot.deviceKey, else a key file."),
  })
  .describe('One AWS IoT thing with its certificate, placed on a Fleet stack (fleet/<env>/shards.json).');

export const iotSection = z
  .strictObject({
    thingType: z
      .strictObject({
        name: iotName.describe('The thing type every configured thing gets.'),
        description: text(LIMITS.thingTypeDescriptionLength)
          .optional()
          .describe('Description of the thing type.'),
        searchableAttributes: z
          .array(attributeName)
          .max(LIMITS.searchableAttributes, {
            error: `expected at most ${LIMITS.searchableAttributes} searchable attributes`,
          })
          .default([])
          .describe('Thing attributes that can be searched (at most 3, an AWS IoT limit).'),
      })
      .describe('The AWS IoT thing type of the fleet.'),
    role: z
      .strictObject({
        maxSessionDurationSeconds: intRange(LIMITS.roleMaxSessionDurationSeconds)
          .default(3600)
          .describe("The role's MaxSessionDuration in seconds."),
      })
      .default({ maxSessionDurationSeconds: 3600 })
      .describe('The IAM role the AWS IoT credentials provider assumes for a device.'),
    roleAlias: z
      .strictObject({
        name: roleAliasName.describe('The role alias devices name in the credentials provider URL.'),
        credentialDurationSeconds: intRange(LIMITS.credentialDurationSeconds)
          .default(3600)
          .describe(
            'Lifetime of the credentials the provider hands out; at most iot.role.maxSessionDurationSeconds, or ' +
              'the credentials provider answers 400.',
          ),
      })
      .describe('The AWS IoT role alias devices exchange their certificate at.'),
    policy: z
      .strictObject({
        name: matching(NAME_RULES.iotPolicyName).describe(
          'The IoT policy attached to every device certificate.',
        ),
        requireThingType: flag()
          .default(true)
          .describe('Only things of iot.thingType.name may exchange their certificate for credentials.'),
        requiredAttributes: z
          .record(attributeName, attributeValue)
          .default({})
          .describe(
            'Thing attributes a thing must carry, with these exact values, to get credentials; every configured ' +
              'thing must carry them.',
          ),
      })
      .describe('The AWS IoT policy of every device certificate.'),
    things: z
      .array(thing)
      .default([])
      .describe('The things of the fleet (add them with npx keyless enroll).'),
    deviceKey: deviceKey
      .optional()
      .describe("Where the things' private keys live, unless a thing says otherwise. Default: a key file."),
  })
  .superRefine((iot, ctx) => {
    if (iot.roleAlias.credentialDurationSeconds > iot.role.maxSessionDurationSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['roleAlias', 'credentialDurationSeconds'],
        input: iot.roleAlias.credentialDurationSeconds,
        message: `expected at most iot.role.maxSessionDurationSeconds (${iot.role.maxSessionDurationSeconds}): the credentials provider cannot issue credentials that outlive the role's maximum session`,
      });
    }
    // The quarantine attribute means one thing only: no thing and no policy rule may use its name.
    for (const name of Object.keys(iot.policy.requiredAttributes).filter(isQuarantineAttributeName)) {
      ctx.addIssue({
        code: 'custom',
        path: ['policy', 'requiredAttributes', name],
        input: iot.policy.requiredAttributes[name],
        message: `expected another attribute name: ${QUARANTINE_ATTRIBUTE.name} (in any letter case) is reserved for quarantine (iot.things[].quarantined)`,
      });
    }
    const seen = new Map<string, number>();
    iot.things.forEach((t, index) => {
      for (const name of Object.keys(t.attributes).filter(isQuarantineAttributeName)) {
        ctx.addIssue({
          code: 'custom',
          path: ['things', index, 'attributes', name],
          input: t.attributes[name],
          message: `expected another attribute name: ${QUARANTINE_ATTRIBUTE.name} (in any letter case) is reserved for quarantine; set "quarantined": true instead`,
        });
      }
      const own = Object.keys(t.attributes).length;
      if (t.quarantined && own >= LIMITS.thingAttributes) {
        ctx.addIssue({
          code: 'custom',
          path: ['things', index, 'quarantined'],
          input: t.quarantined,
          message:
            `expected a thing with at most ${LIMITS.thingAttributes - 1} attributes of its own (it has ${own}): ` +
            `the quarantine attribute is one more, and CloudFormation creates a thing untyped, with at most ` +
            `${LIMITS.thingAttributes}; drop an attribute, or deactivate the certificate instead ("status": "inactive")`,
        });
      }
      if (t.quarantinedAt !== undefined && !t.quarantined) {
        ctx.addIssue({
          code: 'custom',
          path: ['things', index, 'quarantinedAt'],
          input: t.quarantinedAt,
          message:
            'expected no quarantinedAt on a thing that is not quarantined: set "quarantined": true, or remove ' +
            'quarantinedAt (`npx keyless device release` removes both)',
        });
      }
      const first = seen.get(t.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['things', index, 'name'],
          input: t.name,
          message: `expected a unique thing name (also used by iot.things[${first}])`,
        });
      } else {
        seen.set(t.name, index);
      }
      // The IoT policy hands out credentials only to things carrying every required attribute.
      for (const [name, value] of Object.entries(iot.policy.requiredAttributes)) {
        if (t.attributes[name] !== value) {
          ctx.addIssue({
            code: 'custom',
            path: ['things', index, 'attributes', name],
            input: t.attributes[name],
            message: `expected ${JSON.stringify(value)} (iot.policy.requiredAttributes): without it the IoT policy never gives this thing credentials`,
          });
        }
      }
    });
    const quarantined = iot.things
      .filter((t) => t.quarantined)
      .map((t) => ({ id: t.name, quarantinedAt: t.quarantinedAt }));
    const refusal = quarantineDenyFits('thing', quarantined);
    if (refusal !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['things'],
        input: `${quarantined.length} quarantined`,
        message: refusal,
      });
    }
  })
  .describe('The X.509 flow: thing type, credentials-provider role, role alias, IoT policy and the things.');

export type IotConfig = z.output<typeof iotSection>;
export type ThingConfig = IotConfig['things'][number];
