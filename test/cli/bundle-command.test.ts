import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { createBundleClients } from '../../lib/cli/bundle/aws';
import { assertCallerMatches } from '../../lib/cli/operator-clients';
import { archiveChecksums, progressFor, selectTargets, summaryLine } from '../../lib/cli/bundle';
import { buildProgram } from '../../lib/cli/program';
import { devConfig } from '../support/cdk-app';
import { callerIdentityXml } from '../emulators/operator-aws';

const config = devConfig();

describe('keyless bundle: which devices', () => {
  test('--all: every X.509 thing, then every SIM with its Krypton mode', () => {
    expect(selectTargets(config, { all: true })).toEqual([
      ...config.iot!.things.map((t) => ({ name: t.name, source: 'x509' })),
      { name: 'sim-001', source: 'krypton', mode: 'credentials' },
    ]);
  });

  test('--thing looks a name up under iot.things, then krypton.devices', () => {
    expect(selectTargets(config, { things: ['sim-001', 'sensor-001', 'sim-001'] })).toEqual([
      { name: 'sim-001', source: 'krypton', mode: 'credentials' },
      { name: 'sensor-001', source: 'x509' },
    ]);
  });

  test('--krypton bundles a SIM the config does not list, in the mode asked for', () => {
    expect(
      selectTargets(config, { things: ['sim-new'], krypton: true, kryptonMode: 'open-id-token' }),
    ).toEqual([{ name: 'sim-new', source: 'krypton', mode: 'open-id-token' }]);
  });

  test('unknown names, no selection, or both --thing and --all are refused with what is known', () => {
    expect(() => selectTargets(config, { things: ['nope'] })).toThrow(
      /^nope: not in iot.things or krypton.devices of config\/dev.json \(known: sensor-001, .*sim-001; add it, or pass --krypton for a SORACOM SIM\)$/,
    );
    expect(() => selectTargets(config, {})).toThrow(
      'name the devices with --thing NAME (repeatable) or pass --all',
    );
    expect(() => selectTargets(config, { all: true, things: ['sensor-001'] })).toThrow(
      'use either --thing or --all, not both',
    );
  });

  test('the command is registered with its options', () => {
    const bundle = buildProgram().commands.find((c) => c.name() === 'bundle')!;
    expect(bundle.options.map((o) => o.long)).toEqual([
      '--env',
      '--thing',
      '--all',
      '--krypton',
      '--krypton-mode',
      '--key-on-device',
      '--out',
      '--json',
    ]);
  });
});

describe('keyless bundle: output', () => {
  test('without a TTY: one plain line per device, failures with their cause', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
    const lines: string[] = [];
    stream.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    const progress = progressFor(stream);

    progress.start(2);
    progress.deviceDone({
      name: 'sensor-001',
      source: 'x509',
      file: `${process.cwd()}/dist/bundles/dev/sensor-001.tar.gz`,
      sha256: 'a'.repeat(64),
      includesPrivateKey: true,
    });
    progress.deviceDone({ name: 'sensor-002', source: 'x509', error: 'thing sensor-002 has no certificate' });
    progress.stop();

    expect(lines.join('')).toBe(
      `sensor-001: dist/bundles/dev/sensor-001.tar.gz (with private key) sha256 ${'a'.repeat(64)}\n` +
        'sensor-002: FAILED thing sensor-002 has no certificate\n',
    );
  });

  test('on a TTY: a progress bar, and failures listed once it is done', () => {
    const stream = Object.assign(new PassThrough(), {
      isTTY: true,
      columns: 100,
    }) as unknown as NodeJS.WriteStream;
    const chunks: string[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    const progress = progressFor(stream);

    progress.start(2);
    progress.deviceDone({ name: 'sensor-001', source: 'x509', file: 'x', includesPrivateKey: true });
    progress.deviceDone({ name: 'sensor-002', source: 'x509', error: 'thing sensor-002 has no certificate' });
    progress.stop();

    const output = chunks.join('');
    expect(output).toMatch(/bundles \[[^\]]*\] 2\/2 sensor-002/);
    expect(output.endsWith('sensor-002: FAILED thing sensor-002 has no certificate\n')).toBe(true);
    expect(output).not.toContain('sensor-001: ');
  });

  test('the summary counts bundles, warns about keys and names failures', () => {
    const line = summaryLine(
      {
        results: [
          { name: 'a', source: 'x509', file: 'x', includesPrivateKey: true },
          { name: 'b', source: 'krypton', file: 'y' },
          { name: 'c', source: 'x509', error: 'boom' },
        ],
        built: 2,
        failed: 1,
      },
      `${process.cwd()}/dist/bundles/dev`,
    );
    expect(line).toBe(
      '2 of 3 bundles written to dist/bundles/dev (1 hold a private key: copy them to their devices over a trusted channel, then delete them); 1 failed: c',
    );
  });

  test('the archives’ SHA-256s, in sha256sum format, for the built bundles only', () => {
    expect(
      archiveChecksums({
        results: [
          { name: 'a', source: 'x509', file: '/out/dev/a.tar.gz', sha256: '1'.repeat(64) },
          { name: 'c', source: 'x509', error: 'boom' },
          { name: 'b', source: 'krypton', file: '/out/dev/b.tar.gz', sha256: '2'.repeat(64) },
        ],
        built: 2,
        failed: 1,
      }),
    ).toEqual([`${'1'.repeat(64)}  a.tar.gz`, `${'2'.repeat(64)}  b.tar.gz`]);
  });
});

describe('keyless bundle: AWS clients', () => {
  let server: Server;
  let url: string;
  const requests: { host?: string; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        requests.push({ host: req.headers.host, body: Buffer.concat(chunks).toString() });
        res.writeHead(200, { 'Content-Type': 'text/xml' });
        res.end(callerIdentityXml('arn:aws:iam::111111111111:user/operator', '111111111111'));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /**
   * Runs `body` with only the given AWS_* variables set, restoring the environment afterwards. The SDK's own
   * Node-version notice switch (set for the test run in jest.config.js) is not a client setting: it stays.
   */
  async function withAwsEnv(vars: Record<string, string>, body: () => Promise<void>): Promise<void> {
    const saved = { ...process.env };
    const keep = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
    for (const key of Object.keys(process.env))
      if (key.startsWith('AWS_') && key !== keep) delete process.env[key];
    Object.assign(process.env, vars);
    try {
      await body();
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  }

  test('AWS_ENDPOINT_URL_STS points the identity check at another endpoint; retries are adaptive', async () => {
    await withAwsEnv(
      { AWS_ENDPOINT_URL_STS: url, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'not-a-secret' },
      async () => {
        const clients = createBundleClients(config, process.env);
        await assertCallerMatches(clients, config);

        expect(requests.at(-1)?.body).toContain('Action=GetCallerIdentity');
        for (const client of [clients.sts, clients.iot, clients.cloudFormation]) {
          expect(((await client.config.retryStrategy()) as { mode?: string }).mode).toBe('adaptive');
        }
      },
    );
  });

  test("the operator's AWS_REGION wins over the config, so a wrong region is reported, not corrected", async () => {
    const clients = createBundleClients(config, { AWS_REGION: 'eu-west-1' });
    expect(await clients.sts.config.region()).toBe('eu-west-1');
    expect(await createBundleClients(config, {}).sts.config.region()).toBe(config.region);
  });
});
