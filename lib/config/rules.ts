import { z } from 'zod';

/**
 * Small schema builders shared by every config section. Each one carries the sentence the operator reads
 * when the value is wrong ("expected …"); the loader adds the file, the field path and the bad value.
 *
 * The device helper (device-scripts/bin/keyless-credentials) checks device.json with copies of `region`,
 * `iotName`, `roleAliasName` and `httpsUrl`; test/device-scripts/keyless-credentials-config.test.ts keeps them
 * in step.
 */

export function intRange(min: number, max: number, unit = ''): z.ZodInt {
  const error = `expected an integer from ${min} to ${max}${unit}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
}

export function matching(pattern: RegExp, description: string): z.ZodString {
  return z.string({ error: `expected ${description}` }).regex(pattern, { error: `expected ${description}` });
}

export function oneOf<const T extends readonly [string, ...string[]]>(
  values: T,
): z.ZodEnum<{ [K in T[number]]: K }> {
  return z.enum(values, { error: `expected one of: ${values.join(', ')}` });
}

export function flag(): z.ZodBoolean {
  return z.boolean({ error: 'expected true or false' });
}

export const accountId = matching(/^\d{12}$/, 'a 12-digit AWS account id');

// Partitions' region names: geography, optional -gov/-iso, direction, number (ap-northeast-1, us-gov-west-1).
export const region = matching(
  /^(us|eu|ap|sa|ca|me|af|il|mx)(-gov|-iso|-isob)?-(north|south|east|west|central|northeast|southeast|northwest|southwest)-\d{1,2}$/,
  'an AWS region such as ap-northeast-1',
);

/** IoT thing and thing type names: `[a-zA-Z0-9:_-]{1,128}`. */
export const iotName = matching(/^[a-zA-Z0-9:_-]{1,128}$/, '1-128 characters from a-z A-Z 0-9 : _ -');

/** AWS IoT role alias names: `[\w=,@-]{1,128}`. */
export const roleAliasName = matching(/^[\w=,@-]{1,128}$/, '1-128 characters from a-z A-Z 0-9 _ = , @ -');

/**
 * An https URL a device calls: a host name, IPv4 or [IPv6] address, an optional port 1-65535 and an optional
 * path; no user info, query, fragment, space or control character. The device helper checks the endpoints in
 * device.json with the same rule (`URL_RE`).
 */
export const httpsUrl = matching(
  /^https:\/\/([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(\/[A-Za-z0-9._~!$&()*+,;=:@%/-]*)?$/,
  'an https:// URL with a host, an optional port and path, and no spaces or control characters',
);

/** IoT attribute names (thing attributes, searchable attributes). */
export const iotAttributeName = matching(
  /^[a-zA-Z0-9_.,@/:#-]{1,128}$/,
  '1-128 characters from a-z A-Z 0-9 _ . , @ / : # -',
);

/** IoT attribute values. */
export const iotAttributeValue = matching(
  /^[a-zA-Z0-9_.,@/:#=[\]-]{0,800}$/,
  'at most 800 characters from a-z A-Z 0-9 _ . , @ / : # = [ ] -',
);

/** IAM names (roles, policies, users): `[\w+=,.@-]`. */
export function iamName(maxLength: number): z.ZodString {
  return matching(
    new RegExp(`^[\\w+=,.@-]{1,${maxLength}}$`),
    `1-${maxLength} characters from a-z A-Z 0-9 _ + = , . @ -`,
  );
}

/** DynamoDB attribute names used as keys. */
export const attributeName = matching(/^[a-zA-Z0-9_.-]{1,255}$/, '1-255 characters from a-z A-Z 0-9 _ . -');

export const cidr = matching(
  /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\/(\d|[12]\d|3[0-2])$/,
  'an IPv4 CIDR block such as 10.0.0.0/16',
);

export const email = z.email({ error: 'expected an e-mail address' });

/** Parses an IPv4 CIDR into its first address and size, for overlap checks. */
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
