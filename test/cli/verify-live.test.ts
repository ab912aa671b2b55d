import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { registerVerifyCommands } from '../../lib/cli/verify';
import { VerificationFailedError } from '../../lib/cli/exit-codes';
import { certificateIdOutput, QUARANTINE_ATTRIBUTE } from '../../lib/contract';
import { synthesizeEnvironment, type SynthesizedEnvironment } from '../../lib/verify/synth';
import type { CheckResult, VerifyReport } from '../../lib/verify/verify';
import { CredentialsProviderEmulator } from '../emulators/credentials-provider';
import type { EmulatorAnswer, EmulatorRequest } from '../emulators/emulator-server';
import { VerifyAws } from '../emulators/verify-aws';
import * as os from 'node:os';
import { CONFIG_DIR, devConfig, REPO_ROOT } from '../support/cdk-app';
import type { TemplateJson } from '../support/isolation-answers';
import { TestPki } from '../support/test-pki';
import { bundledFunctionCode } from '../support/function-bundles';

/**
 * `keyless verify --live --thing <canary>`: the canary's key and certificate ask the credentials endpoint (the
 * mTLS stand-in) for credentials, list its own prefix and another thing's with them, and are refused while
 * quarantined (through the device lifecycle code) and issued again after release; the canary is released and the
 * config restored whatever the outcome.
 */

const CANARY = 'sensor-001';
const DEPLOYED = {
  identityPoolId: 'ap-northeast-1:0f0f0f0f-0000-4000-8000-000000000001',
  gatewayEndpointId: 'vpce-0123456789abcdef0',
};

/** The credentials provider as AWS IoT runs it: a thing carrying the quarantine attribute is refused. */
class QuarantineAwareProvider extends CredentialsProviderEmulator {
  /** A quarantine the credentials provider does not apply. */
  ignoresQuarantine = false;
  constructor(
    tls: ConstructorParameters<typeof CredentialsProviderEmulator>[0],
    private readonly aws: VerifyAws,
  ) {
    super(tls);
  }

  protected override route(request: EmulatorRequest): EmulatorAnswer {
    const thing = String(request.headers['x-amzn-iot-thingname'] ?? '');
    const attributes = this.aws.things.get(thing)?.attributes ?? {};
    if (!this.ignoresQuarantine && attributes[QUARANTINE_ATTRIBUTE.name] === QUARANTINE_ATTRIBUTE.value) {
      return { status: 403, body: { message: 'Access Denied' } };
    }
    return super.route(request);
  }
}

