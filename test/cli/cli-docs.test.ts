import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { EXIT_CODES } from '../../lib/cli/exit-codes';
import { buildProgram } from '../../lib/cli/program';
import { REPO_ROOT } from '../support/cdk-app';

/** docs/cli.md documents every command, every option and every exit code the CLI has. */
const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'cli.md'), 'utf8');

/** Every command that runs something, with its full name (`fleet plan`). */
function leaves(command: Command, prefix: string[] = []): Array<{ name: string; command: Command }> {
  return command.commands.flatMap((sub) => {
    const name = [...prefix, sub.name()];
    return sub.commands.length > 0 ? leaves(sub, name) : [{ name: name.join(' '), command: sub }];
  });
}

const commands = leaves(buildProgram());

test('the CLI has the commands the doc describes', () => {
  expect(commands.map((c) => c.name)).toEqual([
    'enroll',
    'bundle',
    'fleet plan',
    'fleet register',
    'device status',
    'device revoke',
    'device quarantine',
    'device release',
    'device decommission',
    'device offboard-sim',
    'soracom register-krypton-credentials',
    'soracom register-funnel-credentials',
    'soracom new-external-id',
    'verify',
    'stack-policy',
  ]);
});

test.each(commands.map((c) => [c.name, c.command] as const))(
  'docs/cli.md documents `%s` and its options',
  (name, command) => {
    expect(doc).toContain(`## ${name}`);
    const section = doc.slice(doc.indexOf(`## ${name}`)).split(/\n## /)[0];
    for (const option of command.options.map((o) => o.long!)) {
      // --env and --json are documented once, under "Common options".
      if (option === '--env' || option === '--json') expect(doc).toContain(`\`${option}`);
      else
        expect({ name, option, documented: section.includes(`\`${option}`) }).toEqual({
          name,
          option,
          documented: true,
        });
    }
    if (command.options.some((o) => o.long === '--json')) expect(section).toContain('`--json`');
  },
);

test('docs/cli.md has a row for every exit code', () => {
  for (const code of Object.values(EXIT_CODES)) expect(doc).toMatch(new RegExp(`\\n\\| ${code} \\| `));
});
