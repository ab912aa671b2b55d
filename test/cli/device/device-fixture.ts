import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  ListStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { CognitoIdentityClient } from '@aws-sdk/client-cognito-identity';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeCertificateCommand, IoTClient, UpdateCertificateCommand } from '@aws-sdk/client-iot';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { Command } from 'commander';
import type { DeviceClients, DeviceCommandDeps } from '../../../lib/cli/device/context';
import { registerDeviceCommands } from '../../../lib/cli/device-commands';
import { exitCodeFor } from '../../../lib/cli/exit-codes';
import { certificateIdOutput, fleetStackName, stackName } from '../../../lib/contract';
import { CONFIG_DIR, REPO_ROOT } from '../../support/cdk-app';
import { deployedStackAnswer } from '../../support/stack-answers';
import { capturedStreams } from '../../support/streams';

/**
 * A repository of its own for the `keyless device …` tests: config/dev.json and fleet/dev/ (CSRs, shard lock)
 * copied from the sample, a private key per thing and a bundle in dist/bundles/dev/, and the AWS clients mocked
 * with aws-sdk-client-mock, answering as a deployed dev environment in account 111111111111.
 */

export const ACCOUNT = '111111111111';
export const REGION = 'ap-northeast-1';
/** What a private key file holds here; the tests hunt for it in every line the commands write. */
export const KEY_MARKER = 'PRIVATE-KEY-MATERIAL-NEVER-PRINTED';

export const cloudFormation = mockClient(CloudFormationClient);
export const iot = mockClient(IoTClient);
export const sts = mockClient(STSClient);
export const cognito = mockClient(CognitoIdentityClient);
export const dynamoDb = mockClient(DynamoDBClient);

export function certificateIdOf(thing: string): string {
  return Buffer.from(thing.padEnd(32, '0')).toString('hex').slice(0, 64);
}

export interface DeviceRepo {
  readonly root: string;
  readonly configFile: string;
  readonly outDir: string;
  readonly config: () => { iot: { things: Record<string, unknown>[] } } & Record<string, unknown>;
  readonly configText: () => string;
  readonly lock: () => { assignments: Record<string, number> };
  readonly remove: () => void;
}

export function deviceRepo(): DeviceRepo {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-device-'));
  fs.mkdirSync(path.join(root, 'config'));
  fs.copyFileSync(path.join(CONFIG_DIR, 'dev.json'), path.join(root, 'config', 'dev.json'));
  fs.cpSync(path.join(REPO_ROOT, 'fleet', 'dev'), path.join(root, 'fleet', 'dev'), { recursive: true });
  const outDir = path.join(root, 'dist', 'bundles');
  fs.mkdirSync(path.join(outDir, 'dev'), { recursive: true });
  for (const thing of ['sensor-001', 'sensor-002']) {
    fs.writeFileSync(path.join(root, 'fleet', 'dev', thing, 'private.key'), `${KEY_MARKER}\n`, {
      mode: 0o600,
    });
    fs.writeFileSync(path.join(outDir, 'dev', `${thing}.tar.gz`), 'bundle');
  }
  const configFile = path.join(root, 'config', 'dev.json');
  return {
    root,
    configFile,
    outDir,
    config: () => JSON.parse(fs.readFileSync(configFile, 'utf8')),
    configText: () => fs.readFileSync(configFile, 'utf8'),
    lock: () => JSON.parse(fs.readFileSync(path.join(root, 'fleet', 'dev', 'shards.json'), 'utf8')),
    remove: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * What the revoke and quarantine tests start each test from: a fresh repository copy, the stacks answered as
 * deployed, and AWS IoT holding every certificate ACTIVE and accepting UpdateCertificate. A file adds its own
 * answers after it.
 */
export function startDeviceTest(): DeviceRepo {
  const repo = deviceRepo();
  answerAsDeployed();
  iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { status: 'ACTIVE' } });
  iot.on(UpdateCertificateCommand).resolves({});
  return repo;
}

