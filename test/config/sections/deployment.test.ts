import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type KeylessConfigInput } from '../../../lib/config';
import { deployTarget } from '../../../lib/config/deploy-target';
import { devConfig, REPO_ROOT } from '../../support/cdk-app';
import { devConfigProblems } from '../../support/config-problems';
import { prodExampleConfig, prodExampleRaw } from '../../support/prod-example';

type Deployment = NonNullable<KeylessConfigInput['deployment']>;

const deployment = (change: (d: Deployment) => void = () => {}) => {
  const d: Deployment = {
    github: { repository: 'octo-org/keyless-iot', environments: ['dev'], oidcProvider: 'create' },
  };
  change(d);
  return (raw: KeylessConfigInput) => (raw.deployment = d);
};

describe('deployment config section', () => {
  it('is in the production template: one repository, the prod environment, a new OIDC provider', () => {
    expect(prodExampleConfig().deployment).toEqual({
      github: { repository: 'octo-org/keyless-iot', environments: ['prod'], oidcProvider: 'create' },
      cdkBootstrapQualifier: 'hnb659fds',
    });
  });

  it('is optional, and absent from the dev sample (deployed by hand)', () => {
    expect(devConfig().deployment).toBeUndefined();
  });

  it("defaults the bootstrap qualifier to cdk bootstrap's and takes an existing provider and numeric ids", () => {
    const arn = 'arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com';
    const section = devConfig(
      deployment((d) => {
        d.github.oidcProvider = { arn };
        d.github.ids = { owner: 123456, repository: 789012 };
      }),
    ).deployment;
    expect(section).toEqual({
      github: {
        repository: 'octo-org/keyless-iot',
        ids: { owner: 123456, repository: 789012 },
        environments: ['dev'],
        oidcProvider: { arn },
      },
      cdkBootstrapQualifier: 'hnb659fds',
    });
  });

  it.each<[string, (d: Deployment) => void, string[]]>([
    [
      'a repository without its owner',
      (d) => (d.github.repository = 'keyless-iot'),
      [
        'config/dev.json: deployment.github.repository: expected a GitHub repository as owner/name, such as octo-org/keyless-iot, got "keyless-iot"',
      ],
    ],
    [
      'a wildcard in the repository',
      (d) => (d.github.repository = 'octo-org/*'),
      [
        'config/dev.json: deployment.github.repository: expected a GitHub repository as owner/name, such as octo-org/keyless-iot, got "octo-org/*"',
      ],
    ],
    [
      'no environment',
      (d) => (d.github.environments = []),
      ['config/dev.json: deployment.github.environments: expected at least one GitHub environment, got []'],
    ],
    [
      'an environment that would change the shape of the sub claim, and one listed twice',
      (d) => (d.github.environments = ['prod:ref:refs/heads/main', 'dev', 'dev']),
      [
        'config/dev.json: deployment.github.environments[0]: expected 1-255 characters from a-z A-Z 0-9 _ . -, got "prod:ref:refs/heads/main"',
        'config/dev.json: deployment.github.environments[2]: expected a GitHub environment not listed already, got "dev"',
      ],
    ],
    [
      "a provider that is not GitHub's",
      (d) => (d.github.oidcProvider = { arn: 'arn:aws:iam::111111111111:oidc-provider/accounts.google.com' }),
      [
        'config/dev.json: deployment.github.oidcProvider.arn: expected the ARN of the GitHub Actions OIDC provider, such as arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com, got "arn:aws:iam::111111111111:oidc-provider/accounts.google.com"',
      ],
    ],
    [
      "another account's provider",
      (d) =>
        (d.github.oidcProvider = {
          arn: 'arn:aws:iam::999999999999:oidc-provider/token.actions.githubusercontent.com',
        }),
      [
        'config/dev.json: deployment.github.oidcProvider.arn: expected the OIDC provider of this environment\'s account 111111111111, not of 999999999999, got "arn:aws:iam::999999999999:oidc-provider/token.actions.githubusercontent.com"',
      ],
    ],
    [
      'a misspelt provider choice',
      (d) => (d.github.oidcProvider = 'created' as never),
      [
        'config/dev.json: deployment.github.oidcProvider: expected "create" or {"arn": "<the existing provider\'s ARN>"}, got "created"',
      ],
    ],
    [
      'ids that are not ids',
      (d) => (d.github.ids = { owner: -1, repository: 1.5 }),
      [
        "config/dev.json: deployment.github.ids.owner: expected GitHub's numeric id (a positive integer), got -1",
        "config/dev.json: deployment.github.ids.repository: expected GitHub's numeric id (a positive integer), got 1.5",
      ],
    ],
    [
      'a qualifier cdk bootstrap would refuse',
      (d) => (d.cdkBootstrapQualifier = 'hnb659fds-too-long'),
      [
        'config/dev.json: deployment.cdkBootstrapQualifier: expected 1-10 characters from a-z A-Z 0-9 _ -, got "hnb659fds-too-long"',
      ],
    ],
  ])('refuses %s', (_name, change, expected) => {
    expect(devConfigProblems(deployment(change))).toEqual(expected);
  });
});

