import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { KeylessConfig } from '../../../lib/config';
import type { DeviceKeyConfig } from '../../../lib/config/sections/device-key';
import { buildBundles, type BuildBundlesOptions } from '../../../lib/cli/bundle/build';
import { devConfig } from '../../support/cdk-app';
import { BundleFixture, deviceConfigContract, readArchive } from './bundle-fixture';

// Things whose key lives in a PKCS#11 token on the device: the config says so (per thing or for the fleet),
// the bundle carries no key and its device.json names the key by its pkcs11: URI.

const fixture = new BundleFixture();
const TOKEN_KEY: DeviceKeyConfig = {
  store: 'pkcs11',
  token: 'keyless',
  module: '/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so',
  pinFile: '/etc/keyless/token-pin',
};
let outDir: string;

beforeEach(() => {
  fixture.reset();
  outDir = mkdtempSync(join(fixture.dir, 'out-'));
});

afterAll(() => fixture.dispose());

/** The dev config (as loaded and validated) with `deviceKey` for the fleet and/or for single things. */
function withDeviceKeys(
  fleet?: DeviceKeyConfig,
  things: Record<string, DeviceKeyConfig> = {},
): KeylessConfig {
  return devConfig((raw) => {
    const iot = raw.iot!;
    if (fleet) iot.deviceKey = fleet;
    for (const thing of iot.things ?? []) {
      if (things[thing.name]) thing.deviceKey = things[thing.name];
    }
  });
}

function options(config: KeylessConfig, names: string[]): BuildBundlesOptions {
  return {
    config,
    clients: fixture.clients(),
    targets: names.map((name) => ({ name, source: 'x509' })),
    repoRoot: fixture.repoRoot,
    deviceScriptsDir: fixture.deviceScriptsDir,
    outDir,
  };
}

async function deviceJson(name: string): Promise<{ x509: Record<string, string> }> {
  const entries = await readArchive(join(outDir, 'dev', `${name}.tar.gz`));
  const entry = entries.find((e) => e.path === `${name}/device.json`)!;
  return JSON.parse(entry.content.toString()) as { x509: Record<string, string> };
}

test('a thing whose key is in a token: device.json names it by URI, module and PIN file; no key in the bundle', async () => {
  const summary = await buildBundles(
    options(withDeviceKeys(undefined, { 'sensor-002': TOKEN_KEY }), ['sensor-002']),
  );

  expect(summary.results[0]).toMatchObject({ name: 'sensor-002', includesPrivateKey: false });
  const config = await deviceJson('sensor-002');
  expect(deviceConfigContract.safeParse(config).error?.issues ?? []).toEqual([]);
  expect(config.x509).toMatchObject({
    keyFile: 'pkcs11:token=keyless;object=sensor-002;type=private',
    pkcs11Module: TOKEN_KEY.module,
    pinFile: TOKEN_KEY.pinFile,
  });
  const entries = await readArchive(join(outDir, 'dev', 'sensor-002.tar.gz'));
  expect(entries.map((e) => e.path)).not.toContain('sensor-002/certs/private.pem.key');
  expect(Buffer.concat(entries.map((e) => e.content)).toString()).not.toMatch(/PRIVATE KEY/);
  const readme = entries.find((e) => e.path === 'sensor-002/README.md')!.content.toString();
  expect(readme).toContain('sh install.sh   # the key stays in PKCS#11 token keyless');
  expect(readme).not.toContain('--key');
});

test('the fleet default applies to every thing, a thing of its own overrides it', async () => {
  const config = withDeviceKeys(
    { store: 'pkcs11', token: 'fleet', object: 'device-key' },
    { 'sensor-002': { store: 'pkcs11', token: 'own' } },
  );

  await buildBundles(options(config, ['sensor-002']));

  expect((await deviceJson('sensor-002')).x509.keyFile).toBe(
    'pkcs11:token=own;object=sensor-002;type=private',
  );
  expect((await deviceJson('sensor-002')).x509.pkcs11Module).toBeUndefined();
});

test('a key file made off the device for a thing the config puts in a token stops that bundle, naming both', async () => {
  // sensor-001 has fleet/dev/sensor-001/private.key: keyless enroll made the key, not the token.
  const summary = await buildBundles(
    options(withDeviceKeys({ store: 'pkcs11', token: 'keyless' }), ['sensor-001']),
  );

  expect(summary.failed).toBe(1);
  expect(summary.results[0].error).toContain('thing sensor-001 keeps its key in PKCS#11 token keyless');
  expect(summary.results[0].error).toContain('fleet/dev/sensor-001/private.key exists');
});

test('the config section: a token label outside the rule, or a relative module path, is refused', () => {
  const load = () =>
    withDeviceKeys({ store: 'pkcs11', token: 'my token', module: 'lib/p11.so' } as DeviceKeyConfig);

  expect(load).toThrow(/iot\.deviceKey\.token: expected 1-128 characters from A-Z a-z 0-9 \. _ ~ : @ -/);
  expect(load).toThrow(/iot\.deviceKey\.module: expected an absolute path/);
});
