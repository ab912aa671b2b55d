import { NAME_RULES } from './limits';

/**
 * The external id a SORACOM role requires (`sts:ExternalId`): the only thing between another SORACOM customer and
 * the roles SORACOM assumes (their names are predictable, and SORACOM's account is the same for every customer).
 * AWS accepts 2-1224 characters of `[\w+=,.@:/-]` (NAME_RULES.externalId); the project asks for a secret worth the
 * name. No rule can tell a random value from a chosen one: these refuse what is certainly not random (short,
 * few different characters, a template's placeholder), and `keyless soracom new-external-id` makes a good one.
 */
export const EXTERNAL_ID = {
  /** 32 characters: 128 bits even from hex digits alone. */
  minLength: 32,
  /** Random 32-character hex strings have fewer than 8 different digits with a probability below 1e-5. */
  minDistinctCharacters: 8,
  /** How the templates' placeholders start (config/*.example.json): never a deployable value. */
  placeholderPrefix: 'replace-with',
  /** `keyless soracom new-external-id`: 32 random bytes as base64url (43 characters, 256 bits). */
  generatedBytes: 32,
} as const;

/** Config fields whose value is a secret: the loader's messages describe it (describeExternalId), never show it. */
export const SECRET_CONFIG_FIELDS: readonly string[] = ['externalId'];

/** The rule in words, for messages and docs. */
export const EXTERNAL_ID_RULE =
  `at least ${EXTERNAL_ID.minLength} characters from a-z A-Z 0-9 _ + = , . @ : / - with at least ` +
  `${EXTERNAL_ID.minDistinctCharacters} different characters, not a template's placeholder ` +
  `(${EXTERNAL_ID.placeholderPrefix}…); make one with npx keyless soracom new-external-id`;

export function isExternalIdPlaceholder(value: string): boolean {
  return value.toLowerCase().startsWith(EXTERNAL_ID.placeholderPrefix);
}

/**
 * Why an external id is not good enough to deploy, or undefined when it is. Assumes AWS's own rule holds.
 */
export function externalIdWeakness(value: string): string | undefined {
  if (isExternalIdPlaceholder(value)) return "is the template's placeholder";
  if (value.length < EXTERNAL_ID.minLength) return `has ${value.length} characters`;
  const distinct = new Set(value).size;
  if (distinct < EXTERNAL_ID.minDistinctCharacters) return `has only ${distinct} different characters`;
  return undefined;
}

/**
 * How an error shows an external id without giving it away: its length, and its first 4 characters only when at
 * least 28 stay hidden (placeholders, which are no secret, in full).
 */
export function describeExternalId(value: string): string {
  if (isExternalIdPlaceholder(value))
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  const shown =
    value.length >= EXTERNAL_ID.minLength ? `, starting ${JSON.stringify(value.slice(0, 4))}` : '';
  const length = `${value.length} character${value.length === 1 ? '' : 's'}`;
  return `a value of ${length}${shown} (not shown in full: it is a secret)`;
}

/** AWS's rule (2-1224 characters of [\w+=,.@:/-]). */
export function followsAwsExternalIdRule(value: string): boolean {
  return NAME_RULES.externalId.pattern.test(value);
}
