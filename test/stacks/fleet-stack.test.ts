import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CfnElement, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { parseConfig, type KeylessConfig, type KeylessConfigInput } from '../../lib/config';
import { recordPlacements } from '../../lib/cli/shard-lock-file';
import { certificateIdOutput } from '../../lib/contract';
import { createEnvironmentStacks } from '../../lib/stacks/environment';
import { FleetStack } from '../../lib/stacks/fleet-stack';
import { addValidators } from '../../lib/validators';
import { CONFIG_DIR, devConfig, fleetLayoutOf, nagViolations, REPO_ROOT, testApp } from '../support/cdk-app';
import { bundledFunctionCode } from '../support/function-bundles';

/** The dev sample with only the X.509 flow, so these tests do not depend on the other flows' stacks. */
function x509Only(raw: KeylessConfigInput): void {
  delete raw.krypton;
  delete raw.closedNetwork;
  delete raw.funnel;
}

function devFleetStack(config: KeylessConfig = devConfig(x509Only)) {
  const app = testApp();
  const stack = new FleetStack(app, 'KeylessIot-dev-Fleet-1', {
    environment: config,
    iot: config.iot!,
    shard: 1,
    things: fleetLayoutOf(config).things,
  });
  return { stack, template: Template.fromStack(stack) };
}

const csrOf = (thing: string) =>
  fs.readFileSync(path.join(REPO_ROOT, 'fleet', 'dev', thing, 'csr.pem'), 'utf8');

describe('FleetStack with the dev sample', () => {
  const { stack, template } = devFleetStack();

  it('is KeylessIot-<env>-Fleet-<n>', () => {
    expect(stack.stackName).toBe('KeylessIot-dev-Fleet-1');
  });

  it('creates each thing with its attributes', () => {
    template.resourceCountIs('AWS::IoT::Thing', 2);
    template.hasResourceProperties('AWS::IoT::Thing', {
      ThingName: 'sensor-001',
      AttributePayload: { Attributes: { Owner: 'keyless', Site: 'tokyo' } },
    });
    template.hasResourceProperties('AWS::IoT::Thing', {
      ThingName: 'sensor-002',
      AttributePayload: { Attributes: { Owner: 'keyless', Site: 'osaka' } },
    });
  });

  it.each(['sensor-001', 'sensor-002'])(
    'registers %s’s certificate from fleet/dev/<thing>/csr.pem, attached to thing and policy',
    (name) => {
      const device = stack.things.get(name)!;
      template.hasResourceProperties('AWS::IoT::Certificate', {
        CertificateSigningRequest: csrOf(name),
        Status: 'ACTIVE',
      });
      template.hasResourceProperties('AWS::IoT::ThingPrincipalAttachment', {
        ThingName: stack.resolve(device.thing.ref),
        Principal: stack.resolve(device.certificate!.attrArn),
      });
      template.hasResourceProperties('AWS::IoT::PolicyPrincipalAttachment', {
        PolicyName: 'keyless-dev-device',
        Principal: stack.resolve(device.certificate!.attrArn),
      });
    },
  );

  it('outputs each certificate id under the key the bundle command derives from the thing name', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown; Description: string }>;
    expect(Object.keys(outputs).sort()).toEqual(
      [certificateIdOutput('sensor-001').key, certificateIdOutput('sensor-002').key].sort(),
    );
    for (const name of ['sensor-001', 'sensor-002']) {
      expect(outputs[certificateIdOutput(name).key]).toEqual({
        Value: stack.resolve(stack.things.get(name)!.certificate!.attrId),
        Description: `Certificate id of thing ${name}`,
      });
    }
  });

  it('never puts a private key in the template', () => {
    expect(JSON.stringify(template.toJSON())).not.toMatch(/PRIVATE KEY/);
  });

  it('gives the things their thing type after CloudFormation created them', () => {
    template.hasResource('Custom::ThingTypeAssignment', {
      Properties: { ThingTypeName: 'KeylessSensor', ThingNames: ['sensor-001', 'sensor-002'] },
      DependsOn: Match.arrayWith(
        ['sensor-001', 'sensor-002'].map((name) => stack.getLogicalId(stack.things.get(name)!.thing)),
      ),
    });
  });

  it('costs 4 resources and 1 output per thing, plus the type assignment', () => {
    const resources = Object.keys(template.toJSON().Resources);
    expect(resources).toHaveLength(2 * 4 + 1);
  });

  it('has no unacknowledged cdk-nag finding', () => {
    expect(nagViolations(stack)).toEqual([]);
  });
});

