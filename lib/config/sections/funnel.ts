import { z } from 'zod';
import { email, intRange, matching, oneOf } from '../rules';

const strategy = z
  .discriminatedUnion(
    'type',
    [
      z
        .strictObject({
          type: z.literal('update-in-place').describe('Overwrite one credential.'),
          credentialId: matching(/^[\w-]{1,100}$/, '1-100 characters from a-z A-Z 0-9 _ -').describe(
            'The SORACOM credential set Funnel uses.',
          ),
        })
        .describe(
          'PUT /v1/credentials/<credentialId>: the one credential SORACOM Funnel uses is overwritten with the new key.',
        ),
      z
        .strictObject({
          type: z.literal('new-credential').describe('A new credential per rotation.'),
          credentialPrefix: matching(/^[\w-]{1,90}$/, '1-90 characters from a-z A-Z 0-9 _ -').describe(
            'Credentials are named <credentialPrefix>-<yyMMdd>.',
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
    topicPrefix: matching(
      /^[\w-]+(\/[\w-]+)*$/,
      'an MQTT topic prefix such as funnel/devices (no wildcards, no trailing /)',
    ).describe('SORACOM Funnel may publish to <topicPrefix>/* only.'),
    coverage: oneOf(['jp', 'global'])
      .default('jp')
      .describe('The SORACOM API the rotation calls: jp (api.soracom.io) or global (g.api.soracom.io).'),
    rotation: z
      .strictObject({
        periodDays: intRange(1, 365, ' days').default(90).describe('Days between key rotations.'),
        graceDays: intRange(1, 90, ' days')
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
