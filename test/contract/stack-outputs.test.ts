import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { KeylessConfig } from '../../lib/config';
import {
  certificateIdOutput,
  OUTPUTS,
  outputsOf,
  shardOfStackName,
  stackName,
  STACK_PARTS,
  type StackOutput,
} from '../../lib/contract';
import { createEnvironmentStacks } from '../../lib/stacks/environment';
import { devConfig, fleetLayoutOf, shippedConfigs, testApp } from '../support/cdk-app';
import { TEST_EXTERNAL_IDS } from '../support/prod-example';

/**
 * Every synthesized stack emits exactly the outputs the contract lists for its part (lib/contract/outputs.ts),
 * with the contract's descriptions: the stacks cannot drift from what the CLI reads, in any configuration.
 */

/** When each conditional output is there. A new conditional output must say when here (see the last test). */
const PRESENT_WHEN = new Map<StackOutput, (config: KeylessConfig) => boolean>([
  [
    OUTPUTS.Network.iotCredentialsEndpointId,
    (c) => c.closedNetwork?.interfaceEndpoints.iotCredentials === true,
  ],
  [
    OUTPUTS.Network.cognitoIdentityEndpointId,
    (c) => c.closedNetwork?.interfaceEndpoints.cognitoIdentity === true,
  ],
  [OUTPUTS.KryptonAccess.signerRoleArn, (c) => c.krypton?.signer.mode === 'role'],
  [
    OUTPUTS.KryptonAccess.signerUserName,
    (c) => c.krypton?.signer.mode === 'user' || c.krypton?.signer.migratingFromUser === true,
  ],
  [OUTPUTS.KryptonAccess.signerRotationFunctionName, (c) => c.krypton?.signer.mode === 'user'],
  [OUTPUTS.KryptonAccess.signerAuthKeySecretArn, (c) => c.krypton?.signer.mode === 'user'],
  [OUTPUTS.KryptonAccess.signerAlarmTopicArn, (c) => c.krypton?.signer.mode === 'user'],
  [
    OUTPUTS.Funnel.funnelUserName,
    (c) => c.funnel?.publisher.mode === 'user' || c.funnel?.publisher.migratingFromUser === true,
  ],
  [OUTPUTS.Funnel.rotationFunctionName, (c) => c.funnel?.publisher.mode === 'user'],
  [OUTPUTS.Funnel.soracomAuthKeySecretArn, (c) => c.funnel?.publisher.mode === 'user'],
  [OUTPUTS.Funnel.alarmTopicArn, (c) => c.funnel?.publisher.mode === 'user'],
  [OUTPUTS.Funnel.publisherRoleArn, (c) => c.funnel?.publisher.mode === 'role'],
]);

const shipped = shippedConfigs();
const configs: Array<[string, KeylessConfig]> = [
  ...shipped.map((config): [string, KeylessConfig] => [config.configFile, config]),
  [
    'dev, Krypton signer role, no interface endpoints',
    devConfig((raw) => {
      raw.krypton!.signer = {
        mode: 'role',
        soracomAccountId: '762707677580',
        externalId: TEST_EXTERNAL_IDS.krypton,
      };
      raw.closedNetwork!.interfaceEndpoints = { iotCredentials: false, cognitoIdentity: false };
    }),
  ],
  [
    'dev, Funnel publisher role, Krypton signer role migrating from user',
    devConfig((raw) => {
      raw.krypton!.signer = {
        mode: 'role',
        soracomAccountId: '762707677580',
        externalId: TEST_EXTERNAL_IDS.krypton,
        migratingFromUser: true,
      };
      raw.funnel!.publisher = {
        mode: 'role',
        soracomAccountId: '762707677580',
        externalId: TEST_EXTERNAL_IDS.funnel,
        credentialId: 'keyless-dev-funnel-role',
      };
      delete raw.funnel!.rotation;
      raw.funnel!.alarmEmails = [];
    }),
  ],
  [
    'dev, Funnel publisher role migrating from user',
    devConfig((raw) => {
      raw.funnel!.publisher = {
        mode: 'role',
        soracomAccountId: '762707677580',
        externalId: TEST_EXTERNAL_IDS.funnel,
        credentialId: 'keyless-dev-funnel-role',
        migratingFromUser: true,
      };
      delete raw.funnel!.rotation;
      raw.funnel!.alarmEmails = [];
    }),
  ],
  [
    'dev, only the credentials provider endpoint, created VPC',
    devConfig((raw) => {
      raw.closedNetwork!.interfaceEndpoints = { iotCredentials: true, cognitoIdentity: false };
      raw.closedNetwork!.vpc = {
        mode: 'create',
        cidr: '10.20.0.0/16',
        availabilityZones: ['ap-northeast-1a'],
      };
    }),
  ],
  [
    'dev, only the Cognito endpoint',
    devConfig((raw) => {
      raw.closedNetwork!.interfaceEndpoints = { iotCredentials: false, cognitoIdentity: true };
    }),
  ],
  [
    'dev, Data stack only',
    devConfig((raw) => {
      delete raw.iot;
      delete raw.krypton;
      delete raw.closedNetwork;
      delete raw.funnel;
    }),
  ],
];

