import { z } from 'zod';
import {
  EXTERNAL_ID,
  EXTERNAL_ID_RULE,
  externalIdWeakness,
  followsAwsExternalIdRule,
  isExternalIdPlaceholder,
  LIMITS,
  NAME_RULES,
} from '../../contract';
import { accountId, email, flag, intRange } from '../rules';

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
  externalId: z
    .string({ error: `expected ${EXTERNAL_ID_RULE}` })
    .regex(NAME_RULES.externalId.pattern, { error: `expected ${EXTERNAL_ID_RULE}` })
    .describe(
      'The external id the role requires (sts:ExternalId) and the SORACOM credential carries: the only thing ' +
        'that keeps another SORACOM customer from using this role. At least 32 characters from a-z A-Z 0-9 _ + = , . @ : / - ' +
        "with at least 8 different ones, never a template's placeholder (replace-with…), and not the other " +
        "principal's: make one with npx keyless soracom new-external-id, and keep it out of public repositories. " +
        'A template (example: true) holds placeholders only.',
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

interface RoleModeHolder {
  readonly mode: string;
  readonly externalId?: string;
}

/**
 * The external ids of a whole config: a deployable config carries secrets worth the name (EXTERNAL_ID), a template
 * (`example: true`) carries placeholders only (it is published), and the Funnel publisher's and the Krypton signer's
 * differ, so one leaked or registered in the wrong place does not open the other role.
 */
export function checkExternalIds(
  config: {
    readonly example?: boolean;
    readonly krypton?: { readonly signer: RoleModeHolder };
    readonly funnel?: { readonly publisher: RoleModeHolder };
  },
  ctx: z.RefinementCtx,
): void {
  const ids = [
    { path: ['krypton', 'signer', 'externalId'], holder: config.krypton?.signer },
    { path: ['funnel', 'publisher', 'externalId'], holder: config.funnel?.publisher },
  ].flatMap(({ path, holder }) =>
    holder?.mode === 'role' &&
    typeof holder.externalId === 'string' &&
    followsAwsExternalIdRule(holder.externalId)
      ? [{ path, value: holder.externalId }]
      : [],
  );
  // The loader describes an external id in its messages, never shows it (SECRET_CONFIG_FIELDS).
  const issue = (path: string[], value: string, message: string) =>
    ctx.addIssue({ code: 'custom', path, input: value, message });
  for (const { path, value } of ids) {
    if (config.example === true) {
      if (!isExternalIdPlaceholder(value)) {
        issue(
          path,
          value,
          `expected a placeholder starting "${EXTERNAL_ID.placeholderPrefix}" in a template (example: true): ` +
            'a template is published, so no real external id belongs in it',
        );
      }
      continue;
    }
    const weakness = externalIdWeakness(value);
    if (weakness !== undefined) issue(path, value, `expected ${EXTERNAL_ID_RULE}; this one ${weakness}`);
  }
  if (ids.length === 2 && ids[0].value === ids[1].value) {
    issue(
      ids[1].path,
      ids[1].value,
      `expected an external id other than ${ids[0].path.join('.')}'s: each role needs its own, so one that leaks ` +
        'or is registered in the wrong place does not open the other',
    );
  }
}
