import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  EMPTY_PLAN,
  executeDeletion,
  mergePlans,
  planDirectoryDeletion,
  planFileDeletion,
} from '../../../lib/cli/device/local-files';
import { ConfigError } from '../../../lib/config';

/**
 * Decommission's deletion of a thing's local files (its key, CSR and bundles), as a unit: it never deletes
 * outside the directory named, never through a link, and stops before the first deletion at anything keyless
 * never puts there. test/cli/device/decommission.test.ts shows the same rules through the command.
 */

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-local-files-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** Writes each file (and its directories) under the root, its own name as its content. */
function files(...names: string[]): void {
  for (const name of names) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), name);
  }
}
const at = (...parts: string[]) => path.join(root, ...parts);
/** Every entry under the root, relative, sorted. */
const tree = () => (fs.readdirSync(root, { recursive: true }) as string[]).sort();

/** Expects `run` to throw a ConfigError with exactly this message. */
function refused(run: () => unknown, message: string): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  expect((thrown as Error).message).toBe(message);
}

describe('planDirectoryDeletion', () => {
  it('plans every file of the directory, sorted, then the directory itself; nothing is deleted yet', () => {
    // More names than readdir is likely to answer in order by chance.
    const names = ['private.key', 'csr.pem', 'b', 'a', 'z.tmp', 'm', 'c.pem', 'y', 'd', 'x', 'e', 'w'];
    files(...names.map((name) => `fleet/dev/sensor-001/${name}`));
    const before = tree();
    expect(planDirectoryDeletion(root, 'fleet/dev/sensor-001')).toEqual({
      files: [...names].sort().map((name) => at('fleet', 'dev', 'sensor-001', name)),
      directories: [at('fleet', 'dev', 'sensor-001')],
    });
    expect(tree()).toEqual(before);
  });
  // Equivalent (local-files.ts:67 and :86, `files.sort()` dropped): on POSIX, readdir comes through libuv's
  // scandir sorted by strcmp, the same order as sort() for the ASCII names keyless writes.

  it('a link in the directory is planned as a file (unlink removes the link, never what it points at)', () => {
    files('elsewhere/precious', 'fleet/dev/sensor-001/csr.pem');
    fs.symlinkSync(at('elsewhere'), at('fleet', 'dev', 'sensor-001', 'private.key'));
    expect(planDirectoryDeletion(root, 'fleet/dev/sensor-001').files).toEqual([
      at('fleet', 'dev', 'sensor-001', 'csr.pem'),
      at('fleet', 'dev', 'sensor-001', 'private.key'),
    ]);
  });

  it('a directory that does not exist, or whose parent does not, plans nothing', () => {
    files('fleet/dev/sensor-002/private.key');
    expect(planDirectoryDeletion(root, 'fleet/dev/sensor-001')).toEqual({ files: [], directories: [] });
    expect(planDirectoryDeletion(root, 'fleet/prod/sensor-001')).toEqual({ files: [], directories: [] });
    expect(EMPTY_PLAN).toEqual({ files: [], directories: [] });
  });

  it('refuses a path with .. before looking at anything', () => {
    files('fleet/dev/sensor-001/private.key', 'precious/key');
    refused(
      () => planDirectoryDeletion(at('fleet'), 'dev/../../precious'),
      'dev/../../precious: a path with .. is never deleted from',
    );
  });

  it('refuses a link anywhere on the way, naming it', () => {
    files('precious/private.key');
    fs.mkdirSync(at('fleet'));
    fs.symlinkSync(at('precious'), at('fleet', 'dev'));
    refused(
      () => planDirectoryDeletion(root, 'fleet/dev/sensor-001'),
      `${at('fleet', 'dev')} is a symbolic link: keyless deletes nothing through links; check it and remove it by hand`,
    );
    fs.mkdirSync(at('fleet2', 'dev'), { recursive: true });
    fs.symlinkSync(at('precious'), at('fleet2', 'dev', 'sensor-001'));
    refused(
      () => planDirectoryDeletion(root, 'fleet2/dev/sensor-001'),
      `${at('fleet2', 'dev', 'sensor-001')} is a symbolic link: keyless deletes nothing through links; check it and remove it by hand`,
    );
  });

  it('refuses a file where a directory should be', () => {
    files('fleet/dev');
    refused(
      () => planDirectoryDeletion(root, 'fleet/dev/sensor-001'),
      `${at('fleet', 'dev')} is not a directory: nothing deleted`,
    );
  });

  it('a path the system will not look at is an error, never "nothing there"', () => {
    // lstat answers ENAMETOOLONG, not ENOENT: read as absent, the plan would silently delete nothing.
    expect(() => planDirectoryDeletion(root, 'x'.repeat(300))).toThrow(
      expect.objectContaining({ code: 'ENAMETOOLONG' }),
    );
  });

  it('"." and repeated separators name the same directory', () => {
    files('fleet/dev/sensor-001/private.key');
    expect(planDirectoryDeletion(root, './fleet//dev/./sensor-001')).toEqual({
      files: [at('fleet', 'dev', 'sensor-001', 'private.key')],
      directories: [at('fleet', 'dev', 'sensor-001')],
    });
  });

  it('the root is trusted even when reached through a link (macOS /tmp and /var are links): only below it is checked', () => {
    files('real/fleet/dev/sensor-001/private.key');
    const linked = `${root}-link`;
    fs.symlinkSync(at('real'), linked);
    try {
      for (const relative of ['./fleet/dev/sensor-001', '/fleet/dev/sensor-001', 'fleet//dev/sensor-001']) {
        expect(planDirectoryDeletion(linked, relative)).toEqual({
          files: [path.join(linked, 'fleet', 'dev', 'sensor-001', 'private.key')],
          directories: [path.join(linked, 'fleet', 'dev', 'sensor-001')],
        });
      }
    } finally {
      fs.unlinkSync(linked);
    }
  });
  // Equivalent (local-files.ts:41, the separator regex without `+`): the empty parts it leaves are filtered out.

  it('refuses a subdirectory or a special file in it, naming it, before a single file is deleted', () => {
    files('fleet/dev/sensor-001/private.key');
    fs.mkdirSync(at('fleet', 'dev', 'sensor-001', 'surprise'));
    refused(
      () => planDirectoryDeletion(root, 'fleet/dev/sensor-001'),
      `${at('fleet', 'dev', 'sensor-001', 'surprise')} is a directory, which keyless never puts there: nothing deleted; check it and remove it by hand`,
    );
    fs.rmdirSync(at('fleet', 'dev', 'sensor-001', 'surprise'));
    execFileSync('mkfifo', [at('fleet', 'dev', 'sensor-001', 'pipe')]);
    refused(
      () => planDirectoryDeletion(root, 'fleet/dev/sensor-001'),
      `${at('fleet', 'dev', 'sensor-001', 'pipe')} is not a regular file, which keyless never puts there: nothing deleted; check it and remove it by hand`,
    );
    expect(fs.existsSync(at('fleet', 'dev', 'sensor-001', 'private.key'))).toBe(true);
  });
});

