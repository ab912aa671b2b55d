import { existsSync, readdirSync } from 'node:fs';
import { ProcessResult } from '../support/run-process';
import { isoIn } from '../emulators/emulator-server';
import { helperEnv, parseOutput, runHelper } from './device-fixture';
import { SHELLS, startedDeviceFixture } from './shells';

/**
 * A hostile or broken endpoint is bounded (docs/device-helper.md#answer-bounds): the body's size, how far
 * ahead credentials may expire, and which characters of an answer reach stderr.
 */
const fixture = startedDeviceFixture(['dash', 'busybox', 'jq', 'curl', 'flock', 'openssl']);
const MAX_ANSWER_BYTES = 65536;
const LONGEST_LIFETIME = 43200;
const CLOCK_MARGIN = 900;

beforeEach(() => {
  for (const emulator of [fixture.credentialsProvider, fixture.krypton, fixture.cognito]) {
    emulator.faults.clear();
    emulator.issuer.lifetimeSeconds = 3600;
  }
});

function cacheFiles(config: string): string[] {
  const dir = fixture.cacheDirOf(config);
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.json')) : [];
}

/** One stderr line of printable ASCII (no ESC, BEL, CR, DEL, C1 or other control), without secrets. */
function printableLine(result: ProcessResult): string {
  const line = fixture.oneStderrLineWithoutSecrets(result);
  expect(result.stderr.endsWith('\n')).toBe(true);
  expect(line).toMatch(/^[\x20-\x7e]*$/);
  return line;
}

/** A credentials-provider answer padded with a `padding` field to exactly `size` bytes. */
function paddedAnswer(size: number): { body: string; token: string } {
  const token = `PaddedSessionToken${size}`;
  const answer = (padding: string) =>
    JSON.stringify({
      credentials: {
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
        sessionToken: token,
        expiration: isoIn(3600),
      },
      padding,
    });
  const body = answer('x'.repeat(size - answer('').length));
  expect(Buffer.byteLength(body)).toBe(size);
  return { body, token };
}

describe.each(SHELLS)('under %s, an oversized answer', (_name, shell) => {
  test('with a Content-Length above 64 KiB: refused unread (exit 6), not retried, nothing cached', async () => {
    const config = fixture.writeConfig('x509');
    fixture.credentialsProvider.faults.set({
      kind: 'flood',
      status: 200,
      bytes: 10 * 1024 * 1024,
      chunked: false,
    });
    const before = fixture.credentialsProvider.requests;

    const result = await runHelper(config, { shell });

    expect(result.code).toBe(6);
    expect(result.stdout).toBe('');
    expect(printableLine(result)).toMatch(
      /^keyless-credentials: the AWS IoT credentials provider at https:\/\/127\.0\.0\.1:\d+ answered with more than 65536 bytes \(Content-Length\): refused unread \(a real answer is a few KB\)$/,
    );
    expect(fixture.credentialsProvider.requests - before).toBe(1);
    expect(fixture.credentialsProvider.lastFlood?.finished).toBe(false);
    expect(cacheFiles(config)).toEqual([]);
  });

  test.each([200, 500])(
    'sent without a Content-Length (chunked), status %i: cut short after 64 KiB (exit 6)',
    async (status) => {
      const config = fixture.writeConfig('x509');
      const flood = 64 * 1024 * 1024;
      fixture.credentialsProvider.faults.set({ kind: 'flood', status, bytes: flood, chunked: true });
      const before = fixture.credentialsProvider.requests;

      const result = await runHelper(config, { shell });

      expect(result.code).toBe(6);
      expect(result.stdout).toBe('');
      expect(printableLine(result)).toMatch(
        /^keyless-credentials: the AWS IoT credentials provider at https:\/\/127\.0\.0\.1:\d+ answered with more than 65536 bytes: cut short and refused \(a real answer is a few KB\)$/,
      );
      expect(fixture.credentialsProvider.requests - before).toBe(1);
      // The helper hung up: the server never got to the end, and most of the flood was never even sent.
      const record = fixture.credentialsProvider.lastFlood!;
      expect(record.finished).toBe(false);
      expect(record.sent).toBeLessThan(flood / 2);
      expect(cacheFiles(config)).toEqual([]);
    },
  );

  test('the bound is exact: a 64 KiB answer is read, one byte more is refused (chunked)', async () => {
    const config = fixture.writeConfig('x509');
    const atLimit = paddedAnswer(MAX_ANSWER_BYTES);
    fixture.credentialsProvider.faults.set(
      { kind: 'status', status: 200, body: atLimit.body, chunked: true },
      { times: 1 },
    );
    const accepted = await runHelper(config, { shell, args: ['--force-refresh'] });
    expect(accepted.stderr).toBe('');
    expect(parseOutput(accepted).SessionToken).toBe(atLimit.token);

    const over = paddedAnswer(MAX_ANSWER_BYTES + 1);
    fixture.credentialsProvider.faults.set(
      { kind: 'status', status: 200, body: over.body, chunked: true },
      { times: 1 },
    );
    const refused = await runHelper(config, { shell, args: ['--force-refresh'] });
    expect(refused.code).toBe(6);
    expect(refused.stdout).toBe('');
    expect(printableLine(refused)).toContain('answered with more than 65536 bytes: cut short and refused');
    // The previous credentials stay cached and served.
    expect(parseOutput(await runHelper(config, { shell })).SessionToken).toBe(atLimit.token);
  });
});

