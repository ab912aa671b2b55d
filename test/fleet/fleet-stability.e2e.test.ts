import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, CfnResource, type Stack } from 'aws-cdk-lib';
import { placeThing } from '../../lib/cli/fleet-plan';
import { parseConfig, type KeylessConfig, type KeylessConfigInput } from '../../lib/config';
import { certificateIdOutput, LIMITS } from '../../lib/contract';
import { createEnvironmentStacks } from '../../lib/stacks/environment';
import { CONFIG_DIR, cdkJsonContext } from '../support/cdk-app';
import { cachedCsrFile, ensureCsrs, syntheticThingNames } from './synthetic-csrs';

/**
 * The promise of the Fleet stacks: adding, removing or reordering things never changes the stack, the
 * logical ids or the resources of any other thing (a moved certificate resource is a deleted certificate).
 * Checked on a 1200-thing fleet, twelve stacks, with the shard lock carried from one synth to the next as
 * an operator commits it. Synthesized without validators and without bundling: this is about layout.
 */

const COUNT = 1200;
const BUDGET = {
  resources: LIMITS.fleetStackResourceBudget,
  templateBytes: LIMITS.fleetStackTemplateBudgetBytes,
  outputs: LIMITS.stackOutputs,
};
const base = syntheticThingNames(COUNT);
const ADDED = ['aaa-first', 'sensor-00600-b', 'zzz-last'];
const REFILL = ['new-1', 'new-2', 'new-3', 'new-4'];

/** What a thing is in the cloud assembly: its stack, and each of its resources and its output by logical id. */
interface ThingFootprint {
  readonly stackName: string;
  readonly resources: Readonly<Record<string, unknown>>;
  readonly output: unknown;
}

interface Synthesized {
  /** The shard lock the next synth would write, as the operator commits it. */
  readonly lock: Record<string, number>;
  readonly things: Map<string, ThingFootprint>;
  /** Per Fleet stack: template size and counts, for the limit checks. */
  readonly fleetTemplates: Array<{ stackName: string; resources: number; outputs: number; bytes: number }>;
}

/** Per-thing lifecycle fields (`status`, `quarantined`) to set in the config. */
type Lifecycle = Readonly<Record<string, { status?: 'active' | 'inactive' | 'revoked'; quarantined?: boolean }>>;

function configFor(
  thingNames: readonly string[],
  lock?: Record<string, number>,
  lifecycle: Lifecycle = {},
): KeylessConfig {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-stability-'));
  if (lock) {
    fs.mkdirSync(path.join(root, 'fleet', 'dev'), { recursive: true });
    fs.writeFileSync(
      path.join(root, 'fleet', 'dev', 'shards.json'),
      JSON.stringify({ version: 1, maxThingsPerShard: 100, assignments: lock }),
    );
  }
  const raw = JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, 'dev.json'), 'utf8')) as KeylessConfigInput;
  // Only the stacks Fleet stacks need; the other flows have nothing to do with things.
  delete raw.krypton;
  delete raw.closedNetwork;
  delete raw.funnel;
  raw.iot!.things = thingNames.map((name) => ({
    name,
    attributes: { Owner: 'keyless', Site: 'tokyo' },
    csrFile: cachedCsrFile(name),
    ...lifecycle[name],
  }));
  return parseConfig(raw, 'dev', 'config/dev.json', root);
}

function synthesize(
  thingNames: readonly string[],
  lock?: Record<string, number>,
  lifecycle: Lifecycle = {},
): Synthesized {
  const config = configFor(thingNames, lock, lifecycle);
  const app = new App({
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] },
    outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-stability-out-')),
    builtinCloudFormationValidation: false,
  });
  const { fleet, fleetLayout } = createEnvironmentStacks(app, config);
  const assembly = app.synth();

  const things = new Map<string, ThingFootprint>();
  const fleetTemplates: Synthesized['fleetTemplates'] = [];
  for (const stack of fleet) {
    const artifact = assembly.getStackByName(stack.stackName);
    const template = artifact.template as { Resources: Record<string, unknown>; Outputs?: Record<string, unknown> };
    fleetTemplates.push({
      stackName: stack.stackName,
      resources: Object.keys(template.Resources).length,
      outputs: Object.keys(template.Outputs ?? {}).length,
      bytes: fs.statSync(path.join(assembly.directory, artifact.templateFile)).size,
    });
    for (const [name, device] of stack.things) {
      const resources: Record<string, unknown> = {};
      for (const id of logicalIdsUnder(stack, device)) resources[id] = template.Resources[id];
      things.set(name, {
        stackName: stack.stackName,
        resources,
        output: template.Outputs?.[certificateIdOutput(name).key],
      });
    }
  }
  // What `keyless fleet plan --write` records, and the operator commits.
  const lockAfter = Object.fromEntries((fleetLayout?.things ?? []).map((t) => [t.name, t.shard]));
  return { lock: lockAfter, things, fleetTemplates };
}

function logicalIdsUnder(stack: Stack, scope: { node: { findAll(): Iterable<unknown> } }): string[] {
  return [...scope.node.findAll()]
    .filter((c): c is CfnResource => CfnResource.isCfnResource(c as never))
    .map((resource) => stack.resolve(resource.logicalId) as string);
}

