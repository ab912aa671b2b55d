import { z } from 'zod';
import { LIMITS, NAME_RULES } from '../../contract';
import { flag, intRange, iotName, matching, roleAliasName, text } from '../rules';

const attributeName = matching(NAME_RULES.thingAttributeName);
const attributeValue = matching(NAME_RULES.thingAttributeValue);

const thing = z.strictObject({
  /** The thing name; also the certificate's subject CN and the MQTT client id. */
  name: iotName,
  /**
   * Thing attributes. At most 3: CloudFormation creates the thing before its thing type is set, and a thing
   * without a type holds at most 3 attributes.
   */
  attributes: z
    .record(attributeName, attributeValue)
    .refine((attributes) => Object.keys(attributes).length <= LIMITS.thingAttributes, {
      error: `expected at most ${LIMITS.thingAttributes} attributes (CloudFormation creates a thing before its thing type is set, and an untyped thing holds at most ${LIMITS.thingAttributes})`,
    })
    .default({}),
  /**
   * The CSR file, relative to the repository root.
   * @default fleet/<env>/<name>/csr.pem (lib/contract/repository-layout.ts)
   */
  csrFile: z.string().min(1).optional(),
});

/** The X.509 flow: thing type, role, role alias, IoT policy and the things themselves. */
export const iotSection = z
  .strictObject({
    thingType: z.strictObject({
      name: iotName,
      description: text(LIMITS.thingTypeDescriptionLength).optional(),
      /** Attributes that can be searched (at most 3, an AWS IoT limit). */
      searchableAttributes: z
        .array(attributeName)
        .max(LIMITS.searchableAttributes, {
          error: `expected at most ${LIMITS.searchableAttributes} searchable attributes`,
        })
        .default([]),
    }),
    role: z
      .strictObject({
        /** The role's MaxSessionDuration: 3600-43200 seconds. */
        maxSessionDurationSeconds: intRange(LIMITS.roleMaxSessionDurationSeconds).default(3600),
      })
      .default({ maxSessionDurationSeconds: 3600 }),
    roleAlias: z.strictObject({
      name: roleAliasName,
      /** Lifetime of the credentials the provider hands out: 900-43200 seconds, at most the role's maximum. */
      credentialDurationSeconds: intRange(LIMITS.credentialDurationSeconds).default(3600),
    }),
    policy: z.strictObject({
      name: matching(NAME_RULES.iotPolicyName),
      /** Only things of the configured thing type may exchange their certificate for credentials. */
      requireThingType: flag().default(true),
      /** Thing attributes a thing must carry, with these exact values, to get credentials. */
      requiredAttributes: z.record(attributeName, attributeValue).default({}),
    }),
    things: z.array(thing).default([]),
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
    const seen = new Map<string, number>();
    iot.things.forEach((t, index) => {
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
  });

export type IotConfig = z.output<typeof iotSection>;
export type ThingConfig = IotConfig['things'][number];
