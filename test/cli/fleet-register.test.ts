import {
  DescribeThingRegistrationTaskCommand,
  InvalidRequestException,
  IoTClient,
  ListThingRegistrationTaskReportsCommand,
  StartThingRegistrationTaskCommand,
} from '@aws-sdk/client-iot';
import { CloudFormationClient, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { NoSuchBucket, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { Command } from 'commander';
import { registerFleetCommands } from '../../lib/cli/fleet-commands';
import { configuredCsrs } from '../../lib/cli/fleet-register';
import type { KeylessConfig } from '../../lib/config';
import { devConfig } from '../support/cdk-app';
import { capturedStreams } from '../support/streams';

const iotMock = mockClient(IoTClient);
const s3Mock = mockClient(S3Client);
const cfnMock = mockClient(CloudFormationClient);
const NOW = new Date('2026-11-22T20:15:30Z');
const csrOf = (name: string): string =>
  `-----BEGIN CERTIFICATE REQUEST-----\nMIIB${name}\n-----END CERTIFICATE REQUEST-----\n`;

interface Run {
  readonly log: string[];
  readonly sleeps: number[];
  readonly error?: Error;
  /** What went to stdout (the --json result). */
  readonly stdout: string;
}

/** Runs `keyless fleet register …` against the mocked clients with the dev config (or a variant). */
async function run(args: string[], config: KeylessConfig = devConfig()): Promise<Run> {
  const log: string[] = [];
  const sleeps: number[] = [];
  const { streams, out } = capturedStreams();
  let clock = NOW.getTime();
  const program = new Command('keyless').exitOverride();
  registerFleetCommands(program, {
    loadConfig: () => config,
    csrs: (_config, names) => new Map(names.map((name) => [name, csrOf(name)])),
    iot: new IoTClient({ region: config.region }),
    s3: new S3Client({ region: config.region }),
    cloudFormation: new CloudFormationClient({ region: config.region }),
    now: () => new Date(clock),
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    log: (line) => log.push(line),
    streams,
  });
  try {
    await program.parseAsync(['node', 'keyless', 'fleet', 'register', ...args]);
    return { log, sleeps, stdout: out.stdout };
  } catch (error) {
    return { log, sleeps, stdout: out.stdout, error: error as Error };
  }
}

beforeEach(() => {
  iotMock.reset();
  s3Mock.reset();
  cfnMock.reset();
  // No Fleet stack deployed: CloudFormation's answer for a stack that does not exist.
  cfnMock.on(ListStackResourcesCommand).callsFake((input: { StackName: string }) => {
    throw Object.assign(new Error(`Stack with id ${input.StackName} does not exist`), {
      name: 'ValidationError',
    });
  });
  s3Mock.on(PutObjectCommand).resolves({});
  iotMock.on(StartThingRegistrationTaskCommand).resolves({ taskId: 'task-1' });
});

test('uploads one JSON line per thing to the device bucket and starts the task with the template and the role', async () => {
  const result = await run(['--bulk', '--env', 'dev']);
  expect(result.error).toBeUndefined();

  const puts = s3Mock.commandCalls(PutObjectCommand);
  expect(puts).toHaveLength(1);
  const put = puts[0].args[0].input;
  expect(put).toMatchObject({
    Bucket: 'keyless-iot-dev-111111111111-ap-northeast-1',
    Key: 'bulk-registration/20261122T201530Z.jsonl',
    ContentType: 'application/x-ndjson',
    ExpectedBucketOwner: '111111111111',
  });
  const lines = String(put.Body)
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line));
  expect(lines).toEqual([
    { ThingName: 'sensor-001', CSR: csrOf('sensor-001'), AttrOwner: 'keyless', AttrSite: 'tokyo' },
    { ThingName: 'sensor-002', CSR: csrOf('sensor-002'), AttrOwner: 'keyless', AttrSite: 'osaka' },
  ]);

  const starts = iotMock.commandCalls(StartThingRegistrationTaskCommand);
  expect(starts).toHaveLength(1);
  const start = starts[0].args[0].input;
  expect(start).toMatchObject({
    inputFileBucket: 'keyless-iot-dev-111111111111-ap-northeast-1',
    inputFileKey: 'bulk-registration/20261122T201530Z.jsonl',
    roleArn: 'arn:aws:iam::111111111111:role/keyless-iot-dev-bulk-registration',
  });
  const template = JSON.parse(start.templateBody!);
  expect(template.Resources.thing.Properties).toEqual({
    ThingName: { Ref: 'ThingName' },
    ThingTypeName: 'KeylessSensor',
    AttributePayload: { Owner: { Ref: 'AttrOwner' }, Site: { Ref: 'AttrSite' } },
  });
  expect(template.Resources.policy.Properties).toEqual({ PolicyName: 'keyless-dev-device' });
  expect(template.Resources.certificate.Properties.CertificateSigningRequest).toEqual({ Ref: 'CSR' });

  // Without --wait the command returns once the task has started.
  expect(iotMock.commandCalls(DescribeThingRegistrationTaskCommand)).toHaveLength(0);
  expect(result.log).toContain('started bulk registration task task-1');
});

