import { z } from 'zod';
import { DEVICE_TOPIC_ROOT, NAME_RULES } from '../../contract';
import { matching, oneOf } from '../rules';
import {
  alarmEmails,
  checkRotationTiming,
  refuseRotationInRoleMode,
  rotationTimingFields,
  soracomRoleFields,
} from './soracom-principal';

const strategy = z
  .discriminatedUnion(
    'type',
    [
      z
        .strictObject({
          type: z.literal('update-in-place').describe('Overwrite one credential.'),
          credentialId: matching(NAME_RULES.soracomCredentialId).describe(
            'The SORACOM credential set Funnel uses; never krypton.credentialId (in any letter case).',
          ),
        })
        .describe(
          'PUT /v1/credentials/<credentialId>: the one credential SORACOM Funnel uses is overwritten with the new key.',
        ),
      z
        .strictObject({
          type: z.literal('new-credential').describe('A new credential per rotation.'),
          credentialPrefix: matching(NAME_RULES.soracomCredentialPrefix).describe(
            'Credentials are named <credentialPrefix>-<yyMMdd> (and -<HHmmss> for a second rotation on one day); no such id may equal krypton.credentialId.',
          ),
        })
        .describe(
          'POST /v1/credentials/<credentialPrefix>-<yyMMdd>, then every SIM group using the prefix is switched to it.',
        ),
    ],
    { error: 'expected type "update-in-place" or "new-credential"' },
  )
  .describe('How the new key reaches SORACOM.');

// Who SORACOM Funnel publishes to AWS IoT as: an IAM user whose access key rotates into SORACOM's credential
// store, or a role SORACOM assumes (`aws-iam-role-credentials`), with no long-term key anywhere.
const publisher = z
  .discriminatedUnion(
    'mode',
    [
      z
        .strictObject({
          mode: z
            .literal('user')
            .describe('An IAM user whose access key SORACOM keeps and funnel.rotation rotates.'),
        })
        .describe(
          'An IAM user allowed iot:Publish under the prefix; funnel.rotation makes, hands to SORACOM and retires its keys.',
        ),
      z
        .strictObject({
          ...soracomRoleFields,
          credentialId: matching(NAME_RULES.soracomCredentialId).describe(
            'The SORACOM credential set (aws-iam-role-credentials) that holds the role; SIM groups name it. ' +
              'npx keyless soracom register-funnel-credentials creates or updates it. Never krypton.credentialId.',
          ),
        })
        .describe(
          'A role SORACOM assumes with your external id, allowed iot:Publish under the prefix: no long-term key anywhere.',
        ),
    ],
    { error: 'expected mode "user" or "role"' },
  )
  .describe(
    'Who SORACOM Funnel publishes as: {"mode":"user"} (rotated access key) or ' +
      '{"mode":"role","soracomAccountId":…,"externalId":…,"credentialId":…}.',
  );

export const funnelSection = z
  .strictObject({
    topicPrefix: matching(NAME_RULES.mqttTopicPrefix).describe(
      'SORACOM Funnel may publish to <topicPrefix>/* only. Must stay outside the device topic space things/… (in any letter case).',
    ),
    coverage: oneOf(['jp', 'global'])
      .default('jp')
      .describe(
        'The SORACOM API the rotation and the register command call: jp (api.soracom.io) or global (g.api.soracom.io).',
      ),
    publisher: publisher.default({ mode: 'user' }),
    rotation: z
      .strictObject({ ...rotationTimingFields, strategy })
      .optional()
      .describe(
        'When and how the Funnel access key rotates: required with publisher mode user, refused with role.',
      ),
    alarmEmails,
  })
  .superRefine((funnel, ctx) => {
    // MQTT topics and IoT policy resources are case-sensitive, so Things/… would not overlap things/…; it is
    // refused anyway: a topic space that differs from the devices' only in case is a mistake waiting in every
    // rule and subscription written against it, and nothing needs it.
    const root = funnel.topicPrefix.split('/')[0];
    if (root.toLowerCase() === DEVICE_TOPIC_ROOT) {
      ctx.addIssue({
        code: 'custom',
        path: ['topicPrefix'],
        input: funnel.topicPrefix,
        message:
          `expected a topic prefix outside ${DEVICE_TOPIC_ROOT}/… in any letter case (devices publish and subscribe under ` +
          `${DEVICE_TOPIC_ROOT}/<thing>/; the Funnel principal, whose key SORACOM holds, must not reach device topics)`,
      });
    }
    if (funnel.publisher.mode === 'role') {
      refuseRotationInRoleMode(funnel, ctx, 'publisher');
    } else if (funnel.rotation === undefined) {
      ctx.addIssue({
        code: 'invalid_type',
        expected: 'object',
        path: ['rotation'],
        input: undefined,
        message:
          'expected rotation settings ({"periodDays","graceDays","strategy"}): publisher mode user rotates the ' +
          'access key SORACOM holds (or use publisher mode role, which has no key)',
      });
    } else {
      checkRotationTiming(funnel.rotation, ctx, ['rotation']);
    }
  })
  .describe(
    'The Funnel flow: SORACOM Funnel publishes to AWS IoT under one topic prefix, as a role it assumes or as an ' +
      'IAM user whose access key rotates into the SORACOM credential store.',
  );

export type FunnelConfig = z.output<typeof funnelSection>;
