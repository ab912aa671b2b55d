import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmulatorServer } from '../emulators/emulator-server';
import { hostileString, mutatedBody, SeededRandom } from '../support/hostile-inputs';
import { ProcessResult } from '../support/run-process';
import { helperEnv, runHelper } from './device-fixture';
import { SHELLS, startedDeviceFixture } from './shells';

/**
 * Generated adversarial inputs for the helper's config pass and its four answer parsers (x509, Krypton one
 * hop, open_id_tokens, Cognito), from a fixed seed. Whatever comes in, the helper prints either nothing or one
 * complete credential_process JSON, exits with a documented code, and says why on one printable line.
 * KEYLESS_FUZZ_SEED=<n> replays another seed; the default keeps the suite deterministic.
 */
const SEED = Number(process.env.KEYLESS_FUZZ_SEED ?? 0x6b65796c);
const CONFIG_CASES = 40;
const ANSWER_CASES = 24;
const DOCUMENTED_EXIT_CODES = [0, 2, 3, 4, 5, 6, 7];
const LONGEST_AHEAD_SECONDS = 43200 + 900;

const fixture = startedDeviceFixture(['dash', 'busybox', 'jq', 'curl', 'flock', 'openssl']);
let home: string;

beforeAll(async () => {
  // A config whose cacheDir the generator removed falls back to $XDG_CACHE_HOME: keep that in the scratch area.
  home = mkdtempSync(join(tmpdir(), 'keyless-fuzz-home-'));
});

afterAll(async () => {
  rmSync(home, { recursive: true, force: true });
});

/** No retries (a malformed answer fails at once) and no cache outside the scratch area. */
function fuzzEnv(): NodeJS.ProcessEnv {
  return helperEnv({ KEYLESS_MAX_ATTEMPTS: '1', HOME: home, XDG_CACHE_HOME: join(home, 'cache') });
}

/** Throws with everything needed to replay the case when the helper breaks its contract. */
function checkContract(result: ProcessResult, input: Buffer | string, what: string): void {
  const problems: string[] = [];
  const startedAt = Math.floor(Date.now() / 1000) - 120;
  if (result.signal !== null || !DOCUMENTED_EXIT_CODES.includes(result.code ?? -1)) {
    problems.push(`exit ${String(result.code)} / signal ${String(result.signal)} is not a documented exit`);
  }
  if (result.code === 0) {
    if (result.stderr !== '') problems.push('stderr is not empty on success');
    if (!/^[^\n]+\n$/.test(result.stdout)) problems.push('stdout is not exactly one line');
    try {
      const output = JSON.parse(result.stdout) as Record<string, unknown>;
      if (Object.keys(output).join() !== 'Version,AccessKeyId,SecretAccessKey,SessionToken,Expiration') {
        problems.push(`stdout keys are ${Object.keys(output).join()}`);
      }
      if (output.Version !== 1) problems.push('Version is not 1');
      for (const key of ['AccessKeyId', 'SecretAccessKey', 'SessionToken']) {
        if (typeof output[key] !== 'string' || !/^[\x21-\x7e]+$/.test(output[key] as string)) {
          problems.push(`${key} is not a non-empty printable string`);
        }
      }
      const expiration = output.Expiration;
      const expires = typeof expiration === 'string' ? Date.parse(expiration) / 1000 : NaN;
      if (typeof expiration !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(expiration)) {
        problems.push(`Expiration ${String(expiration)} is not ISO-8601 UTC`);
      } else if (!(expires > startedAt && expires <= startedAt + 240 + LONGEST_AHEAD_SECONDS)) {
        problems.push(`Expiration ${expiration} is expired or beyond 43200 s + 900 s`);
      }
    } catch {
      problems.push('stdout is not JSON');
    }
  } else {
    if (result.stdout !== '') problems.push('stdout is not empty on failure (partial credentials?)');
    if (!/^keyless-credentials: [\x20-\x7e]*\n$/.test(result.stderr)) {
      problems.push('stderr is not one line of printable ASCII');
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `${what} (seed ${SEED}): ${problems.join('; ')}\n` +
        `input (base64): ${Buffer.from(input).toString('base64').slice(0, 4000)}\n` +
        `exit ${String(result.code)}\nstdout: ${JSON.stringify(result.stdout).slice(0, 500)}\n` +
        `stderr: ${JSON.stringify(result.stderr).slice(0, 500)}`,
    );
  }
}

