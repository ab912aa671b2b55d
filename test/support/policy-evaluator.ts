/**
 * A small IAM policy evaluator for isolation tests: does this (resolved) policy document allow one request?
 * It follows the documented evaluation logic for identity and trust policies — explicit Deny wins, then any
 * Allow, else an implicit deny — with the parts keyless-iot policies use:
 * - Action / NotAction with `*` and `?` wildcards (case-insensitive);
 * - Resource / NotResource with wildcards (case-sensitive) after substituting policy variables such as
 *   `${cognito-identity.amazonaws.com:sub}` or `${credentials-iot:ThingName}` from the request context
 *   (a variable missing from the context makes that resource match nothing);
 * - Principal (for trust policies) when the request names one;
 * - conditions: String(Not)Equals(IgnoreCase), String(Not)Like, Arn(Not)Like/Equals, Bool, Numeric*, Date*, Null, with the
 *   `ForAllValues:` / `ForAnyValue:` set operators and the `IfExists` suffix; values ORed within a key, keys
 *   and operators ANDed.
 *
 * It is a test oracle, not a full reimplementation: unsupported operators throw instead of guessing.
 */

export type Decision = 'allow' | 'deny' | 'implicit-deny';

/** Condition keys of a request (case-insensitive names); multi-valued keys are arrays. */
export type RequestContext = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface PolicyRequest {
  readonly action: string;
  /** The resource ARN; trust-policy requests may leave it out. */
  readonly resource?: string;
  /** For trust policies: who asks, e.g. `{ Federated: 'cognito-identity.amazonaws.com' }`. */
  readonly principal?: Readonly<Record<string, string>>;
  readonly context?: RequestContext;
}

export interface PolicyStatementJson {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Principal?: '*' | Readonly<Record<string, string | readonly string[]>>;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export interface PolicyDocumentJson {
  readonly Version?: string;
  readonly Statement: PolicyStatementJson | readonly PolicyStatementJson[];
}

/** The thing AWS IoT associates with a connection or a credentials request, as the registry holds it. */
export interface ConnectingThing {
  readonly thingName: string;
  /** Absent for an untyped thing. */
  readonly thingTypeName?: string;
  readonly attributes?: Readonly<Record<string, string>>;
  /** Whether the thing is attached to the certificate that connects. @default true */
  readonly attached?: boolean;
}

/**
 * The `iot:Connection.Thing.*` condition keys AWS IoT evaluates an IoT policy with (AWS IoT Developer Guide,
 * "Thing policy variables"): the thing's name, whether it is attached to the connecting certificate, its type
 * when it has one, and one `Attributes[<name>]` key per attribute. They exist only when AWS IoT knows the thing
 * (MQTT client id = thing name; `x-amzn-iot-thingname` sent to the credentials provider): with no thing, the
 * context has none of them, which is what a device that leaves the header out gets.
 */
export function thingConnectionContext(thing?: ConnectingThing): RequestContext {
  if (!thing) return {};
  const context: Record<string, string> = {
    'iot:Connection.Thing.ThingName': thing.thingName,
    'iot:Connection.Thing.IsAttached': String(thing.attached ?? true),
  };
  if (thing.thingTypeName !== undefined) context['iot:Connection.Thing.ThingTypeName'] = thing.thingTypeName;
  for (const [name, value] of Object.entries(thing.attributes ?? {})) {
    context[`iot:Connection.Thing.Attributes[${name}]`] = value;
  }
  return context;
}

/** The decision of several policies together (say, every policy attached to one role). */
export function evaluatePolicies(documents: readonly PolicyDocumentJson[], request: PolicyRequest): Decision {
  const statements = documents.flatMap((d) => toArray(d.Statement));
  const matching = statements.filter((s) => statementApplies(s, request));
  if (matching.some((s) => s.Effect === 'Deny')) return 'deny';
  if (matching.some((s) => s.Effect === 'Allow')) return 'allow';
  return 'implicit-deny';
}

export function evaluatePolicy(document: PolicyDocumentJson, request: PolicyRequest): Decision {
  return evaluatePolicies([document], request);
}

/** The Sids of the statements that apply to a request: handy in failure messages. */
export function matchingStatementIds(document: PolicyDocumentJson, request: PolicyRequest): string[] {
  return toArray(document.Statement)
    .filter((s) => statementApplies(s, request))
    .map((s) => s.Sid ?? '(no Sid)');
}

/**
 * Turns the CloudFormation intrinsics a resolved CDK policy holds into plain strings: `Fn::Join`, `Ref` and
 * `Fn::GetAtt`. Pseudo parameters and logical ids are looked up in `refs` (`AWS::Partition` defaults to `aws`);
 * unknown ones become `<LogicalId>` / `<LogicalId.Attr>` so they still compare equal to themselves.
 */
export function flattenIntrinsics<T = unknown>(
  value: unknown,
  refs: Readonly<Record<string, string>> = {},
): T {
  const all: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com', ...refs };
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 1) {
      const [key, arg] = entries[0];
      if (key === 'Ref' && typeof arg === 'string') return all[arg] ?? `<${arg}>`;
      if (key === 'Fn::GetAtt' && Array.isArray(arg)) {
        const name = `${String(arg[0])}.${String(arg[1])}`;
        return all[name] ?? `<${name}>`;
      }
      if (key === 'Fn::Join' && Array.isArray(arg)) {
        const [separator, parts] = arg as [string, unknown[]];
        return parts.map((p) => String(walk(p))).join(separator);
      }
    }
    return Object.fromEntries(entries.map(([k, x]) => [k, walk(x)]));
  };
  return walk(value) as T;
}

