import type { StatefulResource } from '../contract/stateful-resources';

/**
 * What a CloudFormation stack policy lets an update do to one resource. A stack without a policy allows every
 * update; a stack with one denies every update no statement allows, and an explicit Deny wins (CloudFormation
 * User Guide, "Prevent updates to stack resources"). Only what keyless-iot's own policies and hand-written ones
 * commonly use is understood: anything else is reported as not understood, never guessed.
 */

interface StackPolicyStatement {
  readonly Effect?: unknown;
  readonly Action?: unknown;
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Condition?: unknown;
}

/** The update actions a stateful resource must be protected from. */
export const PROTECTED_UPDATE_ACTIONS = ['Update:Replace', 'Update:Delete'] as const;

/** Why a resource is not protected, or undefined when it is. */
export function unprotectedBy(
  policyBody: string | undefined,
  resource: StatefulResource,
): string | undefined {
  if (policyBody === undefined || policyBody.trim() === '') return 'the stack has no stack policy';
  let statements: StackPolicyStatement[];
  try {
    const parsed = JSON.parse(policyBody) as { Statement?: unknown };
    const raw = parsed.Statement;
    statements = (Array.isArray(raw) ? raw : [raw]) as StackPolicyStatement[];
    if (statements.some((s) => s === null || typeof s !== 'object')) throw new Error('no statements');
  } catch {
    return 'the stack policy is not a JSON document with statements';
  }
  for (const action of PROTECTED_UPDATE_ACTIONS) {
    const decisions = statements.map((s) => applies(s, action, resource));
    if (decisions.includes('unknown'))
      return 'the stack policy uses a condition this check does not understand';
    const denied = statements.some((s, i) => decisions[i] === 'yes' && s.Effect === 'Deny');
    const allowed = statements.some((s, i) => decisions[i] === 'yes' && s.Effect === 'Allow');
    if (!denied && allowed) return `the stack policy allows ${action}`;
  }
  return undefined;
}

function applies(
  statement: StackPolicyStatement,
  action: string,
  resource: StatefulResource,
): 'yes' | 'no' | 'unknown' {
  const matchAny = (patterns: unknown, value: string): boolean =>
    list(patterns).some((p) => wildcard(p, value));
  if (
    statement.Action !== undefined
      ? !matchAny(statement.Action, action)
      : matchAny(statement.NotAction, action)
  ) {
    return 'no';
  }
  const name = `LogicalResourceId/${resource.logicalId}`;
  if (
    statement.Resource !== undefined
      ? !matchAny(statement.Resource, name)
      : matchAny(statement.NotResource, name)
  ) {
    return 'no';
  }
  if (statement.Condition === undefined) return 'yes';
  const condition = statement.Condition as Record<string, Record<string, unknown>>;
  for (const [operator, keys] of Object.entries(condition)) {
    for (const [key, values] of Object.entries(keys ?? {})) {
      if (key !== 'ResourceType') return 'unknown';
      const matches =
        operator === 'StringEquals'
          ? list(values).includes(resource.type)
          : operator === 'StringLike'
            ? matchAny(values, resource.type)
            : operator === 'StringNotEquals'
              ? !list(values).includes(resource.type)
              : operator === 'StringNotLike'
                ? !matchAny(values, resource.type)
                : undefined;
      if (matches === undefined) return 'unknown';
      if (!matches) return 'no';
    }
  }
  return 'yes';
}

function list(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

function wildcard(pattern: string, value: string): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`).test(value);
}