describe(`generated adversarial inputs (seed ${SEED})`, () => {
  test(`${CONFIG_CASES} configs: mutated fields, odd types, truncation, nesting, control characters`, async () => {
    const random = new SeededRandom(SEED);
    const codes = new Set<number | null>();
    for (let i = 0; i < CONFIG_CASES; i += 1) {
      const source = random.pick(['x509', 'krypton-credentials', 'krypton-open-id-token'] as const);
      const file = fixture.writeConfig(source);
      const valid = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      const body = random.chance(0.15)
        ? Buffer.from(JSON.stringify(valid).replace(/"([^"]*)"/, `"${hostileString(random)}"`))
        : mutatedBody(random, valid);
      writeFileSync(file, body);

      const result = await runHelper(file, { shell: SHELLS[i % 2][1], env: fuzzEnv() });

      checkContract(result, body, `config case ${i}`);
      codes.add(result.code);
    }
    // The generator reaches both sides: configs the helper refuses and configs it gets credentials with.
    expect(codes).toContain(3);
    expect(codes).toContain(0);
  });

  const parsers: [
    string,
    'x509' | 'krypton-credentials' | 'krypton-open-id-token',
    () => EmulatorServer,
    () => unknown,
  ][] = [
    [
      'the x509 credentials provider',
      'x509',
      () => fixture.credentialsProvider,
      () => ({
        credentials: {
          accessKeyId: 'S3RVER',
          secretAccessKey: 'S3RVER',
          sessionToken: 'FuzzSessionToken',
          expiration: new Date(Date.now() + 3600e3).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        },
      }),
    ],
    [
      'Krypton one hop',
      'krypton-credentials',
      () => fixture.krypton,
      () => ({
        identityId: fixture.krypton.identityId,
        credentials: {
          accessKeyId: 'S3RVER',
          secretKey: 'S3RVER',
          sessionToken: 'FuzzSessionToken',
          expiration: Date.now() + 3600e3,
        },
      }),
    ],
    [
      'Krypton open_id_tokens',
      'krypton-open-id-token',
      () => fixture.krypton,
      () => {
        const token = 'eyJmdXp6In0.fuzz.sig';
        fixture.cognito.registerToken(fixture.krypton.identityId, token);
        return { region: 'ap-northeast-1', token, identityId: fixture.krypton.identityId };
      },
    ],
    [
      'Cognito GetCredentialsForIdentity',
      'krypton-open-id-token',
      () => fixture.cognito,
      () => ({
        IdentityId: fixture.krypton.identityId,
        Credentials: {
          AccessKeyId: 'S3RVER',
          SecretKey: 'S3RVER',
          SessionToken: 'FuzzSessionToken',
          Expiration: Math.floor(Date.now() / 1000) + 3600,
        },
      }),
    ],
  ];

  test.each(parsers)(`${ANSWER_CASES} answers to %s`, async (_name, source, emulatorOf, validAnswer) => {
    const random = new SeededRandom(SEED + source.length + _name.length);
    const emulator = emulatorOf();
    const config = fixture.writeConfig(source);
    const codes = new Set<number | null>();
    try {
      for (let i = 0; i < ANSWER_CASES; i += 1) {
        const body = mutatedBody(random, validAnswer());
        const status = random.chance(0.8) ? 200 : random.pick([400, 403, 404, 429, 500, 502]);
        emulator.faults.set({ kind: 'status', status, body, chunked: random.chance(0.5) }, { times: 1 });

        const result = await runHelper(config, {
          shell: SHELLS[i % 2][1],
          args: ['--force-refresh'],
          env: fuzzEnv(),
        });

        checkContract(result, body, `${_name} case ${i} (HTTP ${status})`);
        codes.add(result.code);
      }
    } finally {
      emulator.faults.clear();
    }
    expect(codes.size).toBeGreaterThan(1);
  });
});
