import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeCertificateCommand } from '@aws-sdk/client-iot';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { ARCHIVE_MTIME } from '../../../lib/cli/bundle/archive';
import { buildBundles, type BuildBundlesOptions, type BundleTarget } from '../../../lib/cli/bundle/build';
import { certificateIdOutput, fleetStackName } from '../../../lib/contract';
import { devConfig, fleetLayoutOf, REPO_ROOT } from '../../support/cdk-app';
import {
  BundleFixture,
  certificateIdOf,
  CREDENTIALS_ENDPOINT,
  DEVICE_BUCKET,
  deviceConfigContract,
  readArchive,
  REGION,
  ROLE_ALIAS,
} from './bundle-fixture';

const fixture = new BundleFixture();
const PACKAGE_VERSION = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;
const ALL: BundleTarget[] = [
  { name: 'sensor-001', source: 'x509' },
  { name: 'sensor-002', source: 'x509' },
  { name: 'sim-001', source: 'krypton', mode: 'credentials' },
];
let outDir: string;

beforeEach(() => {
  fixture.reset();
  outDir = mkdtempSync(join(fixture.dir, 'out-'));
});

afterAll(() => fixture.dispose());

function options(overrides: Partial<BuildBundlesOptions> = {}): BuildBundlesOptions {
  return {
    config: fixture.config,
    clients: fixture.clients(),
    targets: ALL,
    repoRoot: fixture.repoRoot,
    deviceScriptsDir: fixture.deviceScriptsDir,
    outDir,
    keyOnDevice: true,
    ...overrides,
  };
}

function bundleFile(name: string): string {
  return join(outDir, 'dev', `${name}.tar.gz`);
}

async function listing(name: string): Promise<string[]> {
  return (await readArchive(bundleFile(name))).map((e) => `${e.mode.toString(8).padStart(4, '0')} ${e.path}`);
}

async function fileIn(name: string, path: string): Promise<Buffer> {
  const entry = (await readArchive(bundleFile(name))).find((e) => e.path === `${name}/${path}`);
  if (!entry) throw new Error(`${path} not in ${name}'s bundle`);
  return entry.content;
}

const EXAMPLES = ['dynamodb_scan.py', 'get_secret.py', 'keyless_session.py', 's3_upload.py'];
const examplesListing = (name: string) =>
  EXAMPLES.map((f) => {
    const executable = readFileSync(join(fixture.deviceScriptsDir, 'examples', f), 'utf8').startsWith('#!');
    return `${executable ? '0755' : '0644'} ${name}/examples/${f}`;
  });

