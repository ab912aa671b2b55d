import { z } from 'zod';
import { LIMITS, NAME_RULES } from '../../contract';
import { accountId, email, flag, intRange, matching } from '../rules';

/**
 * What the two SORACOM principals (the Funnel publisher, the Krypton signer) share in config: `role` mode's trust
 * (SORACOM's AWS account, the external id), the flag that keeps the old user through a migration to a role, the
 * rotation timing of `user` mode, and the rule that role mode has no rotation settings at all.
 */

/** The fields of `{"mode":"role",…}`: who may assume the role, and with which external id. */
export const soracomRoleFields = {
  mode: z.literal('role').describe("A role SORACOM's AWS account assumes."),
  soracomAccountId: accountId.describe(
    "SORACOM's AWS account for your coverage, which assumes the role: SORACOM's documentation of " +
      'AWS IAM role credentials names it (one account for Japan coverage, one for Global).',
  ),
  externalId: matching(NAME_RULES.externalId).describe(
    'The external id the role requires (sts:ExternalId) and the SORACOM credential carries: the only thing ' +
      'that keeps another SORACOM customer from using this role. Choose a random value (say, 32 hex digits) and keep it out of public repositories.',
  ),
  migratingFromUser: flag()
    .default(false)
    .describe(
      'Only while moving a deployed environment from user to role mode: true keeps the user (and the key SORACOM ' +
        'still holds) next to the new role, without its rotation, so SORACOM can be switched to the role with no ' +
        'outage. Remove it, and deploy again, once SORACOM uses the role and the user’s keys are deleted.',
    ),
};

/** How often the key rotates, and how long the old one lives after SORACOM switched. */
export const rotationTimingFields = {
  periodDays: intRange(LIMITS.rotationPeriodDays).default(90).describe('Days between key rotations.'),
  graceDays: intRange(LIMITS.rotationGraceDays)
    .default(7)
    .describe('Days the old key stays usable after SORACOM switched to the new one; fewer than periodDays.'),
};

/** E-mail addresses for a rotation's alarms. */
export const alarmEmails = z
  .array(email)
  .default([])
  .describe('E-mail addresses subscribed to the key rotation alarms (each confirms once); user mode only.');

interface RotationTiming {
  readonly periodDays: number;
  readonly graceDays: number;
}

/** The grace period must end before the next rotation needs the old key's slot. */
export function checkRotationTiming(
  rotation: RotationTiming,
  ctx: z.RefinementCtx,
  path: readonly (string | number)[],
): void {
  if (rotation.graceDays >= rotation.periodDays) {
    ctx.addIssue({
      code: 'custom',
      path: [...path, 'graceDays'],
      input: rotation.graceDays,
      message: `expected fewer days than rotation.periodDays (${rotation.periodDays}): the old key must be gone before the next rotation`,
    });
  }
}

/**
 * Role mode has no access key, so no rotation and no rotation alarms: settings for them are a mistake (a config
 * that still believes a key exists), refused rather than ignored.
 */
export function refuseRotationInRoleMode(
  section: { readonly rotation?: unknown; readonly alarmEmails: readonly string[] },
  ctx: z.RefinementCtx,
  modeField: string,
): void {
  if (section.rotation !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['rotation'],
      input: section.rotation,
      message: `expected no rotation settings with ${modeField} mode role: a role has no access key to rotate (remove rotation)`,
    });
  }
  if (section.alarmEmails.length > 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['alarmEmails'],
      input: section.alarmEmails,
      message: `expected no alarm e-mails with ${modeField} mode role: they receive the key rotation's alarms, and a role has no key to rotate`,
    });
  }
}
