/**
 * What keyless-credentials saves an AWS CLI user, measured offline against the loopback emulators.
 *
 *   npm run bench:credentials [-- --calls N] [--hit-samples N] [--hit-only] [--compare-helper FILE] [--readme]
 *
 * Every AWS CLI start runs its credential_process (the CLI never caches it). Three ways to feed it, each for
 * N sequential `aws s3 ls` calls against s3rver (default 200; about 0.5 s per CLI start on a small machine,
 * so the default run takes several minutes — lower --calls for a quick look):
 *   (a) naive: the Krypton → Cognito curl/jq pipeline from the reference articles, fetching on every call;
 *   (b) keyless-credentials cold: the cache is removed before every call, so each call fetches;
 *   (c) keyless-credentials warm: one cache from the first call on.
 * The three run interleaved, each against its own emulators, so machine load drifts onto all of them alike.
 * Then the helper's cache hit alone against the floor `sh -c 'jq -c . cachefile'`, pairwise in one run: each
 * pair runs both back to back (the order alternating), the ratio is taken per pair and the median of those
 * ratios reported, so load that drifts during the run weighs on both sides of every ratio. Target: ≤ 0.5×.
 * `--compare-helper FILE` adds another helper (an older version, say) to every pair, with its own cache.
 * `--hit-only` skips the AWS CLI scenarios; `--readme` writes the dated tables into bench/README.md between
 * the `<!-- bench:credentials -->` markers. Timing lives here, never in tests.
 */
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { DeviceFixture, HELPER, helperEnv } from '../test/device-scripts/device-fixture';
import { LocalS3 } from '../test/support/local-aws';
import { runProcess } from '../test/support/run-process';
import { requireTool, TOOLS } from '../test/support/test-tools';

const BUCKET = 'keyless-bench';

function flag(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} needs a positive whole number`);
  return value;
}

function has(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return undefined;
  const value = process.argv[index + 1];
  if (!value || value.startsWith('--')) throw new Error(`--${name} needs a value`);
  return value;
}

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function timed(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const start = process.hrtime.bigint();
  const result = await runProcess(command, args, { env, timeoutMs: 120000 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  return ms;
}

/** The by-hand pipeline (reference article 002), with curl for the Cognito hop instead of a second CLI. */
function naiveScript(dir: string, fixture: DeviceFixture): string {
  const { krypton, cognito } = fixture.endpoints!;
  const file = join(dir, 'naive-credential-provider.sh');
  writeFileSync(
    file,
    `#!/bin/sh
set -eu
curl -sf -X POST -H 'content-type: application/json' --cacert '${fixture.pki.ca.certFile}' \\
  '${krypton.url}/v1/provisioning/aws/cognito/open_id_tokens' |
  jq -c '{IdentityId: .identityId, Logins: {"cognito-identity.amazonaws.com": .token}}' |
  curl -sf -X POST --cacert '${fixture.pki.ca.certFile}' -H 'Content-Type: application/x-amz-json-1.1' \\
    -H 'X-Amz-Target: AWSCognitoIdentityService.GetCredentialsForIdentity' --data-binary @- '${cognito.url}/' |
  jq -c '.Credentials | {Version: 1, AccessKeyId, SecretAccessKey: .SecretKey, SessionToken, Expiration: (.Expiration | floor | todate)}'
