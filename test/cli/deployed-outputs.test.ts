import {
  CloudFormationClient,
  DescribeStacksCommand,
  type StackStatus,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { DeployedOutputs } from '../../lib/cli/deployed-outputs';
import { exitCodeFor } from '../../lib/cli/exit-codes';
import { certificateIdOutput, OUTPUTS } from '../../lib/contract';
import { devConfig } from '../support/cdk-app';
import { deployedStackAnswer } from '../support/stack-answers';

const cloudFormation = mockClient(CloudFormationClient);
const config = devConfig();

function deployed(stackName: string, outputs: Record<string, string>, status?: StackStatus): void {
  cloudFormation
    .on(DescribeStacksCommand, { StackName: stackName })
    .resolves(deployedStackAnswer(stackName, outputs, status));
}

const reader = () => new DeployedOutputs(new CloudFormationClient({ region: config.region }), config);
const failure = async (promise: Promise<unknown>): Promise<Error> => {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
};

beforeEach(() => {
  cloudFormation.reset();
  cloudFormation.on(DescribeStacksCommand).callsFake((input: { StackName: string }) => {
    throw Object.assign(new Error(`Stack with id ${input.StackName} does not exist`), {
      name: 'ValidationError',
    });
  });
});

test('reads an output by its contract object from the stack of its part, describing each stack once', async () => {
  deployed('KeylessIot-dev-KryptonAccess', {
    IdentityPoolId: 'ap-northeast-1:pool',
    DeveloperProviderName: 'p',
  });
  const outputs = reader();
  expect(await outputs.require(OUTPUTS.KryptonAccess.identityPoolId)).toBe('ap-northeast-1:pool');
  expect(await outputs.get(OUTPUTS.KryptonAccess.developerProviderName)).toBe('p');
  expect(await outputs.get(OUTPUTS.KryptonAccess.signerRoleArn)).toBeUndefined();
  expect(cloudFormation.commandCalls(DescribeStacksCommand).map((c) => c.args[0].input)).toEqual([
    { StackName: 'KeylessIot-dev-KryptonAccess' },
  ]);
});

test('reads a certificate id from the Fleet stack of the thing’s shard', async () => {
  deployed('KeylessIot-dev-Fleet-2', { [certificateIdOutput('sensor-009').key]: 'c'.repeat(64) });
  expect(await reader().certificateId('sensor-009', 2)).toBe('c'.repeat(64));
  expect(await reader().certificateId('sensor-010', 2)).toBeUndefined();
});

test('a missing output names the stack, the key and the deploy command (exit 4)', async () => {
  deployed('KeylessIot-dev-IotAccess', {});
  const error = await failure(reader().require(OUTPUTS.IotAccess.roleAliasName));
  expect(error.message).toBe(
    'stack KeylessIot-dev-IotAccess has no output RoleAliasName: it was deployed from another version or ' +
      'configuration; redeploy it with `npx cdk deploy -c env=dev KeylessIot-dev-IotAccess`',
  );
  expect(exitCodeFor(error)).toBe(4);
});

test('a stack that is not deployed, or not deployed successfully, is named with what to do', async () => {
  expect((await failure(reader().requireDeployed('Data'))).message).toBe(
    'stack KeylessIot-dev-Data is not deployed in account 111111111111 region ap-northeast-1: deploy it with ' +
      '`npx cdk deploy -c env=dev KeylessIot-dev-Data`',
  );
  deployed('KeylessIot-dev-Data', {}, 'UPDATE_IN_PROGRESS');
  expect((await failure(reader().requireDeployed('Data'))).message).toBe(
    'stack KeylessIot-dev-Data is UPDATE_IN_PROGRESS, not deployed successfully: wait for the deployment to finish and try again',
  );
});

test('takes only the contract’s outputs: a key spelled by hand does not compile', () => {
  const outputs = reader();
  const handMade = { part: 'Data', key: 'DeviceBucketName', description: '', onlyWhen: undefined } as const;
  const reads = [
    // @ts-expect-error - a plain string is not an output of the contract
    () => outputs.get('DeviceBucketName'),
    // @ts-expect-error - nor is an object shaped like one: only lib/contract/outputs.ts makes them
    () => outputs.get(handMade),
    // @ts-expect-error - a certificate id is read with certificateId(), not as an output of a part
    () => outputs.get(certificateIdOutput('sensor-001')),
  ];
  expect(reads).toHaveLength(3);
});