test('--role-arn, --bucket and --thing override the defaults', async () => {
  const role = 'arn:aws:iam::111111111111:role/other';
  const result = await run([
    '--bulk', '--env', 'dev', '--role-arn', role, '--bucket', 'other-bucket', '--thing', 'sensor-002',
  ]); // prettier-ignore
  expect(result.error).toBeUndefined();
  const put = s3Mock.commandCalls(PutObjectCommand)[0].args[0].input;
  expect(put.Bucket).toBe('other-bucket');
  expect(String(put.Body).trimEnd().split('\n')).toHaveLength(1);
  expect(JSON.parse(String(put.Body)).ThingName).toBe('sensor-002');
  expect(iotMock.commandCalls(StartThingRegistrationTaskCommand)[0].args[0].input).toMatchObject({
    inputFileBucket: 'other-bucket',
    roleArn: role,
  });
});

test('--wait polls DescribeThingRegistrationTask until the task completes', async () => {
  iotMock
    .on(DescribeThingRegistrationTaskCommand)
    .resolvesOnce({ taskId: 'task-1', status: 'InProgress', percentageProgress: 50, successCount: 1 })
    .resolves({ taskId: 'task-1', status: 'Completed', percentageProgress: 100, successCount: 2 });
  const result = await run(['--bulk', '--env', 'dev', '--wait', '--poll-seconds', '5']);
  expect(result.error).toBeUndefined();
  expect(iotMock.commandCalls(DescribeThingRegistrationTaskCommand)[0].args[0].input).toEqual({
    taskId: 'task-1',
  });
  expect(result.sleeps).toEqual([5000]);
  expect(result.log).toEqual(
    expect.arrayContaining([
      'task task-1: InProgress 50% (1 registered, 0 failed)',
      'task task-1: Completed 100% (2 registered, 0 failed)',
      'task task-1: 2 things registered',
    ]),
  );
});

test('a missing device bucket is named, and no task is started', async () => {
  s3Mock
    .on(PutObjectCommand)
    .rejects(new NoSuchBucket({ message: 'The specified bucket does not exist', $metadata: {} }));
  const result = await run(['--bulk', '--env', 'dev']);
  expect(result.error?.message).toBe(
    'bucket keyless-iot-dev-111111111111-ap-northeast-1 does not exist: deploy the Data stack first, or pass --bucket',
  );
  expect(iotMock.commandCalls(StartThingRegistrationTaskCommand)).toHaveLength(0);
});

test('a task that fails is an error that links its error reports', async () => {
  iotMock.on(DescribeThingRegistrationTaskCommand).resolves({
    taskId: 'task-1',
    status: 'Failed',
    failureCount: 2,
    message: 'Unable to read the input file',
  });
  iotMock
    .on(ListThingRegistrationTaskReportsCommand)
    .resolvesOnce({ resourceLinks: ['https://reports.example/1'], nextToken: 'n' })
    .resolves({ resourceLinks: ['https://reports.example/2'] });
  const result = await run(['--bulk', '--env', 'dev', '--wait']);
  expect(result.error?.message).toBe(
    'bulk registration task task-1 ended Failed with 2 failed things: Unable to read the input file\n' +
      'error reports:\nhttps://reports.example/1\nhttps://reports.example/2',
  );
  expect(iotMock.commandCalls(ListThingRegistrationTaskReportsCommand)[0].args[0].input).toMatchObject({
    taskId: 'task-1',
    reportType: 'ERRORS',
  });
});

test('a completed task with failed things is an error too', async () => {
  iotMock
    .on(DescribeThingRegistrationTaskCommand)
    .resolves({ taskId: 'task-1', status: 'Completed', successCount: 1, failureCount: 1 });
  iotMock.on(ListThingRegistrationTaskReportsCommand).resolves({ resourceLinks: [] });
  const result = await run(['--bulk', '--env', 'dev', '--wait']);
  expect(result.error?.message).toBe('bulk registration task task-1 ended Completed with 1 failed things');
});

