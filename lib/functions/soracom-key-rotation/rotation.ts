import type {
  SoracomConfigurationParameter,
  SoracomCredential,
  SoracomCredentialInfo,
  SoracomGroup,
} from '../../soracom/api-client';
import {
  SORACOM_FUNNEL_NAMESPACE,
  SORACOM_PRINCIPALS,
  type SoracomPrincipal,
} from '../../contract/soracom-principals';
import { FunnelCredentialIds } from '../../soracom/funnel-credential-ids';
import { phaseOf, type RotationState } from './state';

/** One access key of the rotated IAM user, as `ListAccessKeys` answers it. */
export interface AccessKey {
  readonly accessKeyId: string;
  readonly status: 'Active' | 'Inactive';
  readonly createDate?: Date;
}

/** A key just created: the only moment its secret exists outside SORACOM. */
export interface NewAccessKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The rotated user's access keys (IAM, scoped to that one user). */
export interface AccessKeyStore {
  list(): Promise<AccessKey[]>;
  create(): Promise<NewAccessKey>;
  deactivate(accessKeyId: string): Promise<void>;
  delete(accessKeyId: string): Promise<void>;
  /** `GetAccessKeyLastUsed`: undefined when the key was never used. */
  lastUsed(accessKeyId: string): Promise<Date | undefined>;
}

/** Where the state survives between runs (one SSM parameter). */
export interface StateStore {
  load(): Promise<RotationState>;
  save(state: RotationState): Promise<void>;
}

/** The SORACOM calls the rotation makes ({@link SoracomClient} implements it). */
export interface SoracomApi {
  listCredentials(): Promise<SoracomCredentialInfo[]>;
  createCredential(credentialsId: string, credential: SoracomCredential): Promise<void>;
  updateCredential(credentialsId: string, credential: SoracomCredential): Promise<void>;
  deleteCredential(credentialsId: string): Promise<void>;
  listGroups(): Promise<SoracomGroup[]>;
  putGroupConfiguration(
    groupId: string,
    namespace: string,
    parameters: readonly SoracomConfigurationParameter[],
  ): Promise<void>;
}

/** Structured log lines (the Powertools logger in the function). Attributes never carry a secret. */
export interface RotationLog {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
}

export interface RotationDeps {
  readonly keys: AccessKeyStore;
  readonly state: StateStore;
  /** Logs in to SORACOM with the auth key from the secret. */
  readonly soracom: () => Promise<SoracomApi>;
  readonly log: RotationLog;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  /** Publishes one CloudWatch metric value (embedded metric format in the function). */
  readonly metric: (name: string, value: number, unit: 'Seconds' | 'Count') => void;
}

export type RotationStrategy =
  | { readonly type: 'update-in-place'; readonly credentialId: string }
  | { readonly type: 'new-credential'; readonly credentialPrefix: string };

export interface RotationSettings {
  /** Whose key rotates: names it in messages and in the marker written on the SORACOM credential. */
  readonly principal: SoracomPrincipal;
  /** `new-credential` switches SIM groups' SORACOM Funnel setting: the Funnel publisher's only. */
  readonly strategy: RotationStrategy;
  readonly periodDays: number;
  readonly graceDays: number;
  /** How long a new key is given to work everywhere before SORACOM gets it (IAM is eventually consistent). */
  readonly keyPropagationSeconds: number;
}

/**
 * - `rotate`: finish what is pending, then rotate (the periodic schedule and on-demand runs);
 * - `upkeep`: finish what is pending (grace deletion, a crashed rotation), and rotate only when the key is
 *   overdue because a periodic run failed (the daily schedule);
 * - `ensure`: finish what is pending, and rotate only when SORACOM does not hold the key the state records as
 *   current (the first run, or a credential changed by hand): what `keyless soracom register-*-credentials`
 *   invokes, so running it again never rotates a key that works.
 */
export type RotationAction = 'rotate' | 'upkeep' | 'ensure';