describe('a thing without a CSR', () => {
  const config = devConfig((raw) => {
    x509Only(raw);
    raw.iot!.things!.push({ name: 'sensor-new', attributes: { Owner: 'keyless' } });
  });

  it('gets its thing, no certificate, and a synth warning naming the enroll command', () => {
    const { stack, template } = devFleetStack(config);
    template.resourceCountIs('AWS::IoT::Thing', 3);
    template.resourceCountIs('AWS::IoT::Certificate', 2);
    expect(template.toJSON().Outputs[certificateIdOutput('sensor-new').key]).toBeUndefined();
    expect(stack.things.get('sensor-new')!.certificate).toBeUndefined();
    Annotations.fromStack(stack).hasWarning(
      '/KeylessIot-dev-Fleet-1/Things/sensor-new',
      Match.stringLikeRegexp(
        'Thing sensor-new has no CSR at fleet/dev/sensor-new/csr.pem: it gets its thing but no certificate. Run `npx keyless enroll --env dev --thing sensor-new`',
      ),
    );
  });

  it('does not fail the validators gate', () => {
    const app = testApp();
    createEnvironmentStacks(app, config, { functionCode: bundledFunctionCode() });
    addValidators(app);
    const assembly = app.synth();
    const report = JSON.parse(
      fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'),
    );
    expect(
      report.pluginReports.flatMap((r: { violations: { ruleName: string }[] }) =>
        r.violations.map((v) => v.ruleName),
      ),
    ).toEqual([]);
    for (const stack of app.node.children.filter((c): c is Stack => c instanceof Stack)) {
      expect(nagViolations(stack)).toEqual([]);
    }
    expect(assembly.getStackByName('KeylessIot-dev-Fleet-1').messages).toEqual(
      expect.arrayContaining([expect.objectContaining({ level: 'warning' })]),
    );
  });
});

describe('sharding across Fleet stacks', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-fleet-'));
    fs.mkdirSync(path.join(root, 'fleet', 'dev'), { recursive: true });
    fs.writeFileSync(
      path.join(root, 'fleet', 'dev', 'shards.json'),
      JSON.stringify({ version: 1, maxThingsPerShard: 2, assignments: {} }),
    );
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  /** Synthesizes the fleet for these thing names, records the lock as `fleet plan --write` does, and says where each thing is. */
  function synthFleet(names: string[]): Map<string, { stack: string; logicalIds: string[] }> {
    const raw = JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, 'dev.json'), 'utf8')) as KeylessConfigInput;
    x509Only(raw);
    raw.iot!.policy.requiredAttributes = {};
    raw.iot!.things = names.map((name) => ({ name }));
    const config = parseConfig(raw, 'dev', 'config/dev.json', root);
    recordPlacements(config.fleet!, fleetLayoutOf(config));
    const app = testApp();
    const { fleet, iotAccess } = createEnvironmentStacks(app, config, {
      functionCode: bundledFunctionCode(),
    });
    const where = new Map<string, { stack: string; logicalIds: string[] }>();
    for (const stack of fleet) {
      expect(stack.dependencies).toContain(iotAccess);
      for (const [name, device] of stack.things) {
        const logicalIds = device.node
          .findAll()
          .filter((c): c is CfnElement => c instanceof CfnElement)
          .map((element) => stack.getLogicalId(element));
        where.set(name, { stack: stack.stackName, logicalIds });
      }
    }
    return where;
  }

  it('fills shards in name order and opens a new stack when one is full', () => {
    const where = synthFleet(['e', 'd', 'c', 'b', 'a']);
    expect(Object.fromEntries([...where].map(([name, w]) => [name, w.stack]))).toEqual({
      a: 'KeylessIot-dev-Fleet-1',
      b: 'KeylessIot-dev-Fleet-1',
      c: 'KeylessIot-dev-Fleet-2',
      d: 'KeylessIot-dev-Fleet-2',
      e: 'KeylessIot-dev-Fleet-3',
    });
  });

  it('never moves a thing or renames its resources when others are added, removed or reordered', () => {
    const before = synthFleet(['t1', 't2', 't3', 't4', 't5']);
    const after = synthFleet(['a0', 't5', 't4', 't2', 't1', 'z9']); // t3 removed, two added, order reversed
    for (const name of ['t1', 't2', 't4', 't5']) expect(after.get(name)).toEqual(before.get(name));
    // a0 takes the slot t3 freed; z9 goes to the shard with room.
    expect(after.get('a0')!.stack).toBe(before.get('t3')!.stack);
    expect(after.get('z9')!.stack).toBe('KeylessIot-dev-Fleet-3');
  });
});
