import type { KeylessConfig } from '../../lib/config';
import { stackPolicies } from '../../lib/cli/verify';
import { QUARANTINE_ATTRIBUTE } from '../../lib/contract';
import { synthesizeEnvironment, type SynthesizedEnvironment } from '../../lib/verify/synth';
import {
  createVerifyClients,
  renderReport,
  verifyEnvironment,
  type CheckResult,
  type VerifyReport,
} from '../../lib/verify/verify';
import { VerifyAws } from '../emulators/verify-aws';
import { devConfig } from '../support/cdk-app';
import { prodExampleConfig } from '../support/prod-example';
import type { TemplateJson } from '../support/isolation-answers';
import { runKeyless } from '../support/keyless-cli';
import { bundledFunctionCode } from '../support/function-bundles';

/**
 * `keyless verify` against a stand-in that "deploys" the synthesized templates and answers SimulatePrincipalPolicy
 * and TestAuthorization with the project's evaluators: a healthy deployment passes, and each kind of damage makes
 * it fail, naming the principal, the action, the resource, what was expected and what to do.
 */

const DEPLOYED = {
  identityPoolId: 'ap-northeast-1:0f0f0f0f-0000-4000-8000-000000000001',
  gatewayEndpointId: 'vpce-0123456789abcdef0',
};
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIAVERIFYTEST', AWS_SECRET_ACCESS_KEY: 'verify-test-secret' };

const synthesized = new Map<string, SynthesizedEnvironment>();
function synthesisOf(config: KeylessConfig): SynthesizedEnvironment {
  const key = `${config.envName} ${JSON.stringify(config.iot?.things)}`;
  if (!synthesized.has(key))
    synthesized.set(key, synthesizeEnvironment(config, { functionCode: bundledFunctionCode() }));
  return synthesized.get(key)!;
}

/** A stand-in with these templates deployed, and process.env pointing the SDK at it while `run` runs. */
async function withStandIn<T>(
  config: KeylessConfig,
  change: (aws: VerifyAws) => void,
  run: (aws: VerifyAws) => Promise<T>,
): Promise<T> {
  const aws = new VerifyAws(
    config,
    synthesisOf(config).templates as ReadonlyMap<string, TemplateJson>,
    DEPLOYED,
  );
  change(aws);
  await aws.start();
  const saved = { ...process.env };
  Object.assign(process.env, aws.endpointEnv(), CREDENTIALS, { AWS_REGION: config.region });
  try {
    return await run(aws);
  } finally {
    process.env = saved;
    await aws.stop();
  }
}

function verify(config: KeylessConfig, change: (aws: VerifyAws) => void = () => {}): Promise<VerifyReport> {
  return withStandIn(config, change, () =>
    verifyEnvironment(config, createVerifyClients(config, process.env), { synthesize: synthesisOf }),
  );
}

const failures = (report: VerifyReport): CheckResult[] => report.checks.filter((c) => c.status === 'fail');

/** Replaces the Resource of the statement with this Sid in one deployed stack. */
function widen(template: TemplateJson, sid: string, resource: unknown): void {
  let found = false;
  for (const r of Object.values(template.Resources ?? {})) {
    const documents = [
      r.Properties?.PolicyDocument,
      ...((r.Properties?.Policies ?? []) as { PolicyDocument: unknown }[]).map((p) => p.PolicyDocument),
    ];
    for (const d of documents) {
      for (const s of (d as { Statement?: { Sid?: string; Resource?: unknown }[] } | undefined)?.Statement ??
        []) {
        if (s.Sid === sid) {
          s.Resource = resource;
          found = true;
        }
      }
    }
  }
  if (!found) throw new Error(`no statement ${sid}`);
}

