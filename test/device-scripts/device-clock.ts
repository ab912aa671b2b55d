import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessResult, runProcess } from '../support/run-process';
import { requireTool } from '../support/test-tools';
import { HELPER, helperEnv } from './device-fixture';
import { requireRoot } from './other-user';

/** What the helper's clocks say during one run. */
export interface DeviceClock {
  /**
   * Seconds since boot, as /proc/uptime says; `'none'` for a system without it (an empty file). Unset: the
   * machine's own.
   */
  readonly uptime?: number | 'none';
  /** This boot's id, as /proc/sys/kernel/random/boot_id says. Unset: the machine's own. */
  readonly bootId?: string;
  /** A libfaketime offset or time for the device's wall clock (`+2h`, `-3h`, `@2026-01-01 00:00:00`). */
  readonly faketime?: string;
}

/**
 * Runs the helper with the clocks a device would show: the wall clock through libfaketime (Debian `faketime`,
 * which reaches date, curl, jq and openssl alike), the time since boot and the boot id by bind-mounting a file
 * over their /proc entries in a private mount namespace (`unshare -m`), so nothing outside the run sees them.
 * Needs root (CAP_SYS_ADMIN), like the other namespace tests; it fails, never skips, without.
 */
export class ClockedRunner {
  private readonly dir = mkdtempSync(join(tmpdir(), 'keyless-clock-'));
  private runs = 0;

  constructor() {
    requireRoot('running the helper with a simulated boot clock (a private mount namespace)');
    for (const tool of ['unshare', 'mount', 'faketime', 'dash', 'busybox']) requireTool(tool);
    try {
      execFileSync('unshare', ['-m', 'sh', '-c', 'mount --bind /dev/null /proc/uptime'], { stdio: 'ignore' });
    } catch {
      throw new Error('the clock tests need CAP_SYS_ADMIN for a private mount namespace (unshare -m)');
    }
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  run(
    config: string,
    clock: DeviceClock,
    options: { args?: readonly string[]; shell?: readonly string[]; env?: NodeJS.ProcessEnv } = {},
  ): Promise<ProcessResult> {
    this.runs += 1;
    const uptimeFile = join(this.dir, `uptime-${this.runs}`);
    const bootFile = join(this.dir, `boot-${this.runs}`);
    writeFileSync(uptimeFile, clock.uptime === 'none' ? '' : `${clock.uptime ?? 0}.37 12.00\n`);
    writeFileSync(bootFile, `${clock.bootId ?? ''}\n`);
    const mounts = [
      clock.uptime === undefined ? ':' : 'mount --bind "$1" /proc/uptime',
      clock.bootId === undefined ? ':' : 'mount --bind "$2" /proc/sys/kernel/random/boot_id',
      'shift 2',
      'exec "$@"',
    ].join(' && ');
    const shell = options.shell ?? ['dash'];
    const helper = [...shell, HELPER, '--config', config, ...(options.args ?? [])];
    const command = clock.faketime ? ['faketime', '-f', clock.faketime, ...helper] : helper;
    return runProcess('unshare', ['-m', 'sh', '-c', mounts, 'sh', uptimeFile, bootFile, ...command], {
      env: options.env ?? helperEnv(),
    });
  }
}

/** This machine's boot id: a run that keeps it is the same boot. */
export function machineBootId(): string {
  return execFileSync('cat', ['/proc/sys/kernel/random/boot_id']).toString().trim();
}
