import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../support/cdk-app';

// One way to name the functions that add commands to commander, so the next command is found (and named) the
// same way: `register<What>Command`, `register<What>Commands` for several, `register<What>Group` for a group.
const CLI_DIR = path.join(REPO_ROOT, 'lib', 'cli');
const NAME = /^register[A-Z]\w*(Command|Commands|Group)$/;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(file);
    return entry.name.endsWith('.ts') ? [file] : [];
  });
}

/** Exported functions whose first parameter is a commander `Command`: they add commands to it. */
function registrations(): { file: string; name: string }[] {
  return sourceFiles(CLI_DIR).flatMap((file) =>
    [...fs.readFileSync(file, 'utf8').matchAll(/export function (\w+)(?:<[^>]*>)?\(\s*\w+: Command\b/g)].map(
      (match) => ({ file: path.relative(REPO_ROOT, file), name: match[1] }),
    ),
  );
}

describe('command registration', () => {
  it('finds the registration functions (the scan is not empty)', () => {
    expect(registrations().map((r) => r.name)).toEqual(
      expect.arrayContaining(['registerBundleCommand', 'registerDeviceCommands', 'registerSoracomGroup']),
    );
  });

  it('names every function that adds commands register<What>Command(s) or register<What>Group', () => {
    const misnamed = registrations().filter((r) => !NAME.test(r.name));
    expect(misnamed).toEqual([]);
  });
});
