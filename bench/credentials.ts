/**
 * What keyless-credentials saves an AWS CLI user, measured offline against the loopback emulators.
 *
 *   npm run bench:credentials [-- --calls N] [-- --hit-samples N]
 *
 * Every AWS CLI start runs its credential_process (the CLI never caches it). Three ways to feed it, each for
 * N sequential `aws s3 ls` calls against s3rver (default 200; about 0.5 s per CLI start on a small machine,
 * so the default run takes several minutes — lower --calls for a quick look):
 *   (a) naive: the Krypton → Cognito curl/jq pipeline from the reference articles, fetching on every call;
 *   (b) keyless-credentials cold: the cache is removed before every call, so each call fetches;
 *   (c) keyless-credentials warm: one cache from the first call on.
 * The three run interleaved, each against its own emulators, so machine load drifts onto all of them alike.
 * Then the helper's cache hit alone against the floor `sh -c 'jq -c . cachefile'` (interleaved samples).
 * Timing lives here, never in tests.
 */
import { chmodSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

async function main(): Promise<void> {
  const calls = flag('calls', 200);
  const hitSamples = flag('hit-samples', 200);
  const aws = requireTool(TOOLS.aws);
  for (const tool of ['dash', 'jq', 'curl', 'flock', 'openssl']) requireTool(tool);

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

    const cacheDir = warm.cacheDirOf(warmConfig);
    const cacheFile = join(
      cacheDir,
      readdirSync(cacheDir).find((name) => name.endsWith('.json'))!,
    );
    const hit: number[] = [];
    const floor: number[] = [];
    const env = helperEnv();
    for (let i = 0; i < hitSamples; i += 1) {
      hit.push(await timed(HELPER, ['--config', warmConfig], env));
      floor.push(await timed('sh', ['-c', `jq -c . '${cacheFile}'`], env));
    }

    const reference = percentile(scenarios[0].samples, 50);
    const lines = [
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
      `Cache hit alone (${hitSamples} interleaved samples):`,
      '',
      '| command | median ms | p95 ms | median vs floor |',
      '|---|---:|---:|---:|',
      `| floor: sh -c 'jq -c . cachefile' | ${percentile(floor, 50).toFixed(1)} | ${percentile(floor, 95).toFixed(1)} | 1.00× |`,
      `| keyless-credentials (cache hit) | ${percentile(hit, 50).toFixed(1)} | ${percentile(hit, 95).toFixed(1)} | ` +
        `${(percentile(hit, 50) / percentile(floor, 50)).toFixed(2)}× |`,
      '',
      'Targets: (c) one upstream request per service; cache hit at most 2× the floor.',
      'On loopback an upstream round trip costs little; over cellular each one adds its RTT to every (a)/(b) call.',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await s3.stop();
    for (const fixture of fixtures) await fixture.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/credentials: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