describe('deploy target (what the deploy workflow assumes, from config)', () => {
  it('is the environment account, region and its Deployment stack role', () => {
    expect(deployTarget(prodExampleConfig(), 'prod')).toEqual({
      envName: 'prod',
      account: '222222222222',
      region: 'ap-northeast-1',
      roleArn: 'arn:aws:iam::222222222222:role/keyless-iot-prod-github-deploy',
      verifyRoleArn: 'arn:aws:iam::222222222222:role/keyless-iot-prod-github-verify',
    });
  });

  it('refuses a GitHub environment the role does not trust, and an environment without the section', () => {
    expect(() => deployTarget(prodExampleConfig(), 'Prod')).toThrow(
      'config/prod.json: deployment.github.environments: "Prod" is not listed (prod), so the deploy role would refuse this job\'s token',
    );
    expect(() => deployTarget(devConfig(), 'dev')).toThrow(
      'config/dev.json: deployment: missing; add the deployment section (see config/prod.example.json and docs/operations.md) and deploy its Deployment stack once before deploying from GitHub',
    );
  });

  describe('scripts/deploy-target.js', () => {
    let dir: string;
    const script = path.join(REPO_ROOT, 'scripts', 'deploy-target.js');
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-deploy-target-'));
      fs.writeFileSync(path.join(dir, 'prod.json'), JSON.stringify(prodExampleRaw()));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('prints key=value lines for $GITHUB_OUTPUT', () => {
      const out = execFileSync(
        process.execPath,
        [script, '--env', 'prod', '--github-environment', 'prod', '--config-dir', dir],
        { encoding: 'utf8' },
      );
      expect(out).toBe(
        'keyless-env=prod\naccount=222222222222\nregion=ap-northeast-1\n' +
          'role-arn=arn:aws:iam::222222222222:role/keyless-iot-prod-github-deploy\n' +
          'verify-role-arn=arn:aws:iam::222222222222:role/keyless-iot-prod-github-verify\n',
      );
    });

    it('finds the environment whose config lists the GitHub environment when --env is not given', () => {
      const out = execFileSync(
        process.execPath,
        [script, '--github-environment', 'prod', '--config-dir', dir],
        {
          encoding: 'utf8',
        },
      );
      expect(out.split('\n')[0]).toBe('keyless-env=prod');
      expect(out).toContain(
        'verify-role-arn=arn:aws:iam::222222222222:role/keyless-iot-prod-github-verify\n',
      );
    });

    it('refuses a GitHub environment no config lists, or two configs list, printing nothing for $GITHUB_OUTPUT', () => {
      const run = (configDir: string, githubEnvironment: string) =>
        spawnSync(
          process.execPath,
          [script, '--github-environment', githubEnvironment, '--config-dir', configDir],
          {
            encoding: 'utf8',
          },
        );
      const none = run(dir, 'staging');
      expect(none.status).toBe(1);
      expect(none.stdout).toBe('');
      expect(none.stderr).toContain(
        'no environment lists the GitHub environment "staging" in deployment.github.environments (environments: prod)',
      );
      const twice = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-deploy-target-'));
      try {
        const prod = JSON.parse(fs.readFileSync(path.join(dir, 'prod.json'), 'utf8'));
        fs.writeFileSync(path.join(twice, 'prod.json'), JSON.stringify(prod));
        fs.writeFileSync(
          path.join(twice, 'prod2.json'),
          JSON.stringify({ ...prod, account: '333333333333' }),
        );
        const both = run(twice, 'prod');
        expect(both.status).toBe(1);
        expect(both.stdout).toBe('');
        expect(both.stderr).toContain('deployment.github.environments: each lists "prod"');
        fs.writeFileSync(path.join(twice, 'prod2.json'), '{"account": "oops"');
        const broken = run(twice, 'prod');
        expect(broken.status).toBe(1);
        expect(broken.stdout).toBe('');
        expect(broken.stderr).toContain('prod2.json: cannot read JSON');
      } finally {
        fs.rmSync(twice, { recursive: true, force: true });
      }
    });

    it.each<[string, string[], string]>([
      [
        'an untrusted GitHub environment',
        ['--github-environment', 'staging'],
        '"staging" is not listed (prod)',
      ],
      [
        'an environment name that is not one',
        ['--env', 'prod\nrole-arn=x'],
        'environment name "prod\\nrole-arn=x"',
      ],
      ['a missing option', ['--github-environment'], '--github-environment needs a value'],
      ['an unknown option', ['--role-arn', 'x'], 'unknown option --role-arn'],
    ])('fails on %s, printing nothing for $GITHUB_OUTPUT', (_name, args, message) => {
      const base: Record<string, string> = {
        '--env': 'prod',
        '--github-environment': 'prod',
        '--config-dir': dir,
      };
      for (let i = 0; i < args.length; i += 2) base[args[i]] = args[i + 1];
      const argv = Object.entries(base).flatMap(([k, v]) => (v === undefined ? [k] : [k, v]));
      const result = spawnSync(process.execPath, [script, ...argv], { encoding: 'utf8' });
      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(message);
    });
  });
});