describe('an expiration beyond the longest lifetime AWS issues', () => {
  const sources = [
    ['X.509 (ISO-8601)', 'x509', () => fixture.credentialsProvider],
    ['Krypton one hop (epoch milliseconds)', 'krypton-credentials', () => fixture.krypton],
    ['Krypton then Cognito (epoch seconds)', 'krypton-open-id-token', () => fixture.cognito],
  ] as const;

  test.each(sources)('%s: 43200 s is served and cached; beyond it plus the clock margin is exit 6, never cached', async (_name, source, issuerOf) => {
    const emulator = issuerOf();
    const config = fixture.writeConfig(source);

    emulator.issuer.lifetimeSeconds = LONGEST_LIFETIME;
    const longest = await runHelper(config);
    expect(longest.stderr).toBe('');
    expect(parseOutput(longest).SessionToken).toBe(emulator.issuer.issued.at(-1)!.sessionToken);
    expect(cacheFiles(config)).toHaveLength(1);

    // Inside the margin: a device clock a few minutes slow still works with 12-hour credentials.
    emulator.issuer.lifetimeSeconds = LONGEST_LIFETIME + CLOCK_MARGIN - 120;
    expect((await runHelper(config, { args: ['--force-refresh'] })).code).toBe(0);

    const far = fixture.writeConfig(source);
    emulator.issuer.lifetimeSeconds = LONGEST_LIFETIME + CLOCK_MARGIN + 120;
    const before = emulator.requests;
    const refused = await runHelper(far, { shell: ['busybox', 'sh'] });
    expect(refused.code).toBe(6);
    expect(refused.stdout).toBe('');
    expect(printableLine(refused)).toMatch(
      /returned credentials that expire at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, more than 43200 s \(the longest lifetime AWS issues, plus 900 s for clock skew\) after the device clock's \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: refusing to use or cache them \(check the device clock\)$/,
    );
    expect(emulator.requests - before).toBe(1);
    expect(cacheFiles(far)).toEqual([]);
  }); // prettier-ignore

  test.each([
    ['the year 9999', '9999-12-31T23:59:59Z', '9999-12-31T23:59:59Z'],
    ['1e300 seconds', 1e300, '1e+297 (epoch seconds)'],
    ['epoch milliseconds a century ahead', Date.now() + 100 * 365 * 86400 * 1000, /\d{4}-/],
  ])('%s: refused (exit 6) with a readable date', async (_name, expiration, shown) => {
    const config = fixture.writeConfig('x509');
    fixture.credentialsProvider.faults.set({
      kind: 'status',
      status: 200,
      body: {
        credentials: {
          accessKeyId: 'S3RVER',
          secretAccessKey: 'S3RVER',
          sessionToken: 'FarToken',
          expiration,
        },
      },
    });

    const result = await runHelper(config);

    expect(result.code).toBe(6);
    expect(result.stdout).toBe('');
    const line = printableLine(result);
    if (typeof shown === 'string') expect(line).toContain(`expire at ${shown}, more than 43200 s`);
    else expect(line).toMatch(shown);
    expect(cacheFiles(config)).toEqual([]);
  });
});

describe('only printable characters of an answer reach stderr', () => {
  // ESC sequences (colour, clear screen, set title), BEL, CR (overwrite the line), LF, TAB, DEL, a C1 CSI.
  const hostile = 'Invalid thing name passed\u001b[2J\u001b]0;owned\u0007\r\n\tX\u007f\u009b31m\u0000end';

  test('a JSON error message (X.509 403), under dash and busybox', async () => {
    for (const [, shell] of SHELLS) {
      const config = fixture.writeConfig('x509');
      fixture.credentialsProvider.faults.set({ kind: 'status', status: 403, body: { message: hostile } });

      const result = await runHelper(config, { shell });

      expect(result.code).toBe(4);
      const line = printableLine(result);
      expect(line).toContain("thing 'sensor-0001' is not attached to this certificate");
      expect(line).toContain('Invalid thing name passed?[2J?]0;owned');
    }
  });

  test('a raw, non-JSON 5xx body', async () => {
    const config = fixture.writeConfig('x509');
    fixture.credentialsProvider.faults.set({
      kind: 'status',
      status: 502,
      body: Buffer.from(
        `<html>\u001b[31mbad gateway\u0007\r\n${'\u00ff\u0080\u001b'.repeat(50)}</html>`,
        'latin1',
      ),
    });

    const result = await runHelper(config, { env: helperEnv({ KEYLESS_MAX_ATTEMPTS: '1' }) });

    expect(result.code).toBe(5);
    expect(printableLine(result)).toContain('answered HTTP 502 <html>?[31mbad gateway?');
  });

  test('Krypton and Cognito refusals', async () => {
    const krypton = fixture.writeConfig('krypton-credentials');
    fixture.krypton.faults.set({ kind: 'status', status: 403, body: { code: 'AUM', message: hostile } });
    const refused = await runHelper(krypton);
    expect(refused.code).toBe(4);
    expect(printableLine(refused)).toContain('SORACOM Krypton refused the request: HTTP 403 Invalid thing name passed?[2J');

    const cognito = fixture.writeConfig('krypton-open-id-token');
    fixture.krypton.faults.clear();
    fixture.cognito.faults.set({
      kind: 'status',
      status: 400,
      body: { __type: 'com.amazon#NotAuthorized\u001b[5m\u009b', message: hostile },
    });
    const cognitoRefused = await runHelper(cognito);
    expect(cognitoRefused.code).toBe(4);
    expect(printableLine(cognitoRefused)).toContain('GetCredentialsForIdentity: HTTP 400 NotAuthorized?[5m?');
  }); // prettier-ignore
});