function statementApplies(statement: PolicyStatementJson, request: PolicyRequest): boolean {
  const context = normalizeContext(request.context ?? {});
  if (!actionMatches(statement, request.action)) return false;
  if (!resourceMatches(statement, request.resource, context)) return false;
  if (!principalMatches(statement, request.principal)) return false;
  return conditionsHold(statement.Condition ?? {}, context);
}

function actionMatches(statement: PolicyStatementJson, action: string): boolean {
  if (statement.Action !== undefined) {
    return toArray(statement.Action).some((pattern) => wildcardMatch(pattern, action, true));
  }
  if (statement.NotAction !== undefined) {
    return !toArray(statement.NotAction).some((pattern) => wildcardMatch(pattern, action, true));
  }
  throw new Error(`statement ${statement.Sid ?? ''} has neither Action nor NotAction`);
}

function resourceMatches(
  statement: PolicyStatementJson,
  resource: string | undefined,
  context: Map<string, readonly string[]>,
): boolean {
  // Trust policies have no Resource; identity policies always do.
  if (statement.Resource === undefined && statement.NotResource === undefined) return true;
  if (resource === undefined) {
    throw new Error(`statement ${statement.Sid ?? ''} names resources: the request must name one`);
  }
  const matchesAny = (patterns: string | readonly string[]): boolean =>
    toArray(patterns).some((pattern) => {
      const substituted = substituteVariables(pattern, context);
      return substituted !== undefined && wildcardMatch(substituted, resource, false);
    });
  if (statement.Resource !== undefined) return matchesAny(statement.Resource);
  return !matchesAny(statement.NotResource as string | readonly string[]);
}

function principalMatches(
  statement: PolicyStatementJson,
  principal: Readonly<Record<string, string>> | undefined,
): boolean {
  if (statement.Principal === undefined) return true;
  if (principal === undefined) {
    throw new Error(`statement ${statement.Sid ?? ''} names a principal: the request must name one`);
  }
  const allowedByType = statement.Principal;
  if (allowedByType === '*') return true;
  return Object.entries(principal).some(([type, id]) =>
    toArray(allowedByType[type] ?? []).some(
      (allowed) => allowed === '*' || allowed === id || accountRootCovers(allowed, id),
    ),
  );
}

