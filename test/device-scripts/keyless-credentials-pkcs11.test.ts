import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalS3 } from '../support/local-aws';
import { ProcessResult, runProcess } from '../support/run-process';
import { requireTool, TOOLS } from '../support/test-tools';
import { isPkcs11KeyUri } from '../../lib/contract';
import { DeviceFixture, HELPER, helperEnv, parseOutput, runHelper, THING } from './device-fixture';
import { SOFTHSM_MODULE, SoftHsmToken } from './softhsm-token';

// A device whose key lives in a PKCS#11 token (SoftHSM2 here; a TPM or a secure element on real hardware):
// the key is made in the token by --make-csr, never leaves it, and curl uses it through the OpenSSL engine.

const BUCKET = 'keyless-device-data';
const fixture = new DeviceFixture();
const s3 = new LocalS3([BUCKET]);
let token: SoftHsmToken;
const URI = `pkcs11:token=keyless;object=${THING};type=private`;
/** Every output the tests saw, searched for the PIN at the end. */
const outputs: string[] = [];

beforeAll(async () => {
  for (const tool of ['dash', 'busybox', 'jq', 'curl', 'flock', 'openssl', 'softhsm2-util', 'pkcs11-tool']) {
    requireTool(tool);
  }
  token = new SoftHsmToken('keyless');
  await fixture.start();
  await s3.start();
});

afterAll(async () => {
  await s3.stop();
  await fixture.stop();
  token.dispose();
});

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return helperEnv({ ...token.env(), ...extra });
}

/** A device.json naming the key in the token (and, by default, the certificate issued for its CSR). */
function tokenConfig(x509: object = {}): string {
  const config = fixture.writeConfig('x509', {
    x509: {
      certFile: tokenCertificate(),
      keyFile: URI,
      pkcs11Module: SOFTHSM_MODULE,
      pinFile: token.pinFile,
      ...x509,
    },
  });
  // The AWS CLI profile install.sh writes next to device.json, which --check looks at.
  writeFileSync(
    join(config, '..', 'aws-config'),
    `[profile keyless]\nregion = ap-northeast-1\ncredential_process = ${HELPER} --config ${config}\n`,
  );
  return config;
}

async function run(
  config: string,
  options: { shell?: string[]; args?: string[]; env?: NodeJS.ProcessEnv } = {},
) {
  const result = await runHelper(config, {
    shell: options.shell,
    args: options.args,
    env: options.env ?? env(),
  });
  outputs.push(result.stdout, result.stderr);
  return result;
}

function csrPublicKey(csr: string): string {
  return execFileSync('openssl', ['req', '-noout', '-pubkey'], { input: csr, encoding: 'utf8' });
}

let certificate: string | undefined;
/** The certificate the CA issued for the token's CSR, registered with the credentials provider for THING. */
function tokenCertificate(): string {
  if (!certificate) throw new Error('the --make-csr test issues the certificate first');
  return certificate;
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((file) => statSync(file).isFile());
}

