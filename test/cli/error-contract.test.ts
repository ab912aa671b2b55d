import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command, Option } from 'commander';
import { REPO_ROOT as TEST_ROOT } from '../../lib/contract/repository-layout';
import { buildProgram } from '../../lib/cli/program';
import { runKeyless } from '../../lib/cli/run';
import { capturedStreams } from '../support/streams';

/**
 * docs/cli.md, "Exit codes": every failure is `keyless: …` line(s) on stderr and its documented exit code — for
 * EVERY command of the program, those added later included (they are enumerated from lib/cli/program.ts). Run
 * in-process against a repository of its own: `alpha` (valid) and `broken` (invalid) are its environments.
 */
jest.mock('../../lib/contract/repository-layout', () => {
  const actual = jest.requireActual('../../lib/contract/repository-layout');
  const { mkdtempSync } = jest.requireActual('node:fs');
  const { tmpdir } = jest.requireActual('node:os');
  const { join } = jest.requireActual('node:path');
  return { ...actual, REPO_ROOT: mkdtempSync(join(tmpdir(), 'keyless-errors-')) };
});

const SOURCE_ROOT = path.resolve(__dirname, '..', '..');
const configDir = path.join(TEST_ROOT, 'config');

beforeAll(() => {
  fs.mkdirSync(configDir, { recursive: true });
  const dev = JSON.parse(fs.readFileSync(path.join(SOURCE_ROOT, 'config', 'dev.json'), 'utf8'));
  fs.writeFileSync(path.join(configDir, 'alpha.json'), JSON.stringify(dev, null, 2));
  // Two problems: the message must list both.
  fs.writeFileSync(
    path.join(configDir, 'broken.json'),
    JSON.stringify({ ...dev, account: '12345', region: 'mars-1' }, null, 2),
  );
});
afterAll(() => fs.rmSync(TEST_ROOT, { recursive: true, force: true }));

/** Every command that runs something, with its full name (`fleet plan`). */
function leaves(command: Command, prefix: string[] = []): Array<{ name: string[]; command: Command }> {
  return command.commands.flatMap((sub) => {
    const name = [...prefix, sub.name()];
    return sub.commands.length > 0 ? leaves(sub, name) : [{ name, command: sub }];
  });
}

/** What a command needs besides --env to get as far as reading its config (flags no parser can know). */
const NEEDS: Record<string, string[]> = {
  enroll: ['--thing', 'sensor-009'],
  'fleet register': ['--bulk', '--dry-run'],
  // Exactly one of --thing or --identity-id: neither is mandatory on its own.
  'device quarantine': ['--thing', 'sensor-001'],
  'device release': ['--thing', 'sensor-001'],
};

/** A value for a mandatory option that its own parser accepts. */
const SAMPLES: Record<string, string> = {
  '--thing': 'sensor-001',
  '--identity-id': 'ap-northeast-1:0f0e0d0c-0b0a-4908-8706-050403020100',
  '--sim-id': '440101234567890',
};

function requiredArgs(command: Command, name: string): string[] {
  const mandatory = command.options.filter((o: Option) => o.mandatory && o.long !== '--env');
  const positional = command.registeredArguments.filter((argument) => argument.required);
  return [
    ...positional.map((argument) => argument.argChoices?.[0] ?? 'sample'),
    ...(NEEDS[name] ?? []),
    ...mandatory.flatMap((o: Option) => [o.long!, o.argChoices?.[0] ?? SAMPLES[o.long!] ?? 'sample']),
  ];
}

async function keyless(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { streams, out } = capturedStreams();
  let stdout = '';
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const note = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    out.stderr += String(chunk);
    return true;
  });
  try {
    const code = await runKeyless(args, { stderr: streams.stderr, debug: false });
    return { code, stdout, stderr: out.stderr };
  } finally {
    write.mockRestore();
    note.mockRestore();
  }
}

/** Every line of stderr is one of ours, and none is commander's help. */
function expectKeylessLines(stderr: string): void {
  expect(stderr).toMatch(/\n$/);
  for (const line of stderr.slice(0, -1).split('\n')) expect(line).toMatch(/^keyless: +\S/);
  expect(stderr).not.toMatch(/Usage:|Options:|error:/);
}