export const ROTATION_ACTIONS: readonly RotationAction[] = ['rotate', 'upkeep', 'ensure'];

export interface RotationResult {
  readonly action: RotationAction;
  readonly rotated: boolean;
  readonly currentKeyId?: string;
  /** The SORACOM credential that holds {@link currentKeyId}. */
  readonly credentialId?: string;
  /** When SORACOM was seen holding {@link currentKeyId} (ISO-8601). */
  readonly switchedAt?: string;
  readonly deletedKeyIds: readonly string[];
  /** Why the previous key is still there, when it is. */
  readonly waiting?: string;
}

/** A rotation was asked for but cannot safely happen now; nothing was changed. */
export class RotationBlockedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RotationBlockedError';
  }
}

/**
 * SORACOM's answer does not account for something the rotation state says exists (a credential the state
 * records, a credential a SIM group uses, any SIM group at all): the run stops before any change, and the
 * function's error makes the failure alarm fire. Nothing is deleted on the strength of an answer like this.
 */
export class SoracomStateMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SoracomStateMismatchError';
  }
}

/** The metric the staleness alarm watches. */
export const SECONDS_SINCE_ROTATION_METRIC = 'SecondsSinceLastRotation';

const DAY_MS = 86_400_000;
/** Clock skew allowed between this function and IAM's CreateDate when spotting a key a crashed run created. */
const CLOCK_SKEW_MS = 5 * 60_000;
/**
 * Uses of the old key this soon after the switch still count as before it: requests SORACOM had in flight, and
 * IAM records last use with some delay. Any later use means something still holds the old key.
 */
export const SWITCH_SETTLE_MS = 60 * 60_000;

/** What SORACOM holds now, read back from the credential store (and, for `new-credential`, the groups). */
interface SoracomView {
  readonly credentials: ReadonlyMap<string, SoracomCredentialInfo>;
  readonly groups: readonly SoracomGroup[];
  /** Access keys held by a credential SORACOM uses (or may use). Never deleted or deactivated. */
  readonly held: ReadonlySet<string>;
  /** False when a credential in use does not say which key it holds (written by hand, not by this function). */
  readonly complete: boolean;
}

/**
 * One run of the rotation state machine. Every step is idempotent and the state is saved between steps that
 * change anything, so a run that dies anywhere is finished or safely undone by the next one:
 * 1. an unfinished rotation is finished if SORACOM got the new key, otherwise its key is deleted and it is redone;
 * 2. the previous key is deactivated and deleted once the grace period is over and it has been idle since the
 *    switch (with its SORACOM credential in `new-credential`);
 * 3. a rotation frees a key slot if the user has 2 keys, creates a key, writes it to SORACOM and confirms.
 * A key SORACOM holds is never deactivated or deleted.
 */
export async function runRotation(
  deps: RotationDeps,
  settings: RotationSettings,
  action: RotationAction,
): Promise<RotationResult> {
  return new RotationRun(deps, settings).run(action);
}

class RotationRun {
  private state: RotationState = {};
  private readonly deleted: string[] = [];
  /** new-credential: the ids this rotation creates and the only ones whose groups it switches. */
  private readonly ids: FunnelCredentialIds | undefined;
  /** How messages name the user whose key rotates. */
  private readonly label: string;
  /** The description prefix that says which key a credential holds. */
  private readonly marker: string;

  constructor(
    private readonly deps: RotationDeps,
    private readonly settings: RotationSettings,
  ) {
    const strategy = settings.strategy;
    const principal = SORACOM_PRINCIPALS[settings.principal];
    // Only Funnel's SIM group setting names a credential the rotation may switch; Krypton's groups keep one id.
    if (strategy.type === 'new-credential' && settings.principal !== 'funnel-publisher') {
      throw new Error(
        `The ${principal.label} key rotates with update-in-place only: new-credential switches SIM groups' ` +
          'SORACOM Funnel setting',
      );
    }
    this.ids =
      strategy.type === 'new-credential' ? new FunnelCredentialIds(strategy.credentialPrefix) : undefined;
    this.label = principal.label;
    this.marker = principal.credentialMarker;
  }

