import { DescribeStacksCommand, type StackStatus } from '@aws-sdk/client-cloudformation';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { KeylessConfigInput } from '../../lib/config';
import { Command } from 'commander';
import { registerSoracomGroup } from '../../lib/cli/operator-clients';
import type { SoracomAuthKey } from '../../lib/cli/soracom-credentials';
import {
  registerKryptonCredentials,
  registerSoracomKryptonCommand,
} from '../../lib/cli/soracom-register-krypton';
import { devConfig } from '../support/cdk-app';
import { deployedStackAnswer } from '../support/stack-answers';
import { OperatorAws } from '../emulators/operator-aws';
import {
  AUTH,
  expectNoSecretsIn as expectNone,
  failure,
  OPERATOR_ARN,
  registerProcess,
  rotationAnswer,
  soracomRegisterFixture,
} from './soracom-register-fixture';

const STACK = 'KeylessIot-dev-KryptonAccess';
const POOL_ID = 'ap-northeast-1:0b7f2c3e-1111-2222-3333-444455556666';
const AUTH_SECRET_ARN =
  'arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:keyless-iot/dev/krypton/soracom-auth-key-AbCdEf';
const ROTATION_FUNCTION = 'KeylessIot-dev-KryptonAccess-SignerKeyRotation';
const SIGNER_ROLE_ARN = 'arn:aws:iam::111111111111:role/KeylessIot-dev-KryptonAccess-Signer';
// Shaped like real keys; what the tests hunt for in every line the command writes (the rotation's answer never
// carries them, and the command must not add them).
const ACCESS_KEY_ID = 'TESTKEYKRYPTON000001';
const SECRET_ACCESS_KEY = 'kRyPt0nS3cretAcc3ssK3y/ExampleOnly+0000001';

const fixture = soracomRegisterFixture();
const { cloudFormation, lambda, sts, soracom, soracomUrl, io } = fixture;

function deployedStack(outputs: Record<string, string>, status?: StackStatus): void {
  cloudFormation
    .on(DescribeStacksCommand, { StackName: STACK })
    .resolves(deployedStackAnswer(STACK, outputs, status));
}

const USER_OUTPUTS = {
  IdentityPoolId: POOL_ID,
  DeveloperProviderName: 'keyless.dev.krypton',
  AuthenticatedRoleArn: 'arn:aws:iam::111111111111:role/auth',
  SignerUserName: 'keyless-iot-dev-krypton-signer',
  SignerRotationFunctionName: ROTATION_FUNCTION,
  SignerAuthKeySecretArn: AUTH_SECRET_ARN,
};
const ROLE_OUTPUTS = {
  IdentityPoolId: POOL_ID,
  DeveloperProviderName: 'keyless.dev.krypton',
  AuthenticatedRoleArn: 'arn:aws:iam::111111111111:role/auth',
  SignerRoleArn: SIGNER_ROLE_ARN,
};

beforeEach(() => {
  // Both modes' outputs: each test's config picks the ones it reads.
  deployedStack({ ...USER_OUTPUTS, ...ROLE_OUTPUTS });
  lambda.on(InvokeCommand).resolves(
    rotationAnswer({
      action: 'ensure',
      rotated: true,
      currentKeyId: 'TESTKEYNEW0000000001',
      credentialId: 'keyless-dev-krypton',
      deletedKeyIds: [],
    }),
  );
});

const roleMode = (raw: KeylessConfigInput) => {
  raw.krypton!.signer = {
    mode: 'role',
    soracomAccountId: '762707677580',
    externalId: 'soracom-external-id-1-Kd8Qx3Vn7Lp2Rz5W',
  };
};

/** Neither the signer's keys nor the auth key appear in any line the command writes. */
const expectNoSecretsIn = (run: { stdout: string[] | string; stderr: string[] | string }): void =>
  expectNone([ACCESS_KEY_ID, SECRET_ACCESS_KEY, AUTH.SORACOM_AUTH_KEY], run);

