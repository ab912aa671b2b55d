import { z } from 'zod';
import {
  describeRange,
  isQuarantineTime,
  LIMITS,
  NAME_RULES,
  quarantineDenyDocuments,
  type IntegerRange,
  type NameRule,
  type QuarantinedPrincipal,
} from '../contract';

/**
 * Zod schemas built from the contract's name rules and limits (lib/contract/limits.ts), shared by every config
 * section. Each carries the sentence the operator reads when the value is wrong ("expected …"); the loader adds
 * the file, the field path and the bad value.
 *
 * The device helper (device-scripts/bin/keyless-credentials) checks device.json with copies of `region`,
 * `iotName`, `roleAliasName` and `httpsUrl`; test/device-scripts/keyless-credentials-config.test.ts keeps them
 * in step.
 */

export function intRange(integers: IntegerRange): z.ZodInt {
  const error = `expected ${describeRange(integers)}`;
  return z.int({ error }).min(integers.min, { error }).max(integers.max, { error });
}

export function matching(nameRule: NameRule): z.ZodString {
  const error = `expected ${nameRule.description}`;
  return z.string({ error }).regex(nameRule.pattern, { error });
}

export function oneOf<const T extends readonly [string, ...string[]]>(
  values: T,
): z.ZodEnum<{ [K in T[number]]: K }> {
  return z.enum(values, { error: `expected one of: ${values.join(', ')}` });
}

export function flag(): z.ZodBoolean {
  return z.boolean({ error: 'expected true or false' });
}

/** At most `max` characters of free text. */
export function text(max: number): z.ZodString {
  return z.string().max(max, { error: `expected at most ${max} characters` });
}

export const accountId = matching(NAME_RULES.accountId);
export const region = matching(NAME_RULES.region);
/** Thing and thing type names (and the bundle names of Krypton devices). */
export const iotName = matching(NAME_RULES.thingName);
export const roleAliasName = matching(NAME_RULES.roleAliasName);
export const cidr = matching(NAME_RULES.cidr);
/** The endpoints a device calls (the device helper checks device.json with the same rule, `URL_RE`). */
export const httpsUrl = matching(NAME_RULES.httpsUrl);
export const email = z.email({ error: 'expected an e-mail address' });

/** Parses an IPv4 CIDR into its first and last address, for overlap checks. */
export function cidrRange(block: string): { first: number; last: number } {
  const [address, bits] = block.split('/');
  const value = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const size = 2 ** (32 - Number(bits));
  const first = value - (value % size);
  return { first, last: first + size - 1 };
}

export function cidrsOverlap(a: string, b: string): boolean {
  const x = cidrRange(a);
  const y = cidrRange(b);
  return x.first <= y.last && y.first <= x.last;
}

/** A quarantine time: UTC to the second, as IAM's date conditions read it. */
export const quarantineTime = z
  .string({ error: 'expected a UTC time such as 2026-01-31T09:30:00Z' })
  .refine(isQuarantineTime, {
    error: 'expected a UTC time such as 2026-01-31T09:30:00Z (a real date, no fraction)',
  });

/**
 * Undefined when the quarantine deny for these principals fits the managed policies of its role; otherwise the
 * sentence that says so (lib/contract/quarantine-deny.ts).
 */
export function quarantineDenyFits(
  kind: 'thing' | 'identity',
  principals: readonly QuarantinedPrincipal[],
): string | undefined {
  const packing = quarantineDenyDocuments(kind, principals);
  if (packing.fits) return undefined;
  const what = kind === 'thing' ? 'quarantined things' : 'quarantined Krypton identities';
  const atWorst = kind === 'thing' ? LIMITS.quarantinedThingsAtWorst : LIMITS.quarantinedIdentitiesAtWorst;
  return (
    `expected at most as many ${what} as ${LIMITS.quarantineDenyPolicies} IAM managed policies of ` +
    `${LIMITS.managedPolicyChars} characters hold (the device role's deny of their sessions): ${packing.covered} ` +
    `of these ${principals.length} fit (at least ${atWorst} always do). Release some, or revoke or decommission ` +
    'the ones kept quarantined for good'
  );
}
