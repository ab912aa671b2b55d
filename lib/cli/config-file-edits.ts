import * as fs from 'node:fs';
import { ConfigError } from '../config';
import { exampleConfigFile, type ThingStatus } from '../contract';
import { formatConfigJson } from './config-json-format';
import { UsageError } from './exit-codes';
import { writeFileAtomically } from './file-transaction';

/**
 * The CLI's edits of a config file. The config layer only reads; these are the only writers. Each edit keeps
 * everything it does not change: key order (so `"$schema"` stays first and editors keep validating), every
 * other section and value. The result is written exactly as prettier would print it with the repository's settings
 * (lib/cli/config-json-format.ts: in process, at any fleet size), so `npm run lint` stays green, to a temporary file
 * renamed into place: a reader sees the old file or the new one, never half of one.
 */

/** A config file as JSON, with the parts the edits touch. */
export interface RawConfig {
  iot?: { things?: RawThing[]; policy?: { requiredAttributes?: Record<string, string> } };
  [key: string]: unknown;
}

interface RawThing {
  name?: unknown;
  status?: unknown;
  quarantined?: unknown;
  [key: string]: unknown;
}

export interface ConfigEditOptions {
  /**
   * Called with the edited document before anything is written; throw to leave the file as it was (the loader's
   * ConfigError, say, when the edit would make the config invalid).
   */
  readonly validate?: (raw: unknown) => void;
  /** Edit and validate, but write nothing: whether the file would change. */
  readonly dryRun?: boolean;
}

/** A config file as read for an edit: its parsed document, whose parts the edits below change in place. */
export interface ConfigDocument {
  readonly file: string;
  readonly raw: RawConfig;
}