  async run(action: RotationAction): Promise<RotationResult> {
    this.state = await this.deps.state.load();
    try {
      return await this.steps(action);
    } finally {
      // The staleness alarm reads this; it is published whether or not the run succeeded.
      if (this.state.switchedAt !== undefined) {
        const seconds = Math.max(0, (this.now() - Date.parse(this.state.switchedAt)) / 1000);
        this.deps.metric(SECONDS_SINCE_ROTATION_METRIC, Math.round(seconds), 'Seconds');
      }
    }
  }

  private async steps(action: RotationAction): Promise<RotationResult> {
    const { log } = this.deps;
    log.info('Rotation run starting', { action, phase: phaseOf(this.state), ...this.keyIds() });
    const soracom = await this.deps.soracom();
    let keys = await this.deps.keys.list();
    let view = await this.observe(soracom, keys);

    let redo = false;
    if (this.state.rotationStartedAt !== undefined) {
      redo = await this.resolveUnfinished(soracom, keys, view);
      keys = await this.deps.keys.list();
      view = await this.observe(soracom, keys);
    }

    let waiting: string | undefined;
    if (this.state.previousKeyId !== undefined) {
      waiting = await this.retirePrevious(soracom, keys, view);
      if (waiting === undefined) keys = await this.deps.keys.list();
    }

    const overdue =
      this.state.switchedAt !== undefined &&
      this.now() - Date.parse(this.state.switchedAt) >= (this.settings.periodDays + 1) * DAY_MS;
    const current = this.state.currentKeyId;
    // The first run, or a credential someone changed: SORACOM does not hold the key the state calls current.
    const unheld = action === 'ensure' && (current === undefined || !view.held.has(current));
    const due = action === 'rotate' || redo || overdue || unheld;
    let rotated = false;
    if (due && waiting !== undefined) {
      const message = `Rotation postponed: the previous access key ${this.state.previousKeyId} ${waiting}`;
      if (action === 'rotate' || overdue || unheld) throw new RotationBlockedError(message);
      log.warn(message);
    } else if (due) {
      await this.rotate(soracom, keys, view);
      rotated = true;
    }
    log.info('Rotation run done', {
      action,
      rotated,
      deletedKeyIds: this.deleted,
      waiting,
      ...this.keyIds(),
    });
    return {
      action,
      rotated,
      currentKeyId: this.state.currentKeyId,
      credentialId: this.state.soracomCredentialId,
      switchedAt: this.state.switchedAt,
      deletedKeyIds: [...this.deleted],
      waiting,
    };
  }

  /** Step 1: a previous run died during a rotation. Returns true when the rotation must be redone. */
  private async resolveUnfinished(
    soracom: SoracomApi,
    keys: AccessKey[],
    view: SoracomView,
  ): Promise<boolean> {
    const { log } = this.deps;
    const pending = this.state.pendingKeyId;
    if (pending !== undefined && this.pendingLanded(view)) {
      if (keys.some((k) => k.accessKeyId === pending)) {
        log.info('SORACOM holds the key of an unfinished rotation; finishing it', { pendingKeyId: pending });
        await this.finishSwitch(soracom, keys);
        return false;
      }
      log.warn('SORACOM holds a key that no longer exists; rotating again', { pendingKeyId: pending });
      await this.save({ ...this.state, pendingKeyId: undefined }); // the redo stays recorded until it starts
      return true;
    }
    // SORACOM never got the new key and its secret died with the run that created it: delete it and redo.
    const started = Date.parse(this.state.rotationStartedAt ?? '') - CLOCK_SKEW_MS;
    const orphans = keys.filter(
      (k) =>
        !this.isProtected(k.accessKeyId, view) &&
        k.accessKeyId !== this.state.previousKeyId &&
        (k.accessKeyId === pending || (pending === undefined && (k.createDate?.getTime() ?? 0) >= started)),
    );
    for (const orphan of orphans) {
      log.info('Deleting the key of an unfinished rotation that SORACOM never received', {
        accessKeyId: orphan.accessKeyId,
      });
      await this.deleteKey(orphan, view);
    }
    await this.save({
      ...this.state,
      rotationStartedAt: undefined,
      pendingKeyId: undefined,
      pendingSoracomCredentialId: undefined,
    });
    return true;
  }

