import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDeterministicTarGz } from '../../../lib/cli/bundle/archive';

const files = [
  { path: 'b/script.sh', mode: 0o755, content: Buffer.from('#!/bin/sh\necho hi\n') },
  { path: 'a.txt', mode: 0o600, content: Buffer.from('secret-ish\n') },
];

describe('buildDeterministicTarGz', () => {
  test('GNU tar reads it: sorted entries, explicit directories, root/root, 2000-01-01, exact modes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyless-archive-'));
    try {
      const file = join(dir, 'x.tar.gz');
      writeFileSync(file, buildDeterministicTarGz('top', files));
      const listing = execFileSync('tar', ['--numeric-owner', '--utc', '-tvzf', file], {
        env: { ...process.env, TZ: 'UTC' },
      })
        .toString()
        .trim()
        .split('\n')
        .map((line) => line.split(/\s+/))
        .map(([mode, owner, , date, , path]) => `${mode} ${owner} ${date} ${path}`);

      // Archive order is the byte order of the paths: "S" < "a" < "b".
      expect(listing).toEqual([
        'drwxr-xr-x 0/0 2000-01-01 top/',
        '-rw-r--r-- 0/0 2000-01-01 top/SHA256SUMS',
        '-rw------- 0/0 2000-01-01 top/a.txt',
        'drwxr-xr-x 0/0 2000-01-01 top/b/',
        '-rwxr-xr-x 0/0 2000-01-01 top/b/script.sh',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the gzip header has no timestamp and a fixed OS byte; input order does not matter', () => {
    const one = buildDeterministicTarGz('top', files);
    const other = buildDeterministicTarGz('top', [...files].reverse());

    expect(one.readUInt32LE(4)).toBe(0);
    expect(one[9]).toBe(255);
    expect(one.equals(other)).toBe(true);
  });

  test.each([['../escape'], ['/etc/passwd'], ['a//b'], ['./a']])('refuses the unsafe path %s', (path) => {
    expect(() => buildDeterministicTarGz('top', [{ path, mode: 0o644, content: Buffer.alloc(0) }])).toThrow(
      `unsafe bundle path: ${JSON.stringify(path)}`,
    );
  });

  test('refuses duplicate paths and a hand-made SHA256SUMS', () => {
    expect(() => buildDeterministicTarGz('top', [files[0], files[0]])).toThrow(
      'duplicate bundle path: b/script.sh',
    );
    expect(() =>
      buildDeterministicTarGz('top', [{ path: 'SHA256SUMS', mode: 0o644, content: Buffer.alloc(0) }]),
    ).toThrow('SHA256SUMS is generated; do not pass it as a file');
  });
});
