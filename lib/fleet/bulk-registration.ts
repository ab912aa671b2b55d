/**
 * AWS IoT bulk registration (`StartThingRegistrationTask`) for fleets too large to keep in CloudFormation.
 * Pure: builds the provisioning template and the JSON-lines parameter file from typed values; the CLI
 * (`keyless fleet register --bulk`) does the uploading and the API calls.
 *
 * The template is generated from the same config as the Fleet stacks, so a bulk-registered thing looks like
 * a CloudFormation-managed one: same thing type, same attributes, a certificate from the device's own CSR,
 * and the environment's IoT policy attached to it by name.
 */
import { BUCKET_LAYOUT, LIMITS } from '../contract';

/** One thing to register: its name, its attributes and its CSR (PEM). */
export interface BulkThing {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly csrPem: string;
}

/** What the provisioning template names: both must already exist (the IotAccess stack creates them). */
export interface BulkTemplateSettings {
  readonly thingTypeName: string;
  readonly policyName: string;
}

/** One StartThingRegistrationTask: a template and the things whose parameter lines fit it. */
export interface BulkRegistrationBatch {
  /** Attribute names every thing of this batch carries, sorted. */
  readonly attributeNames: readonly string[];
  /** Template parameter that carries each attribute's value. */
  readonly attributeParameters: ReadonlyMap<string, string>;
  /** The provisioning template, as the JSON string StartThingRegistrationTask takes. */
  readonly templateBody: string;
  /** Newline-delimited JSON, one line of parameter values per thing. */
  readonly parameterFile: string;
  readonly thingNames: readonly string[];
}

/**
 * Splits the things into batches that share one template.
 *
 * A provisioning template declares its parameters, and a line that lacks one without a default fails that
 * thing; a default would instead give the thing an attribute the config does not. So things are grouped by
 * their set of attribute names, one template per set. Usually a fleet has one set and so one task.
 * Linear in the fleet size (plus sorting the names).
 */
export function planBulkRegistration(
  things: readonly BulkThing[],
  settings: BulkTemplateSettings,
): BulkRegistrationBatch[] {
  const groups = new Map<string, BulkThing[]>();
  const seen = new Set<string>();
  for (const thing of things) {
    if (seen.has(thing.name)) throw new Error(`thing ${JSON.stringify(thing.name)} is listed twice`);
    seen.add(thing.name);
    const key = JSON.stringify(Object.keys(thing.attributes).sort());
    const group = groups.get(key);
    if (group) group.push(thing);
    else groups.set(key, [thing]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, group]) => {
      const attributeNames = JSON.parse(key) as string[];
      const attributeParameters = parameterNames(attributeNames);
      const templateBody = JSON.stringify(provisioningTemplate(settings, attributeParameters));
      if (templateBody.length > LIMITS.provisioningTemplateChars) {
        throw new Error(
          `the provisioning template for attributes ${attributeNames.join(', ')} is ${templateBody.length} characters; ` +
            `StartThingRegistrationTask accepts at most ${LIMITS.provisioningTemplateChars}`,
        );
      }
      const sorted = [...group].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const parameterFile = sorted.map((thing) => parameterLine(thing, attributeParameters)).join('\n') + '\n';
      return {
        attributeNames,
        attributeParameters,
        templateBody,
        parameterFile,
        thingNames: sorted.map((thing) => thing.name),
      };
    });
}

/**
 * The provisioning template (JITP/bulk flavour): a thing of the configured type with its attributes, a
 * certificate made from the CSR and activated, and the existing IoT policy attached by name (a policy
 * resource without a PolicyDocument attaches a policy that must already exist instead of creating one).
 */
export function provisioningTemplate(
  settings: BulkTemplateSettings,
  attributeParameters: ReadonlyMap<string, string>,
): Record<string, unknown> {
  const parameters: Record<string, { Type: 'String' }> = {
    ThingName: { Type: 'String' },
    CSR: { Type: 'String' },
  };
  const attributePayload: Record<string, { Ref: string }> = {};
  for (const [attribute, parameter] of attributeParameters) {
    parameters[parameter] = { Type: 'String' };
    attributePayload[attribute] = { Ref: parameter };
  }
  return {
    Parameters: parameters,
    Resources: {
      thing: {
        Type: 'AWS::IoT::Thing',
        Properties: {
          ThingName: { Ref: 'ThingName' },
          ThingTypeName: settings.thingTypeName,
          AttributePayload: attributePayload,
        },
        // The config is the source of truth: a thing that already exists gets exactly the configured
        // attributes and type, as a CloudFormation update would give it.
        OverrideSettings: { AttributePayload: 'REPLACE', ThingTypeName: 'REPLACE' },
      },
      certificate: {
        Type: 'AWS::IoT::Certificate',
        Properties: { CertificateSigningRequest: { Ref: 'CSR' }, Status: 'ACTIVE' },
      },
      policy: {
        Type: 'AWS::IoT::Policy',
        Properties: { PolicyName: settings.policyName },
      },
    },
  };
}

/** One line of the parameter file: the thing name, its CSR and one value per attribute parameter. */
export function parameterLine(thing: BulkThing, attributeParameters: ReadonlyMap<string, string>): string {
  const values: Record<string, string> = { ThingName: thing.name, CSR: thing.csrPem };
  for (const [attribute, parameter] of attributeParameters) {
    const value = thing.attributes[attribute];
    if (value === undefined) {
      throw new Error(`thing ${JSON.stringify(thing.name)} has no attribute ${JSON.stringify(attribute)}`);
    }
    values[parameter] = value;
  }
  return JSON.stringify(values);
}

/**
 * Template parameter names for attribute names. Attribute names may contain `. , @ / : # -`, parameter
 * names are kept alphanumeric: `Site` → `AttrSite`, `hw.rev` → `Attrhwrev`, numbered on a collision.
 */
export function parameterNames(attributeNames: readonly string[]): Map<string, string> {
  const used = new Set(['ThingName', 'CSR']);
  const names = new Map<string, string>();
  for (const attribute of [...attributeNames].sort()) {
    const base = `Attr${attribute.replace(/[^A-Za-z0-9]/g, '')}`;
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}${n}`;
    used.add(name);
    names.set(attribute, name);
  }
  return names;
}

/**
 * The object key of a parameter file: `bulk-registration/<UTC timestamp>[-<batch>].jsonl`. The timestamp is
 * compact because StartThingRegistrationTask's inputFileKey pattern does not allow `:`.
 */
export function parameterFileKey(now: Date, batch?: number): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${BUCKET_LAYOUT.bulkRegistration}${stamp}${batch === undefined ? '' : `-${batch}`}.jsonl`;
}