  /** Did SORACOM receive the pending key? Throws when it cannot tell. */
  private pendingLanded(view: SoracomView): boolean {
    const credentialId = this.state.pendingSoracomCredentialId;
    const credential = credentialId === undefined ? undefined : view.credentials.get(credentialId);
    if (credential === undefined) return false;
    const held = keyHeldBy(credential, this.marker);
    if (held !== undefined) return held === this.state.pendingKeyId;
    // A new-credential id is dated and created by this function only: its existence means the POST landed.
    if (this.settings.strategy.type === 'new-credential') return true;
    throw new Error(
      `Cannot tell whether SORACOM credential ${credentialId} holds access key ${this.state.pendingKeyId}: ` +
        'its description was changed by hand. Check it in the SORACOM console, then delete the key it does not hold.',
    );
  }

  /** Switches every Funnel group (new-credential) and records the pending key as current. */
  private async finishSwitch(soracom: SoracomApi, keys: AccessKey[]): Promise<void> {
    const pendingKeyId = this.state.pendingKeyId as string;
    const credentialId = this.state.pendingSoracomCredentialId as string;
    let replacedCredentials: string[] = [];
    if (this.settings.strategy.type === 'new-credential') {
      const groups = (await this.listGroups(soracom)).filter((g) => this.isFunnelGroup(g));
      replacedCredentials = [...new Set(groups.map(funnelCredentialsId))].filter(
        (id): id is string => id !== undefined && id !== credentialId,
      );
      const toSwitch = groups.filter((g) => funnelCredentialsId(g) !== credentialId);
      for (const group of toSwitch) {
        await soracom.putGroupConfiguration(group.groupId, SORACOM_FUNNEL_NAMESPACE, [
          { key: 'credentialsId', value: credentialId },
        ]);
        this.deps.log.info('SIM group switched to the new credential', {
          groupId: group.groupId,
          credentialId,
        });
      }
      if (groups.length === 0) {
        this.deps.log.warn(
          `No SIM group uses a credential named ${this.ids?.shape}: set SoracomFunnel credentialsId of your groups to ${credentialId}`,
        );
      }
      const oldCredential = this.state.soracomCredentialId;
      if (oldCredential !== undefined && oldCredential !== credentialId)
        replacedCredentials.push(oldCredential);
    }
    const others = keys.filter((k) => k.accessKeyId !== pendingKeyId).map((k) => k.accessKeyId);
    // The first rotation adopts a key made by hand: it is retired like any previous key.
    const previousKeyId =
      this.state.currentKeyId !== undefined && this.state.currentKeyId !== pendingKeyId
        ? this.state.currentKeyId
        : others.length === 1
          ? others[0]
          : undefined;
    await this.save({
      currentKeyId: pendingKeyId,
      soracomCredentialId: credentialId,
      // The moment SORACOM is known to hold the new key; the grace period and the last-used check start here.
      switchedAt: new Date(this.now()).toISOString(),
      previousKeyId,
      previousSoracomCredentialIds: [...new Set(replacedCredentials)],
    });
    this.deps.log.info('SORACOM switched to the new access key', {
      currentKeyId: pendingKeyId,
      previousKeyId,
      credentialId,
    });
  }