describe('keyless bundle: archive contents', () => {
  test('an operator-enrolled thing: sorted entries with fixed modes, owner and mtime; certificate and key 0600', async () => {
    const summary = await buildBundles(options());
    expect(summary).toMatchObject({ built: 3, failed: 0 });

    expect(await listing('sensor-001')).toEqual([
      '0755 sensor-001/',
      '0644 sensor-001/README.md',
      '0644 sensor-001/SHA256SUMS',
      '0644 sensor-001/aws-config',
      '0755 sensor-001/bin/',
      '0755 sensor-001/bin/keyless-credentials',
      '0755 sensor-001/certs/',
      '0644 sensor-001/certs/AmazonRootCA1.pem',
      '0600 sensor-001/certs/certificate.pem.crt',
      '0600 sensor-001/certs/private.pem.key',
      '0644 sensor-001/device.json',
      '0755 sensor-001/examples/',
      ...examplesListing('sensor-001'),
      '0755 sensor-001/install.sh',
    ]);
    for (const entry of await readArchive(bundleFile('sensor-001'))) {
      expect([entry.uid, entry.gid, entry.uname, entry.gname, entry.mtime]).toEqual([
        0,
        0,
        'root',
        'root',
        ARCHIVE_MTIME.getTime(),
      ]);
    }
    expect((await fileIn('sensor-001', 'certs/private.pem.key')).toString()).toBe(
      fixture.certificates['sensor-001'].keyPem,
    );
    expect((await fileIn('sensor-001', 'certs/certificate.pem.crt')).toString()).toBe(
      fixture.certificates['sensor-001'].certPem,
    );
    expect(await fileIn('sensor-001', 'bin/keyless-credentials')).toEqual(
      readFileSync(join(fixture.deviceScriptsDir, 'bin', 'keyless-credentials')),
    );
    expect(await fileIn('sensor-001', 'install.sh')).toEqual(
      readFileSync(join(fixture.deviceScriptsDir, 'install.sh')),
    );
    // The gzip header carries no timestamp: bytes 4-7 (MTIME) are zero.
    expect(readFileSync(bundleFile('sensor-001')).readUInt32LE(4)).toBe(0);
    // Bundles can hold keys: only the operator may read them.
    expect(statSync(bundleFile('sensor-001')).mode & 0o777).toBe(0o600);
  });

  test('a thing whose CSR came from the device: certificate but no private key anywhere in the bundle', async () => {
    await buildBundles(options({ targets: [ALL[1]] }));

    const entries = await readArchive(bundleFile('sensor-002'));
    expect(entries.map((e) => e.path)).toContain('sensor-002/certs/certificate.pem.crt');
    expect(entries.map((e) => e.path)).not.toContain('sensor-002/certs/private.pem.key');
    const everything = Buffer.concat(entries.map((e) => e.content)).toString();
    expect(everything).not.toMatch(/PRIVATE KEY/);
    expect((await fileIn('sensor-002', 'README.md')).toString()).toContain('sh install.sh --key ');
  });

  test('a Krypton SIM: no certificate, no key, no certs directory', async () => {
    await buildBundles(options({ targets: [ALL[2]] }));

    const paths = (await readArchive(bundleFile('sim-001'))).map((e) => e.path);
    expect(paths.filter((p) => p.includes('certs'))).toEqual([]);
    const everything = Buffer.concat(
      (await readArchive(bundleFile('sim-001'))).map((e) => e.content),
    ).toString();
    expect(everything).not.toMatch(/BEGIN CERTIFICATE|PRIVATE KEY/);
  });

  test('device.json satisfies the helper contract (DESIGN.md) with the deployed values', async () => {
    await buildBundles(options());

    const x509 = JSON.parse((await fileIn('sensor-001', 'device.json')).toString());
    expect(deviceConfigContract.safeParse(x509).error?.issues ?? []).toEqual([]);
    expect(x509).toEqual({
      source: 'x509',
      helperVersion: PACKAGE_VERSION,
      region: REGION,
      cacheDir: '/var/cache/keyless',
      refreshMarginSeconds: 1200,
      x509: {
        endpoint: `https://${CREDENTIALS_ENDPOINT}`,
        roleAlias: ROLE_ALIAS,
        thingName: 'sensor-001',
        certFile: '/opt/keyless/certs/certificate.pem.crt',
        keyFile: '/opt/keyless/certs/private.pem.key',
        caFile: '/opt/keyless/certs/AmazonRootCA1.pem',
      },
      s3: { bucket: DEVICE_BUCKET, prefix: 'things/sensor-001/' },
      secretsManager: { secretId: 'keyless-iot/dev/device-secret' },
      dynamodb: { tableName: 'keyless-iot-dev-reference' },
    });

    const krypton = JSON.parse((await fileIn('sim-001', 'device.json')).toString());
    expect(deviceConfigContract.safeParse(krypton).error?.issues ?? []).toEqual([]);
    expect(krypton).toMatchObject({
      source: 'krypton',
      helperVersion: PACKAGE_VERSION,
      region: REGION,
      krypton: { endpoint: 'https://krypton.soracom.io:8036', mode: 'credentials', coverage: 'jp' },
    });
    expect(krypton.x509).toBeUndefined();
  });

  test('global coverage without krypton.endpoint: refused before any AWS call, naming the field', async () => {
    // SORACOM documents no Krypton endpoint for Global coverage: the bundle does not invent a host.
    const config = {
      ...fixture.config,
      krypton: { ...fixture.config.krypton!, coverage: 'global' as const },
    };
    const clients = fixture.clients();

    await expect(
      buildBundles(
        options({ config, clients, targets: [{ name: 'sim-g', source: 'krypton', mode: 'open-id-token' }] }),
      ),
    ).rejects.toThrow(
      `${config.configFile}: krypton.endpoint is required for coverage global: SORACOM documents no Krypton endpoint for global coverage SIMs and keyless bundle does not guess one; set it to the endpoint SORACOM gives for your SIMs (docs/device-helper.md#krypton-endpoint)`,
    );
    expect(fixture.sts.calls()).toHaveLength(0);
  });

  test.each(['jp', 'global'] as const)(
    'coverage %s with krypton.endpoint in the config: the bundle writes that endpoint',
    async (coverage) => {
      const config = {
        ...fixture.config,
        krypton: { ...fixture.config.krypton!, coverage, endpoint: 'https://krypton.example.net:8036' },
      };
      await buildBundles(
        options({ config, targets: [{ name: 'sim-o', source: 'krypton', mode: 'credentials' }] }),
      );

      expect(JSON.parse((await fileIn('sim-o', 'device.json')).toString()).krypton).toEqual({
        endpoint: 'https://krypton.example.net:8036',
        mode: 'credentials',
        coverage,
      });
    },
  );

  test('every endpoint a bundle writes is one AWS or SORACOM documents, or the one the config names', async () => {
    await buildBundles(options());
    const endpoints = await Promise.all(
      ['sensor-001', 'sim-001'].map(async (name) => {
        const device = JSON.parse((await fileIn(name, 'device.json')).toString());
        return (device.x509 ?? device.krypton).endpoint as string;
      }),
    );
    // The IoT credentials provider endpoint comes from DescribeEndpoint (iot:CredentialProvider) in the account;
    // the Krypton one is SORACOM's documented endpoint for SIMs on SORACOM Air (Japan coverage).
    expect(endpoints).toEqual([`https://${CREDENTIALS_ENDPOINT}`, 'https://krypton.soracom.io:8036']);
  });

  test('the bundle records the helper version it ships, and that helper prints it', async () => {
    await buildBundles(options({ targets: [ALL[0]] }));

    const device = JSON.parse((await fileIn('sensor-001', 'device.json')).toString());
    expect(device.helperVersion).toBe(PACKAGE_VERSION);
    expect((await fileIn('sensor-001', 'README.md')).toString()).toContain(
      `The helper in this bundle is keyless-credentials ${PACKAGE_VERSION} (`,
    );
    const helper = join(outDir, 'bundled-helper');
    writeFileSync(helper, await fileIn('sensor-001', 'bin/keyless-credentials'), { mode: 0o755 });
    expect(execFileSync('sh', [helper, '--version']).toString()).toBe(
      `keyless-credentials ${PACKAGE_VERSION}\n`,
    );
  });

  test('SHA256SUMS lists every file with its digest and sha256sum -c accepts it', async () => {
    await buildBundles(options({ targets: [ALL[0]] }));

    const entries = (await readArchive(bundleFile('sensor-001'))).filter((e) => e.type === 'File');
    const sums = entries.find((e) => e.path === 'sensor-001/SHA256SUMS')!.content.toString();
    const expected = entries
      .filter((e) => e.path !== 'sensor-001/SHA256SUMS')
      .map(
        (e) =>
          `${createHash('sha256').update(e.content).digest('hex')}  ${e.path.slice('sensor-001/'.length)}`,
      )
      .sort((a, b) => (a.slice(66) < b.slice(66) ? -1 : 1));
    expect(sums.trimEnd().split('\n')).toEqual(expected);

    const unpacked = mkdtempSync(join(fixture.dir, 'unpacked-'));
    execFileSync('tar', ['-xzf', bundleFile('sensor-001'), '-C', unpacked]);
    expect(
      execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: join(unpacked, 'sensor-001') }).toString(),
    ).not.toMatch(/FAILED/);
  });

  test('two runs over the same deployment produce byte-identical archives, with the same reported SHA-256', async () => {
    const summary = await buildBundles(options());
    const first = ALL.map((t) => readFileSync(bundleFile(t.name)));
    outDir = mkdtempSync(join(fixture.dir, 'again-'));

    const again = await buildBundles(options());

    ALL.forEach((t, i) => expect(readFileSync(bundleFile(t.name)).equals(first[i])).toBe(true));
    // Each result carries its archive's digest: what the operator hands on for the out-of-band check.
    for (const result of [...summary.results, ...again.results]) {
      expect(result.sha256).toBe(createHash('sha256').update(readFileSync(result.file!)).digest('hex'));
    }
    expect(again.results.map((r) => r.sha256)).toEqual(summary.results.map((r) => r.sha256));
  });

  test('the bundle README: check the archive’s SHA-256 before unpacking; root updates with its own credentials', async () => {
    await buildBundles(options({ targets: [ALL[0]] }));

    const readme = (await fileIn('sensor-001', 'README.md')).toString();
    const check = readme.indexOf('sha256sum sensor-001.tar.gz');
    expect(check).toBeGreaterThan(0);
    expect(check).toBeLessThan(readme.indexOf('tar -xzf sensor-001.tar.gz'));
    expect(readme).toContain('SHA-256 that `keyless bundle` printed for sensor-001');
    expect(readme).not.toContain('sha256sum -c SHA256SUMS');
    const update = readme.slice(readme.indexOf('## Update the helper'));
    // No process of the service user fetches or writes what root installs: root's own credentials, through a
    // cache in root's own temporary directory, and the download straight into root's directory.
    expect(update).not.toMatch(/runuser|\bsu\b|setpriv/);
    expect(update).toContain(
      `jq --arg d "$work/cache" '.cacheDir = $d' /etc/keyless/device.json >"$work/device.json"`,
    );
    expect(update).toContain(
      'aws_root() { AWS_CONFIG_FILE="$work/aws-config" aws --profile keyless-update "$@"; }',
    );
    expect(update).toContain('new=$(mktemp /opt/keyless/bin/.keyless-credentials.XXXXXX)');
    expect(update).toMatch(/aws_root s3 cp "s3:\/\/.*bin\/keyless-credentials" - >"\$new"/);
    expect(update).toContain('mv "$new" /opt/keyless/bin/keyless-credentials');
  });
});