describe('keyless verify', () => {
  const config = devConfig();

  it('passes a healthy deployment, having asked every kind of question', async () => {
    const report = await verify(config);
    expect(failures(report)).toEqual([]);
    expect(report.ok).toBe(true);
    const kinds = new Set(report.checks.filter((c) => c.status === 'pass').map((c) => c.check));
    expect([...kinds].sort()).toEqual([
      'identity-pool',
      'iot-authorization',
      'isolation',
      'role-alias',
      's3-endpoint-policy',
      'stack',
      'stack-policy',
      'template',
    ]);
    expect(renderReport(report).at(-1)).toMatch(
      /^verified: environment dev \(account 111111111111, ap-northeast-1\): \d+ passed, 0 failed/,
    );
  });

  it('passes the production example (role-mode signer and publisher, the deploy role), asking their questions', async () => {
    const prod = prodExampleConfig();
    const report = await verify(prod);
    expect(failures(report)).toEqual([]);
    const asked = report.checks
      .filter((c) => c.check === 'isolation' && c.status === 'pass')
      .map((c) => c.subject);
    expect(asked).toEqual(
      expect.arrayContaining([
        'krypton-signer-role/other-pool-token',
        'funnel-publisher-role/neighbour-topic',
        'deploy-role/assume-other-role',
      ]),
    );
  });

  it('fails on a widened X.509 device role, naming the principal, action, resource, expectation and fix', async () => {
    const report = await verify(config, (aws) =>
      widen(aws.template('IotAccess'), 'OwnObjects', {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':s3:::keyless-iot-dev-111111111111-ap-northeast-1/things/*'],
        ],
      }),
    );
    expect(report.ok).toBe(false);
    const isolation = failures(report).filter((c) => c.check === 'isolation');
    expect(isolation.map((c) => c.subject)).toEqual([
      'x509-role/other-thing-object-read',
      'x509-role/other-thing-object-write',
      // things/* names no thing: credentials without a thing name would reach every prefix.
      'x509-role/no-thing-name',
    ]);
    expect(isolation[0]).toMatchObject({
      principal: expect.stringMatching(/^X\.509 device role \(arn:aws:iam::111111111111:role\//),
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::keyless-iot-dev-111111111111-ap-northeast-1/things/sensor-002/data.json',
      expected: 'denied',
      actual: 'allowed',
      fix: expect.stringContaining('npx cdk diff -c env=dev KeylessIot-dev-IotAccess'),
    });
    expect(failures(report).map((c) => `${c.check} ${c.subject}`)).toContain(
      'template KeylessIot-dev-IotAccess',
    );
  });

  it('fails on a missing stack, naming it and the deploy command', async () => {
    const report = await verify(config, (aws) => aws.templates.delete('KeylessIot-dev-Funnel'));
    expect(failures(report)).toEqual([
      expect.objectContaining({
        check: 'stack',
        subject: 'KeylessIot-dev-Funnel',
        message: 'stack KeylessIot-dev-Funnel is not deployed in account 111111111111 region ap-northeast-1',
        fix: 'deploy it: npx cdk deploy -c env=dev KeylessIot-dev-Funnel',
      }),
    ]);
    expect(report.checks.filter((c) => c.subject.startsWith('funnel-')).map((c) => c.status)).toEqual(
      expect.arrayContaining(['skip']),
    );
  });

  it('fails on a drifted template, naming the stack, where it differs and the diff command', async () => {
    const report = await verify(config, (aws) => {
      const table = Object.values(aws.template('Data').Resources ?? {}).find(
        (r) => r.Type === 'AWS::DynamoDB::GlobalTable',
      )!;
      (table.Properties as Record<string, unknown>).DeletionProtectionEnabled = false;
    });
    expect(failures(report)).toEqual([
      expect.objectContaining({
        check: 'template',
        subject: 'KeylessIot-dev-Data',
        actual: expect.stringMatching(/^differs at Resources\.\w+\.Properties\.DeletionProtectionEnabled/),
        fix: expect.stringContaining('npx cdk diff -c env=dev KeylessIot-dev-Data'),
      }),
    ]);
  });

  it('fails on stateful resources no stack policy protects; stack-policy --apply sets it and verify passes', async () => {
    const report = await verify(config, (aws) => aws.stackPolicies.delete('KeylessIot-dev-Data'));
    const unprotected = failures(report);
    expect(unprotected.length).toBeGreaterThan(3);
    for (const check of unprotected) {
      expect(check).toMatchObject({
        check: 'stack-policy',
        subject: expect.stringMatching(/^KeylessIot-dev-Data\//),
        action: 'Update:Replace, Update:Delete',
        expected: 'denied by the stack policy',
        actual: 'not denied: the stack has no stack policy',
        fix: 'set the stack policy: npx keyless stack-policy --env dev --apply',
      });
    }
    expect(unprotected.map((c) => c.resource)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^AWS::S3::Bucket /),
        expect.stringMatching(/^AWS::DynamoDB::GlobalTable /),
      ]),
    );

    await withStandIn(
      config,
      (aws) =>
        aws.stackPolicies.set(
          'KeylessIot-dev-Data',
          JSON.stringify({
            Statement: [{ Effect: 'Allow', Action: 'Update:*', Principal: '*', Resource: '*' }],
          }),
        ),
      async (aws) => {
        const clients = createVerifyClients(config, process.env);
        const read = await stackPolicies(config, clients, { apply: false, synthesize: synthesisOf });
        expect(read.stacks.find((s) => s.stackName === 'KeylessIot-dev-Data')?.status).toBe('unprotected');
        expect(aws.requests.filter((r) => r.startsWith('SetStackPolicy'))).toEqual([]);
        const applied = await stackPolicies(config, clients, { apply: true, synthesize: synthesisOf });
        expect(applied.stacks.filter((s) => s.status === 'applied').map((s) => s.stackName)).toEqual([
          'KeylessIot-dev-Data',
        ]);
        expect(aws.requests.filter((r) => r.startsWith('SetStackPolicy'))).toEqual([
          'SetStackPolicy KeylessIot-dev-Data',
        ]);
        const after = await verifyEnvironment(config, clients, { synthesize: synthesisOf });
        expect(failures(after)).toEqual([]);
      },
    );
  });

  it('fails on an identity pool that lets unauthenticated identities in, and a role alias with another duration', async () => {
    const report = await verify(config, (aws) => {
      const pool = Object.values(aws.template('KryptonAccess').Resources ?? {}).find(
        (r) => r.Type === 'AWS::Cognito::IdentityPool',
      )!;
      (pool.Properties as Record<string, unknown>).AllowUnauthenticatedIdentities = true;
      const alias = Object.values(aws.template('IotAccess').Resources ?? {}).find(
        (r) => r.Type === 'AWS::IoT::RoleAlias',
      )!;
      (alias.Properties as Record<string, unknown>).CredentialDurationSeconds = 43200;
    });
    expect(failures(report).map((c) => `${c.check} ${c.subject}: ${c.message}`)).toEqual(
      expect.arrayContaining([
        `identity-pool identity pool ${DEPLOYED.identityPoolId}: identity pool ${DEPLOYED.identityPoolId} allows unauthenticated identities`,
        'role-alias role alias keyless-dev-device: role alias keyless-dev-device issues credentials for 43200 s, the config says 3600',
        expect.stringMatching(/^template KeylessIot-dev-KryptonAccess: /),
        expect.stringMatching(/^template KeylessIot-dev-IotAccess: /),
      ]),
    );
  });

  describe('the quarantine, through TestAuthorization', () => {
    const quarantined = devConfig((raw) => {
      raw.iot!.things![1]!.quarantined = true;
    });

    it('holds: the quarantined thing may not connect, publish or subscribe, even as itself', async () => {
      const report = await verify(quarantined);
      expect(failures(report)).toEqual([]);
      const asked = report.checks.filter((c) => c.subject === 'thing sensor-002 (quarantined)');
      expect(asked.map((c) => [c.action, c.actual])).toEqual(
        expect.arrayContaining([
          ['CONNECT', 'EXPLICIT_DENY'],
          ['PUBLISH', 'EXPLICIT_DENY'],
        ]),
      );
    });

    it('fails when AWS IoT lets the quarantined thing in', async () => {
      const report = await verify(quarantined, (aws) => {
        aws.quarantineIgnored = true;
      });
      expect(failures(report)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            check: 'iot-authorization',
            subject: 'thing sensor-002 (quarantined)',
            action: 'CONNECT',
            resource: 'arn:aws:iot:ap-northeast-1:111111111111:client/sensor-002',
            expected: 'denied',
            actual: 'ALLOWED',
            message: expect.stringContaining(`${QUARANTINE_ATTRIBUTE.name}=${QUARANTINE_ATTRIBUTE.value}`),
          }),
        ]),
      );
    });
  });

  it('says in one line that AWS cannot be reached', async () => {
    const saved = { ...process.env };
    const closed = 'http://127.0.0.1:9';
    Object.assign(process.env, CREDENTIALS, { AWS_REGION: 'ap-northeast-1', AWS_ENDPOINT_URL_STS: closed });
    try {
      await expect(
        verifyEnvironment(config, createVerifyClients(config, process.env), { synthesize: synthesisOf }),
      ).rejects.toThrow(/^cannot reach AWS \(http:\/\/127\.0\.0\.1:9: ECONNREFUSED\): check the network/);
    } finally {
      process.env = saved;
    }
  });
});

