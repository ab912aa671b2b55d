import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LocalS3 } from '../support/local-aws';
import { ProcessResult, runProcess } from '../support/run-process';
import { requireTool, TOOLS } from '../support/test-tools';
import { DeviceFixture, HELPER, helperEnv, THING } from './device-fixture';

const BUCKET = 'keyless-device-data';
const fixture = new DeviceFixture();
const s3 = new LocalS3([BUCKET]);
let aws: string;

beforeAll(async () => {
  aws = requireTool(TOOLS.aws);
  for (const tool of ['dash', 'jq', 'curl', 'flock', 'openssl']) requireTool(tool);
  await fixture.start();
  await s3.start();
});

afterAll(async () => {
  await s3.stop();
  await fixture.stop();
});

/** An AWS CLI config with one profile whose credential_process is the helper, and a private HOME. */
function awsSetup(deviceConfig: string): NodeJS.ProcessEnv {
  const home = join(deviceConfig, '..', 'home');
  mkdirSync(join(home, '.aws'), { recursive: true });
  const configFile = join(home, '.aws', 'config');
  writeFileSync(
    configFile,
    [
      '[profile device]',
      'region = ap-northeast-1',
      `credential_process = dash ${HELPER} --config ${deviceConfig}`,
      's3 =',
      '  addressing_style = path',
      '',
    ].join('\n'),
  );
  return helperEnv({
    HOME: home,
    AWS_CONFIG_FILE: configFile,
    AWS_SHARED_CREDENTIALS_FILE: join(home, '.aws', 'credentials'),
    AWS_PROFILE: 'device',
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
}

/** The Debian AWS CLI (2.9) predates AWS_ENDPOINT_URL_S3, so the endpoint goes on the command line. */
function runAws(env: NodeJS.ProcessEnv, args: readonly string[]): Promise<ProcessResult> {
  return runProcess(aws, ['--endpoint-url', s3.url, ...args], { env, timeoutMs: 90000 });
}

function expectSuccess(result: ProcessResult): void {
  if (result.code !== 0) throw new Error(`aws exited ${result.code}: ${result.stderr}`);
  for (const secret of fixture.secrets()) expect(result.stderr).not.toContain(secret);
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => statSync(join(dir, name)).isFile())
    .map((name) => relative(dir, join(dir, name)))
    .sort();
}

describe('AWS CLI v2 with keyless-credentials as credential_process', () => {
  test('s3 sync of a directory to s3rver and back is byte-identical (X.509 device)', async () => {
    const config = fixture.writeConfig('x509');
    const env = awsSetup(config);
    const outbox = join(config, '..', 'outbox');
    const restored = join(config, '..', 'restored');
    mkdirSync(join(outbox, 'readings', '2026-11-22'), { recursive: true });
    writeFileSync(join(outbox, 'status.json'), JSON.stringify({ thing: THING, ok: true }));
    writeFileSync(
      join(outbox, 'readings', '2026-11-22', 'temperature.csv'),
      'time,celsius\n1,21.5\n2,21.7\n',
    );
    writeFileSync(join(outbox, 'readings', 'camera.bin'), randomBytes(256 * 1024));
    const prefix = `s3://${BUCKET}/things/${THING}/`;
    const before = fixture.credentialsProvider.requests;

    expectSuccess(await runAws(env, ['s3', 'sync', outbox, prefix, '--only-show-errors']));
    expectSuccess(await runAws(env, ['s3', 'sync', prefix, restored, '--only-show-errors']));

    const files = listFiles(outbox);
    expect(files).toHaveLength(3);
    expect(listFiles(restored)).toEqual(files);
    for (const file of files) {
      expect(readFileSync(join(restored, file)).equals(readFileSync(join(outbox, file)))).toBe(true);
    }
    expect(fixture.credentialsProvider.requests - before).toBe(1);
  });

  // 200 real CLI starts take a few minutes on a loaded 2-core machine: the timeout is generous, the assertion exact.
  test('200 sequential AWS CLI invocations make exactly 1 upstream request (Krypton device)', async () => {
    const config = fixture.writeConfig('krypton-credentials');
    const env = awsSetup(config);
    const before = fixture.krypton.requests;

    for (let i = 0; i < 200; i += 1) {
      expectSuccess(await runAws(env, ['s3', 'ls', `s3://${BUCKET}/`]));
    }

    expect(fixture.krypton.requests - before).toBe(1);
  }, 900_000);

  test('a helper failure reaches the AWS CLI user as a failed command, without secrets', async () => {
    const config = fixture.writeConfig('x509', { x509: { roleAlias: 'NoSuchAlias' } });
    const env = awsSetup(config);

    const result = await runAws(env, ['s3', 'ls', `s3://${BUCKET}/`]);

    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("role alias 'NoSuchAlias' does not exist");
    for (const secret of fixture.secrets()) expect(result.stderr).not.toContain(secret);
  });
});