describe('keyless bundle: many devices', () => {
  test('at most 3 certificate lookups in flight; one failing device does not stop the others', async () => {
    const things = Array.from({ length: 12 }, (_, i) => `bulk-${String(i).padStart(2, '0')}`);
    // Not enrolled in the repository: the loader plans them onto shard 1, next to sensor-001 and sensor-002.
    const config = devConfig((raw) => {
      raw.iot!.things!.push(...things.map((name) => ({ name, attributes: { Owner: 'keyless' } })));
    });
    expect(things.map((t) => fleetLayoutOf(config).things.find((f) => f.name === t)?.shard)).toEqual(
      things.map(() => 1),
    );
    const fleet = fixture.stacks[fleetStackName('dev', 1)];
    fleet.Outputs = things.map((t) => ({
      OutputKey: certificateIdOutput(t).key,
      OutputValue: certificateIdOf(t),
    }));
    let inFlight = 0;
    let peak = 0;
    fixture.iot.on(DescribeCertificateCommand).callsFake(async (input: { certificateId: string }) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      if (input.certificateId === certificateIdOf('bulk-05')) {
        return { certificateDescription: { certificatePem: 'x', status: 'REVOKED' } };
      }
      return {
        certificateDescription: {
          certificatePem: fixture.certificates['sensor-002'].certPem,
          status: 'ACTIVE',
        },
      };
    });
    const done: string[] = [];
    const summary = await buildBundles(
      options({
        config,
        targets: things.map((name) => ({ name, source: 'x509' })),
        progress: { start: () => undefined, deviceDone: (r) => done.push(r.name), stop: () => undefined },
      }),
    );

    expect(peak).toBe(3);
    expect(summary).toMatchObject({ built: 11, failed: 1 });
    expect(summary.results.find((r) => r.error)).toEqual({
      name: 'bulk-05',
      source: 'x509',
      error: `certificate ${certificateIdOf('bulk-05')} of thing bulk-05 is REVOKED, not ACTIVE: the credentials provider would refuse it`,
    });
    expect([...done].sort()).toEqual(things);
  });
});