const commands = leaves(buildProgram()).map(({ name, command }) => [name.join(' '), name, command] as const);
const withEnv = commands.filter(([, , command]) => command.options.some((o) => o.long === '--env'));

describe.each(commands)('keyless %s', (name, words, command) => {
  it('an unknown option: exit 2, one line naming it and the help to read', async () => {
    const takesEnv = command.options.some((o) => o.long === '--env');
    const result = await keyless([
      ...words,
      ...(takesEnv ? ['--env', 'alpha'] : []),
      ...requiredArgs(command, name),
      '--no-such-flag',
    ]);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `keyless: unknown option '--no-such-flag' (see \`keyless ${name} --help\`)\n`,
    });
  });
});

describe.each(withEnv)('keyless %s --env', (name, words, command) => {
  it('missing: exit 2, one line', async () => {
    const result = await keyless([...words, ...requiredArgs(command, name)]);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `keyless: required option '--env <name>' not specified (see \`keyless ${name} --help\`)\n`,
    });
  });

  it('an environment that does not exist: exit 3, one line listing the ones that do', async () => {
    const result = await keyless([...words, '--env', 'nope', ...requiredArgs(command, name)]);
    expect(result).toEqual({
      code: 3,
      stdout: '',
      stderr:
        `keyless: ${path.join(configDir, 'nope.json')}: no such environment "nope"; environments: alpha, broken ` +
        '(copy config/prod.example.json to config/<env>.json to add one)\n',
    });
  });

  it('an invalid config: exit 3, the environment named, then every problem on a line of its own', async () => {
    const result = await keyless([...words, '--env', 'broken', ...requiredArgs(command, name)]);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 3, stdout: '' });
    expectKeylessLines(result.stderr);
    const [first, ...problems] = result.stderr.slice(0, -1).split('\n');
    expect(first).toBe('keyless: invalid configuration for environment "broken":');
    const file = path.join(configDir, 'broken.json');
    expect(problems).toEqual([
      expect.stringMatching(new RegExp(`^keyless: {3}${file}: account: .*got "12345"$`)),
      expect.stringMatching(new RegExp(`^keyless: {3}${file}: region: .*got "mars-1"$`)),
    ]);
  });
});

describe('keyless, the program', () => {
  it('finds every command (a command added later is checked the same way)', () => {
    expect(withEnv.map(([name]) => name)).toEqual(
      expect.arrayContaining(['enroll', 'fleet plan', 'bundle', 'verify', 'stack-policy']),
    );
    expect(commands.map(([name]) => name)).toContain('soracom new-external-id');
  });

  it.each([
    [
      [],
      `keyless: name a command: ${buildProgram()
        .commands.map((c) => c.name())
        .join(', ')} (see \`keyless --help\`)`,
    ],
    [['fleet'], 'keyless: `keyless fleet` needs a command: plan, register (see `keyless fleet --help`)'],
    [['bogus'], "keyless: unknown command 'bogus' (see `keyless --help`)"],
    [
      ['enroll', '--env', 'alpha', '--prefix', 's-', '--count', 'abc'],
      "keyless: option '--count <n>' argument 'abc' is invalid. expected a whole number of at least 1. (see `keyless enroll --help`)",
    ],
    [
      ['fleet', 'plan', '--env', 'alpha', '--thing', 'bad name!'],
      "keyless: option '--thing <name>' argument 'bad name!' is invalid. expected 1-128 characters from a-z A-Z 0-9 : _ -. (see `keyless fleet plan --help`)",
    ],
  ])('keyless %j: exit 2, one line, no help dump', async (args, line) => {
    expect(await keyless(args)).toEqual({ code: 2, stdout: '', stderr: `${line}\n` });
  });

  it('help and --version are not failures', async () => {
    const version = await keyless(['--version']);
    expect(version).toMatchObject({ code: 0, stderr: '' });
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
    const help = await keyless(['fleet', 'plan', '--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toContain('Usage: keyless fleet plan');
  });
});