/** A repository of its own: config/dev.json and fleet/dev (not aws-sdk-client-mock's device fixture: it mocks every client). */
interface DeviceRepo {
  readonly root: string;
  readonly configText: () => string;
  readonly remove: () => void;
}
function deviceRepo(): DeviceRepo {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-verify-live-'));
  fs.mkdirSync(path.join(root, 'config'));
  fs.copyFileSync(path.join(CONFIG_DIR, 'dev.json'), path.join(root, 'config', 'dev.json'));
  fs.cpSync(path.join(REPO_ROOT, 'fleet', 'dev'), path.join(root, 'fleet', 'dev'), { recursive: true });
  const configFile = path.join(root, 'config', 'dev.json');
  return {
    root,
    configText: () => fs.readFileSync(configFile, 'utf8'),
    remove: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

describe('keyless verify --live', () => {
  const config = devConfig();
  let synthesized: SynthesizedEnvironment;
  let pki: TestPki;
  let repo: DeviceRepo;
  let aws: VerifyAws;
  let provider: QuarantineAwareProvider;
  let saved: NodeJS.ProcessEnv;

  beforeAll(() => {
    synthesized = synthesizeEnvironment(config, { functionCode: bundledFunctionCode() });
    pki = new TestPki('verify-live');
  });
  afterAll(() => pki.dispose());

  beforeEach(async () => {
    repo = deviceRepo();
    const canary = pki.issueClient(CANARY);
    fs.writeFileSync(path.join(repo.root, 'fleet', 'dev', CANARY, 'private.key'), canary.keyPem, {
      mode: 0o600,
    });
    aws = new VerifyAws(config, synthesized.templates as ReadonlyMap<string, TemplateJson>, DEPLOYED);
    const fleet = aws.template('Fleet-1');
    const certificateId = String(
      aws
        .deployment()
        .resolve('KeylessIot-dev-Fleet-1', fleet.Outputs![certificateIdOutput(CANARY).key].Value),
    );
    aws.certificatePems.set(certificateId, canary.certPem);
    aws.s3ThingName = CANARY;
    provider = new QuarantineAwareProvider(
      { certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCaPem: pki.ca.certPem },
      aws,
    );
    provider.addRoleAlias({ name: config.iot!.roleAlias.name });
    provider.registerCertificate(canary.fingerprint256, { things: [CANARY] });
    const { port } = await provider.start();
    aws.credentialsEndpoint = `127.0.0.1:${port}`;
    await aws.start();
    saved = { ...process.env };
    Object.assign(process.env, aws.endpointEnv(), {
      AWS_ACCESS_KEY_ID: 'AKIAVERIFYTEST',
      AWS_SECRET_ACCESS_KEY: 'verify-test-secret',
      AWS_REGION: config.region,
    });
  });

  afterEach(async () => {
    process.env = saved;
    await aws.stop();
    await provider.stop();
    repo.remove();
  });

  async function run(): Promise<{ report: VerifyReport; error?: unknown }> {
    let stdout = '';
    const program = new Command().exitOverride();
    registerVerifyCommands(program, {
      configDir: path.join(repo.root, 'config'),
      repoRoot: repo.root,
      synthesize: () => synthesized,
      ca: pki.ca.certPem,
      sleep: async () => {},
      streams: {
        stdout: { write: (text: string) => ((stdout += text), true) } as unknown as NodeJS.WritableStream,
        stderr: { write: () => true } as unknown as NodeJS.WritableStream,
      },
    });
    let error: unknown;
    try {
      await program.parseAsync(['verify', '--env', 'dev', '--live', '--thing', CANARY, '--json'], {
        from: 'user',
      });
    } catch (caught) {
      error = caught;
    }
    if (!stdout) throw error;
    return { report: JSON.parse(stdout) as VerifyReport, error };
  }

  const live = (report: VerifyReport): Pick<CheckResult, 'subject' | 'status' | 'actual'>[] =>
    report.checks
      .filter((c) => c.check === 'live')
      .map(({ subject, status, actual }) => ({ subject, status, actual }));

  it('gets credentials, reads only its own prefix, is refused while quarantined and issued again after release', async () => {
    const before = repo.configText();
    const { report, error } = await run();
    expect(error).toBeUndefined();
    expect(live(report)).toEqual([
      { subject: 'credentials', status: 'pass', actual: '200' },
      { subject: `list things/${CANARY}/`, status: 'pass', actual: 'allowed' },
      { subject: `list things/${CANARY}-other/`, status: 'pass', actual: 'denied' },
      { subject: 'quarantine', status: 'pass', actual: '403 Access Denied' },
      { subject: 'release', status: 'pass', actual: '200' },
    ]);
    expect(report.ok).toBe(true);
    expect(aws.requests.filter((r) => r.startsWith('UpdateThing'))).toEqual([
      `UpdateThing ${CANARY}`,
      `UpdateThing ${CANARY}`,
    ]);
    expect(aws.things.get(CANARY)!.attributes[QUARANTINE_ATTRIBUTE.name]).toBeUndefined();
    // The quarantine is the whole one (certificate INACTIVE too), and release makes the certificate ACTIVE again.
    expect(aws.requests.filter((r) => r.startsWith('UpdateCertificate')).map((r) => r.split(' ')[2])).toEqual(
      ['INACTIVE', 'ACTIVE'],
    );
    expect([...aws.certificateStatuses.values()]).toEqual(['ACTIVE']);
    expect(repo.configText()).toBe(before);
    // The credentials are used, never reported.
    expect(JSON.stringify(report)).not.toMatch(/S3RVER|secretAccessKey|sessionToken/i);
  });

  it('fails when the credentials endpoint ignores the quarantine, and still releases the canary', async () => {
    provider.ignoresQuarantine = true;
    const before = repo.configText();
    const { report, error } = await run();
    expect(error).toBeInstanceOf(VerificationFailedError);
    expect(report.checks.find((c) => c.check === 'live' && c.subject === 'quarantine')).toMatchObject({
      status: 'fail',
      principal: `certificate of ${CANARY}`,
      action: 'iot:AssumeRoleWithCertificate',
      expected: 'refused (403) while quarantined',
      actual: '200',
      fix: expect.stringContaining('revoke'),
    });
    expect(aws.things.get(CANARY)!.attributes[QUARANTINE_ATTRIBUTE.name]).toBeUndefined();
    expect(repo.configText()).toBe(before);
  });
});