  /**
   * Step 2: deactivate then delete the previous key once the grace period is over and it has been idle since
   * the switch. Returns why it is kept, or undefined once it is gone.
   */
  private async retirePrevious(
    soracom: SoracomApi,
    keys: AccessKey[],
    view: SoracomView,
  ): Promise<string | undefined> {
    const { log } = this.deps;
    const previous = this.state.previousKeyId as string;
    const key = keys.find((k) => k.accessKeyId === previous);
    if (key !== undefined) {
      if (this.isProtected(previous, view) || !view.complete) {
        const reason = this.isProtected(previous, view)
          ? 'is still held by a SORACOM credential in use'
          : 'may still be held by a SORACOM credential in use that does not say which key it holds';
        log.warn(`Keeping the previous access key: it ${reason}`, { previousKeyId: previous });
        return reason;
      }
      const switchedAt = Date.parse(this.state.switchedAt ?? '');
      const graceEnds = switchedAt + this.settings.graceDays * DAY_MS;
      if (!(this.now() >= graceEnds)) {
        const reason = `is in its grace period until ${new Date(graceEnds).toISOString()}`;
        log.info(`Keeping the previous access key: it ${reason}`, { previousKeyId: previous });
        return reason;
      }
      const lastUsed = await this.deps.keys.lastUsed(previous);
      if (lastUsed !== undefined && lastUsed.getTime() > switchedAt + SWITCH_SETTLE_MS) {
        const reason = `was used at ${lastUsed.toISOString()}, after the switch at ${this.state.switchedAt}`;
        log.warn(`Keeping the previous access key: it ${reason}`, { previousKeyId: previous });
        return reason;
      }
      await this.deleteKey(key, view);
    }
    for (const credentialId of this.state.previousSoracomCredentialIds ?? []) {
      const stillUsed = view.groups.some((g) => funnelCredentialsId(g) === credentialId);
      if (stillUsed) {
        log.warn('Keeping a previous SORACOM credential that a SIM group still uses', { credentialId });
      } else if (view.credentials.has(credentialId)) {
        await soracom.deleteCredential(credentialId);
        log.info('Previous SORACOM credential deleted', { credentialId });
      }
    }
    await this.save({ ...this.state, previousKeyId: undefined, previousSoracomCredentialIds: undefined });
    return undefined;
  }

  /** Step 3: free a key slot if needed, create the key, give it to SORACOM, confirm. */
  private async rotate(soracom: SoracomApi, keys: AccessKey[], view: SoracomView): Promise<void> {
    const { log } = this.deps;
    if (keys.length >= 2) {
      // Any key that SORACOM does not hold is spare; an inactive one goes first. When SORACOM cannot say which
      // key it holds and there is no state, only an inactive key is certainly not what keeps SORACOM working.
      const unknown = !view.complete && this.state.currentKeyId === undefined;
      const spare = keys
        .filter((k) => !this.isProtected(k.accessKeyId, view) && (!unknown || k.status === 'Inactive'))
        .sort((a, b) => Number(a.status === 'Active') - Number(b.status === 'Active'));
      if (spare.length === 0) {
        throw new RotationBlockedError(
          `The ${this.label} user has 2 access keys and SORACOM may use either: delete the one SORACOM does not use, then rotate again`,
        );
      }
      log.info(`The ${this.label} user has 2 access keys; deleting the one SORACOM does not use`, {
        accessKeyId: spare[0].accessKeyId,
        status: spare[0].status,
      });
      await this.deleteKey(spare[0], view);
    }

    const startedAt = new Date(this.now()).toISOString();
    const credentialId = this.newCredentialId(view);
    const updateInPlace = this.settings.strategy.type === 'update-in-place';
    // update-in-place: once the state records the credential, a later answer that lacks it stops every run
    // instead of reading as "SORACOM never got the key" (see checkAccountedFor).
    const recorded =
      updateInPlace && view.credentials.has(credentialId) ? { soracomCredentialId: credentialId } : {};
    await this.save({ ...this.state, ...recorded, rotationStartedAt: startedAt });
    const created = await this.deps.keys.create();
    await this.save({
      ...this.state,
      pendingKeyId: created.accessKeyId,
      pendingSoracomCredentialId: credentialId,
    });
    log.info('New access key created', { pendingKeyId: created.accessKeyId, credentialId });

    await this.deps.sleep(this.settings.keyPropagationSeconds * 1000);
    const credential: SoracomCredential = {
      type: 'aws-credentials',
      description: `${this.marker}${created.accessKeyId}`,
      credentials: { accessKeyId: created.accessKeyId, secretAccessKey: created.secretAccessKey },
    };
    if (this.settings.strategy.type === 'new-credential' || !view.credentials.has(credentialId)) {
      await soracom.createCredential(credentialId, credential);
    } else {
      await soracom.updateCredential(credentialId, credential);
    }
    if (updateInPlace && this.state.soracomCredentialId !== credentialId) {
      await this.save({ ...this.state, soracomCredentialId: credentialId });
    }
    log.info('SORACOM credential holds the new access key', {
      credentialId,
      accessKeyId: created.accessKeyId,
    });
    const remaining = keys.filter((k) => !this.deleted.includes(k.accessKeyId));
    await this.finishSwitch(soracom, [...remaining, { accessKeyId: created.accessKeyId, status: 'Active' }]);
  }

