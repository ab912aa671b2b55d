import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';

/** One file in a bundle: its path inside the bundle directory, its mode and its bytes. */
export interface ArchiveFile {
  readonly path: string;
  readonly mode: number;
  readonly content: Buffer;
}

/**
 * Every entry's mtime. A fixed date (not the build time) makes two builds of the same inputs byte-identical,
 * so an operator can diff or checksum bundles; 2000-01-01 rather than the epoch because some tar versions
 * warn about "implausibly old" timestamps.
 */
export const ARCHIVE_MTIME = new Date(Date.UTC(2000, 0, 1));

/** The checksum file at the bundle's top level, in `sha256sum -c` format. */
export const CHECKSUM_FILE = 'SHA256SUMS';

const BLOCK = 512;
const GZIP_OS_BYTE = 9;
const DIRECTORY_MODE = 0o755;

/**
 * A deterministic `.tar.gz` of `files` under one top directory: entries sorted by path, parent directories
 * made explicit, fixed mtime, owner root:root (uid/gid 0), modes exactly as given, and a `SHA256SUMS` of every
 * file. The gzip header carries no timestamp, file name or OS. The same inputs give the same bytes with the same
 * Node.js (its bundled zlib does the compressing).
 *
 * Built from tar's own header encoder rather than `tar.create`, which reads modes and mtimes from the file
 * system and walks directories in the order the OS returns them.
 */
export function buildDeterministicTarGz(topDirectory: string, files: readonly ArchiveFile[]): Buffer {
  assertSafePath(topDirectory);
  const seen = new Set<string>();
  for (const file of files) {
    assertSafePath(file.path);
    if (file.path === CHECKSUM_FILE)
      throw new Error(`${CHECKSUM_FILE} is generated; do not pass it as a file`);
    if (seen.has(file.path)) throw new Error(`duplicate bundle path: ${file.path}`);
    seen.add(file.path);
  }
  const sums = [...files]
    .sort((a, b) => compare(a.path, b.path))
    .map((file) => `${createHash('sha256').update(file.content).digest('hex')}  ${file.path}\n`)
    .join('');
  const all: ArchiveFile[] = [...files, { path: CHECKSUM_FILE, mode: 0o644, content: Buffer.from(sums) }];

  const directories = new Set<string>(['']);
  for (const file of all) {
    const parts = file.path.split('/');
    for (let i = 1; i < parts.length; i += 1) directories.add(parts.slice(0, i).join('/'));
  }
  const entries: { path: string; mode: number; content?: Buffer }[] = [
    ...[...directories].map((dir) => ({
      path: dir === '' ? `${topDirectory}/` : `${topDirectory}/${dir}/`,
      mode: DIRECTORY_MODE,
    })),
    ...all.map((file) => ({ path: `${topDirectory}/${file.path}`, mode: file.mode, content: file.content })),
  ].sort((a, b) => compare(a.path, b.path));

  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const header = new Header({
      path: entry.path,
      mode: entry.mode,
      uid: 0,
      gid: 0,
      uname: 'root',
      gname: 'root',
      size: entry.content?.length ?? 0,
      mtime: ARCHIVE_MTIME,
      type: entry.content ? 'File' : 'Directory',
    });
    const block = Buffer.alloc(BLOCK);
    if (header.encode(block, 0)) {
      // needPax: the path does not fit a ustar header. Bundle paths are short by construction.
      throw new Error(`bundle path too long for a ustar header: ${entry.path}`);
    }
    blocks.push(block);
    if (entry.content) {
      blocks.push(entry.content);
      const padding = (BLOCK - (entry.content.length % BLOCK)) % BLOCK;
      if (padding > 0) blocks.push(Buffer.alloc(padding));
    }
  }
  blocks.push(Buffer.alloc(BLOCK * 2)); // end-of-archive marker
  const gzip = gzipSync(Buffer.concat(blocks), { level: 9 });
  // The header's OS byte is whatever zlib was compiled for; 255 ("unknown"), as tar's portable mode writes, keeps
  // it from varying between operating systems. No header CRC is set, so nothing else depends on it.
  gzip[GZIP_OS_BYTE] = 255;
  return gzip;
}

/** Byte order, not locale order: the same on every machine. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function assertSafePath(p: string): void {
  if (
    p === '' ||
    p.startsWith('/') ||
    p.split('/').some((part) => part === '' || part === '.' || part === '..')
  ) {
    throw new Error(`unsafe bundle path: ${JSON.stringify(p)}`);
  }
}
