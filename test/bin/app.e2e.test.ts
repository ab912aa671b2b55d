import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CONFIG_DIR, REPO_ROOT } from '../support/cdk-app';

/** Runs bin/app.ts the way `cdk synth` does: context in CDK_CONTEXT_JSON, output in CDK_OUTDIR. */
function runApp(context: Record<string, unknown>) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-app-'));
  const result = spawnSync(
    process.execPath,
    ['-r', 'ts-node/register', path.join(REPO_ROOT, 'bin', 'app.ts')],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        TS_NODE_SWC: 'true',
        CDK_CONTEXT_JSON: JSON.stringify(context),
        CDK_OUTDIR: outdir,
      },
    },
  );
  return { ...result, outdir };
}

describe('bin/app.ts', () => {
  it('prints one clear line per config problem, exits non-zero, and shows no stack trace', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-broken-'));
    const raw = JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, 'dev.json'), 'utf8'));
    raw.account = '1234';
    raw.region = 'tokyo';
    raw.data.accessLogExpirationDays = 0;
    raw.unknownKey = true;
    fs.writeFileSync(path.join(dir, 'dev.json'), JSON.stringify(raw));

    const { status, stderr, outdir } = runApp({ env: 'dev', configDir: dir });

    expect(status).toBe(1);
    const file = path.join(dir, 'dev.json');
    expect(stderr.trim().split('\n')).toEqual([
      'Invalid configuration for environment "dev":',
      `${file}: account: expected a 12-digit AWS account id, got "1234"`,
      `${file}: region: expected an AWS region such as ap-northeast-1, got "tokyo"`,
      `${file}: data.accessLogExpirationDays: expected an integer from 1 to 3650 days, got 0`,
      expect.stringMatching(new RegExp(`^${file}: unknownKey: unknown key; valid keys here: `)),
    ]);
    expect(stderr).not.toMatch(/\n\s+at /);
    // Nothing is synthesized from a config that failed.
    expect(fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json'))).toEqual([]);
  });

  it('refuses to synthesize (and so to deploy) an environment file still marked as a template', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-example-'));
    fs.copyFileSync(path.join(CONFIG_DIR, 'prod.example.json'), path.join(dir, 'prod.json'));

    const { status, stderr, outdir } = runApp({ env: 'prod', configDir: dir });

    expect(status).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      'Invalid configuration for environment "prod":',
      `${path.join(dir, 'prod.json')}: example: true marks a template, never deployed; set the account and your own external ids (npx keyless soracom new-external-id), then remove "example"`,
    ]);
    expect(fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json'))).toEqual([]);
  });

  it('names the environments that exist when the one asked for does not', () => {
    const { status, stderr } = runApp({ env: 'staging' });
    expect(status).toBe(1);
    expect(stderr).toContain('config/staging.json: no such environment "staging"; environments: dev');
  });
});
