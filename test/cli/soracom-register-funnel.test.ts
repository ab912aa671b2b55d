import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { Command } from 'commander';
import type { KeylessConfigInput } from '../../lib/config';
import {
  registerFunnelCredentials,
  registerSoracomFunnelCommand,
} from '../../lib/cli/soracom-register-funnel';
import { registerSoracomKryptonCommand } from '../../lib/cli/soracom-register-krypton';
import { OperatorAws } from '../emulators/operator-aws';
import { devConfig } from '../support/cdk-app';
import { deployedStackAnswer } from '../support/stack-answers';
import {
  AUTH,
  expectNoSecretsIn as expectNone,
  failure,
  OPERATOR_ARN,
  registerProcess,
  rotationAnswer,
  soracomRegisterFixture,
} from './soracom-register-fixture';

const STACK = 'KeylessIot-dev-Funnel';
const ROLE_ARN = 'arn:aws:iam::111111111111:role/keyless-iot-dev-funnel-publisher-role';
const ROTATION_FUNCTION = 'KeylessIot-dev-Funnel-KeyRotation';
const AUTH_SECRET_ARN =
  'arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:keyless-iot/dev/funnel/soracom-auth-key-AbCdEf';
const EXTERNAL_ID = 'funnel-external-id-0123456789abcdef';
const CREDENTIAL_ID = 'keyless-dev-funnel-role';

const fixture = soracomRegisterFixture();
const { cloudFormation, lambda, sts, soracom, soracomUrl, io } = fixture;

/** The dev sample with the Funnel publisher in role mode (what the prod template uses). */
const roleMode = (raw: KeylessConfigInput) => {
  raw.funnel!.publisher = {
    mode: 'role',
    soracomAccountId: '762707677580',
    externalId: EXTERNAL_ID,
    credentialId: CREDENTIAL_ID,
  };
  delete raw.funnel!.rotation;
  raw.funnel!.alarmEmails = [];
};

beforeEach(() => {
  cloudFormation.on(DescribeStacksCommand, { StackName: STACK }).resolves(
    deployedStackAnswer(STACK, {
      PublisherRoleArn: ROLE_ARN,
      RotationFunctionName: ROTATION_FUNCTION,
      SoracomAuthKeySecretArn: AUTH_SECRET_ARN,
    }),
  );
  lambda.on(InvokeCommand).resolves(
    rotationAnswer({
      action: 'ensure',
      rotated: true,
      credentialId: 'keyless-dev-funnel',
      deletedKeyIds: [],
    }),
  );
});

/** The auth key and the external id (what makes the role this customer's) appear in no output line. */
const expectNoSecretsIn = (
  run: { stdout: string[] | string; stderr: string[] | string },
  ...more: string[]
): void => expectNone([AUTH.SORACOM_AUTH_KEY, EXTERNAL_ID], run, ...more);