  /** update-in-place: the configured id; new-credential: `<prefix>-<yyMMdd>` (with the time if taken). */
  private newCredentialId(view: SoracomView): string {
    const strategy = this.settings.strategy;
    if (strategy.type === 'update-in-place') return strategy.credentialId;
    const ids = this.ids as FunnelCredentialIds; // set by the constructor for new-credential
    const at = new Date(this.now());
    return ids.forRotation(at, view.credentials.has(ids.forRotation(at, false)));
  }

  /**
   * What SORACOM holds now. The client has already refused any answer that is not the documented shape; this
   * also refuses one that does not account for what the state says exists (see checkAccountedFor).
   */
  private async observe(soracom: SoracomApi, keys: readonly AccessKey[]): Promise<SoracomView> {
    const credentials = new Map((await soracom.listCredentials()).map((c) => [c.credentialsId, c]));
    const strategy = this.settings.strategy;
    let groups: SoracomGroup[] = [];
    const inUse = new Set<string>();
    if (strategy.type === 'update-in-place') {
      inUse.add(strategy.credentialId);
    } else {
      groups = await this.listGroups(soracom);
      for (const group of groups) {
        const id = funnelCredentialsId(group);
        if (id !== undefined && this.isFunnelGroup(group)) inUse.add(id);
      }
      if (this.state.soracomCredentialId !== undefined) inUse.add(this.state.soracomCredentialId);
    }
    this.checkAccountedFor(credentials, groups, keys);
    const held = new Set<string>();
    let complete = true;
    for (const id of inUse) {
      const credential = credentials.get(id);
      if (credential === undefined) continue;
      const key = keyHeldBy(credential, this.marker);
      if (key === undefined) complete = false;
      else held.add(key);
    }
    return { credentials, groups, held, complete };
  }

  /**
   * Stops the run when SORACOM's answer lacks what the state says exists: reading it as "gone" would let a
   * broken or truncated answer turn into a deactivated or deleted key that SORACOM still holds.
   * - the current credential (`soracomCredentialId`; in update-in-place, the configured one once recorded);
   * - the previous credentials while the previous key still exists (once the key is deleted, the run that
   *   deletes them may have died after deleting some: their absence is then expected);
   * - any credential a Funnel SIM group uses;
   * - new-credential: at least one SIM group, once the state records a current credential.
   * A pending new-credential id is recorded before its POST, so its absence is the normal sign that the POST
   * never happened; a group using it still has to find it listed.
   */
  private checkAccountedFor(
    credentials: ReadonlyMap<string, SoracomCredentialInfo>,
    groups: readonly SoracomGroup[],
    keys: readonly AccessKey[],
  ): void {
    const { state } = this;
    const lacking = (id: string, what: string): SoracomStateMismatchError =>
      new SoracomStateMismatchError(
        `SORACOM lists no credential ${id}, but ${what}: stopping before any change (the next scheduled run ` +
          'tries again). Check the credential store in the SORACOM console; if the credential was deleted on purpose, ' +
          'remove it from the rotation state parameter.',
      );
    if (state.soracomCredentialId !== undefined && !credentials.has(state.soracomCredentialId)) {
      throw lacking(state.soracomCredentialId, 'the rotation state records it as the current credential');
    }
    const previousKeyExists = keys.some((k) => k.accessKeyId === state.previousKeyId);
    for (const id of previousKeyExists ? (state.previousSoracomCredentialIds ?? []) : []) {
      if (!credentials.has(id)) {
        throw lacking(id, `the rotation state records it as holding the previous key ${state.previousKeyId}`);
      }
    }
    for (const group of groups) {
      const id = funnelCredentialsId(group);
      if (id !== undefined && this.isFunnelGroup(group) && !credentials.has(id)) {
        throw lacking(id, `SIM group ${group.groupId} uses it for SORACOM Funnel`);
      }
    }
  }