/** `arn:aws:iam::123456789012:root` (or the bare account id) stands for every principal of that account. */
function accountRootCovers(allowed: string, id: string): boolean {
  const account =
    /^arn:[^:]+:iam::(\d{12}):root$/.exec(allowed)?.[1] ?? (/^\d{12}$/.test(allowed) ? allowed : undefined);
  if (account === undefined) return false;
  return id === account || new RegExp(`^arn:[^:]+:(iam|sts)::${account}:`).test(id);
}

type Operator = (contextValue: string, policyValue: string) => boolean;

const OPERATORS: Record<string, { readonly test: Operator; readonly negated: boolean }> = {
  StringEquals: { test: (c, p) => c === literal(p), negated: false },
  StringNotEquals: { test: (c, p) => c === literal(p), negated: true },
  StringEqualsIgnoreCase: { test: (c, p) => c.toLowerCase() === literal(p).toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { test: (c, p) => c.toLowerCase() === literal(p).toLowerCase(), negated: true },
  StringLike: { test: (c, p) => wildcardMatch(p, c, false), negated: false },
  StringNotLike: { test: (c, p) => wildcardMatch(p, c, false), negated: true },
  ArnEquals: { test: (c, p) => arnLike(p, c), negated: false },
  ArnLike: { test: (c, p) => arnLike(p, c), negated: false },
  ArnNotEquals: { test: (c, p) => arnLike(p, c), negated: true },
  ArnNotLike: { test: (c, p) => arnLike(p, c), negated: true },
  Bool: { test: (c, p) => c.toLowerCase() === literal(p).toLowerCase(), negated: false },
  // Numeric keys such as s3:TlsVersion (the minimum-TLS statement of every bucket policy here).
  NumericEquals: { test: (c, p) => Number(c) === Number(literal(p)), negated: false },
  NumericNotEquals: { test: (c, p) => Number(c) === Number(literal(p)), negated: true },
  NumericLessThan: { test: (c, p) => Number(c) < Number(literal(p)), negated: false },
  NumericLessThanEquals: { test: (c, p) => Number(c) <= Number(literal(p)), negated: false },
  NumericGreaterThan: { test: (c, p) => Number(c) > Number(literal(p)), negated: false },
  NumericGreaterThanEquals: { test: (c, p) => Number(c) >= Number(literal(p)), negated: false },
  // Date keys such as aws:TokenIssueTime (the quarantine deny of the device roles).
  DateEquals: { test: (c, p) => dateOf(c) === dateOf(literal(p)), negated: false },
  DateNotEquals: { test: (c, p) => dateOf(c) === dateOf(literal(p)), negated: true },
  DateLessThan: { test: (c, p) => dateOf(c) < dateOf(literal(p)), negated: false },
  DateLessThanEquals: { test: (c, p) => dateOf(c) <= dateOf(literal(p)), negated: false },
  DateGreaterThan: { test: (c, p) => dateOf(c) > dateOf(literal(p)), negated: false },
  DateGreaterThanEquals: { test: (c, p) => dateOf(c) >= dateOf(literal(p)), negated: false },
};

/**
 * A date condition value as IAM reads it: ISO 8601 (`2026-01-31T09:30:00Z`, a date alone, with an offset) or
 * epoch seconds. Anything else throws: an oracle that guessed could call a broken policy sound.
 */
function dateOf(value: string): number {
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(value)) {
    const parsed = Date.parse(value);
    if (!Number.isNaN(parsed)) return parsed;
  }
  throw new Error(
    `policy-evaluator cannot read ${JSON.stringify(value)} as a date (ISO 8601 or epoch seconds)`,
  );
}

/** A policy value after variable substitution, without the markers that keep substituted text literal. */
function literal(policyValue: string): string {
  return policyValue.split('\u0000').join('');
}

