import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import type { SoracomRegisterIo } from '../../lib/cli/operator-clients';
import { OperatorAws } from '../emulators/operator-aws';
import { SoracomApiEmulator } from '../emulators/soracom-api';
import { localAwsEnv, runKeyless } from '../support/keyless-cli';
import type { ProcessResult } from '../support/run-process';

/**
 * What the tests of `keyless soracom register-funnel-credentials` and `register-krypton-credentials` share: the
 * operator's AWS (CloudFormation, Lambda, STS mocked in process, or one local stand-in for the CLI as a process),
 * the SORACOM API emulator, and the command's I/O recorded instead of printed.
 */

/** The operator's SORACOM auth key: what the commands must never print. */
export const AUTH = {
  SORACOM_AUTH_KEY_ID: 'keyId-test-0001',
  SORACOM_AUTH_KEY: 'secret-test-auth-key-0001',
} as const;
export const ACCOUNT = '111111111111';
export const OPERATOR_ARN = `arn:aws:iam::${ACCOUNT}:role/operator`;

/** What a command wrote, and the back-off it asked for (recorded, never waited: no timed assertions). */
export interface Run {
  readonly stdout: string[];
  readonly stderr: string[];
  readonly waits: number[];
  readonly io: SoracomRegisterIo;
}

/**
 * Registers the file's hooks: the emulator runs for the file; before each test the mocks and the emulator are
 * reset, STS answers as the operator, and the emulator knows {@link AUTH}. A file's own beforeEach, registered
 * after this, adds the stack and the rotation's answer.
 */
export function soracomRegisterFixture() {
  const cloudFormation = mockClient(CloudFormationClient);
  const lambda = mockClient(LambdaClient);
  const sts = mockClient(STSClient);
  const soracom = new SoracomApiEmulator();
  let soracomUrl = '';

  beforeAll(async () => {
    soracomUrl = await soracom.start();
  });
  afterAll(async () => {
    await soracom.stop();
  });
  beforeEach(() => {
    cloudFormation.reset();
    lambda.reset();
    sts.reset();
    sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: OPERATOR_ARN, UserId: 'AROATEST' });
    soracom.reset();
    soracom.authKeys.set(AUTH.SORACOM_AUTH_KEY_ID, AUTH.SORACOM_AUTH_KEY);
  });

  return {
    cloudFormation,
    lambda,
    sts,
    soracom,
    /** The emulator's URL (set once the file's beforeAll ran). */
    soracomUrl: () => soracomUrl,
    /** The command's I/O with the mocked clients, the auth key and the emulator. */
    io(overrides: Partial<SoracomRegisterIo> = {}): Run {
      const stdout: string[] = [];
      const stderr: string[] = [];
      const waits: number[] = [];
      return {
        stdout,
        stderr,
        waits,
        io: {
          cloudFormation: new CloudFormationClient({ region: 'ap-northeast-1' }),
          lambda: new LambdaClient({ region: 'ap-northeast-1' }),
          sts: new STSClient({ region: 'ap-northeast-1' }),
          env: { ...AUTH, SORACOM_API_ENDPOINT: soracomUrl },
          out: (line) => stdout.push(line),
          note: (line) => stderr.push(line),
          sleep: async (ms) => {
            waits.push(ms);
          },
          ...overrides,
        },
      };
    },
  };
}

/** What the rotation function answers to {"action":"ensure"}. */
export function rotationAnswer(body: unknown, functionError?: string) {
  return {
    StatusCode: 200,
    FunctionError: functionError,
    Payload: new TextEncoder().encode(JSON.stringify(body)) as never,
  };
}

/** No secret appears in any line the command (or anything else given) wrote. */
export function expectNoSecretsIn(
  secrets: readonly string[],
  run: { stdout: string[] | string; stderr: string[] | string },
  ...more: string[]
): void {
  const all = [run.stdout, run.stderr, more].flat().join('\n');
  for (const secret of secrets) expect(all).not.toContain(secret);
}

export type SoracomRegisterFixture = ReturnType<typeof soracomRegisterFixture>;

/** The message the command failed with (a test fails when it did not). */
export async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the command to fail');
}

/**
 * The CLI as a process, as an operator runs it: `keyless soracom <command> --env dev`, no TTY, the AWS endpoints
 * (CloudFormation and STS over the query protocol, Lambda over REST JSON) on one local stand-in started for the
 * enclosing describe, SORACOM's from the emulator.
 */
export function registerProcess(
  fixture: SoracomRegisterFixture,
  command: string,
  aws: OperatorAws,
): (...extra: string[]) => Promise<ProcessResult> {
  let awsUrl = '';
  beforeAll(async () => {
    awsUrl = await aws.start();
  });
  afterAll(() => aws.stop());
  return (...extra) =>
    runKeyless(['soracom', command, '--env', 'dev', ...extra], {
      env: {
        ...localAwsEnv(awsUrl, ['CLOUDFORMATION', 'LAMBDA', 'STS']),
        SORACOM_API_ENDPOINT: fixture.soracomUrl(),
        ...AUTH,
      },
    });
}