`,
  );
  chmodSync(file, 0o755);
  return file;
}

function awsEnv(dir: string, name: string, credentialProcess: string): NodeJS.ProcessEnv {
  const configFile = join(dir, `${name}.aws-config`);
  writeFileSync(
    configFile,
    `[profile bench]\nregion = ap-northeast-1\ncredential_process = ${credentialProcess}\ns3 =\n  addressing_style = path\n`,
  );
  return helperEnv({
    AWS_CONFIG_FILE: configFile,
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
    AWS_PROFILE: 'bench',
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
}

interface Scenario {
  readonly name: string;
  readonly fixture: DeviceFixture;
  readonly env: NodeJS.ProcessEnv;
  /** Runs before every call (the cold scenario removes its cache). */
  readonly beforeCall?: () => void;
  readonly samples: number[];
}

/** The AWS CLI scenarios: N `aws s3 ls` per scenario, interleaved. */
async function cliTable(calls: number): Promise<string[]> {
  const aws = requireTool(TOOLS.aws);
  // One set of emulators per scenario, so each scenario's upstream requests are counted on their own while
  // the calls are interleaved (a, b, c, a, b, c, …): load on a shared machine then weighs on all three alike.
  const fixtures = [new DeviceFixture(), new DeviceFixture(), new DeviceFixture()];
  const s3 = new LocalS3([BUCKET]);
  for (const fixture of fixtures) await fixture.start();
  await s3.start();
  try {
    const [naive, cold, warm] = fixtures;
    const coldConfig = cold.writeConfig('krypton-open-id-token');
    const warmConfig = warm.writeConfig('krypton-open-id-token');
    const scenarios: Scenario[] = [
      {
        name: '(a) naive fetch every call',
        fixture: naive,
        env: awsEnv(naive.dir, 'naive', naiveScript(naive.dir, naive)),
        samples: [],
      },
      {
        name: '(b) keyless-credentials, cold',
        fixture: cold,
        env: awsEnv(cold.dir, 'cold', `${HELPER} --config ${coldConfig}`),
        beforeCall: () => rmSync(cold.cacheDirOf(coldConfig), { recursive: true, force: true }),
        samples: [],
      },
      {
        name: '(c) keyless-credentials, warm',
        fixture: warm,
        env: awsEnv(warm.dir, 'warm', `${HELPER} --config ${warmConfig}`),
        samples: [],
      },
    ];
    const awsArgs = ['--endpoint-url', s3.url, 's3', 'ls', `s3://${BUCKET}/`];

    // One unmeasured CLI start so the first call does not pay for cold disk caches.
    await timed(aws, awsArgs, scenarios[0].env);
    const baseline = scenarios.map((s) => ({
      krypton: s.fixture.krypton.requests,
      cognito: s.fixture.cognito.requests,
    }));

    for (let i = 0; i < calls; i += 1) {
      for (const scenario of scenarios) {
        scenario.beforeCall?.();
        scenario.samples.push(await timed(aws, awsArgs, scenario.env));
      }
      if ((i + 1) % 50 === 0) process.stderr.write(`${i + 1}/${calls} rounds\n`);
    }

    const reference = percentile(scenarios[0].samples, 50);
    return [
      `AWS CLI calls per scenario: ${calls}, interleaved (aws s3 ls against s3rver; Krypton open-id-token mode: two hops)`,
      '',
      '| scenario | Krypton requests | Cognito requests | median ms/call | p95 ms/call | median vs (a) |',
      '|---|---:|---:|---:|---:|---:|',
      ...scenarios.map((scenario, index) => {
        const median = percentile(scenario.samples, 50);
        return (
          `| ${scenario.name} | ${scenario.fixture.krypton.requests - baseline[index].krypton} | ` +
          `${scenario.fixture.cognito.requests - baseline[index].cognito} | ${median.toFixed(0)} | ` +
          `${percentile(scenario.samples, 95).toFixed(0)} | ${(median / reference).toFixed(2)}× |`
        );
      }),
      '',
      'Target: (c) one upstream request per service. On loopback an upstream round trip costs little; over',
      'cellular each one adds its RTT to every (a)/(b) call.',
    ];
  } finally {
    await s3.stop();
    for (const fixture of fixtures) await fixture.stop();
  }
}

/** A config whose settings the helper will keep: written, then one full second left to pass (see the helper). */
async function settledConfig(fixture: DeviceFixture): Promise<string> {
  const config = fixture.writeConfig('krypton-open-id-token');
  const second = Math.floor(statSync(config).ctimeMs / 1000);
  while (Math.floor(Date.now() / 1000) <= second) await new Promise((r) => setTimeout(r, 50));
  return config;
}

