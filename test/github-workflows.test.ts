import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
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
    expect(uses).toHaveLength(1);
    const inputs = uses[0].with ?? {};
    expect(inputs['role-to-assume']).toEqual(expect.any(String));
    expect(Object.keys(inputs).sort()).toEqual([
      'allowed-account-ids',
      'aws-region',
      'role-session-name',
      'role-to-assume',
    ]);
  });
});

describe('permissions', () => {
  it.each(workflows.map((w) => [w.file, w] as const))(
    '%s grants read access to the repository at the top, nothing more',
    (_file, w) => {
      expect(w.permissions).toEqual({ contents: 'read' });
    },
  );

  it('id-token: write is granted in the deploy job alone', () => {
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
    expect(grants).toEqual(['deploy.yml jobs.deploy: id-token write']);
    expect(byFile('deploy.yml').jobs.deploy.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
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
  const job = w.jobs.deploy;
  const index = (match: (s: Step) => boolean): number => job.steps.findIndex(match);

  it('runs only by hand, in a GitHub environment chosen then, from main', () => {
    expect(Object.keys(w.on)).toEqual(['workflow_dispatch']);
    expect(job.environment).toBe('${{ inputs.environment }}');
    expect(job.if).toBe("github.ref == 'refs/heads/main'");
  });

  it('synthesizes before any credential exists, then assumes the role, then deploys the assembly it checked', () => {
    const install = index((s) => s.run?.trim() === 'npm ci');
    const target = index((s) => s.id === 'target');
    const synth = index((s) => /^npm run synth -- -c "env=\$KEYLESS_ENV"$/.test(s.run?.trim() ?? ''));
    const credentials = index((s) => actionOf(s) === CONFIGURE_AWS_CREDENTIALS);
    const deploy = index((s) => /^npx cdk deploy --app cdk\.out --all\b/.test(s.run?.trim() ?? ''));
    expect([install, target, synth, credentials, deploy].every((i) => i >= 0)).toBe(true);
    expect(install < target && target < synth && synth < credentials && credentials < deploy).toBe(true);
    expect(deploy).toBe(job.steps.length - 1);
    expect(job.steps[credentials].with).toMatchObject({
      'role-to-assume': '${{ steps.target.outputs.role-arn }}',
      'aws-region': '${{ steps.target.outputs.region }}',
      'allowed-account-ids': '${{ steps.target.outputs.account }}',
    });
  });

  it('keeps no git credential and restores no dependency cache in the job that holds AWS credentials', () => {
    expect(job.steps.find((s) => actionOf(s) === 'actions/checkout')?.with).toEqual({
      'persist-credentials': false,
    });
    const setupNode = job.steps.find((s) => actionOf(s) === 'actions/setup-node');
    expect(setupNode?.with).toEqual({ 'node-version-file': '.nvmrc', 'package-manager-cache': false });
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
