import * as path from 'node:path';
import { CfnResource, Stack } from 'aws-cdk-lib';
import type { KeylessConfig } from '../../lib/config';
import { STATEFUL_RESOURCE_TYPES, DEVICE_IDENTITY_RESOURCE_TYPES } from '../../lib/contract';
import { createEnvironmentStacks } from '../../lib/stacks/environment';
import { devConfig, testApp } from '../support/cdk-app';
import { integTestConfig } from '../support/integ-app';
import { prodExampleConfig, prodWithEveryPart } from '../support/prod-example';
import {
  checkPins,
  pinsOf,
  readPinsFile,
  recordingPins,
  templatesOfApp,
  writePinsFile,
  type Pin,
} from '../support/stateful-pins';

// Bundling is skipped: no pinned property depends on function code.
const noBundling = { 'aws:cdk:bundling-stacks': [] };

const PINS_DIR = path.join(__dirname, 'pins');

/** The environment's app, optionally changed (as a refactor would change it) before synthesis. */
function synthesize(config: KeylessConfig, change: (stacks: Stack[]) => void = () => {}): Pin[] {
  const app = testApp(noBundling);
  createEnvironmentStacks(app, config);
  change(app.node.children.filter((child): child is Stack => child instanceof Stack));
  return pinsOf(templatesOfApp(app));
}

// Each environment whose stateful resources differ: the production example, production with the parts the example
// leaves out (signer user, rotations, things, a created VPC), dev (removalPolicy destroy, certificates), and the
// environment `npm run integ` deploys (its recorded expectations: CI keeps them current without an account).
const ENVIRONMENTS: readonly [file: string, make: () => KeylessConfig][] = [
  ['prod', () => prodExampleConfig()],
  ['prod-every-part', prodWithEveryPart],
  ['dev', () => devConfig()],
  ['integ', integTestConfig],
];

describe.each(ENVIRONMENTS)('recorded pins: test/upgrade/pins/%s.json', (file, make) => {
  const pinsFile = path.join(PINS_DIR, `${file}.json`);
  const pins = synthesize(make());

  if (recordingPins()) {
    it('records the pins (npm run pins:record)', () => {
      writePinsFile(pinsFile, file, pins);
    });
    return;
  }

  it('match what synth makes now: no stateful resource or device identity would be replaced', () => {
    expect(checkPins(readPinsFile(pinsFile).resources, pins)).toEqual([]);
  });
});

/** Gives the resource with this logical id another one: what a changed construct id does to the template. */
function renameLogicalId(logicalId: string, to: string): (stacks: Stack[]) => void {
  return (stacks) => {
    const resource = stacks
      .flatMap((stack) => stack.node.findAll().filter((c): c is CfnResource => c instanceof CfnResource))
      .find((candidate) => Stack.of(candidate).resolve(candidate.logicalId) === logicalId);
    if (!resource) throw new Error(`no resource ${logicalId} to rename`);
    resource.overrideLogicalId(to);
  };
}

describe('a changed construct id of a stateful resource fails the pins', () => {
  const config = prodExampleConfig();
  const recorded = synthesize(config);
  const idOf = (type: string, stackSuffix: string): string => {
    const pin = recorded.find((p) => p.type === type && p.stack.endsWith(stackSuffix));
    if (!pin) throw new Error(`the production example has no ${type} in *${stackSuffix}`);
    return pin.logicalId;
  };

  it.each([
    ['AWS::Cognito::IdentityPool', '-KryptonAccess', "every SIM's identity id"],
    ['AWS::S3::Bucket', '-Data', 'the objects devices uploaded'],
    ['AWS::DynamoDB::GlobalTable', '-Data', 'the items devices wrote and read'],
    ['AWS::KMS::Key', '-Data', 'the only key that decrypts'],
    ['AWS::SecretsManager::Secret', '-Data', 'the secret value devices read'],
    ['AWS::Logs::LogGroup', '-Network', 'the audit trail'],
  ])('%s (in *%s): names what is lost and how to keep it', (type, stackSuffix, lost) => {
    const logicalId = idOf(type, stackSuffix);
    const problems = checkPins(
      recorded,
      synthesize(config, renameLogicalId(logicalId, 'RenamedByARefactor')),
    );
    expect(problems).toHaveLength(2);
    const [gone, added] = problems;
    expect(gone).toContain(
      `${logicalId} (${type}) is gone from the template (renamed to RenamedByARefactor?)`,
    );
    expect(gone).toContain(lost);
    expect(gone).toContain(STATEFUL_RESOURCE_TYPES[type as keyof typeof STATEFUL_RESOURCE_TYPES]);
    expect(gone).toContain('production retains the old one outside the stack');
    expect(gone).toContain(`overrideLogicalId('${logicalId}')`);
    expect(gone).toContain('import it under its new id');
    expect(added).toContain('RenamedByARefactor');
    expect(added).toContain('is new and not pinned yet');
  });

  it('a changed developer provider name: names the property, both values and the identities lost', () => {
    const changed = prodExampleConfig((raw) => {
      raw.krypton!.developerProviderName = 'keyless.prod.renamed';
    });
    const problems = checkPins(recorded, synthesize(changed));
    expect(problems).toEqual([
      expect.stringMatching(
        /KryptonAccess IdentityPool\w+ \(AWS::Cognito::IdentityPool\): DeveloperProviderName changes from "keyless\.prod\.krypton" to "keyless\.prod\.renamed", .*every SIM's identity id/,
      ),
    ]);
  });

  it('a changed bucket name (a renamed environment, a changed names.ts) fails on BucketName', () => {
    const moved = prodExampleConfig((raw) => {
      raw.account = '333333333333';
    });
    const problems = checkPins(recorded, synthesize(moved));
    expect(problems.some((p) => /AWS::S3::Bucket\): BucketName changes from/.test(p))).toBe(true);
  });
});

describe('a changed construct id of a device identity fails the pins (dev)', () => {
  const config = devConfig();
  const recorded = synthesize(config);

  it.each(['AWS::IoT::Certificate', 'AWS::IoT::Thing'] as const)('%s', (type) => {
    const logicalId = recorded.find((pin) => pin.type === type)!.logicalId;
    const [gone] = checkPins(recorded, synthesize(config, renameLogicalId(logicalId, 'RenamedThingPart')));
    expect(gone).toContain(`${logicalId} (${type}) is gone from the template`);
    expect(gone).toContain(DEVICE_IDENTITY_RESOURCE_TYPES[type]);
    expect(gone).toContain('creates a new one and deletes the old one');
  });
});