describe('bin/keyless.js verify as a process', () => {
  const keyless = (args: string[], env: NodeJS.ProcessEnv) =>
    runKeyless(args, { env: { ...CREDENTIALS, ...env }, timeoutMs: 300_000 });

  it('exits 6 with --json naming each failed check, when the deployed device role is widened', async () => {
    const config = devConfig();
    const result = await withStandIn(
      config,
      (aws) =>
        widen(
          aws.template('IotAccess'),
          'ReadSecrets',
          'arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:*',
        ),
      (aws) =>
        keyless(['verify', '--env', 'dev', '--json'], { ...aws.endpointEnv(), AWS_REGION: 'ap-northeast-1' }),
    );
    expect(result.code).toBe(6);
    const report = JSON.parse(result.stdout) as VerifyReport;
    expect(report).toMatchObject({
      env: 'dev',
      account: '111111111111',
      region: 'ap-northeast-1',
      ok: false,
    });
    const failed = report.checks.filter((c) => c.status === 'fail');
    // The same synth in another process: only the widened stack differs.
    expect(failed.map((c) => `${c.check} ${c.subject}`).sort()).toEqual([
      'isolation x509-role/other-thing-secret',
      'template KeylessIot-dev-IotAccess',
    ]);
    expect(result.stderr).toMatch(/FAIL isolation x509-role\/other-thing-secret: X\.509 device role/);
    expect(result.stderr).toContain('keyless: environment dev is not verified: 2 checks failed (above)');
  });

  it('exits 4 with one line when AWS cannot be reached', async () => {
    const result = await keyless(['verify', '--env', 'dev'], {
      AWS_REGION: 'ap-northeast-1',
      AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9',
    });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(
      /^keyless: cannot reach AWS \(http:\/\/127\.0\.0\.1:9: ECONNREFUSED\)[^\n]*\n$/,
    );
  });
});