describe('keyless soracom register-krypton-credentials', () => {
  describe('user mode (the dev sample): the deployed key rotation puts the key into SORACOM', () => {
    it('invokes the rotation function with "ensure" and needs no SORACOM auth key of its own', async () => {
      const run = io({ env: { SORACOM_API_ENDPOINT: soracomUrl() } });
      const result = await registerKryptonCredentials(devConfig(), run.io);

      expect(result).toEqual({
        action: 'rotated',
        type: 'aws-credentials',
        endpoint: null,
        credentialId: 'keyless-dev-krypton',
        identityPoolId: POOL_ID,
        developerProviderName: 'keyless.dev.krypton',
      });
      const invoked = lambda.commandCalls(InvokeCommand).map((c) => c.args[0].input);
      expect(invoked).toHaveLength(1);
      expect(invoked[0]).toMatchObject({
        FunctionName: ROTATION_FUNCTION,
        InvocationType: 'RequestResponse',
      });
      expect(JSON.parse(new TextDecoder().decode(invoked[0].Payload as Uint8Array))).toEqual({
        action: 'ensure',
      });
      // The key never passes through the operator's machine: the function writes it into SORACOM itself.
      expect(soracom.requests).toEqual([]);
      expect(run.stdout[0]).toBe(
        'SORACOM credential keyless-dev-krypton now holds a new Krypton signer access key (aws-credentials), put there by the key rotation.',
      );
      expectNoSecretsIn(run);
    });

    it('says so when SORACOM already held the current key (a second run changes nothing)', async () => {
      lambda.on(InvokeCommand).resolves(
        rotationAnswer({
          action: 'ensure',
          rotated: false,
          credentialId: 'keyless-dev-krypton',
          deletedKeyIds: [],
        }),
      );
      const run = io();
      const result = await registerKryptonCredentials(devConfig(), run.io);
      expect(result.action).toBe('unchanged');
      expect(run.stdout[0]).toBe(
        'SORACOM credential keyless-dev-krypton already holds the current Krypton signer access key (aws-credentials); the key rotation changed nothing.',
      );
    });

    it('prints the remaining console step with the exact values', async () => {
      const run = io();
      await registerKryptonCredentials(devConfig(), run.io);
      expect(run.stdout.slice(1)).toEqual([
        '',
        'Remaining step, in the SORACOM User Console, for every SIM group whose devices use Krypton:',
        '  SIM group > SORACOM Krypton settings > turn on Amazon Cognito and enter',
        `    Identity pool ID:         ${POOL_ID}`,
        '    Developer provider name:  keyless.dev.krypton',
        '    Credentials (credential set): keyless-dev-krypton',
        'then save. Groups that already name this credential set follow the update without a change.',
      ]);
      expect(run.stderr).toEqual([]);
    });

    it("relays the rotation's own error (its auth key secret is empty) and names the secret", async () => {
      lambda.on(InvokeCommand).resolves(
        rotationAnswer(
          {
            errorType: 'Error',
            errorMessage:
              'The SORACOM auth key secret has no value yet: put {"authKeyId":"keyId-…","authKey":"secret-…"} in it (see docs/flows/funnel.md or docs/flows/krypton.md)',
          },
          'Unhandled',
        ),
      );
      const message = await failure(registerKryptonCredentials(devConfig(), io().io));
      expect(message).toBe(
        `the key rotation function ${ROTATION_FUNCTION} failed: The SORACOM auth key secret has no value yet: put {"authKeyId":"keyId-…","authKey":"secret-…"} in it (see docs/flows/funnel.md or docs/flows/krypton.md). ` +
          `Its SORACOM auth key is the secret ${AUTH_SECRET_ARN}; nothing was changed that the next run cannot finish`,
      );
    });

    it('refuses an answer that is not a rotation result, without quoting it', async () => {
      lambda.on(InvokeCommand).resolves(rotationAnswer({ surprise: SECRET_ACCESS_KEY }));
      const message = await failure(registerKryptonCredentials(devConfig(), io().io));
      expect(message).toBe(
        `the key rotation function ${ROTATION_FUNCTION} answered something other than a rotation result: redeploy the stack`,
      );
    });

    it('asks for a redeploy when the stack has no rotation (deployed before the signer key rotated)', async () => {
      deployedStack({ ...ROLE_OUTPUTS });
      const message = await failure(registerKryptonCredentials(devConfig(), io().io));
      expect(message).toContain(`stack ${STACK} has no output SignerRotationFunctionName`);
      expect(lambda.calls()).toHaveLength(0);
    });
  });

  describe('role mode', () => {
    it.each([
      ['another account', 'arn:aws:iam::999999999999:role/signer'],
      ['another partition', 'arn:aws-cn:iam::111111111111:role/signer'],
      ['a user', 'arn:aws:iam::111111111111:user/signer'],
      ['not an ARN', 'signer'],
    ])('refuses a stack output naming %s, before SORACOM hears of it', async (_what, arn) => {
      deployedStack({ ...ROLE_OUTPUTS, SignerRoleArn: arn });
      const message = await failure(registerKryptonCredentials(devConfig(roleMode), io().io));
      expect(message).toBe(
        `stack ${STACK} output SignerRoleArn is ${arn}, not a role of this environment's account ` +
          '(arn:aws:iam::111111111111:role/…): SORACOM would assume whatever role it names; redeploy the stack with ' +
          `\`npx cdk deploy -c env=dev ${STACK}\` and check who changed it`,
      );
      expect(soracom.requests).toEqual([]);
    });

    it('registers the role with its external id and invokes no rotation', async () => {
      const run = io();
      const result = await registerKryptonCredentials(devConfig(roleMode), run.io);

      expect(result.type).toBe('aws-iam-role-credentials');
      expect(soracom.credentials.get('keyless-dev-krypton')).toMatchObject({
        type: 'aws-iam-role-credentials',
        credentials: { roleArn: SIGNER_ROLE_ARN, externalId: 'soracom-external-id-1-Kd8Qx3Vn7Lp2Rz5W' },
      });
      expect(lambda.calls()).toHaveLength(0);
      expectNoSecretsIn(run);
    });

    it('asks for a redeploy when the stack was deployed in user mode', async () => {
      deployedStack(USER_OUTPUTS);
      const message = await failure(registerKryptonCredentials(devConfig(roleMode), io().io));
      expect(message).toBe(
        `stack ${STACK} has no output SignerRoleArn: it was deployed from another version or configuration; redeploy it with \`npx cdk deploy -c env=dev ${STACK}\``,
      );
    });
  });

  describe('SORACOM outcomes', () => {
    it('says the auth key was rejected on 401 and changes nothing', async () => {
      soracom.rejectAuth = true;
      const run = io();
      const message = await failure(registerKryptonCredentials(devConfig(roleMode), run.io));
      expect(message).toBe(
        'SORACOM auth key rejected (coverage jp): check SORACOM_AUTH_KEY_ID/SORACOM_AUTH_KEY and that the key belongs to a Japan coverage account',
      );
      expect(soracom.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['POST /v1/auth 401']);
      expect(soracom.credentials.size).toBe(0);
      expectNoSecretsIn({ stdout: [...run.stdout, message], stderr: run.stderr });
    });

    it('backs off as X-Soracom-Ratelimit-* asks on 429, says so, and then succeeds', async () => {
      soracom.rateLimit(2, 7);
      const run = io();
      const result = await registerKryptonCredentials(devConfig(roleMode), run.io);

      expect(result.action).toBe('created');
      expect(run.waits).toEqual([7000, 7000]);
      expect(run.stderr).toEqual([
        'SORACOM API rate limit reached: waiting 7 s before retrying',
        'SORACOM API rate limit reached: waiting 7 s before retrying',
      ]);
      expect(soracom.requests.map((r) => r.status)).toEqual([429, 429, 200, 200, 201]);
      expectNoSecretsIn(run);
    });

    it('gives up with a clear message when the rate limit does not clear', async () => {
      soracom.rateLimit(100, 1);
      const run = io({ maxRetries: 3 });
      const message = await failure(registerKryptonCredentials(devConfig(roleMode), run.io));
      expect(message).toBe(
        'SORACOM API kept answering 429 (rate limited) on POST /v1/auth after retrying: wait a minute and run the command again',
      );
      expect(run.waits).toEqual([1000, 1000, 1000]);
      expect(soracom.credentials.size).toBe(0);
    });

    it('talks to the coverage endpoint when SORACOM_API_ENDPOINT is not set', async () => {
      const urls: string[] = [];
      const fetchImpl: typeof fetch = async (input) => {
        urls.push(String(input));
        return new Response(JSON.stringify({ code: 'AUM0002' }), { status: 401 });
      };
      const jp = io({ env: AUTH, fetchImpl });
      await failure(registerKryptonCredentials(devConfig(roleMode), jp.io));
      const global = io({ env: AUTH, fetchImpl });
      await failure(
        registerKryptonCredentials(
          devConfig((raw) => {
            roleMode(raw);
            raw.krypton!.coverage = 'global';
          }),
          global.io,
        ),
      );
      expect(urls).toEqual(['https://api.soracom.io/v1/auth', 'https://g.api.soracom.io/v1/auth']);
    });
  });

  describe('where secrets may go', () => {
    it.each(['http://api.soracom.io', 'http://soracom-proxy.internal:8080', 'http://127.0.0.2:8080'])(
      'refuses SORACOM_API_ENDPOINT=%s before any secret is read or sent',
      async (endpoint) => {
        const asked: string[] = [];
        const sent: string[] = [];
        const run = io({
          env: { SORACOM_API_ENDPOINT: endpoint },
          askAuthKey: async () => {
            asked.push('asked');
            return { authKeyId: AUTH.SORACOM_AUTH_KEY_ID, authKey: AUTH.SORACOM_AUTH_KEY };
          },
          fetchImpl: async (input) => {
            sent.push(String(input));
            return new Response('{}');
          },
        });
        const message = await failure(registerKryptonCredentials(devConfig(roleMode), run.io));
        const shown = new URL(endpoint);
        expect(message).toBe(
          `SORACOM_API_ENDPOINT must be https:// (it receives the SORACOM auth key and AWS credentials), got http://${shown.host}; ` +
            'plain http is accepted only for a local test server on http://127.0.0.1, http://localhost or http://[::1]',
        );
        expect({
          asked,
          sent,
          secrets: lambda.calls().length,
          stacks: cloudFormation.calls().length,
        }).toEqual({ asked: [], sent: [], secrets: 0, stacks: 0 });
      },
    );

    it('refuses AWS credentials of another account before reading the stack or calling SORACOM', async () => {
      sts.on(GetCallerIdentityCommand).resolves({
        Account: '999999999999',
        Arn: 'arn:aws:iam::999999999999:user/someone',
        UserId: 'AIDATEST',
      });
      const run = io();
      const message = await failure(registerKryptonCredentials(devConfig(roleMode), run.io));
      expect(message).toBe(
        'the AWS credentials in use are for account 999999999999 (arn:aws:iam::999999999999:user/someone) ' +
          'but environment dev (config/dev.json) deploys to account 111111111111: use a profile for 111111111111',
      );
      expect(cloudFormation.calls()).toHaveLength(0);
      expect(lambda.calls()).toHaveLength(0);
      expect(soracom.requests).toEqual([]);
    });
  });

  describe('the SORACOM auth key', () => {
    it('is asked for when the environment has none', async () => {
      const asked: SoracomAuthKey[] = [];
      const run = io({
        env: { SORACOM_API_ENDPOINT: soracomUrl() },
        askAuthKey: async () => {
          const key = { authKeyId: AUTH.SORACOM_AUTH_KEY_ID, authKey: AUTH.SORACOM_AUTH_KEY };
          asked.push(key);
          return key;
        },
      });
      await registerKryptonCredentials(devConfig(roleMode), run.io);
      expect(asked).toHaveLength(1);
      expect(soracom.credentials.has('keyless-dev-krypton')).toBe(true);
      expectNoSecretsIn(run);
    });

    it('is required when there is no terminal to ask on', async () => {
      const message = await failure(
        registerKryptonCredentials(
          devConfig(roleMode),
          io({ env: { SORACOM_API_ENDPOINT: soracomUrl() } }).io,
        ),
      );
      expect(message).toBe(
        'no SORACOM auth key: set SORACOM_AUTH_KEY_ID and SORACOM_AUTH_KEY (a SAM user allowed to list, create and update credentials), or run in a terminal to be asked',
      );
      expect(soracom.requests).toEqual([]);
    });
  });

  describe('the command', () => {
    it('sits under `keyless soracom`, shared with other SORACOM commands', () => {
      const program = new Command('keyless');
      const group = registerSoracomGroup(program);
      group.command('other-soracom-command');
      registerSoracomKryptonCommand(program);
      expect(program.commands.map((c) => c.name())).toEqual(['soracom']);
      expect(group.commands.map((c) => c.name())).toEqual([
        'other-soracom-command',
        'register-krypton-credentials',
      ]);
      const register = group.commands[1];
      expect(register.options.map((o) => o.long)).toEqual(['--env', '--json']);
      expect(register.options[0].mandatory).toBe(true);
    });
  });

  describe('the deployed stack', () => {
    it('must exist', async () => {
      cloudFormation
        .on(DescribeStacksCommand)
        .rejects(
          Object.assign(new Error(`Stack with id ${STACK} does not exist`), { name: 'ValidationError' }),
        );
      const message = await failure(registerKryptonCredentials(devConfig(), io().io));
      expect(message).toBe(
        `stack ${STACK} is not deployed in account 111111111111 region ap-northeast-1: deploy it with \`npx cdk deploy -c env=dev ${STACK}\``,
      );
    });

    it('must not be mid-deployment', async () => {
      deployedStack(USER_OUTPUTS, 'UPDATE_IN_PROGRESS');
      const message = await failure(registerKryptonCredentials(devConfig(), io().io));
      expect(message).toBe(
        `stack ${STACK} is UPDATE_IN_PROGRESS, not deployed successfully: wait for the deployment to finish and try again`,
      );
    });

    it('must have the developer provider name the config has (Cognito cannot rename it)', async () => {
      deployedStack({ ...USER_OUTPUTS, DeveloperProviderName: 'keyless.old' });
      const message = await failure(registerKryptonCredentials(devConfig(), io().io));
      expect(message).toBe(
        `stack ${STACK} has developer provider keyless.old but config/dev.json says keyless.dev.krypton: Cognito cannot rename a developer provider; put the deployed name back in the config`,
      );
    });

    it('needs a krypton section in the config', async () => {
      const config = devConfig((raw) => {
        delete raw.krypton;
      });
      expect(await failure(registerKryptonCredentials(config, io().io))).toBe(
        'environment dev has no krypton section in config/dev.json',
      );
    });
  });

  describe('as a process (bin/keyless.ts), AWS endpoints from AWS_ENDPOINT_URL_*', () => {
    // CloudFormation and STS (query protocol, XML) and Lambda (REST JSON) on one local HTTP server.
    const aws = new OperatorAws({
      callerArn: OPERATOR_ARN,
      account: '111111111111',
      stacks: { [STACK]: USER_OUTPUTS },
      functions: {
        [ROTATION_FUNCTION]: {
          action: 'ensure',
          rotated: true,
          credentialId: 'keyless-dev-krypton',
          deletedKeyIds: [],
        },
      },
    });
    const awsRequests = aws.requests;
    const keyless = registerProcess(fixture, 'register-krypton-credentials', aws);

    it('has the key rotation put the first key into SORACOM, and never writes a secret', async () => {
      awsRequests.length = 0;
      const result = await keyless();
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Identity pool ID:         ${POOL_ID}`);
      expect(awsRequests).toEqual([
        'GetCallerIdentity',
        `DescribeStacks ${STACK}`,
        `Invoke ${ROTATION_FUNCTION} {"action":"ensure"}`,
      ]);
      expect(soracom.requests).toEqual([]);
      expectNoSecretsIn(result);
    });

    it('--json: the result as JSON on stdout, the console step on stderr, no secret in either', async () => {
      const result = await keyless('--json');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({
        env: 'dev',
        action: 'rotated',
        credentialId: 'keyless-dev-krypton',
        type: 'aws-credentials',
        endpoint: null,
        identityPoolId: POOL_ID,
        developerProviderName: 'keyless.dev.krypton',
      });
      expect(result.stderr).toContain(`Identity pool ID:         ${POOL_ID}`);
      expectNoSecretsIn(result);
    });

    it('exits 4 (AWS or SORACOM refused) with one line when the rotation fails', async () => {
      aws.functionFails = 'SORACOM rejected the auth key in the secret';
      try {
        const result = await keyless();
        expect(result.code).toBe(4);
        expect(result.stdout).toBe('');
        expect(result.stderr).toBe(
          `keyless: the key rotation function ${ROTATION_FUNCTION} failed: SORACOM rejected the auth key in the secret. ` +
            `Its SORACOM auth key is the secret ${AUTH_SECRET_ARN}; nothing was changed that the next run cannot finish\n`,
        );
        expectNoSecretsIn(result);
      } finally {
        aws.functionFails = undefined;
      }
    });
  });
});
