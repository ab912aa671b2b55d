import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CloudFormationServiceException } from '@aws-sdk/client-cloudformation';
import { CommanderError } from 'commander';
import {
  describeFailure,
  EXIT_CODES,
  exitCodeFor,
  PartialFailureError,
  RemoteServiceError,
  UsageError,
  VerificationFailedError,
} from '../../lib/cli/exit-codes';
import { ConfigError } from '../../lib/config';
import { UnrecordedPlacementError } from '../../lib/fleet/placement';
import { SoracomApiError, SoracomAuthError } from '../../lib/soracom/api-client';
import { REPO_ROOT } from '../support/cdk-app';
import { runKeyless } from '../support/keyless-cli';

describe('exitCodeFor: one place maps errors to the documented codes', () => {
  const awsError = new CloudFormationServiceException({
    name: 'AccessDenied',
    $fault: 'client',
    $metadata: { httpStatusCode: 403 },
    message: 'not allowed',
  });
  it.each([
    ['help', new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'), 0],
    ['--version', new CommanderError(0, 'commander.version', '0.1.0'), 0],
    ['an unknown option', new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'"), 2],
    ['a missing mandatory option', new CommanderError(1, 'commander.missingMandatoryOptionValue', 'e'), 2],
    ['a usage error', new UsageError('--prefix and --count go together'), 2],
    ['an invalid config', new ConfigError(['config/dev.json: account: expected …']), 3],
    ['a config that lacks a section', new ConfigError('no krypton section'), 3],
    ['an unrecorded placement', new UnrecordedPlacementError('dev', ['a']), 3],
    ['a remote failure', new RemoteServiceError('stack not deployed'), 4],
    ['an AWS service exception', awsError, 4],
    [
      'missing AWS credentials',
      Object.assign(new Error('Could not load credentials'), { name: 'CredentialsProviderError' }),
      4,
    ],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 4],
    ['a SORACOM API error', new SoracomApiError(500, 'GET', '/v1/groups'), 4],
    ['a rejected SORACOM auth key', new SoracomAuthError(), 4],
    ['a wrapped AWS error', new Error('cannot list the stack', { cause: awsError }), 4],
    ['a partial failure', new PartialFailureError('2 of 3 bundles failed'), 5],
    ['a failed verification', new VerificationFailedError('3 checks failed'), 6],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'shard')"), 1],
    ['something thrown that is not an Error', 'a string', 1],
  ])('%s exits %s', (_what, error, code) => {
    expect(exitCodeFor(error)).toBe(code);
  });

  it('documents each code once, 0 to 6', () => {
    expect(Object.values(EXIT_CODES)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('says one line for expected failures, asks for a report only for bugs, never a stack trace unless asked', () => {
    expect(describeFailure(new RemoteServiceError('stack X is not deployed'), false)).toBe(
      'keyless: stack X is not deployed\n',
    );
    expect(describeFailure(new ConfigError(['a', 'b']), false)).toBe(
      'keyless: invalid configuration:\nkeyless:   a\nkeyless:   b\n',
    );
    expect(describeFailure(new ConfigError(['a', 'b'], 'dev'), false)).toBe(
      'keyless: invalid configuration for environment "dev":\nkeyless:   a\nkeyless:   b\n',
    );
    // One sentence on what a command needs from the config is printed as it is.
    expect(describeFailure(new ConfigError('no krypton section in config/dev.json'), false)).toBe(
      'keyless: no krypton section in config/dev.json\n',
    );
    // A message with a line break still reads as keyless' own lines.
    expect(describeFailure(new RemoteServiceError('first\nsecond'), false)).toBe(
      'keyless: first\nkeyless: second\n',
    );
    expect(describeFailure(new TypeError('x is undefined'), false)).toBe(
      'keyless: x is undefined\nkeyless: this is unexpected: run again with KEYLESS_DEBUG=1 for the stack trace, and report it\n',
    );
    expect(describeFailure(new TypeError('x is undefined'), true)).toMatch(
      /^TypeError: x is undefined\n\s+at /,
    );
    // Commander's own errors read as ours; help and --version are not failures.
    expect(
      describeFailure(
        new CommanderError(
          1,
          'commander.unknownOption',
          "error: unknown option '--jsn'\n(Did you mean --json?)",
        ),
        false,
      ),
    ).toBe("keyless: unknown option '--jsn' (Did you mean --json?)\n");
    expect(describeFailure(new CommanderError(0, 'commander.version', '0.1.0'), false)).toBe('');
  });
});

describe('bin/keyless.js: the exit codes as an operator sees them', () => {
  const keyless = (args: string[], env: NodeJS.ProcessEnv = {}) => runKeyless(args, { env });

  it('0: --version prints the package version', async () => {
    const result = await keyless(['--version']);
    const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('0: a command that succeeds', async () => {
    const result = await keyless(['fleet', 'plan', '--env', 'dev', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).envName).toBe('dev');
  });

  it.each([
    [['fleet', 'plan', '--env', 'dev', '--bogus'], "keyless: unknown option '--bogus'"],
    [['fleet', 'plan'], "keyless: required option '--env <name>' not specified"],
    [['fleet', 'plan', '--env', 'Bad_Env'], "keyless: option '--env <name>' argument 'Bad_Env' is invalid."],
    [['fleet', 'register', '--env', 'dev'], 'keyless: fleet register needs --bulk'],
    [[], 'keyless: name a command: enroll, bundle'],
  ])('2: usage — keyless %j', async (args, message) => {
    const result = await keyless(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    // One line, no help dump (test/cli/error-contract.test.ts checks this for every command).
    expect(result.stderr).toMatch(/^keyless: [^\n]*\n$/);
    expect(result.stderr).toContain(message);
  });

  it('3: configuration — an environment without a config file', async () => {
    const result = await keyless(['fleet', 'plan', '--env', 'nope']);
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      'keyless: config/nope.json: no such environment "nope"; environments: dev ' +
        '(copy config/prod.example.json to config/<env>.json to add one)\n',
    );
  });

  it('4: AWS — the credentials do not work (no network needed: none are found)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-exit-'));
    const result = await keyless(['soracom', 'register-krypton-credentials', '--env', 'dev'], {
      AWS_CONFIG_FILE: path.join(dir, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none'),
      AWS_EC2_METADATA_DISABLED: 'true',
      // Nothing listens here: if the SDK looked for credentials over the network, it would fail fast too.
      AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
    });
    expect(result.code).toBe(4);
    expect(result.stderr).toBe(
      'keyless: no AWS credentials found for account 111111111111: set AWS_PROFILE (or run `aws sso login` / `aws configure`) and try again\n',
    );
  });

  describe('1: a bug (a failure no class describes)', () => {
    // A preloaded module breaks the placement code the way a bug would.
    const preload = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-bug-')), 'bug.js');
    fs.writeFileSync(
      preload,
      [
        "const Module = require('node:module');",
        'const load = Module._load;',
        'Module._load = function (request, ...rest) {',
        '  const exported = load.call(this, request, ...rest);',
        '  if (!/fleet\\/placement$/.test(request)) return exported;',
        // Compiled modules export through getters: hand out a copy whose layoutFleet fails.
        '  return { ...exported, layoutFleet: () => {',
        '    throw new TypeError("Cannot read properties of undefined (reading \'shard\')");',
        '  } };',
        '};',
      ].join('\n'),
    );

    it('exits 1 and asks for a report, without a stack trace', async () => {
      const result = await keyless(['fleet', 'plan', '--env', 'dev'], {
        NODE_OPTIONS: `--require ${preload}`,
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        "keyless: Cannot read properties of undefined (reading 'shard')\n" +
          'keyless: this is unexpected: run again with KEYLESS_DEBUG=1 for the stack trace, and report it\n',
      );
    });

    it('shows the stack trace with KEYLESS_DEBUG=1', async () => {
      const result = await keyless(['fleet', 'plan', '--env', 'dev'], {
        NODE_OPTIONS: `--require ${preload}`,
        KEYLESS_DEBUG: '1',
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /^TypeError: Cannot read properties of undefined \(reading 'shard'\)\n\s+at /,
      );
    });
  });
});