  /**
   * `GET /v1/groups` for new-credential. No group at all while the state records a current credential is not
   * believed: Funnel's groups do not vanish, and an empty answer would switch nothing and later delete a
   * credential they still use.
   */
  private async listGroups(soracom: SoracomApi): Promise<SoracomGroup[]> {
    const groups = await soracom.listGroups();
    if (groups.length === 0 && this.state.soracomCredentialId !== undefined) {
      throw new SoracomStateMismatchError(
        `SORACOM lists no SIM group, but the rotation state records ${this.state.soracomCredentialId} as the credential ` +
          "Funnel's groups use: stopping before any change (the next scheduled run tries again). Check the SIM groups " +
          'in the SORACOM console; if Funnel no longer uses any, delete the rotation state parameter.',
      );
    }
    return groups;
  }

  /** A SIM group whose Funnel credential is one this rotation creates: exactly `<prefix>-<yyMMdd>[-HHmmss]`. */
  private isFunnelGroup(group: SoracomGroup): boolean {
    const id = funnelCredentialsId(group);
    return this.ids !== undefined && id !== undefined && this.ids.matches(id);
  }

  private isProtected(accessKeyId: string, view: SoracomView): boolean {
    return view.held.has(accessKeyId) || accessKeyId === this.state.currentKeyId;
  }

  /** Deactivate (if active) then delete; refuses a key SORACOM holds whatever the caller thought. */
  private async deleteKey(key: AccessKey, view: SoracomView): Promise<void> {
    if (this.isProtected(key.accessKeyId, view)) {
      throw new Error(`Refusing to delete access key ${key.accessKeyId}: SORACOM uses it`);
    }
    if (key.status === 'Active') await this.deps.keys.deactivate(key.accessKeyId);
    await this.deps.keys.delete(key.accessKeyId);
    this.deleted.push(key.accessKeyId);
    this.deps.log.info('Access key deleted', { accessKeyId: key.accessKeyId });
  }

  private async save(state: RotationState): Promise<void> {
    await this.deps.state.save(state);
    this.state = state;
  }

  private keyIds(): Record<string, string | undefined> {
    return {
      currentKeyId: this.state.currentKeyId,
      previousKeyId: this.state.previousKeyId,
      pendingKeyId: this.state.pendingKeyId,
    };
  }

  private now(): number {
    return this.deps.now().getTime();
  }
}

function funnelCredentialsId(group: SoracomGroup): string | undefined {
  const id = group.configuration?.[SORACOM_FUNNEL_NAMESPACE]?.credentialsId;
  return typeof id === 'string' ? id : undefined;
}

/**
 * The access key id a credential holds: from the store's answer, or from the description this function writes
 * (`marker` followed by the key id).
 */
export function keyHeldBy(credential: SoracomCredentialInfo, marker: string): string | undefined {
  const answered = credential.credentials?.accessKeyId;
  if (typeof answered === 'string' && answered !== '') return answered;
  const description = credential.description ?? '';
  return description.startsWith(marker) ? description.slice(marker.length).trim() : undefined;
}
