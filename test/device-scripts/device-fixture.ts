import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CognitoIdentityEmulator } from '../emulators/cognito-identity';
import { CredentialsProviderEmulator } from '../emulators/credentials-provider';
import { Endpoint } from '../emulators/emulator-server';
import { KryptonEmulator } from '../emulators/krypton';
import { ProcessResult, runProcess } from '../support/run-process';
import { IssuedCertificate, TestPki } from '../support/test-pki';

export const HELPER = resolve(__dirname, '../../device-scripts/bin/keyless-credentials');
export const THING = 'sensor-0001';
export const ROLE_ALIAS = 'KeylessIot-test-DeviceRoleAlias';

/** The credential_process answer. */
export interface CredentialProcessOutput {
  Version: number;
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: string;
}

/**
 * One device's world on loopback: a test CA, the credentials provider (mTLS), Krypton and Cognito emulators,
 * a device certificate attached to THING, and a scratch directory for configs and caches.
 */
export class DeviceFixture {
  /** Backdated, so the clock tests can set the device clock hours back and still see valid certificates. */
  readonly pki = new TestPki('keyless-test', { backdated: true });
  readonly device: IssuedCertificate = this.pki.issueClient(THING);
  readonly credentialsProvider = new CredentialsProviderEmulator({
    certPem: this.pki.server.certPem,
    keyPem: this.pki.server.keyPem,
    clientCaPem: this.pki.ca.certPem,
  });
  readonly cognito = new CognitoIdentityEmulator({
    certPem: this.pki.server.certPem,
    keyPem: this.pki.server.keyPem,
  });
  readonly krypton = new KryptonEmulator(
    { certPem: this.pki.server.certPem, keyPem: this.pki.server.keyPem },
    this.cognito,
  );
  readonly dir = mkdtempSync(join(tmpdir(), 'keyless-device-'));
  endpoints: { credentialsProvider: Endpoint; krypton: Endpoint; cognito: Endpoint } | undefined;
  private configs = 0;

  async start(): Promise<void> {
    this.credentialsProvider.registerCertificate(this.device.fingerprint256, { things: [THING] });
    this.credentialsProvider.addRoleAlias({ name: ROLE_ALIAS });
    this.endpoints = {
      credentialsProvider: await this.credentialsProvider.start(),
      krypton: await this.krypton.start(),
      cognito: await this.cognito.start(),
    };
  }

  async stop(): Promise<void> {
    await Promise.all([this.credentialsProvider.stop(), this.krypton.stop(), this.cognito.stop()]);
    rmSync(this.dir, { recursive: true, force: true });
    this.pki.dispose();
  }

  /** Every secret the emulators have handed out: none may appear on stderr or in a log. */
  secrets(): string[] {
    return [
      ...this.credentialsProvider.issuer.secrets(),
      ...this.krypton.issuer.secrets(),
      ...this.cognito.issuer.secrets(),
    ];
  }

  /** The helper's single stderr line, after checking it is one line and carries no secret. */
  oneStderrLineWithoutSecrets(result: { stderr: string }): string {
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    for (const secret of this.secrets()) expect(result.stderr).not.toContain(secret);
    return lines[0];
  }

  /** Writes a device.json (with its own fresh cache directory unless `cacheDir` is given) and returns its path. */
  writeConfig(
    source: 'x509' | 'krypton-credentials' | 'krypton-open-id-token',
    overrides: object = {},
  ): string {
    if (!this.endpoints) throw new Error('start() the fixture first');
    this.configs += 1;
    const base = join(this.dir, `config-${this.configs}`);
    const cacheDir = join(base, 'cache');
    const config =
      source === 'x509'
        ? {
            source: 'x509',
            region: 'ap-northeast-1',
            cacheDir,
            x509: {
              endpoint: this.endpoints.credentialsProvider.url,
              roleAlias: ROLE_ALIAS,
              thingName: THING,
              certFile: this.device.certFile,
              keyFile: this.device.keyFile,
              caFile: this.pki.ca.certFile,
            },
          }
        : {
            source: 'krypton',
            region: 'ap-northeast-1',
            cacheDir,
            krypton: {
              endpoint: this.endpoints.krypton.url,
              mode: source === 'krypton-credentials' ? 'credentials' : 'open-id-token',
              cognitoEndpoint: this.endpoints.cognito.url,
              caFile: this.pki.ca.certFile,
            },
          };
    const merged = deepMerge(config, overrides);
    mkdirSync(base, { recursive: true });
    const file = join(base, 'device.json');
    writeFileSync(file, JSON.stringify(merged, null, 2));
    return file;
  }

  /** The cache file a config's helper writes (there is exactly one per device identity). */
  cacheDirOf(configFile: string): string {
    return join(configFile, '..', 'cache');
  }
}

/** Environment for the helper: quick retries so fault tests stay short, nothing KEYLESS_* inherited. */
export function helperEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('KEYLESS_') && !key.startsWith('AWS_')) env[key] = value;
  }
  return {
    ...env,
    KEYLESS_RETRY_BASE_MS: '50',
    KEYLESS_MAX_TIME: '5',
    KEYLESS_CONNECT_TIMEOUT: '3',
    ...extra,
  };
}

/** Runs the helper under `shell` (dash, busybox ash, …) with `args`. */
export function runHelper(
  configFile: string,
  options: { shell?: readonly string[]; args?: readonly string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<ProcessResult> {
  const shell = options.shell ?? ['dash'];
  return runProcess(shell[0], [...shell.slice(1), HELPER, '--config', configFile, ...(options.args ?? [])], {
    env: options.env ?? helperEnv(),
  });
}

export function parseOutput(result: ProcessResult): CredentialProcessOutput {
  if (result.code !== 0) throw new Error(`helper failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as CredentialProcessOutput;
}

function deepMerge(base: object, overrides: object): object {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(overrides)) {
    const current = out[key];
    if (value === undefined) delete out[key];
    else if (isPlainObject(value) && isPlainObject(current)) out[key] = deepMerge(current, value);
    else out[key] = value;
  }
  return out;
}

function isPlainObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
