import { z } from 'zod';
import { AUDIT_DAYS_OF_WEEK, AUDIT_LAST_DAY_OF_MONTH, describeRange, LIMITS } from '../../contract';
import { email, intRange, oneOf } from '../rules';

const dayOfWeek = oneOf(AUDIT_DAYS_OF_WEEK).describe('The day the audit runs on.');

const schedule = z
  .discriminatedUnion(
    'frequency',
    [
      z.strictObject({ frequency: z.literal('daily').describe('Every day.') }).describe('Every day.'),
      z
        .strictObject({ frequency: z.literal('weekly').describe('Every week.'), dayOfWeek })
        .describe('Every week, on dayOfWeek.'),
      z
        .strictObject({ frequency: z.literal('biweekly').describe('Every other week.'), dayOfWeek })
        .describe('Every other week, on dayOfWeek.'),
      z
        .strictObject({
          frequency: z.literal('monthly').describe('Every month.'),
          dayOfMonth: z
            .union([intRange(LIMITS.auditDayOfMonth), z.literal(AUDIT_LAST_DAY_OF_MONTH)], {
              error: `expected ${describeRange(LIMITS.auditDayOfMonth)} or "${AUDIT_LAST_DAY_OF_MONTH}"`,
            })
            .describe(
              `The day of the month, ${describeRange(LIMITS.auditDayOfMonth)} or "${AUDIT_LAST_DAY_OF_MONTH}"; ` +
                '29-31 run on the last day of shorter months.',
            ),
        })
        .describe('Every month, on dayOfMonth.'),
    ],
    { error: 'expected frequency "daily", "weekly", "biweekly" or "monthly"' },
  )
  .describe(
    'When the scheduled audit runs (AWS picks the time of day): {"frequency":"daily"}, ' +
      '{"frequency":"weekly"|"biweekly","dayOfWeek":"mon"} or {"frequency":"monthly","dayOfMonth":1}.',
  );

export const auditSection = z
  .strictObject({
    schedule: schedule.default({ frequency: 'daily' }),
    alarmEmails: z
      .array(email)
      .default([])
      .describe('E-mail addresses subscribed to the audit notifications (each confirms once).'),
  })
  .describe(
    'AWS IoT Device Defender audit of the account: the role alias, certificate and policy checks keyless-iot ' +
      'enables (docs/security.md), notifications to an encrypted SNS topic, and a schedule. The audit configuration ' +
      'is ONE PER ACCOUNT AND REGION: enable it in one environment of each account and region only.',
  );

export type AuditConfig = z.output<typeof auditSection>;
