import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBundles } from '../../lib/cli/bundle/build';
import type { DeviceKeyConfig } from '../../lib/config/sections/device-key';
import { BundleFixture } from '../cli/bundle/bundle-fixture';
import { devConfig } from '../support/cdk-app';
import { ProcessResult, runProcess } from '../support/run-process';
import { requireTool } from '../support/test-tools';
import { SOFTHSM_MODULE, SoftHsmToken } from './softhsm-token';

// install.sh for a thing whose key lives in a PKCS#11 token: no key file is installed, --key is refused, and the
// module and the PIN file device.json names must exist on the device.

const fixture = new BundleFixture();
let token: SoftHsmToken;
let roots = 0;

beforeAll(() => {
  for (const tool of ['dash', 'jq', 'curl', 'flock', 'tar', 'sha256sum']) requireTool(tool);
  token = new SoftHsmToken('keyless');
});

afterAll(() => {
  fixture.dispose();
  token.dispose();
});

/** Bundles sensor-002 (its CSR came from the device: no key in the repository) with `deviceKey` and unpacks it. */
async function unpackBundle(deviceKey: DeviceKeyConfig): Promise<{ root: string; bundle: string }> {
  const config = devConfig((raw) => {
    raw.iot!.deviceKey = deviceKey;
  });
  const out = mkdtempSync(join(fixture.dir, 'bundles-'));
  const summary = await buildBundles({
    config,
    clients: fixture.clients(),
    targets: [{ name: 'sensor-002', source: 'x509' }],
    repoRoot: fixture.repoRoot,
    deviceScriptsDir: fixture.deviceScriptsDir,
    outDir: out,
  });
  expect(summary.failed).toBe(0);
  roots += 1;
  const root = join(fixture.dir, `device-${roots}`);
  mkdirSync(join(root, 'tmp'), { recursive: true });
  execFileSync('tar', ['-xzf', join(out, 'dev', 'sensor-002.tar.gz'), '-C', join(root, 'tmp')]);
  return { root, bundle: join(root, 'tmp', 'sensor-002') };
}

function install(root: string, bundle: string, args: string[] = []): Promise<ProcessResult> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('KEYLESS_') && !key.startsWith('AWS_')) env[key] = value;
  }
  return runProcess('dash', [join(bundle, 'install.sh'), '--skip-check', ...args], {
    env: { ...env, KEYLESS_ROOT: root },
  });
}

const IN_TOKEN: DeviceKeyConfig = {
  store: 'pkcs11',
  token: 'keyless',
  module: SOFTHSM_MODULE,
};

test('installs no key file and keeps the key URI as it is in device.json', async () => {
  const { root, bundle } = await unpackBundle({ ...IN_TOKEN, pinFile: token.pinFile });

  const result = await install(root, bundle);

  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('the private key stays in its PKCS#11 token');
  expect(existsSync(join(root, 'opt/keyless/certs/private.pem.key'))).toBe(false);
  expect(existsSync(join(root, 'opt/keyless/certs/certificate.pem.crt'))).toBe(true);
  const installed = JSON.parse(readFileSync(join(root, 'etc/keyless/device.json'), 'utf8')) as {
    x509: Record<string, string>;
  };
  expect(installed.x509).toMatchObject({
    keyFile: 'pkcs11:token=keyless;object=sensor-002;type=private',
    pkcs11Module: SOFTHSM_MODULE,
    pinFile: token.pinFile,
    certFile: `${root}/opt/keyless/certs/certificate.pem.crt`,
  });
});

test('refuses --key for a key in a token', async () => {
  const { root, bundle } = await unpackBundle({ ...IN_TOKEN, pinFile: token.pinFile });

  const result = await install(root, bundle, ['--key', token.pinFile]);

  expect(result.code).not.toBe(0);
  expect(result.stderr).toContain('--key does not apply');
  expect(existsSync(join(root, 'opt/keyless/certs/private.pem.key'))).toBe(false);
});

test('a module that is not on the device stops the install, naming it', async () => {
  const { root, bundle } = await unpackBundle({
    ...IN_TOKEN,
    module: '/usr/lib/no-such-pkcs11.so',
    pinFile: token.pinFile,
  });

  const result = await install(root, bundle);

  expect(result.code).not.toBe(0);
  expect(result.stderr).toContain(
    'the PKCS#11 module /usr/lib/no-such-pkcs11.so (x509.pkcs11Module) does not exist',
  );
  expect(existsSync(join(root, 'etc/keyless/device.json'))).toBe(false);
});

test('a PIN file that is not on the device stops the install, naming it', async () => {
  const { root, bundle } = await unpackBundle({ ...IN_TOKEN, pinFile: '/etc/keyless/no-such-pin' });

  const result = await install(root, bundle);

  expect(result.code).not.toBe(0);
  expect(result.stderr).toContain('the PIN file /etc/keyless/no-such-pin (x509.pinFile) does not exist');
});