describe('keyless-credentials --make-csr with a SoftHSM2 token', () => {
  test('on an empty token it makes one never-extractable P-256 key and prints a CSR for the thing that verifies', async () => {
    expect(token.privateKeys(THING)).toHaveLength(0);
    // Before enrollment the device has no certificate and no bundle: the CSR needs only the thing and the key.
    const config = fixture.writeConfig('x509', {
      x509: {
        endpoint: undefined,
        roleAlias: undefined,
        certFile: undefined,
        caFile: undefined,
        keyFile: URI,
        pkcs11Module: SOFTHSM_MODULE,
        pinFile: token.pinFile,
      },
    });

    const result = await run(config, { args: ['--make-csr'] });

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^-----BEGIN CERTIFICATE REQUEST-----\n[\s\S]+-----END CERTIFICATE REQUEST-----\n$/,
    );
    const verified = execFileSync('openssl', ['req', '-noout', '-verify', '-subject', '-text'], {
      input: result.stdout,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    expect(verified).toContain(`subject=CN = ${THING}`);
    expect(verified).toContain('NIST CURVE: P-256');
    const keys = token.privateKeys(THING);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/Access:\s+sensitive, always sensitive, never extractable, local/);

    // The CA issues the certificate for it, as AWS IoT does for `keyless enroll --csr`.
    const issued = fixture.pki.issueForCsr('token', result.stdout);
    fixture.credentialsProvider.registerCertificate(issued.fingerprint256, { things: [THING] });
    certificate = issued.certFile;
  });

  test('a second call (busybox ash) reuses the key: the same public key, still one key in the token', async () => {
    const config = fixture.writeConfig('x509', {
      x509: { keyFile: URI, pkcs11Module: SOFTHSM_MODULE, pinFile: token.pinFile },
    });
    const first = execFileSync('openssl', ['x509', '-noout', '-pubkey', '-in', tokenCertificate()], {
      encoding: 'utf8',
    });

    const result = await run(config, { shell: ['busybox', 'sh'], args: ['--make-csr'] });

    expect(result.code).toBe(0);
    expect(csrPublicKey(result.stdout)).toBe(first);
    expect(token.privateKeys(THING)).toHaveLength(1);
  });

  test('a config whose key is a file is told that --make-csr makes keys in a token', async () => {
    const result = await run(fixture.writeConfig('x509'), { args: ['--make-csr'] });

    expect(result.code).toBe(3);
    expect(result.stderr).toContain('x509.keyFile must be a pkcs11: URI');
  });
});

describe.each([
  ['dash', ['dash']],
  ['busybox ash', ['busybox', 'sh']],
])('keyless-credentials under %s with the key in the token', (_name, shell) => {
  test('fetches credentials over mutual TLS with the token key, then answers from the cache', async () => {
    const config = tokenConfig();
    const before = fixture.credentialsProvider.requests;

    const first = await run(config, { shell });
    const second = await run(config, { shell });

    expect(first.stderr).toBe('');
    const output = parseOutput(first);
    expect(output.SessionToken).toBe(fixture.credentialsProvider.issuer.issued.at(-1)!.sessionToken);
    expect(second.stdout).toBe(first.stdout);
    expect(fixture.credentialsProvider.requests - before).toBe(1);
  });

  test('--check passes, proving the token key and the certificate are a pair', async () => {
    const result = await run(tokenConfig(), { shell, args: ['--check'] });

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      / 4\. key +pass +the private key 'sensor-0001' in token 'keyless' signed a challenge/,
    );
    expect(result.stdout).toContain('RESULT: OK');
  });
});

describe('--check and a fetch name what is wrong with the token', () => {
  test("a certificate that is not the token's fails the key step, saying so", async () => {
    const result = await run(tokenConfig({ certFile: fixture.device.certFile }), { args: ['--check'] });

    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/ 4\. key +FAIL +the certificate \S+ is not the token's/);
  });

  test('a wrong PIN fails the key step naming the PIN file, and a fetch is refused and remembered', async () => {
    const wrong = join(fixture.dir, 'wrong-pin');
    writeFileSync(wrong, '000000\n', { mode: 0o600 });
    const config = tokenConfig({ pinFile: wrong });

    const check = await run(config, { args: ['--check'] });
    const fetch = await run(config);
    const again = await run(config);

    expect(check.code).toBe(4);
    expect(check.stdout).toMatch(
      / 4\. key +FAIL +token 'keyless' refused the PIN in x509.pinFile \S+wrong-pin/,
    );
    expect(fetch.code).toBe(4);
    expect(fixture.oneStderrLineWithoutSecrets(fetch)).toMatch(
      /token 'keyless' refused the PIN in x509.pinFile/,
    );
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('(remembered: asks again in');
  });

  test('a missing module fails by name, in --check and in a fetch', async () => {
    const config = tokenConfig({ pkcs11Module: '/usr/lib/no-such-pkcs11-module.so' });

    const check = await run(config, { args: ['--check'] });
    const fetch = await run(config);

    expect(check.code).toBe(3);
    expect(check.stdout).toMatch(
      / 3\. files +FAIL +.*x509.pkcs11Module \/usr\/lib\/no-such-pkcs11-module.so does not exist/,
    );
    expect(fetch.code).toBe(3);
    expect(fetch.stderr).toContain('x509.pkcs11Module /usr/lib/no-such-pkcs11-module.so does not exist');
  });

  test('a token that is not there is named, not taken for a wrong PIN', async () => {
    const config = tokenConfig({ keyFile: `pkcs11:token=elsewhere;object=${THING}` });

    const check = await run(config, { args: ['--check'] });
    const fetch = await run(config);

    expect(check.code).toBe(7);
    expect(check.stdout).toMatch(/ 4\. key +FAIL +token 'elsewhere' is not present/);
    expect(fetch.code).toBe(7);
    expect(fetch.stderr).toContain("token 'elsewhere' is not present");
  });

  test('without the OpenSSL PKCS#11 engine a fetch exits 7 naming the package', async () => {
    const empty = join(fixture.dir, 'no-engines');
    mkdirSync(empty, { recursive: true });

    const result = await run(tokenConfig(), { env: env({ OPENSSL_ENGINES: empty }) });

    expect(result.code).toBe(7);
    expect(result.stderr).toContain('install libengine-pkcs11-openssl');
  });

  test('a PIN file every local user can read is refused', async () => {
    const open = join(fixture.dir, 'open-pin');
    writeFileSync(open, `${token.pin}\n`, { mode: 0o644 });

    const result = await run(tokenConfig({ pinFile: open }));

    expect(result.code).toBe(3);
    expect(result.stderr).toContain('is readable by every local user');
  });
});