function outputsIn(stack: Stack): Record<string, { Description?: string }> {
  return (Template.fromStack(stack).toJSON().Outputs ?? {}) as Record<string, { Description?: string }>;
}

describe.each(configs)('%s', (_name, config) => {
  const stacks = createEnvironmentStacks(testApp({ 'aws:cdk:bundling-stacks': [] }), config);
  const partStacks = [
    stacks.network,
    stacks.data,
    stacks.iotAccess,
    stacks.kryptonAccess,
    stacks.funnel,
  ].filter((stack): stack is NonNullable<typeof stack> => stack !== undefined);

  test.each(partStacks.map((stack) => [stack.stackName, stack] as const))(
    '%s emits exactly its part of the contract',
    (_stackName, stack) => {
      const part = STACK_PARTS.find((p) => stackName(config.envName, p) === stack.stackName);
      expect(part).toBeDefined();
      const expected = Object.fromEntries(
        outputsOf(part!)
          .filter((output) => output.onlyWhen === undefined || PRESENT_WHEN.get(output)!(config))
          .map((output) => [output.key, output.description]),
      );
      const emitted = Object.fromEntries(
        Object.entries(outputsIn(stack)).map(([key, output]) => [key, output.Description]),
      );
      expect(emitted).toEqual(expected);
    },
  );

  test('each Fleet stack emits one certificate id per thing with a CSR on its shard, and nothing else', () => {
    const layout = config.fleet ? fleetLayoutOf(config) : undefined;
    expect(stacks.fleet.length > 0).toBe((layout?.things.length ?? 0) > 0);
    for (const stack of stacks.fleet) {
      const shard = shardOfStackName(config.envName, stack.stackName);
      const expected = Object.fromEntries(
        (layout?.things ?? [])
          .filter((thing) => thing.shard === shard && thing.csrPem !== undefined)
          .map((thing) => [certificateIdOutput(thing.name).key, certificateIdOutput(thing.name).description]),
      );
      const emitted = Object.fromEntries(
        Object.entries(outputsIn(stack)).map(([key, output]) => [key, output.Description]),
      );
      expect(emitted).toEqual(expected);
    }
  });
});

test('the configurations above cover every optional output both ways', () => {
  for (const [output, present] of PRESENT_WHEN) {
    const seen = new Set(configs.map(([, config]) => present(config)));
    expect({ output: output.key, seen: [...seen].sort() }).toEqual({
      output: output.key,
      seen: [false, true],
    });
  }
});

test('every conditional output of the contract says when it is present', () => {
  const conditional = STACK_PARTS.flatMap(outputsOf).filter((output) => output.onlyWhen !== undefined);
  expect(conditional.filter((output) => !PRESENT_WHEN.has(output)).map((output) => output.key)).toEqual([]);
});

test('OutputKeys are unique across the contract and valid CloudFormation OutputKeys', () => {
  const keys = STACK_PARTS.flatMap(outputsOf).map((output) => output.key);
  expect(new Set(keys).size).toBe(keys.length);
  for (const key of keys) expect(key).toMatch(/^[A-Za-z0-9]{1,255}$/);
});