/** Reads a config file for an edit; JSON that is not an object stops it. */
export function readConfigDocument(file: string): ConfigDocument {
  const text = fs.readFileSync(file, 'utf8');
  let raw: RawConfig;
  try {
    raw = JSON.parse(text) as RawConfig;
  } catch (error) {
    throw new ConfigError(
      `${file}: cannot read JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`${file}: expected a JSON object`);
  }
  return { file, raw };
}

/**
 * Applies `edit` to the parsed file and writes the result, unless `edit` answers false (nothing to change).
 * Returns whether the file was written.
 */
function editConfigFile(
  file: string,
  edit: (raw: RawConfig) => boolean,
  options: ConfigEditOptions = {},
): boolean {
  const { raw } = readConfigDocument(file);
  if (!edit(raw)) return false;
  options.validate?.(raw);
  if (options.dryRun) return true;
  writeFileAtomically(file, renderConfigDocument(raw));
  return true;
}

/** The text a config file is written with: what `prettier` makes of it (`npm run lint` checks config/). */
export function renderConfigDocument(raw: unknown): string {
  return formatConfigJson(raw);
}

function thingsOf(raw: RawConfig, file: string): RawThing[] {
  if (typeof raw.iot !== 'object' || raw.iot === null) {
    throw new ConfigError(
      `${file}: iot: missing; add the iot section (see ${exampleConfigFile('prod')}) before enrolling things`,
    );
  }
  const things = raw.iot.things ?? [];
  if (!Array.isArray(things)) throw new ConfigError(`${file}: iot.things: expected a list of things`);
  return things;
}

/** The one entry of `iot.things` named `thingName`; a name that is not there is the command line's mistake. */
function thingNamed(raw: RawConfig, file: string, thingName: string): RawThing {
  const things = thingsOf(raw, file);
  const matches = things.filter((thing) => thing.name === thingName);
  if (matches.length === 0) {
    const known = things.map((thing) => String(thing.name));
    throw new UsageError(`${thingName}: not in iot.things of ${file} (known: ${known.join(', ') || 'none'})`);
  }
  // The loader refuses duplicates; a file edited by hand since it was loaded could still hold two.
  if (matches.length > 1) {
    throw new ConfigError(`${file}: iot.things: ${thingName} is listed ${matches.length} times`);
  }
  return matches[0];
}

/**
 * Adds things (by name, with the attributes `iot.policy.requiredAttributes` asks for) to `iot.things` of a config
 * file that does not list them yet. Returns the names it added.
 */
export function addThingsToConfigFile(file: string, thingNames: readonly string[]): string[] {
  let added: string[] = [];
  editConfigFile(file, (raw) => {
    added = addThings({ file, raw }, thingNames);
    return added.length > 0;
  });
  return added;
}

/** {@link addThingsToConfigFile} on a document in memory: returns the names it added. */
export function addThings(document: ConfigDocument, thingNames: readonly string[]): string[] {
  const { raw, file } = document;
  const things = thingsOf(raw, file);
  raw.iot!.things = things;
  const known = new Set(things.map((thing) => thing.name));
  const added = thingNames.filter((name) => !known.has(name));
  // A new thing carries the attributes the IoT policy requires, or it could never get credentials.
  const required = raw.iot!.policy?.requiredAttributes ?? {};
  things.push(
    ...added.map((name) =>
      Object.keys(required).length > 0 ? { name, attributes: { ...required } } : { name },
    ),
  );
  return added;
}

/** The lifecycle fields of one thing; a field left out is not changed. */
export interface ThingLifecycle {
  readonly status?: ThingStatus;
  readonly quarantined?: boolean;
  /** With `quarantined: true`: when (replaces an earlier time). `quarantined: false` removes it. */
  readonly quarantinedAt?: string;
}

/**
 * Sets the lifecycle fields of one thing in `iot.things`. A field at its default (`"status": "active"`,
 * `"quarantined": false`) is removed rather than written, so the file says only what differs from a healthy
 * thing. Returns whether the file changed.
 */
export function setThingLifecycle(
  file: string,
  thingName: string,
  lifecycle: ThingLifecycle,
  options: ConfigEditOptions = {},
): boolean {
  return editConfigFile(file, (raw) => setLifecycle({ file, raw }, thingName, lifecycle), options);
}

/** {@link setThingLifecycle} on a document in memory: returns whether it changed. */
export function setLifecycle(
  document: ConfigDocument,
  thingName: string,
  lifecycle: ThingLifecycle,
): boolean {
  const thing = thingNamed(document.raw, document.file, thingName);
  const before = JSON.stringify(thing);
  if (lifecycle.status !== undefined) {
    if (lifecycle.status === 'active') delete thing.status;
    else thing.status = lifecycle.status;
  }
  if (lifecycle.quarantined !== undefined) {
    if (lifecycle.quarantined) {
      thing.quarantined = true;
      if (lifecycle.quarantinedAt !== undefined) thing.quarantinedAt = lifecycle.quarantinedAt;
    } else {
      delete thing.quarantined;
      delete thing.quarantinedAt;
    }
  }
  return JSON.stringify(thing) !== before;
}

/**
 * Adds a Krypton identity to `krypton.quarantinedIdentities` with its time (`quarantinedAt`), or removes it
 * (`undefined`). An identity already listed keeps its entry. Returns whether the file changed.
 */
export function setKryptonIdentityQuarantine(
  file: string,
  identityId: string,
  quarantinedAt: string | undefined,
  options: ConfigEditOptions = {},
): boolean {
  return editConfigFile(
    file,
    (raw) => {
      const krypton = raw.krypton as { quarantinedIdentities?: unknown } | undefined;
      if (typeof krypton !== 'object' || krypton === null || Array.isArray(krypton)) {
        throw new ConfigError(`${file}: krypton: missing, so there is no Krypton identity to quarantine`);
      }
      const listed = krypton.quarantinedIdentities ?? [];
      if (!Array.isArray(listed)) {
        throw new ConfigError(`${file}: krypton.quarantinedIdentities: expected a list`);
      }
      const entries = listed as Array<{ identityId?: unknown }>;
      const present = entries.some((entry) => entry?.identityId === identityId);
      if (quarantinedAt !== undefined) {
        if (present) return false;
        krypton.quarantinedIdentities = [...entries, { identityId, quarantinedAt }];
        return true;
      }
      if (!present) return false;
      const kept = entries.filter((entry) => entry?.identityId !== identityId);
      if (kept.length > 0) krypton.quarantinedIdentities = kept;
      else delete krypton.quarantinedIdentities;
      return true;
    },
    options,
  );
}

/** Removes one thing from `iot.things`, keeping every other entry in its order. */
export function removeThingFromConfigFile(
  file: string,
  thingName: string,
  options: ConfigEditOptions = {},
): void {
  editConfigFile(
    file,
    (raw) => {
      const thing = thingNamed(raw, file, thingName);
      raw.iot!.things = thingsOf(raw, file).filter((entry) => entry !== thing);
      return true;
    },
    options,
  );
}