describe('keyless bundle: clear errors', () => {
  test('a stack that is not deployed: the device fails naming the stack and the deploy command', async () => {
    delete fixture.stacks['KeylessIot-dev-IotAccess'];

    const summary = await buildBundles(options());

    expect(summary).toMatchObject({ built: 1, failed: 2 });
    expect(summary.results.find((r) => r.name === 'sensor-001')?.error).toBe(
      'stack KeylessIot-dev-IotAccess is not deployed in account 111111111111 region ap-northeast-1: deploy it with `npx cdk deploy -c env=dev KeylessIot-dev-IotAccess`',
    );
  });

  test('no Data stack: nothing is built and the error names it', async () => {
    delete fixture.stacks['KeylessIot-dev-Data'];

    await expect(buildBundles(options())).rejects.toThrow(
      'stack KeylessIot-dev-Data is not deployed in account 111111111111 region ap-northeast-1: deploy it with `npx cdk deploy -c env=dev KeylessIot-dev-Data`',
    );
  });

  test('a stack mid-deployment is not read', async () => {
    fixture.stacks['KeylessIot-dev-KryptonAccess'].StackStatus = 'UPDATE_IN_PROGRESS';

    const summary = await buildBundles(options({ targets: [ALL[2]] }));

    expect(summary.results[0].error).toBe(
      'stack KeylessIot-dev-KryptonAccess is UPDATE_IN_PROGRESS, not deployed successfully: wait for the deployment to finish and try again',
    );
  });

  test('a thing without a certificate', async () => {
    fixture.stacks[fleetStackName('dev', 1)].Outputs = [];

    const summary = await buildBundles(options({ targets: [ALL[0]] }));

    expect(summary.results[0].error).toBe(
      `thing sensor-001 has no certificate: stack KeylessIot-dev-Fleet-1 has no output ${certificateIdOutput('sensor-001').key}. ` +
        'Give it a CSR (`npx keyless enroll --env dev --thing sensor-001`) and deploy `npx cdk deploy -c env=dev KeylessIot-dev-Fleet-1`',
    );
  });

  test('a missing private key fails that device unless the key is on the device', async () => {
    const summary = await buildBundles(options({ keyOnDevice: false }));

    expect(summary).toMatchObject({ built: 2, failed: 1 });
    expect(summary.results.find((r) => r.name === 'sensor-002')?.error).toMatch(
      /^missing private key .*fleet\/dev\/sensor-002\/private\.key for thing sensor-002: .* --key-on-device/,
    );
  });

  test('a key that does not belong to the certificate is refused without printing it', async () => {
    const keyFile = join(fixture.repoRoot, 'fleet', 'dev', 'sensor-001', 'private.key');
    writeFileSync(keyFile, fixture.certificates['sensor-002'].keyPem);
    try {
      const summary = await buildBundles(options({ targets: [ALL[0]] }));

      expect(summary.results[0].error).toMatch(
        /private\.key does not match certificate [0-9a-f]+ of thing sensor-001: the key was replaced/,
      );
      expect(summary.results[0].error).not.toContain('PRIVATE KEY');
    } finally {
      writeFileSync(keyFile, fixture.certificates['sensor-001'].keyPem);
    }
  });

  test('no AWS credentials', async () => {
    const error = new Error('Could not load credentials from any providers');
    error.name = 'CredentialsProviderError';
    fixture.sts.on(GetCallerIdentityCommand).rejects(error);

    await expect(buildBundles(options())).rejects.toThrow(
      'no AWS credentials found for account 111111111111: set AWS_PROFILE (or run `aws sso login` / `aws configure`) and try again',
    );
  });

  test('credentials for another account', async () => {
    fixture.sts
      .on(GetCallerIdentityCommand)
      .resolves({ Account: '222222222222', Arn: 'arn:aws:iam::222222222222:user/bob' });

    await expect(buildBundles(options())).rejects.toThrow(
      'the AWS credentials in use are for account 222222222222 (arn:aws:iam::222222222222:user/bob) but environment dev (config/dev.json) deploys to account 111111111111: use a profile for 111111111111',
    );
  });

  test('a client in another region than the environment', async () => {
    await expect(buildBundles(options({ clients: fixture.clients('us-east-1') }))).rejects.toThrow(
      'the AWS region in use is us-east-1 but environment dev (config/dev.json) is in ap-northeast-1: unset AWS_REGION/AWS_DEFAULT_REGION or set it to ap-northeast-1',
    );
  });

  test('a missing device script stops before any AWS call', async () => {
    const installer = join(fixture.deviceScriptsDir, 'install.sh');
    const saved = readFileSync(installer);
    unlinkSync(installer);
    try {
      await expect(buildBundles(options())).rejects.toThrow(`device script ${installer} is missing`);
      expect(fixture.sts.calls()).toHaveLength(0);
    } finally {
      writeFileSync(installer, saved);
    }
  });
});