function conditionsHold(
  conditions: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
  context: Map<string, readonly string[]>,
): boolean {
  return Object.entries(conditions).every(([rawOperator, keys]) =>
    Object.entries(keys).every(([key, rawValues]) => {
      const policyValues = toArray(rawValues as string | string[]).map(String);
      const present = context.get(key.toLowerCase());
      return conditionHolds(rawOperator, policyValues, present, context);
    }),
  );
}

function conditionHolds(
  rawOperator: string,
  rawPolicyValues: readonly string[],
  present: readonly string[] | undefined,
  context: Map<string, readonly string[]>,
): boolean {
  if (rawOperator === 'Null') {
    // "true": the key must be absent; "false": it must be present.
    return rawPolicyValues.some((v) => (v.toLowerCase() === 'true') === (present === undefined));
  }
  const setMatch = /^(ForAllValues|ForAnyValue):(.+)$/.exec(rawOperator);
  const withoutSet = setMatch ? setMatch[2] : rawOperator;
  const ifExists = withoutSet.endsWith('IfExists');
  const name = ifExists ? withoutSet.slice(0, -'IfExists'.length) : withoutSet;
  const operator = OPERATORS[name];
  if (!operator) throw new Error(`policy-evaluator does not support the condition operator ${rawOperator}`);
  // Policy variables in condition values are substituted too; an unknown variable matches nothing.
  const policyValues = rawPolicyValues
    .map((v) => substituteVariables(v, context))
    .filter((v): v is string => v !== undefined);
  const matchesOne = (value: string): boolean => policyValues.some((p) => operator.test(value, p));

  if (setMatch?.[1] === 'ForAllValues') {
    // True when every value in the request matches; vacuously true when the key is absent or empty.
    const values = present ?? [];
    return values.every((v) => (operator.negated ? !matchesOne(v) : matchesOne(v)));
  }
  if (setMatch?.[1] === 'ForAnyValue') {
    const values = present ?? [];
    return values.some((v) => (operator.negated ? !matchesOne(v) : matchesOne(v)));
  }
  if (present === undefined) return ifExists || operator.negated;
  return operator.negated ? !present.some(matchesOne) : present.some(matchesOne);
}

/** `${key}` → the context value; `${*}`, `${?}`, `${$}` → the literal character. */
function substituteVariables(text: string, context: Map<string, readonly string[]>): string | undefined {
  let missing = false;
  const result = text.replace(/\$\{([^}]+)\}/g, (_all, key: string) => {
    if (key === '*' || key === '?' || key === '$') return `\u0000${key}`;
    const values = context.get(key.toLowerCase());
    if (values === undefined || values.length !== 1) {
      missing = true;
      return '';
    }
    // A value from the request is literal text: its own * or ? must not act as wildcards.
    return values[0].replace(/[*?]/g, (c) => `\u0000${c}`);
  });
  return missing ? undefined : result;
}

/** `*` any run of characters, `?` one character; `\0x` is a literal x (from substituted variables). */
function wildcardMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i];
    if (c === '\u0000') {
      i += 1;
      source += escapeRegExp(pattern[i]);
    } else if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

/** ArnLike compares each of the six colon-separated parts with wildcards. */
function arnLike(pattern: string, value: string): boolean {
  const p = pattern.split(':');
  const v = value.split(':');
  if (p.length < 6 || v.length < 6) return wildcardMatch(pattern, value, false);
  const head = (parts: string[]): string[] => [...parts.slice(0, 5), parts.slice(5).join(':')];
  return head(p).every((part, i) => wildcardMatch(part, head(v)[i], false));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function normalizeContext(context: RequestContext): Map<string, readonly string[]> {
  const map = new Map<string, readonly string[]>();
  for (const [key, value] of Object.entries(context)) {
    if (value === undefined) continue;
    map.set(key.toLowerCase(), typeof value === 'string' ? [value] : value);
  }
  return map;
}

function toArray<T>(value: T | readonly T[]): readonly T[] {
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}
