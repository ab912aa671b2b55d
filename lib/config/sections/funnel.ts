import { z } from 'zod';
import { DEVICE_TOPIC_ROOT, LIMITS, NAME_RULES } from '../../contract';
import { email, intRange, matching, oneOf } from '../rules';

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

export const funnelSection = z
  .strictObject({
    topicPrefix: matching(NAME_RULES.mqttTopicPrefix).describe(
      'SORACOM Funnel may publish to <topicPrefix>/* only. Must stay outside the device topic space things/… (in any letter case).',
    ),
    coverage: oneOf(['jp', 'global'])
      .default('jp')
      .describe('The SORACOM API the rotation calls: jp (api.soracom.io) or global (g.api.soracom.io).'),
    rotation: z
      .strictObject({
        periodDays: intRange(LIMITS.rotationPeriodDays).default(90).describe('Days between key rotations.'),
        graceDays: intRange(LIMITS.rotationGraceDays)
          .default(7)
          .describe(
            'Days the old key stays usable after SORACOM switched to the new one; fewer than periodDays.',
          ),
        strategy,
      })
      .describe('When and how the Funnel access key rotates.'),
    alarmEmails: z
      .array(email)
      .default([])
      .describe('E-mail addresses subscribed to the rotation alarms (each confirms once).'),
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
    if (funnel.rotation.graceDays >= funnel.rotation.periodDays) {
      ctx.addIssue({
        code: 'custom',
        path: ['rotation', 'graceDays'],
        input: funnel.rotation.graceDays,
        message: `expected fewer days than rotation.periodDays (${funnel.rotation.periodDays}): the old key must be gone before the next rotation`,
      });
    }
  })
  .describe(
    'The Funnel flow: a publish-only IAM user whose access key rotates into the SORACOM credential store.',
  );

export type FunnelConfig = z.output<typeof funnelSection>;