describe('keyless soracom register-funnel-credentials', () => {
  describe('publisher mode role', () => {
    it.each([
      ['another account', 'arn:aws:iam::999999999999:role/keyless-iot-dev-funnel-publisher-role'],
      ['another role of the account', 'arn:aws:iam::111111111111:role/Admin'],
      ['another partition', 'arn:aws-cn:iam::111111111111:role/keyless-iot-dev-funnel-publisher-role'],
      ['not an ARN', 'keyless-iot-dev-funnel-publisher-role'],
    ])('refuses a stack output naming %s, before SORACOM hears of it', async (_what, arn) => {
      cloudFormation
        .on(DescribeStacksCommand, { StackName: STACK })
        .resolves(deployedStackAnswer(STACK, { PublisherRoleArn: arn }));
      const message = await failure(registerFunnelCredentials(devConfig(roleMode), io().io));
      expect(message).toBe(
        `stack ${STACK} output PublisherRoleArn is ${arn}, not the role arn:aws:iam::111111111111:role/keyless-iot-dev-funnel-publisher-role ` +
          'this environment creates: SORACOM would assume whatever role it names; redeploy the stack with `npx cdk deploy -c env=dev ' +
          `${STACK}\` and check who changed it`,
      );
      expect(soracom.requests).toEqual([]);
    });

    it('creates the role credential (role ARN from the stack, external id from the config)', async () => {
      const run = io();
      const result = await registerFunnelCredentials(devConfig(roleMode), run.io);

      expect(result).toEqual({
        mode: 'role',
        action: 'created',
        credentialId: CREDENTIAL_ID,
        type: 'aws-iam-role-credentials',
        endpoint: soracomUrl(),
        roleArn: ROLE_ARN,
        topicPrefix: 'funnel/dev',
        region: 'ap-northeast-1',
      });
      expect(soracom.requestsTo('POST', `/v1/credentials/${CREDENTIAL_ID}`)).toHaveLength(1);
      expect(soracom.credentials.get(CREDENTIAL_ID)).toMatchObject({
        type: 'aws-iam-role-credentials',
        credentials: { roleArn: ROLE_ARN, externalId: EXTERNAL_ID },
      });
      // No rotation in role mode: nothing to invoke.
      expect(lambda.calls()).toHaveLength(0);
      expectNoSecretsIn(run);
    });

    it('replaces it in place (PUT) when it exists, keeping its id and creation time', async () => {
      soracom.now = () => 1_700_000_000;
      soracom.seedCredential(CREDENTIAL_ID, 'aws-iam-role-credentials', {
        roleArn: 'arn:aws:iam::111111111111:role/old',
        externalId: 'old-external-id',
      });
      soracom.now = () => 1_800_000_000;
      const run = io();
      const result = await registerFunnelCredentials(devConfig(roleMode), run.io);

      expect(result.action).toBe('updated');
      expect(soracom.requestsTo('PUT', `/v1/credentials/${CREDENTIAL_ID}`)).toEqual([
        expect.objectContaining({ status: 200 }),
      ]);
      expect(soracom.requestsTo('POST', /^\/v1\/credentials\//)).toHaveLength(0);
      expect(soracom.requestsTo('DELETE', /^\/v1\/credentials\//)).toHaveLength(0);
      expect(soracom.credentials.get(CREDENTIAL_ID)).toMatchObject({
        createDateTime: 1_700_000_000,
        updateDateTime: 1_800_000_000,
        credentials: { roleArn: ROLE_ARN, externalId: EXTERNAL_ID },
      });
      expectNoSecretsIn(run);
    });

    it('creates, then updates in place on the second run, and touches no other credential', async () => {
      soracom.seedCredential('keyless-dev-krypton', 'aws-credentials', {
        accessKeyId: 'TESTKEYKRYPTON000001',
        secretAccessKey: 'krypton-secret',
      });
      await registerFunnelCredentials(devConfig(roleMode), io().io);
      await registerFunnelCredentials(devConfig(roleMode), io().io);
      expect(
        soracom.requests
          .filter((r) => r.path.startsWith('/v1/credentials/'))
          .map((r) => `${r.method} ${r.path} ${r.status}`),
      ).toEqual([`POST /v1/credentials/${CREDENTIAL_ID} 201`, `PUT /v1/credentials/${CREDENTIAL_ID} 200`]);
      expect(soracom.credentials.get('keyless-dev-krypton')?.credentials.secretAccessKey).toBe(
        'krypton-secret',
      );
    });

    it('prints what to set in the SIM groups, with the exact values', async () => {
      const run = io();
      await registerFunnelCredentials(devConfig(roleMode), run.io);
      expect(run.stdout).toEqual([
        `SORACOM credential ${CREDENTIAL_ID} created (aws-iam-role-credentials: role ${ROLE_ARN}) via ${soracomUrl()}.`,
        '',
        'Remaining step, in the SORACOM User Console, for every SIM group whose devices send through Funnel:',
        '  SIM group > SORACOM Funnel settings > turn on, service AWS IoT, and enter',
        '    Destination:  your AWS IoT data endpoint in ap-northeast-1 (aws iot describe-endpoint --endpoint-type iot:Data-ATS),',
        '                  with a topic under funnel/dev/ (anything else is refused by AWS IoT)',
        `    Credentials (credential set): ${CREDENTIAL_ID}`,
        'then save.',
        'Groups that already name this credential set follow the update without a change.',
      ]);
      expect(run.stderr).toEqual([]);
    });

    it('backs off as X-Soracom-Ratelimit-* asks on 429, says so, and then succeeds', async () => {
      soracom.rateLimit(2, 7);
      const run = io();
      const result = await registerFunnelCredentials(devConfig(roleMode), run.io);
      expect(result.action).toBe('created');
      expect(run.waits).toEqual([7000, 7000]);
      expect(run.stderr).toEqual([
        'SORACOM API rate limit reached: waiting 7 s before retrying',
        'SORACOM API rate limit reached: waiting 7 s before retrying',
      ]);
      expect(soracom.requests.map((r) => r.status)).toEqual([429, 429, 200, 200, 201]);
      expectNoSecretsIn(run);
    });

    it('gives up with a clear message when the rate limit does not clear, and changes nothing', async () => {
      soracom.rateLimit(100, 1);
      const run = io({ maxRetries: 3 });
      const message = await failure(registerFunnelCredentials(devConfig(roleMode), run.io));
      expect(message).toBe(
        'SORACOM API kept answering 429 (rate limited) on POST /v1/auth after retrying: wait a minute and run the command again',
      );
      expect(run.waits).toEqual([1000, 1000, 1000]);
      expect(soracom.credentials.size).toBe(0);
      expectNoSecretsIn(run, message);
    });

    it('says the auth key was rejected (bad auth key) and changes nothing', async () => {
      soracom.rejectAuth = true;
      const run = io();
      const message = await failure(registerFunnelCredentials(devConfig(roleMode), run.io));
      expect(message).toBe(
        'SORACOM auth key rejected (coverage jp): check SORACOM_AUTH_KEY_ID/SORACOM_AUTH_KEY and that the key belongs to a Japan coverage account',
      );
      expect(soracom.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['POST /v1/auth 401']);
      expect(soracom.credentials.size).toBe(0);
      expectNoSecretsIn(run, message);
    });

    it('talks to the Global coverage endpoint when funnel.coverage is global', async () => {
      const urls: string[] = [];
      const fetchImpl: typeof fetch = async (input) => {
        urls.push(String(input));
        return new Response(JSON.stringify({ code: 'AUM0002' }), { status: 401 });
      };
      const config = devConfig((raw) => {
        roleMode(raw);
        raw.funnel!.coverage = 'global';
      });
      const message = await failure(registerFunnelCredentials(config, io({ env: AUTH, fetchImpl }).io));
      expect(urls).toEqual(['https://g.api.soracom.io/v1/auth']);
      expect(message).toContain('belongs to a Global coverage account');
    });

    it.each(['http://api.soracom.io', 'http://127.0.0.2:8080'])(
      'refuses SORACOM_API_ENDPOINT=%s before the stack is read or anything is sent',
      async (endpoint) => {
        const sent: string[] = [];
        const run = io({
          env: { ...AUTH, SORACOM_API_ENDPOINT: endpoint },
          fetchImpl: async (input) => {
            sent.push(String(input));
            return new Response('{}');
          },
        });
        const message = await failure(registerFunnelCredentials(devConfig(roleMode), run.io));
        expect(message).toContain('SORACOM_API_ENDPOINT must be https://');
        expect({ sent, stacks: cloudFormation.calls().length }).toEqual({ sent: [], stacks: 0 });
      },
    );

    it('refuses AWS credentials of another account before reading the stack or calling SORACOM', async () => {
      sts.on(GetCallerIdentityCommand).resolves({
        Account: '999999999999',
        Arn: 'arn:aws:iam::999999999999:user/someone',
        UserId: 'AIDATEST',
      });
      const message = await failure(registerFunnelCredentials(devConfig(roleMode), io().io));
      expect(message).toContain('the AWS credentials in use are for account 999999999999');
      expect(cloudFormation.calls()).toHaveLength(0);
      expect(soracom.requests).toEqual([]);
    });

    it('asks for a redeploy when the stack was deployed in user mode (no role yet)', async () => {
      cloudFormation
        .on(DescribeStacksCommand, { StackName: STACK })
        .resolves(deployedStackAnswer(STACK, { RotationFunctionName: ROTATION_FUNCTION }));
      const message = await failure(registerFunnelCredentials(devConfig(roleMode), io().io));
      expect(message).toBe(
        `stack ${STACK} has no output PublisherRoleArn: it was deployed from another version or configuration; redeploy it with \`npx cdk deploy -c env=dev ${STACK}\``,
      );
      expect(soracom.requests).toEqual([]);
    });
  });

  describe('publisher mode user (the dev sample): the deployed key rotation puts the key into SORACOM', () => {
    it('invokes the rotation with "ensure", needs no SORACOM auth key of its own and calls SORACOM not at all', async () => {
      const run = io({ env: { SORACOM_API_ENDPOINT: soracomUrl() } });
      const result = await registerFunnelCredentials(devConfig(), run.io);
      expect(result).toMatchObject({ mode: 'user', action: 'rotated', credentialId: 'keyless-dev-funnel' });
      const invoked = lambda.commandCalls(InvokeCommand).map((c) => c.args[0].input);
      expect(invoked.map((i) => i.FunctionName)).toEqual([ROTATION_FUNCTION]);
      expect(JSON.parse(new TextDecoder().decode(invoked[0].Payload as Uint8Array))).toEqual({
        action: 'ensure',
      });
      expect(soracom.requests).toEqual([]);
      expect(run.stdout[0]).toBe(
        'SORACOM credential keyless-dev-funnel now holds a new Funnel publisher access key (aws-credentials), put there by the key rotation.',
      );
    });

    it('with new-credential, says the rotation switches the groups itself', async () => {
      lambda.on(InvokeCommand).resolves(
        rotationAnswer({
          action: 'ensure',
          rotated: false,
          credentialId: 'keyless-dev-funnel-261129',
          deletedKeyIds: [],
        }),
      );
      const config = devConfig((raw) => {
        raw.funnel!.rotation!.strategy = { type: 'new-credential', credentialPrefix: 'keyless-dev-funnel' };
      });
      const run = io();
      const result = await registerFunnelCredentials(config, run.io);
      expect(result.action).toBe('unchanged');
      expect(run.stdout.at(-1)).toBe(
        'With new-credential, the rotation itself switches every SIM group that names a credential of this prefix; set keyless-dev-funnel-261129 once in groups that name none yet.',
      );
    });

    it("relays the rotation's own error and names the auth key secret", async () => {
      lambda
        .on(InvokeCommand)
        .resolves(
          rotationAnswer(
            { errorType: 'Error', errorMessage: 'The SORACOM auth key secret has no value yet: put it in' },
            'Unhandled',
          ),
        );
      const message = await failure(registerFunnelCredentials(devConfig(), io().io));
      expect(message).toBe(
        `the key rotation function ${ROTATION_FUNCTION} failed: The SORACOM auth key secret has no value yet: put it in. ` +
          `Its SORACOM auth key is the secret ${AUTH_SECRET_ARN}; nothing was changed that the next run cannot finish`,
      );
    });
  });

  it('needs a funnel section in the config', async () => {
    const config = devConfig((raw) => {
      delete raw.funnel;
    });
    expect(await failure(registerFunnelCredentials(config, io().io))).toBe(
      'environment dev has no funnel section in config/dev.json',
    );
  });

  it('sits under `keyless soracom` next to the Krypton command', () => {
    const program = new Command('keyless');
    registerSoracomKryptonCommand(program);
    registerSoracomFunnelCommand(program);
    expect(program.commands.map((c) => c.name())).toEqual(['soracom']);
    const group = program.commands[0];
    expect(group.commands.map((c) => c.name())).toEqual([
      'register-krypton-credentials',
      'register-funnel-credentials',
    ]);
    expect(group.commands[1].options.map((o) => o.long)).toEqual(['--env', '--json']);
  });

  describe('as a process (bin/keyless.ts), AWS endpoints from AWS_ENDPOINT_URL_*', () => {
    // CloudFormation and STS (query protocol, XML) and Lambda (REST JSON) on one local HTTP server.
    const aws = new OperatorAws({
      callerArn: OPERATOR_ARN,
      account: '111111111111',
      stacks: {
        [STACK]: {
          FunnelUserName: 'keyless-iot-dev-funnel-publisher',
          RotationFunctionName: ROTATION_FUNCTION,
          SoracomAuthKeySecretArn: AUTH_SECRET_ARN,
          AlarmTopicArn: 'arn:aws:sns:ap-northeast-1:111111111111:alarms',
        },
      },
      functions: {
        [ROTATION_FUNCTION]: {
          action: 'ensure',
          rotated: true,
          credentialId: 'keyless-dev-funnel',
          deletedKeyIds: [],
        },
      },
    });
    const awsRequests = aws.requests;
    const keyless = registerProcess(fixture, 'register-funnel-credentials', aws);

    it('--json: the result on stdout, the SIM group step on stderr, no secret in either', async () => {
      awsRequests.length = 0;
      const result = await keyless('--json');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({
        env: 'dev',
        mode: 'user',
        action: 'rotated',
        credentialId: 'keyless-dev-funnel',
        type: 'aws-credentials',
        endpoint: null,
        roleArn: null,
        topicPrefix: 'funnel/dev',
        region: 'ap-northeast-1',
      });
      expect(result.stderr).toContain('Credentials (credential set): keyless-dev-funnel');
      expect(awsRequests).toEqual([
        'GetCallerIdentity',
        `DescribeStacks ${STACK}`,
        `Invoke ${ROTATION_FUNCTION} {"action":"ensure"}`,
      ]);
      expectNoSecretsIn(result);
    });

    it('exits 4 with one line when the rotation fails', async () => {
      aws.functionFails = 'SORACOM rejected the auth key in the secret';
      try {
        const result = await keyless();
        expect(result.code).toBe(4);
        expect(result.stdout).toBe('');
        expect(result.stderr).toBe(
          `keyless: the key rotation function ${ROTATION_FUNCTION} failed: SORACOM rejected the auth key in the secret. ` +
            `Its SORACOM auth key is the secret ${AUTH_SECRET_ARN}; nothing was changed that the next run cannot finish\n`,
        );
      } finally {
        aws.functionFails = undefined;
      }
    });
  });
});