describe('device.json rules for a key in a token', () => {
  test.each([
    ['a PIN in the URI', `pkcs11:token=keyless;object=${THING};pin-value=1234`],
    ['a query', `pkcs11:token=keyless;object=${THING}?pin-source=file:/tmp/pin`],
    ['no token', `pkcs11:object=${THING}`],
    ['a public key', `pkcs11:token=keyless;object=${THING};type=public`],
    ['an attribute twice', `pkcs11:token=keyless;object=${THING};token=other`],
  ])('refuses %s', async (_what, keyFile) => {
    const result = await run(tokenConfig({ keyFile }));

    expect(result.code).toBe(3);
    expect(result.stderr).toContain('x509.keyFile must be a pkcs11: URI naming one private key');
  });

  test('the helper and lib/contract (the bundle) agree on every key URI of a table', async () => {
    const values = [
      `pkcs11:token=keyless;object=${THING};type=private`, `pkcs11:object=${THING};token=keyless`,
      'pkcs11:token=a.b_c~d:e@f-g;object=x', `pkcs11:token=${'t'.repeat(128)};object=o`,
      `pkcs11:token=${'t'.repeat(129)};object=o`, 'pkcs11:token=a;object=b;type=public', 'pkcs11:token=a;object=b;',
      'pkcs11:token=a;object=', 'pkcs11:token=a%20b;object=b', 'pkcs11:token=a;object=b;id=%01',
      'pkcs11:token=a;object=b?pin-value=1', 'pkcs11:token=a;object=b\n', 'pkcs11:token=a', 'PKCS11:token=a;object=b',
      'pkcs11:token=a;token=a;object=b', 'pkcs11:token=a;object=b;type=private;type=private', 'pkcs11:token=é;object=b',
    ]; // prettier-ignore
    const helperVerdicts: [string, boolean][] = [];
    for (const keyFile of values) {
      const result = await run(fixture.writeConfig('x509', { x509: { keyFile } }), { args: ['--make-csr'] });
      const refused = result.stderr.includes('x509.keyFile must be');
      helperVerdicts.push([keyFile, !refused]);
    }

    expect(helperVerdicts).toEqual(values.map((value) => [value, isPkcs11KeyUri(value)]));
    expect(helperVerdicts.filter(([, valid]) => valid)).toHaveLength(4);
  });

  test('refuses a module or PIN file next to a key in a file', async () => {
    const result = await run(fixture.writeConfig('x509', { x509: { pinFile: token.pinFile } }));

    expect(result.code).toBe(3);
    expect(result.stderr).toContain('x509.pinFile is set but x509.keyFile is a file');
  });
});