test('a rejected StartThingRegistrationTask names the role, since that is the usual cause', async () => {
  iotMock
    .on(StartThingRegistrationTaskCommand)
    .rejects(new InvalidRequestException({ message: 'Unable to assume role', $metadata: {} }));
  const result = await run(['--bulk', '--env', 'dev']);
  expect(result.error?.message).toBe(
    'StartThingRegistrationTask failed (role arn:aws:iam::111111111111:role/keyless-iot-dev-bulk-registration): ' +
      'InvalidRequestException: Unable to assume role',
  );
});

test('waiting gives up after the timeout and says the task keeps running', async () => {
  iotMock.on(DescribeThingRegistrationTaskCommand).resolves({ taskId: 'task-1', status: 'InProgress' });
  const result = await run(['--bulk', '--env', 'dev', '--wait', '--poll-seconds', '600']);
  expect(result.error?.message).toMatch(
    /^bulk registration task task-1 is still InProgress after 3600 s; it keeps running: aws iot describe-thing-registration-task --task-id task-1$/,
  );
  expect(result.sleeps).toHaveLength(6);
});

test('things with different attribute names run as consecutive tasks, each waiting for the one before', async () => {
  const config = devConfig((raw) => {
    raw.iot!.things = [
      { name: 'sensor-001', attributes: { Owner: 'keyless' } },
      { name: 'sensor-002', attributes: { Owner: 'keyless', Site: 'osaka' } },
    ];
  });
  iotMock
    .on(StartThingRegistrationTaskCommand)
    .resolvesOnce({ taskId: 'task-1' })
    .resolves({ taskId: 'task-2' });
  iotMock
    .on(DescribeThingRegistrationTaskCommand)
    .resolves({ status: 'Completed', successCount: 1, failureCount: 0 });
  const result = await run(['--bulk', '--env', 'dev'], config);
  expect(result.error).toBeUndefined();
  expect(s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key)).toEqual([
    'bulk-registration/20261122T201530Z-1.jsonl',
    'bulk-registration/20261122T201530Z-2.jsonl',
  ]);
  // AWS runs one bulk registration task per account at a time: the first is waited for, the last is not.
  expect(iotMock.commandCalls(DescribeThingRegistrationTaskCommand).map((c) => c.args[0].input)).toEqual([
    { taskId: 'task-1' },
  ]);
});

test('--dry-run prints the template and a summary of the parameter file, and calls nothing', async () => {
  const result = await run(['--bulk', '--env', 'dev', '--dry-run']);
  expect(result.error).toBeUndefined();
  expect(s3Mock.calls()).toHaveLength(0);
  expect(iotMock.calls()).toHaveLength(0);
  expect(cfnMock.calls()).toHaveLength(0);
  const text = result.log.join('\n');
  expect(text).toContain(
    'dry run: nothing is uploaded or started, deployed Fleet stacks are not checked ' +
      '(region ap-northeast-1, role arn:aws:iam::111111111111:role/keyless-iot-dev-bulk-registration)',
  );
  expect(text).toContain(
    'task 1 of 1: 2 things with attributes [Owner, Site] from s3://keyless-iot-dev-111111111111-ap-northeast-1/bulk-registration/20261122T201530Z.jsonl',
  );
  expect(text).toContain('"PolicyName": "keyless-dev-device"');
  expect(text).toContain(
    JSON.stringify({
      ThingName: 'sensor-001',
      CSR: `<${csrOf('sensor-001').length} characters of PEM>`,
      AttrOwner: 'keyless',
      AttrSite: 'tokyo',
    }),
  );
});

test('--json prints the tasks as JSON on stdout, and nothing else', async () => {
  iotMock
    .on(DescribeThingRegistrationTaskCommand)
    .resolves({ taskId: 'task-1', status: 'Completed', percentageProgress: 100, successCount: 2 });
  const result = await run(['--bulk', '--env', 'dev', '--wait', '--json']);
  expect(result.error).toBeUndefined();
  const json = JSON.parse(result.stdout);
  expect(json).toEqual({
    env: 'dev',
    dryRun: false,
    roleArn: 'arn:aws:iam::111111111111:role/keyless-iot-dev-bulk-registration',
    tasks: [
      {
        taskId: 'task-1',
        bucket: 'keyless-iot-dev-111111111111-ap-northeast-1',
        key: 'bulk-registration/20261122T201530Z.jsonl',
        thingNames: ['sensor-001', 'sensor-002'],
        attributeNames: ['Owner', 'Site'],
        template: expect.objectContaining({ Resources: expect.any(Object) }),
        status: 'Completed',
        successCount: 2,
        failureCount: null,
      },
    ],
  });
  // No CSR in the result: the parameter file went to S3, the result names the things only.
  expect(result.stdout).not.toContain('CERTIFICATE REQUEST');
});

