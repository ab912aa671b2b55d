import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from '../support/test-tools';

/** Where Debian's softhsm2 installs its PKCS#11 module. */
export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

/**
 * A SoftHSM2 token in a private temporary directory (its own SOFTHSM2_CONF): what a device with a PKCS#11
 * token, secure element or TPM looks like to the helper. The user PIN is random per token and lives in a 0600
 * file, so a test can look for it in every output, file and process argument list.
 */
export class SoftHsmToken {
  readonly dir = mkdtempSync(join(tmpdir(), 'keyless-softhsm-'));
  readonly conf = join(this.dir, 'softhsm2.conf');
  readonly pinFile = join(this.dir, 'secret', 'user-pin');
  /** Twelve random digits: long enough that no unrelated text contains it by chance. */
  readonly pin = String(100000000000 + Math.floor(Math.random() * 899999999999));
  private readonly soPin = String(100000000000 + Math.floor(Math.random() * 899999999999));

  constructor(readonly label = 'keyless') {
    requireTool('softhsm2-util');
    requireTool('pkcs11-tool');
    if (!existsSync(SOFTHSM_MODULE)) {
      throw new Error(`${SOFTHSM_MODULE} is missing: run 'sh scripts/ensure-test-tools.sh' (npm pretest)`);
    }
    mkdirSync(join(this.dir, 'tokens'), { mode: 0o700 });
    writeFileSync(
      this.conf,
      `directories.tokendir = ${join(this.dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
    );
    mkdirSync(join(this.dir, 'secret'), { mode: 0o700 });
    writeFileSync(this.pinFile, `${this.pin}\n`, { mode: 0o600 });
    // Test set-up only: the helper never puts a PIN in an argument list.
    this.run('softhsm2-util', [
      '--init-token',
      '--free',
      '--label',
      label,
      '--pin',
      this.pin,
      '--so-pin',
      this.soPin,
    ]);
  }

  /** The environment every process that opens the token needs. */
  env(): NodeJS.ProcessEnv {
    return { SOFTHSM2_CONF: this.conf };
  }

  /** The token's objects of one type as pkcs11-tool lists them after logging in. */
  list(type: 'privkey' | 'pubkey'): string {
    return this.run('pkcs11-tool', [
      '--module', SOFTHSM_MODULE, '--token-label', this.label, '--login', '--pin', 'env:TEST_TOKEN_PIN',
      '--list-objects', '--type', type,
    ], { TEST_TOKEN_PIN: this.pin }); // prettier-ignore
  }

  /** Private keys labelled `label`, each as its pkcs11-tool block. */
  privateKeys(label: string): string[] {
    return this.list('privkey')
      .split(/(?=Private Key Object)/)
      .filter(
        (block) => block.startsWith('Private Key Object') && new RegExp(`label:\\s+${label}\\n`).test(block),
      );
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private run(command: string, args: string[], extra: NodeJS.ProcessEnv = {}): string {
    return execFileSync(command, args, {
      env: { ...process.env, ...this.env(), ...extra },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }
}
