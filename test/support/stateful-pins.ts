import * as fs from 'node:fs';
import { Stack, type App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  isPinnedType,
  isStatefulType,
  REPLACEMENT_PROPERTIES,
  whatIsLost,
  type PinnedResourceType,
} from '../../lib/contract';

/**
 * Pins of the resources an upgrade must not replace by accident: each stateful resource and device identity by
 * stack and logical id, with the values of the properties whose change makes CloudFormation replace it. A changed
 * construct id changes the logical id, and CloudFormation then deletes the old resource and creates a new one.
 */

/** Where the migration procedure is documented (docs/operations.md). */
export const MIGRATION_DOC =
  'docs/operations.md, "Upgrades: what is retained and pinned, how to migrate a stateful resource"';

/** The command that rewrites the recorded pins (for a change that is meant). */
export const RECORD_PINS_COMMAND = 'npm run pins:record';

export interface Pin {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: PinnedResourceType;
  /** The replacement-causing properties the template sets, with their synthesized values. */
  readonly properties: Readonly<Record<string, unknown>>;
}

/** A recorded pins file: what was pinned, for which environment, and why the file exists. */
export interface PinsFile {
  readonly comment: string;
  readonly environment: string;
  readonly resources: readonly Pin[];
}

type Templates = ReadonlyMap<string, { Resources?: Record<string, { Type: string; Properties?: object }> }>;

/** Every stack of an app, as templates by stack name. */
export function templatesOfApp(app: App): Map<string, ReturnType<Template['toJSON']>> {
  const stacks = app.node.children.filter((child): child is Stack => child instanceof Stack);
  return new Map(stacks.map((stack) => [stack.stackName, Template.fromStack(stack).toJSON()]));
}

/** The pins of every stack's templates, sorted by stack then logical id. */
export function pinsOf(templates: Templates): Pin[] {
  return [...templates]
    .flatMap(([stack, template]) =>
      Object.entries(template.Resources ?? {}).flatMap(([logicalId, resource]): Pin[] => {
        if (!isPinnedType(resource.Type)) return [];
        const properties = (resource.Properties ?? {}) as Record<string, unknown>;
        const pinned = Object.fromEntries(
          REPLACEMENT_PROPERTIES[resource.Type]
            .filter((name) => properties[name] !== undefined)
            .map((name) => [name, properties[name]]),
        );
        return [{ stack, logicalId, type: resource.Type, properties: pinned }];
      }),
    )
    .sort((a, b) => a.stack.localeCompare(b.stack) || a.logicalId.localeCompare(b.logicalId));
}

const key = (pin: Pin): string => `${pin.stack}/${pin.logicalId}`;
const shown = (value: unknown): string => (value === undefined ? '(unset)' : JSON.stringify(value));

/** What deploying the change does to the old resource, by whether production retains it. */
function fate(type: PinnedResourceType): string {
  return isStatefulType(type)
    ? 'CloudFormation creates a new, empty one; production retains the old one outside the stack, where nothing uses it any more (dev deletes it)'
    : 'CloudFormation creates a new one and deletes the old one';
}

/**
 * Differences between recorded and synthesized pins, one message each: which resource, what changed, which data
 * or identities would be lost, and how to migrate instead. Empty when they agree.
 */
export function checkPins(recorded: readonly Pin[], actual: readonly Pin[]): string[] {
  const now = new Map(actual.map((pin) => [key(pin), pin]));
  const before = new Map(recorded.map((pin) => [key(pin), pin]));
  const added = actual.filter((pin) => !before.has(key(pin)));
  const problems: string[] = [];
  for (const old of recorded) {
    const current = now.get(key(old));
    if (!current) {
      const successors = added.filter((pin) => pin.stack === old.stack && pin.type === old.type);
      const renamed =
        successors.length > 0 ? ` (renamed to ${successors.map((pin) => pin.logicalId).join(' or ')}?)` : '';
      problems.push(
        `${old.stack} ${old.logicalId} (${old.type}) is gone from the template${renamed}. Deploying this replaces it: ` +
          `${fate(old.type)}, and with it goes ${whatIsLost(old.type)}. ` +
          `To keep it, keep its construct id, or give the moved construct its old logical id: ` +
          `(construct.node.defaultChild as CfnResource).overrideLogicalId('${old.logicalId}'). ` +
          `To move it on purpose, retain it, remove it from the stack and import it under its new id ` +
          `(${MIGRATION_DOC}). Only if it is meant to go (a decommissioned thing, a removed feature): ${RECORD_PINS_COMMAND}.`,
      );
      continue;
    }
    if (current.type !== old.type) {
      problems.push(
        `${old.stack} ${old.logicalId} changes type from ${old.type} to ${current.type}: CloudFormation replaces it, ` +
          `and with it goes ${whatIsLost(old.type)}. Keep the type, or migrate as ${MIGRATION_DOC} describes.`,
      );
      continue;
    }
    const names = new Set([...Object.keys(old.properties), ...Object.keys(current.properties)]);
    for (const name of [...names].sort()) {
      const from = old.properties[name];
      const to = current.properties[name];
      if (JSON.stringify(from) === JSON.stringify(to)) continue;
      problems.push(
        `${old.stack} ${old.logicalId} (${old.type}): ${name} changes from ${shown(from)} to ${shown(to)}, ` +
          `which CloudFormation can only do by replacing it: ${fate(old.type)}, and with it goes ` +
          `${whatIsLost(old.type)}. Keep the old value; to change it on purpose, migrate as ${MIGRATION_DOC} ` +
          `describes, then ${RECORD_PINS_COMMAND}.`,
      );
    }
  }
  for (const pin of added) {
    problems.push(
      `${pin.stack} ${pin.logicalId} (${pin.type}) is new and not pinned yet: ${RECORD_PINS_COMMAND} records it, ` +
        `so that a later rename of it fails here too.`,
    );
  }
  return problems;
}

/** Whether this run records pins instead of checking them (`npm run pins:record`); never in CI. */
export function recordingPins(): boolean {
  if (process.env.KEYLESS_RECORD_PINS !== '1') return false;
  if (process.env.CI) {
    throw new Error(
      'KEYLESS_RECORD_PINS is set in CI: pins are recorded by a person and committed, never by CI',
    );
  }
  return true;
}

/** Reads a recorded pins file; a missing or malformed one fails with the command that records it. */
export function readPinsFile(file: string): PinsFile {
  let parsed: PinsFile;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as PinsFile;
  } catch (error) {
    throw new Error(
      `${file}: cannot read the recorded pins (${(error as Error).message}); ${RECORD_PINS_COMMAND}`,
    );
  }
  if (!Array.isArray(parsed.resources)) {
    throw new Error(`${file}: "resources" is not a list of pins; ${RECORD_PINS_COMMAND}`);
  }
  return parsed;
}

/** Writes a pins file, one resource per block, stable order. */
export function writePinsFile(file: string, environment: string, pins: readonly Pin[]): void {
  const content: PinsFile = {
    comment:
      'Recorded by `npm run pins:record`: the logical id and the replacement-causing properties of every stateful ' +
      'resource and device identity. test/upgrade/pins.test.ts fails when a change would replace one. ' +
      'Re-record only for a change that is meant (see docs/operations.md, Upgrades).',
    environment,
    resources: pins,
  };
  fs.writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`);
}
