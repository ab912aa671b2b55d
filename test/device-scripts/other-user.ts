import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessResult, runProcess } from '../support/run-process';
import { DeviceFixture, HELPER } from './device-fixture';

/** The unprivileged user that plays the service user (or "another local user") in the trust tests. */
export const OTHER_USER = 'nobody';

/**
 * Fails (never skips) when the test runner is not root: showing what a root run does to another user's
 * directory, and what another user can plant, needs two real users. CI runs the suite as root.
 */
export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${what} needs root (it runs the helper as root and as '${OTHER_USER}' through runuser): run the test suite as root, as CI does`,
    );
  }
}

export function uidOf(user: string): number {
  return Number(execFileSync('id', ['-u', user]).toString().trim());
}

export function gidOf(user: string): number {
  return Number(execFileSync('id', ['-g', user]).toString().trim());
}

/** Runs `command args…` as `user` with exactly `env` (plus a plain PATH), through runuser. */
export function runAs(
  user: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<ProcessResult> {
  const pairs = Object.entries({ PATH: '/usr/local/bin:/usr/bin:/bin', ...env })
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${value}`);
  return runProcess('runuser', ['-u', user, '--', 'env', '-i', ...pairs, command, ...args]);
}

/**
 * A device installed for `user`, the way install.sh lays it out: a directory anyone may traverse, holding the
 * helper, a config readable by all, the certificate and key owned by `user`, and the cache directory `user`
 * owns (0700). The fixture's own directory is root's (0700), so everything the user needs is copied here.
 */
export class SharedDevice {
  readonly base: string;
  readonly helper: string;
  readonly cacheDir: string;
  readonly config: string;

  constructor(
    fixture: DeviceFixture,
    readonly user: string,
    source: 'x509' | 'krypton-credentials' = 'x509',
  ) {
    const uid = uidOf(user);
    const gid = gidOf(user);
    this.base = mkdtempSync(join(tmpdir(), 'keyless-shared-'));
    chmodSync(this.base, 0o755);
    this.helper = join(this.base, 'keyless-credentials');
    copyFileSync(HELPER, this.helper);
    chmodSync(this.helper, 0o755);
    const material = join(this.base, 'material');
    mkdirSync(material, { mode: 0o755 });
    const files: Record<string, string> = {
      certFile: join(material, 'certificate.pem.crt'),
      keyFile: join(material, 'private.pem.key'),
      caFile: join(material, 'ca.pem'),
    };
    copyFileSync(fixture.device.certFile, files.certFile);
    copyFileSync(fixture.device.keyFile, files.keyFile);
    copyFileSync(fixture.pki.ca.certFile, files.caFile);
    for (const file of [files.certFile, files.keyFile]) {
      chmodSync(file, 0o600);
      chownSync(file, uid, gid);
    }
    chmodSync(files.caFile, 0o644);
    this.cacheDir = join(this.base, 'cache');
    mkdirSync(this.cacheDir, { mode: 0o700 });
    chownSync(this.cacheDir, uid, gid);
    const generated = fixture.writeConfig(source, {
      cacheDir: this.cacheDir,
      ...(source === 'x509' ? { x509: files } : { krypton: { caFile: files.caFile } }),
    });
    this.config = join(this.base, 'device.json');
    copyFileSync(generated, this.config);
    chmodSync(this.config, 0o644);
  }

  dispose(): void {
    rmSync(this.base, { recursive: true, force: true });
  }
}

/** Writes `content` to `file` as root, then hands it to `user` with `mode` (a file that user "planted"). */
export function plant(file: string, content: string, user: string, mode = 0o600): void {
  writeFileSync(file, content, { mode });
  chownSync(file, uidOf(user), gidOf(user));
}