test('--dry-run --json prints what would be started', async () => {
  const result = await run(['--bulk', '--env', 'dev', '--dry-run', '--json']);
  expect(result.error).toBeUndefined();
  expect(JSON.parse(result.stdout)).toMatchObject({
    dryRun: true,
    tasks: [{ taskId: null, key: 'bulk-registration/20261122T201530Z.jsonl', status: null }],
  });
  expect(iotMock.calls()).toHaveLength(0);
});

test('without --bulk the command says that config things are deployed with the Fleet stacks', async () => {
  const result = await run(['--env', 'dev']);
  expect(result.error?.message).toBe(
    'fleet register needs --bulk: without it, things are registered by deploying the Fleet stacks (npx cdk deploy)',
  );
});

test('an unknown --thing is named', async () => {
  const result = await run(['--bulk', '--env', 'dev', '--thing', 'nope']);
  expect(result.error?.message).toBe('config/dev.json: no such thing in iot.things: nope');
  expect(s3Mock.calls()).toHaveLength(0);
});

test('things a deployed Fleet stack holds are refused: CloudFormation manages them', async () => {
  cfnMock.on(ListStackResourcesCommand, { StackName: 'KeylessIot-dev-Fleet-1' }).resolves({
    StackResourceSummaries: [
      thingResource('sensor-001'),
      { ResourceType: 'AWS::IoT::Certificate', PhysicalResourceId: 'abc', LogicalResourceId: 'C' } as never,
    ],
  });
  const result = await run(['--bulk', '--env', 'dev']);
  expect(result.error?.message).toBe(
    '1 of these things are in deployed Fleet stacks, where CloudFormation manages them: ' +
      'sensor-001 (KeylessIot-dev-Fleet-1). Bulk registration is for things outside the Fleet stacks.',
  );
  expect(cfnMock.commandCalls(ListStackResourcesCommand).map((c) => c.args[0].input.StackName)).toEqual([
    'KeylessIot-dev-Fleet-1',
  ]);
  expect(s3Mock.calls()).toHaveLength(0);
});

test('only the Fleet stacks of the selected things are asked', async () => {
  const config = devConfig();
  const fleet = {
    ...config.fleet!,
    shardLock: { ...config.fleet!.shardLock, assignments: { 'sensor-001': 1, 'sensor-002': 2 } },
  };
  const result = await run(['--bulk', '--env', 'dev', '--thing', 'sensor-002'], { ...config, fleet });
  expect(result.error).toBeUndefined();
  expect(cfnMock.commandCalls(ListStackResourcesCommand).map((c) => c.args[0].input.StackName)).toEqual([
    'KeylessIot-dev-Fleet-2',
  ]);
});

test('a Fleet stack CloudFormation cannot list is an error, not a pass', async () => {
  cfnMock
    .on(ListStackResourcesCommand)
    .rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
  const result = await run(['--bulk', '--env', 'dev']);
  expect(result.error?.message).toBe(
    'cannot list the resources of KeylessIot-dev-Fleet-1: Throttling: Rate exceeded',
  );
  expect(s3Mock.calls()).toHaveLength(0);
});

test('by default the CSRs are the ones the config loader read; a thing without one is named', () => {
  const config = devConfig();
  const fleet = {
    ...config.fleet!,
    things: [
      { ...config.fleet!.things[0], csrPem: csrOf('sensor-001') },
      { ...config.fleet!.things[1], csrPem: undefined },
    ],
  };
  expect(() => configuredCsrs({ ...config, fleet }, ['sensor-001', 'sensor-002'])).toThrow(
    'things without a CSR (enroll them first with keyless enroll): sensor-002 (fleet/dev/sensor-002/csr.pem)',
  );
  expect(configuredCsrs({ ...config, fleet }, ['sensor-001'])).toEqual(
    new Map([['sensor-001', csrOf('sensor-001')]]),
  );
});

function thingResource(name: string) {
  return {
    ResourceType: 'AWS::IoT::Thing',
    PhysicalResourceId: name,
    LogicalResourceId: 'Thing',
    ResourceStatus: 'CREATE_COMPLETE',
    LastUpdatedTimestamp: new Date(),
  } as const;
}
