import { z } from 'zod';
import { LIMITS, NAME_RULES } from '../../contract';
import { email, intRange, matching, oneOf } from '../rules';

const strategy = z.discriminatedUnion(
  'type',
  [
    /** `PUT /v1/credentials/{id}`: the one credential SORACOM Funnel uses is overwritten with the new key. */
    z.strictObject({
      type: z.literal('update-in-place'),
      credentialId: matching(NAME_RULES.soracomCredentialId),
    }),
    /** `POST /v1/credentials/{prefix}-{yyMMdd}`, then every SIM group using the prefix is switched to it. */
    z.strictObject({
      type: z.literal('new-credential'),
      credentialPrefix: matching(NAME_RULES.soracomCredentialPrefix),
    }),
  ],
  { error: 'expected type "update-in-place" or "new-credential"' },
);

/** The Funnel flow: a publish-only IAM user whose access key rotates into the SORACOM credential store. */
export const funnelSection = z
  .strictObject({
    /** Funnel may publish to `<topicPrefix>/*` only. */
    topicPrefix: matching(NAME_RULES.mqttTopicPrefix),
    coverage: oneOf(['jp', 'global']).default('jp'),
    rotation: z.strictObject({
      periodDays: intRange(LIMITS.rotationPeriodDays).default(90),
      /** How long the old key stays usable after SORACOM switched to the new one. */
      graceDays: intRange(LIMITS.rotationGraceDays).default(7),
      strategy,
    }),
    alarmEmails: z.array(email).default([]),
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
  });

export type FunnelConfig = z.output<typeof funnelSection>;
