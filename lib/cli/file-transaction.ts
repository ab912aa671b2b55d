import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * A set of file changes a command makes together (enroll: keys, CSRs, the config, the shard lock), applied all or
 * nothing: everything is computed and validated before the first write, and a failure after it puts back every
 * file as it was and removes the directories it made. Each file is replaced atomically (a temporary file renamed
 * into place), so a reader never sees half of one.
 */

/** One file to write, or (`content` undefined) to delete. */
export interface PlannedFileChange {
  /** Absolute. */
  readonly file: string;
  readonly content?: string;
  /** @default 0o644; private keys 0o600, created with that mode (never readable by others, not even briefly) */
  readonly mode?: number;
}

/**
 * Where a file is written before it is renamed into place. A run killed in between leaves it behind, so under
 * fleet/ it is git-ignored (.gitignore: fleet/**\/*.tmp) like the private key it may hold.
 */
export function partialFileOf(file: string, pid: number = process.pid): string {
  return `${file}.${pid}.tmp`;
}

/** Writes `text` to `file` through a temporary file renamed into place, created with `mode`. */
export function writeFileAtomically(file: string, text: string | Buffer, mode = 0o644): void {
  const partial = partialFileOf(file);
  // 'wx': a file already there (another run's) is an error, never written through.
  fs.writeFileSync(partial, text, { mode, flag: 'wx' });
  try {
    fs.renameSync(partial, file);
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw error;
  }
}

/** What a file was before the transaction touched it. */
interface Before {
  readonly file: string;
  /** undefined: the file did not exist. */
  readonly content?: Buffer;
  readonly mode?: number;
}

/** Applies every change in order; on a failure restores what it changed, then rethrows. */
export function applyAllOrNothing(changes: readonly PlannedFileChange[]): void {
  const done: Before[] = [];
  const madeDirs: string[] = [];
  try {
    for (const change of changes) {
      const before = snapshot(change.file);
      if (change.content === undefined) {
        if (before.content === undefined) continue;
        done.push(before);
        fs.rmSync(change.file);
        continue;
      }
      const made = fs.mkdirSync(path.dirname(change.file), { recursive: true, mode: 0o700 });
      if (made !== undefined) madeDirs.push(made);
      done.push(before);
      writeFileAtomically(change.file, change.content, change.mode ?? 0o644);
    }
  } catch (error) {
    rollBack(done, madeDirs);
    throw error;
  }
}

function snapshot(file: string): Before {
  if (!fs.existsSync(file)) return { file };
  return { file, content: fs.readFileSync(file), mode: fs.statSync(file).mode & 0o777 };
}

/** Best effort, newest first: a failure to restore one file must not stop the others being restored. */
function rollBack(done: readonly Before[], madeDirs: readonly string[]): void {
  for (const before of [...done].reverse()) {
    try {
      if (before.content === undefined) fs.rmSync(before.file, { force: true });
      else writeFileAtomically(before.file, before.content, before.mode);
    } catch {
      // The original error is the one to report; what could not be restored is still on disk to inspect.
    }
  }
  for (const dir of [...madeDirs].reverse()) fs.rmSync(dir, { recursive: true, force: true });
}
