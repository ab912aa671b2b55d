import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../config';

/**
 * Deleting a device's local files (its private key, CSR and bundles) without ever reaching outside the places
 * named: no path is followed through a symbolic link, and anything unexpected (a directory where files should
 * be, a device node) stops the plan before a single file is deleted. A link found where a file should be is
 * removed itself (unlink never follows it); a link where a directory should be stops everything.
 *
 * What is left: Node has no unlinkat(2), so a directory swapped for a link between the check and the deletion
 * could still redirect it. Each deletion checks its directory again right before, which narrows that window to
 * a race against an attacker who can already write the operator's repository.
 */

export interface DeletionPlan {
  /** Files (or links) to unlink, absolute. */
  readonly files: readonly string[];
  /** Directories to remove once empty, absolute, deepest first. */
  readonly directories: readonly string[];
}

export const EMPTY_PLAN: DeletionPlan = { files: [], directories: [] };

/** `lstat`, or undefined when nothing is there. */
function lstat(file: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Checks that each component of `relative` below `root` is a real directory (the root itself is trusted).
 * Returns false when one does not exist (then there is nothing to delete below it).
 */
function realDirectoriesBelow(root: string, relative: string): boolean {
  let current = root;
  for (const part of relative.split(/[\\/]+/).filter((p) => p !== '' && p !== '.')) {
    if (part === '..') throw new ConfigError(`${relative}: a path with .. is never deleted from`);
    current = path.join(current, part);
    const stats = lstat(current);
    if (!stats) return false;
    if (stats.isSymbolicLink()) {
      throw new ConfigError(
        `${current} is a symbolic link: keyless deletes nothing through links; check it and remove it by hand`,
      );
    }
    if (!stats.isDirectory()) throw new ConfigError(`${current} is not a directory: nothing deleted`);
  }
  return true;
}

/** Every file in `root/relative` and the directory itself; refuses subdirectories and special files. */
export function planDirectoryDeletion(root: string, relative: string): DeletionPlan {
  if (!realDirectoriesBelow(root, relative)) return EMPTY_PLAN;
  const directory = path.join(root, relative);
  const files = fs.readdirSync(directory, { withFileTypes: true }).map((entry) => {
    const file = path.join(directory, entry.name);
    if (entry.isFile() || entry.isSymbolicLink()) return file;
    throw new ConfigError(
      `${file} is ${entry.isDirectory() ? 'a directory' : 'not a regular file'}, which keyless never puts there: nothing deleted; check it and remove it by hand`,
    );
  });
  return { files: files.sort(), directories: [directory] };
}

/** The named files in `root/relative` (those that exist); the directory itself stays. */
export function planFileDeletion(
  root: string,
  relative: string,
  names: (name: string) => boolean,
): DeletionPlan {
  if (!realDirectoriesBelow(root, relative)) return EMPTY_PLAN;
  const directory = path.join(root, relative);
  const files = fs
    .readdirSync(directory, { withFileTypes: true })
    .filter((entry) => names(entry.name))
    .map((entry) => {
      const file = path.join(directory, entry.name);
      if (entry.isFile() || entry.isSymbolicLink()) return file;
      throw new ConfigError(`${file} is not a regular file: nothing deleted; check it and remove it by hand`);
    });
  return { files: files.sort(), directories: [] };
}

export function mergePlans(...plans: DeletionPlan[]): DeletionPlan {
  return {
    files: plans.flatMap((plan) => plan.files),
    directories: plans.flatMap((plan) => plan.directories),
  };
}

/** Carries a plan out: each file's directory is checked again just before the unlink. */
export function executeDeletion(plan: DeletionPlan): void {
  for (const file of plan.files) {
    assertRealDirectory(path.dirname(file));
    fs.unlinkSync(file);
  }
  for (const directory of plan.directories) {
    assertRealDirectory(directory);
    fs.rmdirSync(directory);
  }
}

function assertRealDirectory(directory: string): void {
  const stats = lstat(directory);
  if (!stats || stats.isSymbolicLink() || !stats.isDirectory()) {
    throw new ConfigError(`${directory} changed while keyless was deleting in it: stopped; check it by hand`);
  }
}