describe('planFileDeletion', () => {
  const bundles = (name: string) => name.startsWith('sensor-001.');

  it('plans only the named files, sorted, and keeps the directory', () => {
    files(
      'dist/dev/sensor-001.tar.gz.99.tmp',
      'dist/dev/sensor-001.tar.gz',
      'dist/dev/sensor-001.tar.gz.7.tmp',
      'dist/dev/sensor-002.tar.gz',
    );
    // Another thing's directory is no business of this plan, whatever it holds.
    fs.mkdirSync(at('dist', 'dev', 'sensor-002'));
    expect(planFileDeletion(root, 'dist/dev', bundles)).toEqual({
      files: [
        at('dist', 'dev', 'sensor-001.tar.gz'),
        at('dist', 'dev', 'sensor-001.tar.gz.7.tmp'),
        at('dist', 'dev', 'sensor-001.tar.gz.99.tmp'),
      ],
      directories: [],
    });
  });

  it('a named link is planned as a file; a named directory or special file is refused', () => {
    files('elsewhere.tar.gz');
    fs.mkdirSync(at('dist', 'dev'), { recursive: true });
    fs.symlinkSync(at('elsewhere.tar.gz'), at('dist', 'dev', 'sensor-001.tar.gz'));
    expect(planFileDeletion(root, 'dist/dev', bundles).files).toEqual([
      at('dist', 'dev', 'sensor-001.tar.gz'),
    ]);
    fs.mkdirSync(at('dist', 'dev', 'sensor-001.d'));
    refused(
      () => planFileDeletion(root, 'dist/dev', bundles),
      `${at('dist', 'dev', 'sensor-001.d')} is not a regular file: nothing deleted; check it and remove it by hand`,
    );
  });

  it('a missing directory plans nothing; a link or .. on the way is refused', () => {
    expect(planFileDeletion(root, 'dist/dev', bundles)).toEqual({ files: [], directories: [] });
    files('elsewhere/sensor-001.tar.gz');
    fs.mkdirSync(at('dist'));
    fs.symlinkSync(at('elsewhere'), at('dist', 'dev'));
    refused(
      () => planFileDeletion(root, 'dist/dev', bundles),
      `${at('dist', 'dev')} is a symbolic link: keyless deletes nothing through links; check it and remove it by hand`,
    );
    refused(
      () => planFileDeletion(root, '../elsewhere', bundles),
      '../elsewhere: a path with .. is never deleted from',
    );
  });
});

