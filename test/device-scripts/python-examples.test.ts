import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { SecretsManagerEmulator } from '../emulators/secrets-manager';
import { LocalDynamoDb, LocalS3 } from '../support/local-aws';
import { ProcessResult, runProcess } from '../support/run-process';
import { requireTool, TOOLS } from '../support/test-tools';
import { DeviceFixture, helperEnv, THING } from './device-fixture';

const EXAMPLES = resolve(__dirname, '../../device-scripts/examples');
const BUCKET = 'keyless-device-data';
const TABLE = 'KeylessIot-test-Reference';
const DEVICE_SECRET = 'device-secret-value-7f3a';

const fixture = new DeviceFixture();
const s3 = new LocalS3([BUCKET]);
const dynamodb = new LocalDynamoDb();
const secretsManager = new SecretsManagerEmulator({
  certPem: fixture.pki.server.certPem,
  keyPem: fixture.pki.server.keyPem,
});
let python: string;
let aws: string;
let secretsManagerUrl: string;

beforeAll(async () => {
  python = requireTool(TOOLS.python);
  aws = requireTool(TOOLS.aws);
  for (const tool of ['jq', 'curl', 'flock', 'openssl']) requireTool(tool);
  const boto3 = await runProcess(python, ['-c', 'import boto3']);
  if (boto3.code !== 0) throw new Error(`required test tool 'python3-boto3' is not installed for ${python}`);
  await fixture.start();
  await s3.start();
  await dynamodb.start();
  secretsManager.putSecret(`devices/${THING}`, DEVICE_SECRET);
  secretsManagerUrl = (await secretsManager.start()).url;
});

afterAll(async () => {
  await secretsManager.stop();
  await dynamodb.stop();
  await s3.stop();
  await fixture.stop();
});

/** The examples' environment: AWS_ENDPOINT_URL_* to the local servers, no ambient AWS credentials. */
function exampleEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return helperEnv({
    AWS_ENDPOINT_URL_S3: s3.url,
    AWS_ENDPOINT_URL_DYNAMODB: dynamodb.url,
    AWS_ENDPOINT_URL_SECRETSMANAGER: secretsManagerUrl,
    AWS_CA_BUNDLE: fixture.pki.ca.certFile,
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    PYTHONDONTWRITEBYTECODE: '1',
    ...extra,
  });
}

function runExample(script: string, args: readonly string[], env = exampleEnv()): Promise<ProcessResult> {
  return runProcess(python, [join(EXAMPLES, script), ...args], { env, timeoutMs: 90000 });
}

function expectNoSecrets(result: ProcessResult): void {
  for (const secret of fixture.secrets()) expect(result.stderr).not.toContain(secret);
}

/** Static credentials for setting up and checking the local servers (not the device's). */
function adminEnv(): NodeJS.ProcessEnv {
  return helperEnv({
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_DEFAULT_REGION: 'ap-northeast-1',
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_PAGER: '',
  });
}

async function admin(args: readonly string[]): Promise<void> {
  const result = await runProcess(aws, args, { env: adminEnv(), timeoutMs: 60000 });
  if (result.code !== 0) throw new Error(`aws ${args.join(' ')}: ${result.stderr}`);
}

