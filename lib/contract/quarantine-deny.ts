import { LIMITS } from './limits';

/**
 * The deny that cuts off credentials a quarantined device already holds. A quarantine stops new credentials (the
 * IoT policy's deny and an INACTIVE certificate for a thing), but STS credentials issued before it stay valid
 * until they expire: only the role's own policies can refuse them. So the device roles carry, built from config,
 * Deny statements on `*` for the sessions of each quarantined device:
 * - an X.509 thing: `credentials-iot:ThingName` = the thing, and `aws:TokenIssueTime` before its quarantine time
 *   plus {@link QUARANTINE_DENY.settleSeconds} (sessions issued later are the credentials provider's to refuse, and
 *   one issued after a release is allowed at once, before any deploy). A thing quarantined without a time (a
 *   config written before the time was recorded) is denied every session: there is no time to compare with.
 * - a Krypton identity: `cognito-identity.amazonaws.com:sub` = the identity id, every session, whatever its issue
 *   time: nothing else stops SORACOM Krypton and Cognito from issuing new ones, so the deny is the quarantine.
 *
 * The documents are plain JSON, the same for the config check (does it fit?) and the constructs (deploy it), and
 * packed into customer managed policies of at most {@link LIMITS.managedPolicyChars} characters each (IAM counts a
 * policy without its whitespace: `JSON.stringify` without indent is that size), at most
 * {@link LIMITS.quarantineDenyPolicies} per role.
 */
export const QUARANTINE_DENY = {
  thingNameKey: 'credentials-iot:ThingName',
  identityKey: 'cognito-identity.amazonaws.com:sub',
  issueTimeKey: 'aws:TokenIssueTime',
  /**
   * How long after the recorded quarantine time sessions are still denied. AWS IoT applies a certificate status or
   * thing attribute change "within a few minutes" (UpdateCertificate API reference), and the operator's clock may
   * be off: credentials the credentials provider issues in that window would otherwise outlive the quarantine.
   * The project's choice; the cost is that a release within this window of its quarantine takes a deploy (or
   * the window's end) before the device's new sessions work.
   */
  settleSeconds: 900,
} as const;

/** `quarantinedAt` as config and IAM spell it: UTC, to the second. */
export const QUARANTINE_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** Whether `text` is a quarantine time: the pattern, and a real date (not 2026-02-30). */
export function isQuarantineTime(text: string): boolean {
  if (!QUARANTINE_TIME_PATTERN.test(text)) return false;
  const parsed = new Date(text);
  return !Number.isNaN(parsed.getTime()) && formatQuarantineTime(parsed) === text;
}

/** A moment as `quarantinedAt` spells it (seconds, no fraction). */
export function formatQuarantineTime(moment: Date): string {
  return `${moment.toISOString().slice(0, 19)}Z`;
}

/** One quarantined device: its thing name or identity id, and when it was quarantined (if the config says). */
export interface QuarantinedPrincipal {
  readonly id: string;
  readonly quarantinedAt?: string;
}

export interface QuarantineStatementJson {
  readonly Effect: 'Deny';
  readonly Action: '*';
  readonly Resource: '*';
  readonly Condition: Record<string, Record<string, string | string[]>>;
}

export interface QuarantineDocumentJson {
  readonly Version: '2012-10-17';
  readonly Statement: QuarantineStatementJson[];
}

export interface QuarantineDenyPacking {
  /** The policy documents, each within {@link LIMITS.managedPolicyChars}. Empty when nothing is quarantined. */
  readonly documents: QuarantineDocumentJson[];
  /** How many principals the documents cover; fewer than asked when they do not fit. */
  readonly covered: number;
  /** Whether every principal is covered within {@link LIMITS.quarantineDenyPolicies} documents. */
  readonly fits: boolean;
}

/** The time sessions are denied before: the quarantine time plus the settle window. */
export function deniedBefore(quarantinedAt: string): string {
  return formatQuarantineTime(new Date(Date.parse(quarantinedAt) + QUARANTINE_DENY.settleSeconds * 1000));
}

/**
 * The deny documents for the quarantined things of an X.509 role (`timed`: each thing's sessions before its time)
 * or the identities of the Krypton role (`every-session`). Principals sharing a deny time share a statement, so a
 * bulk quarantine costs one name per thing. Order is deterministic (time, then id), so a synth is repeatable.
 */
export function quarantineDenyDocuments(
  kind: 'thing' | 'identity',
  principals: readonly QuarantinedPrincipal[],
): QuarantineDenyPacking {
  const key = kind === 'thing' ? QUARANTINE_DENY.thingNameKey : QUARANTINE_DENY.identityKey;
  // An identity is denied every session; a thing without a time too.
  const before = (p: QuarantinedPrincipal): string =>
    kind === 'thing' && p.quarantinedAt !== undefined ? deniedBefore(p.quarantinedAt) : '';
  const sorted = [...principals]
    .map((p) => ({ id: p.id, before: before(p) }))
    .sort((a, b) => a.before.localeCompare(b.before) || a.id.localeCompare(b.id));

  const documents: QuarantineDocumentJson[] = [];
  let groups: Array<{ before: string; ids: string[] }> = [];
  const render = (g: typeof groups): QuarantineDocumentJson => ({
    Version: '2012-10-17',
    Statement: g.map(({ before: time, ids }) => ({
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: {
        StringEquals: { [key]: ids.length === 1 ? ids[0] : ids },
        ...(time === '' ? {} : { DateLessThan: { [QUARANTINE_DENY.issueTimeKey]: time } }),
      },
    })),
  });
  const fitsOne = (g: typeof groups): boolean =>
    JSON.stringify(render(g)).length <= LIMITS.managedPolicyChars;
  const withOne = (g: typeof groups, entry: { id: string; before: string }): typeof groups => {
    const last = g[g.length - 1];
    if (last?.before === entry.before) return [...g.slice(0, -1), { ...last, ids: [...last.ids, entry.id] }];
    return [...g, { before: entry.before, ids: [entry.id] }];
  };

  let covered = 0;
  for (const entry of sorted) {
    const grown = withOne(groups, entry);
    if (fitsOne(grown)) {
      groups = grown;
    } else {
      documents.push(render(groups));
      if (documents.length >= LIMITS.quarantineDenyPolicies) return { documents, covered, fits: false };
      groups = withOne([], entry);
    }
    covered += 1;
  }
  if (groups.length > 0) documents.push(render(groups));
  return { documents, covered, fits: true };
}
