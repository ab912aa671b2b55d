import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { certificateIdOutput } from '../../lib/contract';
import { REPO_ROOT } from '../support/cdk-app';
import { localAwsEnv, runKeyless } from '../support/keyless-cli';
import { readArchive } from './bundle/bundle-fixture';
import { callerIdentityXml, describeStacksXml, stackMissingXml } from '../emulators/operator-aws';

/**
 * The real command (bin/keyless.ts → commander → SDK clients) against one local server standing in for STS,
 * CloudFormation (both AWS query protocol) and AWS IoT (REST JSON), reached through the standard
 * AWS_ENDPOINT_URL_<SERVICE> variables.
 */
const ACCOUNT = '111111111111';
const stacks: Record<string, Record<string, string>> = {
  'KeylessIot-dev-Data': {
    DeviceBucketName: `keyless-iot-dev-${ACCOUNT}-ap-northeast-1`,
    DeviceSecretName: 'keyless-iot/dev/device-secret',
    ReferenceTableName: 'keyless-iot-dev-reference',
  },
  'KeylessIot-dev-IotAccess': { RoleAliasName: 'keyless-dev-device' },
  'KeylessIot-dev-KryptonAccess': { IdentityPoolId: 'ap-northeast-1:00000000-0000-0000-0000-000000000000' },
  'KeylessIot-dev-Fleet-1': {
    [certificateIdOutput('sensor-001').key]: 'a'.repeat(64),
    [certificateIdOutput('sensor-002').key]: 'b'.repeat(64),
  },
};
const seen: string[] = [];
let server: Server;
let endpoint: string;
let out: string;

function xml(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/xml' });
  res.end(body);
}

function answer(req: IncomingMessage, body: string, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method === 'GET' && url.pathname === '/endpoint') {
    seen.push(`iot:DescribeEndpoint ${url.searchParams.get('endpointType')}`);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ endpointAddress: 'c1a2b3.credentials.iot.ap-northeast-1.amazonaws.com' }));
    return;
  }
  if (req.method === 'GET' && url.pathname.startsWith('/certificates/')) {
    seen.push('iot:DescribeCertificate');
    res.writeHead(404, {
      'Content-Type': 'application/json',
      'x-amzn-errortype': 'ResourceNotFoundException',
    });
    res.end(JSON.stringify({ message: 'The certificate does not exist' }));
    return;
  }
  const form = new URLSearchParams(body);
  const action = form.get('Action');
  seen.push(`query:${action}`);
  if (action === 'GetCallerIdentity') {
    xml(res, 200, callerIdentityXml(`arn:aws:iam::${ACCOUNT}:user/operator`, ACCOUNT));
    return;
  }
  if (action === 'DescribeStacks') {
    const name = form.get('StackName') ?? '';
    const outputs = stacks[name];
    if (!outputs) {
      xml(res, 400, stackMissingXml(name));
      return;
    }
    xml(res, 200, describeStacksXml(name, outputs));
    return;
  }
  xml(
    res,
    400,
    '<ErrorResponse><Error><Code>InvalidAction</Code><Message>unexpected</Message></Error></ErrorResponse>',
  );
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => answer(req, Buffer.concat(chunks).toString(), res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  out = mkdtempSync(join(tmpdir(), 'keyless-bundle-cli-'));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(out, { recursive: true, force: true });
});

function keyless(args: readonly string[]) {
  return runKeyless(['bundle', '--env', 'dev', '--out', out, ...args], {
    env: localAwsEnv(endpoint, ['STS', 'CLOUDFORMATION', 'IOT']),
  });
}

test('keyless bundle --all: builds what it can, lists each failure, summarises, exits 5', async () => {
  const result = await keyless(['--all']);

  expect(result.code).toBe(5);
  // The summary, then each built archive's SHA-256 (sha256sum format) for the out-of-band check.
  const simSha256 = createHash('sha256')
    .update(readFileSync(join(out, 'dev', 'sim-001.tar.gz')))
    .digest('hex');
  expect(result.stdout).toBe(
    `1 of 3 bundles written to ${relative(REPO_ROOT, join(out, 'dev'))}; 2 failed: sensor-001, sensor-002\n` +
      'SHA-256 of each archive (check a copy with `sha256sum <name>.tar.gz` before unpacking it):\n' +
      `${simSha256}  sim-001.tar.gz\n`,
  );
  expect(result.stderr).toContain(`(Krypton, no certificate) sha256 ${simSha256}\n`);
  const aws = 'does not exist in AWS IoT (ap-northeast-1): redeploy its Fleet stack';
  expect(result.stderr).toContain(
    `sensor-001: FAILED certificate ${'a'.repeat(64)} of thing sensor-001 ${aws}`,
  );
  expect(result.stderr).toContain(
    `sensor-002: FAILED certificate ${'b'.repeat(64)} of thing sensor-002 ${aws}`,
  );
  expect(result.stderr).toMatch(/sim-001: .*sim-001\.tar\.gz \(Krypton, no certificate\)/);
  expect(result.stderr).toMatch(/keyless: 2 of 3 bundles failed \(causes above\)\n$/);
  expect(seen).toEqual(
    expect.arrayContaining([
      'query:GetCallerIdentity',
      'query:DescribeStacks',
      'iot:DescribeEndpoint iot:CredentialProvider',
      'iot:DescribeEndpoint iot:Data-ATS',
      'iot:DescribeCertificate',
    ]),
  );
  const entries = await readArchive(join(out, 'dev', 'sim-001.tar.gz'));
  expect(entries.map((e) => e.path)).toContain('sim-001/device.json');
  expect(existsSync(join(out, 'dev', 'sensor-001.tar.gz'))).toBe(false);
});

test('keyless bundle for a SIM only: exit 0, no IoT calls needed', async () => {
  seen.length = 0;
  const result = await keyless(['--thing', 'sim-001']);

  expect(result.stderr).toMatch(/^sim-001: .*\(Krypton, no certificate\) sha256 [0-9a-f]{64}\n$/);
  expect(result.code).toBe(0);
  expect(seen.filter((s) => s.startsWith('iot:'))).toEqual([]);
});

test('--json: the bundles and their SHA-256 as JSON on stdout; progress and the summary on stderr', async () => {
  const result = await keyless(['--thing', 'sim-001', '--json']);
  expect(result.code).toBe(0);
  const json = JSON.parse(result.stdout);
  const file = join(out, 'dev', 'sim-001.tar.gz');
  expect(json).toEqual({
    env: 'dev',
    outDir: join(out, 'dev'),
    built: 1,
    failed: 0,
    bundles: [
      {
        name: 'sim-001',
        source: 'krypton',
        file,
        sha256: createHash('sha256').update(readFileSync(file)).digest('hex'),
        includesPrivateKey: false,
        error: null,
      },
    ],
  });
  expect(result.stderr).toMatch(
    /^sim-001: .*\(Krypton, no certificate\) sha256 [0-9a-f]{64}\n1 of 1 bundles written to .*\nSHA-256 of each archive/,
  );
});

test('--json with failures: exit 5, and the JSON still lists what was built and what failed', async () => {
  const result = await keyless(['--all', '--json']);
  expect(result.code).toBe(5);
  const json = JSON.parse(result.stdout);
  expect(json).toMatchObject({ built: 1, failed: 2 });
  expect(json.bundles.map((b: { name: string; error: string | null }) => [b.name, b.error !== null])).toEqual(
    [
      ['sensor-001', true],
      ['sensor-002', true],
      ['sim-001', false],
    ],
  );
  expect(result.stderr).toMatch(/keyless: 2 of 3 bundles failed \(causes above\)\n$/);
});