describe('Python examples (boto3 through keyless-credentials)', () => {
  test('dynamodb_scan.py: a Krypton device scans the reference table on dynalite', async () => {
    await admin([
      'dynamodb', 'create-table', '--endpoint-url', dynamodb.url, '--table-name', TABLE,
      '--attribute-definitions', 'AttributeName=id,AttributeType=S', '--key-schema', 'AttributeName=id,KeyType=HASH',
      '--billing-mode', 'PAY_PER_REQUEST',
    ]); // prettier-ignore
    for (const [id, celsius] of [
      ['room-1', '21.5'],
      ['room-2', '19'],
    ]) {
      await admin([
        'dynamodb', 'put-item', '--endpoint-url', dynamodb.url, '--table-name', TABLE,
        '--item', JSON.stringify({ id: { S: id }, celsius: { N: celsius } }),
      ]); // prettier-ignore
    }
    const config = fixture.writeConfig('krypton-open-id-token', { dynamodb: { tableName: TABLE } });

    const result = await runExample('dynamodb_scan.py', ['--config', config]);

    if (result.code !== 0) throw new Error(result.stderr);
    const items = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    expect(items).toEqual(
      expect.arrayContaining([
        { id: 'room-1', celsius: 21.5 },
        { id: 'room-2', celsius: 19 },
      ]),
    );
    expect(items).toHaveLength(2);
    expect(result.stderr).toContain(`scanned ${TABLE}: 2 item(s)`);
    expectNoSecrets(result);
  });

  test('s3_upload.py: an X.509 device uploads a directory under things/<thing>/ on s3rver, byte-identical', async () => {
    const config = fixture.writeConfig('x509', { s3: { bucket: BUCKET } });
    const outbox = join(config, '..', 'outbox');
    mkdirSync(join(outbox, 'logs'), { recursive: true });
    writeFileSync(join(outbox, 'reading.json'), '{"celsius":21.5}');
    writeFileSync(join(outbox, 'logs', 'image.bin'), randomBytes(64 * 1024));

    const result = await runExample('s3_upload.py', ['--config', config, outbox]);

    if (result.code !== 0) throw new Error(result.stderr);
    expect(result.stderr).toContain(`uploaded s3://${BUCKET}/things/${THING}/logs/image.bin (65536 bytes)`);
    expectNoSecrets(result);
    const downloaded = join(config, '..', 'downloaded');
    await admin(['s3', 'sync', '--endpoint-url', s3.url, `s3://${BUCKET}/things/${THING}/`, downloaded]);
    const files = readdirSync(outbox, { recursive: true, encoding: 'utf8' })
      .filter((name) => statSync(join(outbox, name)).isFile())
      .map((name) => relative(outbox, join(outbox, name)));
    expect(files).toHaveLength(2);
    for (const file of files) {
      expect(readFileSync(join(downloaded, file)).equals(readFileSync(join(outbox, file)))).toBe(true);
    }
  });

  test("get_secret.py: an X.509 device reads devices/<thing>, signing with the helper's credentials", async () => {
    const config = fixture.writeConfig('x509');

    const result = await runExample('get_secret.py', ['--config', config]);

    if (result.code !== 0) throw new Error(result.stderr);
    expect(result.stdout).toBe(DEVICE_SECRET);
    expect(result.stderr).toContain(`read secret devices/${THING}`);
    expect(result.stderr).not.toContain(DEVICE_SECRET);
    expect(secretsManager.accessKeyIds.at(-1)).toBe('S3RVER');
    expectNoSecrets(result);
  });

  test('get_secret.py --output: 0600 even over a file of another mode, atomic, never through a planted link', async () => {
    const config = fixture.writeConfig('x509');
    const dir = join(config, '..');
    const existing = join(dir, 'existing-secret');
    writeFileSync(existing, 'old value', { mode: 0o644 });
    chmodSync(existing, 0o644);
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'not yours\n', { mode: 0o644 });
    const linked = join(dir, 'linked-secret');
    symlinkSync(victim, linked);

    for (const output of [existing, linked]) {
      const result = await runExample('get_secret.py', ['--config', config, '--output', output]);

      if (result.code !== 0) throw new Error(result.stderr);
      expect(result.stdout).toBe('');
      expect(lstatSync(output).isFile()).toBe(true);
      expect(statSync(output).mode & 0o777).toBe(0o600);
      expect(readFileSync(output, 'utf8')).toBe(DEVICE_SECRET);
    }
    expect(readFileSync(victim, 'utf8')).toBe('not yours\n');
    expect(statSync(victim).mode & 0o777).toBe(0o644);
    // No temporary file left next to the output.
    expect(readdirSync(dir).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  test('a helper failure ends the example with exit 1 and the helper’s cause, without secrets', async () => {
    const config = fixture.writeConfig('x509', {
      s3: { bucket: BUCKET },
      x509: { roleAlias: 'NoSuchAlias' },
    });
    const outbox = join(config, '..', 'empty');
    mkdirSync(outbox);

    const result = await runExample('s3_upload.py', ['--config', config, outbox]);

    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(
      "ERROR keyless: keyless-credentials: role alias 'NoSuchAlias' does not exist",
    );
    expectNoSecrets(result);
  });

  test('an AWS error is one logged line and exit 1', async () => {
    const config = fixture.writeConfig('x509');

    const result = await runExample('get_secret.py', ['--config', config, '--secret-id', 'devices/not-mine']);

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      "GetSecretValue failed: ResourceNotFoundException: Secrets Manager can't find",
    );
    expectNoSecrets(result);
  });
});