/** The cache hit against the sh + jq floor, pairwise in one run. */
async function hitTable(pairs: number, compareHelper: string | undefined): Promise<string[]> {
  const fixture = new DeviceFixture();
  await fixture.start();
  try {
    const env = helperEnv();
    const config = await settledConfig(fixture);
    await timed(HELPER, ['--config', config], env);
    const cacheDir = fixture.cacheDirOf(config);
    const names = readdirSync(cacheDir);
    if (!names.some((name) => name.startsWith('settings-'))) {
      throw new Error('the helper kept no settings file: the bench would measure the config pass, not a hit');
    }
    // The floor reads the cached credentials as one JSON document: line 2 of the cache (line 1 is its header).
    const cacheFile = join(fixture.dir, 'cached-credentials.json');
    const cached = readFileSync(
      join(
        cacheDir,
        names.find((name) => name.endsWith('.json'))!,
      ),
      'utf8',
    );
    writeFileSync(cacheFile, `${cached.split('\n')[1]}\n`);

    const sides: { name: string; command: string; args: string[]; samples: number[] }[] = [
      {
        name: "floor: sh -c 'jq -c . cachefile'",
        command: 'sh',
        args: ['-c', `jq -c . '${cacheFile}'`],
        samples: [],
      },
      { name: 'keyless-credentials, cache hit', command: HELPER, args: ['--config', config], samples: [] },
    ];
    if (compareHelper) {
      const other = await settledConfig(fixture);
      await timed(compareHelper, ['--config', other], env);
      sides.push({
        name: `${compareHelper.split('/').pop()} (--compare-helper), cache hit`,
        command: resolve(compareHelper),
        args: ['--config', other],
        samples: [],
      });
    }
    for (const side of sides) await timed(side.command, side.args, env); // warm the page cache

    const requestsBefore = fixture.krypton.requests;
    for (let i = 0; i < pairs; i += 1) {
      const order = i % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) side.samples.push(await timed(side.command, side.args, env));
    }
    if (fixture.krypton.requests !== requestsBefore) {
      throw new Error('a measured call fetched: the bench must measure cache hits only');
    }

    const ratios = sides.map((side) => side.samples.map((ms, i) => ms / sides[0].samples[i]));
    const ratioCell = (i: number) =>
      i === 0
        ? '1.00×'
        : `${percentile(ratios[i], 50).toFixed(2)}× (${percentile(ratios[i], 25).toFixed(2)}–${percentile(ratios[i], 75).toFixed(2)})`;
    return [
      `Cache hit alone, ${pairs} pairs in one run (each pair runs every command back to back, order alternating; the ratio is taken per pair):`,
      '',
      '| command | median ms | p95 ms | ratio to the floor, median of pairs (p25–p75) |',
      '|---|---:|---:|---:|',
      ...sides.map(
        (side, i) =>
          `| ${side.name} | ${percentile(side.samples, 50).toFixed(1)} | ${percentile(side.samples, 95).toFixed(1)} | ${ratioCell(i)} |`,
      ),
      '',
      'Target: a cache hit ≤ 0.5× the floor (one shell and one stat; the floor is one shell and one jq).',
    ];
  } finally {
    await fixture.stop();
  }
}

/** Replaces the dated section between the markers in bench/README.md, creating the file or section. */
function writeReadme(table: string[]): void {
  const file = join(__dirname, 'README.md');
  const start = '<!-- bench:credentials -->';
  const end = '<!-- /bench:credentials -->';
  const section = [start, ...table, end].join('\n');
  const current = existsSync(file)
    ? readFileSync(file, 'utf8')
    : '# Benchmarks\n\nMeasured offline against the loopback emulators; timing lives here, never in tests.\n\n';
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next =
    from >= 0 && to > from
      ? `${current.slice(0, from)}${section}${current.slice(to + end.length)}`
      : `${current.trimEnd()}\n\n## keyless-credentials (\`npm run bench:credentials\`)\n\n${section}\n`;
  writeFileSync(file, next);
}

async function main(): Promise<void> {
  const calls = flag('calls', 200);
  const pairs = flag('hit-samples', 200);
  const compareHelper = option('compare-helper');
  for (const tool of ['dash', 'jq', 'curl', 'flock', 'openssl', 'stat']) requireTool(tool);

  const cpu = cpus();
  const lines = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}, /bin/sh → dash; a machine shared with other work, which is why every table is interleaved or pairwise.`,
    '',
    ...(await hitTable(pairs, compareHelper)),
  ];
  if (!has('hit-only')) lines.push('', ...(await cliTable(calls)));
  process.stdout.write(`${lines.join('\n')}\n`);
  if (has('readme')) writeReadme(lines);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/credentials: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