/** Mocks reset, the caller in the dev account, the first Fleet stack deployed with both certificates. */
export function answerAsDeployed(): void {
  for (const mock of [cloudFormation, iot, sts, cognito, dynamoDb]) mock.reset();
  sts
    .on(GetCallerIdentityCommand)
    .resolves({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:role/operator`, UserId: 'AROATEST' });
  const fleet = fleetStackName('dev', 1);
  cloudFormation.on(DescribeStacksCommand, { StackName: fleet }).resolves(
    deployedStackAnswer(fleet, {
      [certificateIdOutput('sensor-001').key]: certificateIdOf('sensor-001'),
      [certificateIdOutput('sensor-002').key]: certificateIdOf('sensor-002'),
    }),
  );
  // What ListStacks and ListStackResources answer: the Fleet stack and its two things, nothing orphaned.
  cloudFormation.on(ListStacksCommand).resolves({
    StackSummaries: [
      { StackName: fleet, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(0) },
      { StackName: stackName('dev', 'Data'), StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(0) },
    ],
  });
  cloudFormation
    .on(ListStackResourcesCommand, { StackName: fleet })
    .resolves({ StackResourceSummaries: thingResources(['sensor-001', 'sensor-002']) });
  const krypton = stackName('dev', 'KryptonAccess');
  cloudFormation.on(DescribeStacksCommand, { StackName: krypton }).resolves(
    deployedStackAnswer(krypton, {
      IdentityPoolId: 'ap-northeast-1:0b7f2c3e-1111-2222-3333-444455556666',
      DeveloperProviderName: 'keyless.dev.krypton',
      AuthenticatedRoleArn: `arn:aws:iam::${ACCOUNT}:role/auth`,
    }),
  );
}

/** ListStackResources' summaries for a Fleet stack holding these things (a certificate beside each). */
export function thingResources(things: readonly string[]) {
  return things.flatMap((thing, i) => [
    {
      LogicalResourceId: `Thing${i}`,
      PhysicalResourceId: thing,
      ResourceType: 'AWS::IoT::Thing',
      ResourceStatus: 'CREATE_COMPLETE' as const,
      LastUpdatedTimestamp: new Date(0),
    },
    {
      LogicalResourceId: `Certificate${i}`,
      PhysicalResourceId: certificateIdOf(thing),
      ResourceType: 'AWS::IoT::Certificate',
      ResourceStatus: 'CREATE_COMPLETE' as const,
      LastUpdatedTimestamp: new Date(0),
    },
  ]);
}

export function clientsIn(region = REGION): DeviceClients {
  const common = { region, credentials: { accessKeyId: 'TESTONLY', secretAccessKey: 'test-only' } };
  return {
    cloudFormation: new CloudFormationClient(common),
    iot: new IoTClient(common),
    sts: new STSClient(common),
    cognitoIdentity: new CognitoIdentityClient(common),
    dynamoDb: new DynamoDBClient(common),
  };
}

export interface DeviceRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly error?: Error;
}

/** Runs `keyless device <args>` in the repository, as the CLI does, and answers the exit code it would have. */
export async function runDevice(
  repo: DeviceRepo,
  args: string[],
  deps: Partial<DeviceCommandDeps> = {},
): Promise<DeviceRun> {
  const { streams, out } = capturedStreams();
  const program = new Command('keyless').exitOverride();
  registerDeviceCommands(program, {
    repoRoot: repo.root,
    configDir: path.join(repo.root, 'config'),
    streams,
    clients: () => clientsIn(),
    env: {},
    // Never the test runner's terminal: a test that wants a prompt passes its own.
    confirm: null,
    ...deps,
  });
  for (const command of [program, ...program.commands, ...program.commands.flatMap((c) => c.commands)]) {
    command.exitOverride().configureOutput({ writeErr: (text) => void streams.stderr.write(text) });
  }
  try {
    await program.parseAsync(['device', ...args], { from: 'user' });
    return { code: 0, ...out };
  } catch (error) {
    return { code: exitCodeFor(error), ...out, error: error as Error };
  }
}