describe('mergePlans', () => {
  it('keeps each plan in order, files with files and directories with directories', () => {
    expect(
      mergePlans(
        { files: ['/a/1', '/a/2'], directories: ['/a'] },
        { files: ['/b/1'], directories: [] },
        { files: [], directories: ['/c'] },
      ),
    ).toEqual({ files: ['/a/1', '/a/2', '/b/1'], directories: ['/a', '/c'] });
  });
});

describe('executeDeletion', () => {
  it('deletes the planned files and then the directory, and nothing else', () => {
    files(
      'fleet/dev/sensor-001/private.key',
      'fleet/dev/sensor-001/csr.pem',
      'fleet/dev/sensor-002/private.key',
    );
    fs.symlinkSync(at('fleet', 'dev', 'sensor-002', 'private.key'), at('fleet', 'dev', 'sensor-001', 'link'));
    executeDeletion(planDirectoryDeletion(root, 'fleet/dev/sensor-001'));
    expect(tree()).toEqual([
      'fleet',
      'fleet/dev',
      'fleet/dev/sensor-002',
      'fleet/dev/sensor-002/private.key',
    ]);
  });

  it("stops when a planned file's directory became a link before the deletion: what it points at stays", () => {
    files('fleet/dev/sensor-001/private.key', 'precious/private.key');
    const plan = planDirectoryDeletion(root, 'fleet/dev/sensor-001');
    fs.rmSync(at('fleet', 'dev', 'sensor-001'), { recursive: true });
    fs.symlinkSync(at('precious'), at('fleet', 'dev', 'sensor-001'));
    refused(
      () => executeDeletion(plan),
      `${at('fleet', 'dev', 'sensor-001')} changed while keyless was deleting in it: stopped; check it by hand`,
    );
    expect(fs.readFileSync(at('precious', 'private.key'), 'utf8')).toBe('precious/private.key');
  });

  it('stops when a planned directory is gone or became a file', () => {
    files('fleet/dev/sensor-001/private.key');
    const plan = planDirectoryDeletion(root, 'fleet/dev/sensor-001');
    fs.rmSync(at('fleet', 'dev', 'sensor-001'), { recursive: true });
    refused(
      () => executeDeletion(plan),
      `${at('fleet', 'dev', 'sensor-001')} changed while keyless was deleting in it: stopped; check it by hand`,
    );
    files('fleet/dev/sensor-001');
    refused(
      () => executeDeletion(plan),
      `${at('fleet', 'dev', 'sensor-001')} changed while keyless was deleting in it: stopped; check it by hand`,
    );
    expect(fs.readFileSync(at('fleet', 'dev', 'sensor-001'), 'utf8')).toBe('fleet/dev/sensor-001');
  });

  it('checks the directory itself again before removing it', () => {
    files('precious/private.key');
    fs.mkdirSync(at('fleet', 'dev', 'sensor-001'), { recursive: true });
    const plan = planDirectoryDeletion(root, 'fleet/dev/sensor-001');
    expect(plan.files).toEqual([]);
    fs.rmdirSync(at('fleet', 'dev', 'sensor-001'));
    fs.symlinkSync(at('precious'), at('fleet', 'dev', 'sensor-001'));
    refused(
      () => executeDeletion(plan),
      `${at('fleet', 'dev', 'sensor-001')} changed while keyless was deleting in it: stopped; check it by hand`,
    );
    expect(tree()).toContain('precious/private.key');
  });
});