/** Every thing in both syntheses is exactly the same: stack, logical ids, resource bodies, output. */
function expectUnchanged(before: Synthesized, after: Synthesized, thingNames: readonly string[]): void {
  const moved: string[] = [];
  for (const name of thingNames) {
    const a = before.things.get(name);
    const b = after.things.get(name);
    if (!a || !b || JSON.stringify(a) !== JSON.stringify(b)) moved.push(name);
  }
  expect(moved).toEqual([]);
}

let first: Synthesized;

beforeAll(async () => {
  await ensureCsrs([...base, ...ADDED, ...REFILL]);
  first = synthesize(base);
});

test('1200 things fill twelve Fleet stacks of 100 in name order, each thing with 4 resources and 1 output', () => {
  expect(first.fleetTemplates.map((t) => t.stackName)).toEqual(
    Array.from({ length: 12 }, (_, i) => `KeylessIot-dev-Fleet-${i + 1}`),
  );
  expect(first.things.get('sensor-00001')!.stackName).toBe('KeylessIot-dev-Fleet-1');
  expect(first.things.get('sensor-01200')!.stackName).toBe('KeylessIot-dev-Fleet-12');
  for (const footprint of first.things.values()) {
    expect(Object.keys(footprint.resources)).toHaveLength(4);
    expect(footprint.output).toBeDefined();
  }
});

test('every Fleet stack stays under the limits: resources, template size, outputs', () => {
  for (const template of first.fleetTemplates) {
    expect({ stack: template.stackName, over: template.resources > BUDGET.resources }).toEqual({
      stack: template.stackName,
      over: false,
    });
    expect(template.bytes).toBeLessThanOrEqual(BUDGET.templateBytes);
    expect(template.outputs).toBeLessThanOrEqual(BUDGET.outputs);
  }
});

test('adding things (sorting first, in the middle, last) changes no other thing, and lands where fleet plan said', () => {
  const added = ADDED;
  // What `keyless fleet plan --thing` says once the lock of the first synth is committed.
  const committed = configFor(base, first.lock);
  const predicted = added.map((name) => placeThing(committed, name).stackName);
  const after = synthesize([...base, ...added], first.lock);
  expectUnchanged(first, after, base);
  // All twelve stacks are full: the new things open the thirteenth.
  expect(added.map((name) => after.things.get(name)!.stackName)).toEqual(predicted);
  expect(predicted).toEqual(Array(3).fill('KeylessIot-dev-Fleet-13'));
});

test('removing things changes no other thing; their slots go to the next things added', () => {
  const removed = new Set(['sensor-00250', 'sensor-00251', 'sensor-00777']);
  const remaining = base.filter((name) => !removed.has(name));
  const after = synthesize([...remaining, ...REFILL], first.lock);
  expectUnchanged(first, after, remaining);
  expect([...after.things.keys()].filter((name) => removed.has(name))).toEqual([]);
  // Freed slots first, lowest stack first; then a new stack.
  expect(REFILL.map((name) => after.things.get(name)!.stackName)).toEqual([
    'KeylessIot-dev-Fleet-3',
    'KeylessIot-dev-Fleet-3',
    'KeylessIot-dev-Fleet-8',
    'KeylessIot-dev-Fleet-13',
  ]);
});

test('reordering the config changes nothing', () => {
  const shuffled = [...base].reverse();
  shuffled.push(...shuffled.splice(0, 600));
  expectUnchanged(first, synthesize(shuffled, first.lock), base);
});

test('revoking, deactivating or quarantining a thing changes only its own resources, and no other thing', () => {
  const lifecycle: Lifecycle = {
    'sensor-00005': { status: 'revoked' },
    'sensor-00555': { status: 'inactive' },
    'sensor-01111': { quarantined: true },
  };
  const after = synthesize(base, first.lock, lifecycle);
  const changed = new Set(Object.keys(lifecycle));
  expectUnchanged(
    first,
    after,
    base.filter((name) => !changed.has(name)),
  );
  // For each changed thing: the same stack and logical ids, and exactly one property differs.
  const paths = (name: string): string[] => {
    const a = first.things.get(name)!;
    const b = after.things.get(name)!;
    expect(b.stackName).toBe(a.stackName);
    expect(Object.keys(b.resources)).toEqual(Object.keys(a.resources));
    expect(b.output).toEqual(a.output);
    return Object.keys(a.resources).flatMap((id) => {
      const before = a.resources[id] as { Type: string; Properties: Record<string, unknown> };
      const now = b.resources[id] as { Type: string; Properties: Record<string, unknown> };
      return Object.keys({ ...before.Properties, ...now.Properties })
        .filter((key) => JSON.stringify(before.Properties[key]) !== JSON.stringify(now.Properties[key]))
        .map((key) => `${now.Type}.${key}=${JSON.stringify(now.Properties[key])}`);
    });
  };
  expect(paths('sensor-00005')).toEqual(['AWS::IoT::Certificate.Status="REVOKED"']);
  expect(paths('sensor-00555')).toEqual(['AWS::IoT::Certificate.Status="INACTIVE"']);
  // A quarantine also deploys the thing's active certificate INACTIVE (deployedCertificateStatus).
  expect(paths('sensor-01111').sort()).toEqual([
    'AWS::IoT::Certificate.Status="INACTIVE"',
    'AWS::IoT::Thing.AttributePayload={"Attributes":{"Owner":"keyless","Site":"tokyo","keylessQuarantine":"true"}}',
  ]);
});
