/**
 * What the rotation remembers between runs, kept as JSON in one SSM parameter. It holds access key ids and
 * SORACOM credential ids only: the secret access key exists in the function's memory and in the SORACOM
 * credential store, nowhere else.
 */
export interface RotationState {
  /** The key SORACOM uses, confirmed by reading SORACOM back. */
  readonly currentKeyId?: string;
  /** The SORACOM credential that holds {@link currentKeyId}. */
  readonly soracomCredentialId?: string;
  /** When SORACOM was seen holding {@link currentKeyId} (ISO-8601); the grace period and last-used check start here. */
  readonly switchedAt?: string;
  /** The replaced key, deleted once the grace period is over and it has been idle since the switch. */
  readonly previousKeyId?: string;
  /** `new-credential`: the replaced SORACOM credentials, deleted with {@link previousKeyId}. */
  readonly previousSoracomCredentialIds?: readonly string[];
  /** A rotation began (ISO-8601): set before CreateAccessKey, so a run that dies after it is redone. */
  readonly rotationStartedAt?: string;
  /** The key created by the unfinished rotation; it is the current key only once SORACOM holds it. */
  readonly pendingKeyId?: string;
  /** The SORACOM credential the unfinished rotation writes the pending key to. */
  readonly pendingSoracomCredentialId?: string;
}

/** Where a rotation stands, derived from the state and written next to it for people reading the parameter. */
export type RotationPhase = 'idle' | 'creating' | 'switching' | 'grace';

export function phaseOf(state: RotationState): RotationPhase {
  if (state.pendingKeyId !== undefined) return 'switching';
  if (state.rotationStartedAt !== undefined) return 'creating';
  if (state.previousKeyId !== undefined) return 'grace';
  return 'idle';
}

const STRING_FIELDS = [
  'currentKeyId',
  'soracomCredentialId',
  'switchedAt',
  'previousKeyId',
  'rotationStartedAt',
  'pendingKeyId',
  'pendingSoracomCredentialId',
] as const;

/** Parses the parameter value; a value that is not a state object fails loudly rather than being reset. */
export function parseState(value: string | undefined): RotationState {
  if (value === undefined || value.trim() === '') return {};
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    throw new Error('The rotation state parameter is not JSON; fix or delete it (it holds key ids only)');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error('The rotation state parameter is not a JSON object; fix or delete it');
  }
  const record = raw as Record<string, unknown>;
  const state: Record<string, unknown> = {};
  for (const field of STRING_FIELDS) {
    const v = record[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw new Error(`The rotation state field ${field} is not a string`);
    state[field] = v;
  }
  const previousIds = record.previousSoracomCredentialIds;
  if (previousIds !== undefined) {
    if (!Array.isArray(previousIds) || !previousIds.every((id) => typeof id === 'string')) {
      throw new Error('The rotation state field previousSoracomCredentialIds is not a list of strings');
    }
    if (previousIds.length > 0) state.previousSoracomCredentialIds = previousIds;
  }
  return state as RotationState;
}

/** The parameter value: the state with its phase, without empty fields, in a stable key order. */
export function serializeState(state: RotationState): string {
  const out: Record<string, unknown> = { phase: phaseOf(state) };
  for (const field of STRING_FIELDS) {
    if (state[field] !== undefined) out[field] = state[field];
  }
  if (state.previousSoracomCredentialIds?.length) {
    out.previousSoracomCredentialIds = state.previousSoracomCredentialIds;
  }
  return JSON.stringify(out);
}