describe('AWS CLI v2 with the token key', () => {
  test('s3 cp through the profile: credential_process fetches once with the token key', async () => {
    const config = tokenConfig();
    const home = join(config, '..', 'home');
    mkdirSync(join(home, '.aws'), { recursive: true });
    const awsConfig = join(home, '.aws', 'config');
    writeFileSync(
      awsConfig,
      [
        '[profile device]',
        'region = ap-northeast-1',
        `credential_process = dash ${HELPER} --config ${config}`,
        '',
      ].join('\n'),
    );
    const awsEnv = env({
      HOME: home,
      AWS_CONFIG_FILE: awsConfig,
      AWS_SHARED_CREDENTIALS_FILE: join(home, '.aws', 'credentials'),
      AWS_PROFILE: 'device',
      AWS_PAGER: '',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    const upload = join(home, 'reading.csv');
    writeFileSync(upload, 'time,celsius\n1,21.5\n');
    const before = fixture.credentialsProvider.requests;
    const aws = (args: string[]): Promise<ProcessResult> =>
      runProcess(requireTool(TOOLS.aws), ['--endpoint-url', s3.url, ...args], {
        env: awsEnv,
        timeoutMs: 90000,
      });

    const put = await aws(['s3', 'cp', upload, `s3://${BUCKET}/things/${THING}/reading.csv`]);
    const list = await aws(['s3', 'ls', `s3://${BUCKET}/things/${THING}/`]);
    outputs.push(put.stdout, put.stderr, list.stdout, list.stderr);

    expect(put.code).toBe(0);
    expect(list.stdout).toContain('reading.csv');
    expect(fixture.credentialsProvider.requests - before).toBe(1);
  });
});

describe('the key and the PIN stay where they belong', () => {
  test('no argument list of any process, nor the environment of the helper, curl or openssl, holds the PIN', async () => {
    const seen: string[] = [];
    let environs = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
          try {
            const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
            if (cmdline.includes('keyless-credentials') || /curl|openssl|pkcs11-tool/.test(cmdline))
              seen.push(cmdline);
            if (cmdline.includes(token.pin)) seen.push(`PIN IN ARGV: ${cmdline}`);
            // pkcs11-tool alone gets it in its environment (--pin env:NAME): no other child needs it.
            if (/keyless-credentials|curl|openssl/.test(cmdline) && !cmdline.includes('pkcs11-tool')) {
              environs += 1;
              if (readFileSync(`/proc/${pid}/environ`, 'utf8').includes(token.pin)) {
                seen.push(`PIN IN ENVIRONMENT: ${cmdline}`);
              }
            }
          } catch {
            // The process ended between readdir and read.
          }
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const config = tokenConfig();
    try {
      for (const shell of [['dash'], ['busybox', 'sh']]) {
        await run(config, { shell, args: ['--force-refresh'] });
        await run(config, { shell, args: ['--check'] });
        await run(config, { shell, args: ['--make-csr'] });
      }
    } finally {
      sampling = false;
      await sampler;
    }

    expect(seen.some((line) => line.includes('curl') && line.includes('pkcs11:'))).toBe(true);
    expect(environs).toBeGreaterThan(0);
    expect(seen.filter((line) => line.startsWith('PIN IN'))).toEqual([]);
  });

  test("no file under the device's directories holds a private key or the PIN, and no output shows the PIN", () => {
    const files = filesUnder(fixture.dir);
    expect(files.some((file) => file.includes('/cache/credentials-'))).toBe(true);
    for (const file of files) {
      const content = readFileSync(file, 'utf8');
      expect({ file, privateKey: /PRIVATE KEY/.test(content) && !file.includes('/client-') }).toEqual({
        file,
        privateKey: false,
      });
      if (file.endsWith('open-pin')) continue; // the refused world-readable PIN file the test wrote itself
      expect({ file, pin: content.includes(token.pin) }).toEqual({ file, pin: false });
    }
    for (const output of outputs) expect(output).not.toContain(token.pin);
  });
});
