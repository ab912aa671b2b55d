import { spawn } from 'node:child_process';

/** The outcome of a finished process. */
export interface ProcessResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly input?: string;
  /** Upper bound; the process group is killed when it is reached. @default 60000 */
  readonly timeoutMs?: number;
}

/**
 * Runs a program to completion without a shell and returns its exit status and output. Bounded: a process
 * that outlives `timeoutMs` is killed (with its children) and the promise rejects saying so.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, 'SIGKILL');
    }, options.timeoutMs ?? 60000);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = {
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      };
      if (timedOut) {
        reject(
          new Error(
            `${command} ${args.join(' ')} did not finish within ${options.timeoutMs ?? 60000} ms: ${result.stderr}`,
          ),
        );
      } else {
        resolve(result);
      }
    });
    // A program may exit before reading its input; that is its answer, not a test failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input);
  });
}

/** Sends `signal` to a process group started with `detached: true`; a group already gone is not an error. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already exited.
  }
}

/** Polls `condition` every `intervalMs` until it holds; throws after `attempts` polls (loops in tests are bounded). */
export async function waitFor(
  condition: () => boolean,
  what: string,
  attempts = 200,
  intervalMs = 50,
): Promise<void> {
  for (let i = 0; i < attempts; i += 1) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}
