import { RemovalPolicy } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { KeylessConfig } from '../../lib/config';
import {
  DEVICE_IDENTITY_RESOURCE_TYPES,
  isStatefulType,
  STATEFUL_RESOURCE_TYPES,
  statefulResourcesOf,
} from '../../lib/contract';
import { createEnvironmentStacks } from '../../lib/stacks/environment';
import { devConfig, testApp } from '../support/cdk-app';
import { prodExampleConfig, prodWithEveryPart } from '../support/prod-example';
import { templatesOfApp } from '../support/stateful-pins';

// Bundling is skipped: retention does not depend on function code.
const noBundling = { 'aws:cdk:bundling-stacks': [] };

/** Every stack of an environment, as synthesized templates by stack name. */
function templatesOf(config: KeylessConfig): Map<string, ReturnType<Template['toJSON']>> {
  const app = testApp(noBundling);
  createEnvironmentStacks(app, config);
  return templatesOfApp(app);
}

/** `<stack> <logical id> (<type>): DeletionPolicy …, UpdateReplacePolicy …` for each resource that is not retained. */
function unretained(templates: Map<string, ReturnType<Template['toJSON']>>): string[] {
  return [...templates].flatMap(([stackName, template]) =>
    statefulResourcesOf(template).flatMap(({ logicalId, type }) => {
      const resource = template.Resources[logicalId];
      const { DeletionPolicy: onDelete, UpdateReplacePolicy: onReplace } = resource;
      return onDelete === 'Retain' && onReplace === 'Retain'
        ? []
        : [
            `${stackName} ${logicalId} (${type}): DeletionPolicy ${onDelete ?? 'unset (Delete)'}, ` +
              `UpdateReplacePolicy ${onReplace ?? 'unset (Delete)'}; losing it loses ${STATEFUL_RESOURCE_TYPES[type]}`,
          ];
    }),
  );
}

describe.each([
  ['the production example', prodExampleConfig],
  ['the production example with every optional part', prodWithEveryPart],
])('%s (removalPolicy retain)', (_name, makeConfig) => {
  const config = makeConfig();
  const templates = templatesOf(config);

  it('is a retain environment', () => {
    expect(config.removalPolicy).toBe('retain');
  });

  it('retains every stateful resource, in every stack, on delete and on replacement', () => {
    const found = [...templates.values()].flatMap((template) => statefulResourcesOf(template));
    // Guards the test itself: templates without them would pass vacuously.
    for (const type of [
      'AWS::Cognito::IdentityPool',
      'AWS::S3::Bucket',
      'AWS::DynamoDB::GlobalTable',
      'AWS::KMS::Key',
      'AWS::SecretsManager::Secret',
      'AWS::Logs::LogGroup',
    ]) {
      expect(found.map((resource) => resource.type)).toContain(type);
    }
    expect(unretained(templates)).toEqual([]);
  });

  it('does not retain things, certificates or SORACOM users: decommission deletes them, and an orphaned certificate would stay active', () => {
    const retainedIdentities = [...templates].flatMap(([stackName, template]) =>
      Object.entries(template.Resources as Record<string, { Type: string; DeletionPolicy?: string }>)
        .filter(
          ([, resource]) => resource.Type in DEVICE_IDENTITY_RESOURCE_TYPES && !isStatefulType(resource.Type),
        )
        .filter(([, resource]) => resource.DeletionPolicy === 'Retain')
        .map(([logicalId, resource]) => `${stackName} ${logicalId} (${resource.Type})`),
    );
    expect(retainedIdentities).toEqual([]);
  });
});

describe('prodWithEveryPart (the helper above)', () => {
  it('has the parts it promises: things, a signer user, a created VPC and two key rotations', () => {
    const types = [...templatesOf(prodWithEveryPart()).values()].flatMap((template) =>
      Object.values(template.Resources as Record<string, { Type: string }>).map((resource) => resource.Type),
    );
    expect(types).toEqual(expect.arrayContaining(['AWS::IoT::Thing', 'AWS::IAM::User', 'AWS::EC2::VPC']));
    expect(types.filter((type) => type === 'AWS::SecretsManager::Secret').length).toBeGreaterThanOrEqual(3);
  });
});

describe('synth of a retain environment', () => {
  it('fails naming a stateful resource that is not retained, so no production config can deploy one', () => {
    const app = testApp(noBundling);
    const { kryptonAccess } = createEnvironmentStacks(app, prodExampleConfig());
    kryptonAccess!.pool.identityPool.applyRemovalPolicy(RemovalPolicy.DESTROY);
    expect(() => app.synth()).toThrow(
      /KeylessIot-prod-KryptonAccess\/IdentityPool\/Resource\/Resource \(AWS::Cognito::IdentityPool\) is not retained on delete and replacement, but the environment's removalPolicy is "retain": losing it loses every SIM's identity id/,
    );
  });

  it('does not ask dev (removalPolicy destroy) to retain anything', () => {
    const app = testApp(noBundling);
    createEnvironmentStacks(app, devConfig());
    expect(() => app.synth()).not.toThrow();
  });
});
