import { z } from 'zod';
import {
  flag,
  iamName,
  intRange,
  iotAttributeName,
  iotAttributeValue,
  iotName,
  roleAliasName,
} from '../rules';

const thing = z.strictObject({
  /** The thing name; also the certificate's subject CN and the MQTT client id. */
  name: iotName,
  /**
   * Thing attributes. At most 3: CloudFormation creates the thing before its thing type is set, and a thing
   * without a type holds at most 3 attributes.
   */
  attributes: z
    .record(iotAttributeName, iotAttributeValue)
    .refine((attributes) => Object.keys(attributes).length <= 3, {
      error:
        'expected at most 3 attributes (CloudFormation creates a thing before its thing type is set, and an untyped thing holds at most 3)',
    })
    .default({}),
  /**
   * The CSR file, relative to the repository root.
   * @default fleet/<env>/<name>/csr.pem
   */
  csrFile: z.string().min(1).optional(),
});

/** The X.509 flow: thing type, role, role alias, IoT policy and the things themselves. */
export const iotSection = z
  .strictObject({
    thingType: z.strictObject({
      name: iotName,
      description: z.string().max(2028, { error: 'expected at most 2028 characters' }).optional(),
      /** Attributes that can be searched (at most 3, an AWS IoT limit). */
      searchableAttributes: z
        .array(iotAttributeName)
        .max(3, { error: 'expected at most 3 searchable attributes' })
        .default([]),
    }),
    role: z
      .strictObject({
        /** The role's MaxSessionDuration: 3600-43200 seconds. */
        maxSessionDurationSeconds: intRange(3600, 43200, ' seconds').default(3600),
      })
      .default({ maxSessionDurationSeconds: 3600 }),
    roleAlias: z.strictObject({
      name: roleAliasName,
      /** Lifetime of the credentials the provider hands out: 900-43200 seconds, at most the role's maximum. */
      credentialDurationSeconds: intRange(900, 43200, ' seconds').default(3600),
    }),
    policy: z.strictObject({
      name: iamName(128),
      /** Only things of the configured thing type may exchange their certificate for credentials. */
      requireThingType: flag().default(true),
      /** Thing attributes a thing must carry, with these exact values, to get credentials. */
      requiredAttributes: z.record(iotAttributeName, iotAttributeValue).default({}),
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
