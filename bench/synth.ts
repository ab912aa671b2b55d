/**
 * How synth scales with the fleet, measured offline.
 *
 *   npm run bench:synth [-- --sizes 10,100,1000,5000] [-- --repeat 2] [-- --cpu-prof]
 *
 * For each fleet size, three child processes (one at a time, so they do not compete for the cores):
 *   project  — the whole environment as `npm run synth` builds it: config/dev.json with N things (real P-256
 *              CSRs, checked by the config loader), every stack, cdk-nag and cfn-guard validating every synth;
 *   lean     — the same with CDK's own built-in CloudFormation validation switched off (CDK_VALIDATION=false),
 *              to show what that default costs on top of the project's validators;
 *   baseline — a bare loop creating the same L1 resources per thing (CfnThing, CfnCertificate,
 *              CfnThingPrincipalAttachment, CfnPolicyPrincipalAttachment and the certificate output) split into
 *              the same number of stacks, with no project construct and no validator of any kind.
 * Each child reports its wall and CPU time (config load + construct + synth), its peak RSS
 * (`process.resourceUsage().maxRSS`) and what it synthesized; each variant runs --repeat times and the fastest
 * run counts. `--cpu-prof` writes a V8 profile per project child into $TMPDIR/keyless-bench-profiles/ to find superlinear
 * work. Timing lives here, never in tests.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import * as iot from 'aws-cdk-lib/aws-iot';
import { parseConfig, type KeylessConfigInput } from '../lib/config';
import { certificateIdOutput, configFile, fleetStackName, LIMITS, shardOfStackName } from '../lib/contract';
import { planShards, shardsOf } from '../lib/fleet/shard-plan';
import { createEnvironmentStacks } from '../lib/stacks/environment';
import { addValidators } from '../lib/validators';
import { cachedCsrFile, ensureCsrs, syntheticThingNames } from '../test/fleet/synthetic-csrs';

const ROOT = path.resolve(__dirname, '..');
const DEFAULT_SIZES = [10, 100, 1000, 5000];

/** `lean`: the project without CDK's own built-in CloudFormation validation (CDK_VALIDATION=false). */
type Variant = 'project' | 'lean' | 'baseline';

/** What one child process measured. */
interface Measurement {
  readonly variant: Variant;
  readonly things: number;
  readonly seconds: number;
  /**
   * CPU seconds (user + system) of the same stretch, child processes (cfn-guard, esbuild) included. On a
   * shared machine wall time varies with everyone else's load; CPU time much less.
   */
  readonly cpuSeconds: number;
  /** Of which: config load (CSR checks), constructing the stacks, synthesis with validation. */
  readonly phases: { load: number; construct: number; synth: number };
  readonly peakMb: number;
  readonly stacks: number;
  readonly fleetStacks: number;
  readonly maxResources: number;
  readonly maxOutputs: number;
  readonly maxTemplateKb: number;
}

function cdkContext(): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context;
}

function thingAttributes(index: number): Record<string, string> {
  return { Owner: 'keyless', Site: index % 2 === 0 ? 'tokyo' : 'osaka' };
}

/** The dev config with N synthetic things whose CSRs sit in the cache; shard lock in an empty temp root. */
function fleetConfig(count: number, repoRoot: string) {
  const raw = JSON.parse(fs.readFileSync(path.join(ROOT, configFile('dev')), 'utf8')) as KeylessConfigInput;
  raw.iot!.things = syntheticThingNames(count).map((name, index) => ({
    name,
    attributes: thingAttributes(index),
    csrFile: cachedCsrFile(name),
  }));
  return parseConfig(raw, 'dev', 'config/dev.json', repoRoot);
}

function projectApp(count: number, outdir: string, mark: (phase: 'load' | 'construct') => void): App {
  const repoRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-bench-root-'));
  const config = fleetConfig(count, repoRoot);
  mark('load');
  // As bin/app.ts makes it: CDK's defaults, the built-in CloudFormation validation included (see `lean`).
  const app = new App({ context: cdkContext(), outdir });
  createEnvironmentStacks(app, config);
  addValidators(app);
  mark('construct');
  return app;
}

/** The same per-thing L1 resources in the same number of stacks, and nothing else. */
function baselineApp(count: number, outdir: string): App {
  const names = syntheticThingNames(count);
  // No validation of any kind, CDK's built-in CloudFormation validation included.
  const app = new App({ context: cdkContext(), outdir, builtinCloudFormationValidation: false });
  const env = { account: '111111111111', region: 'ap-northeast-1' };
  const shards = shardsOf(planShards(names, {}, LIMITS.defaultThingsPerShard).assignments);
  const attributesOf = new Map(names.map((name, index) => [name, thingAttributes(index)]));
  for (const [shard, things] of shards) {
    const stack = new Stack(app, fleetStackName('baseline', shard), { env });
    for (const name of things) {
      const thing = new iot.CfnThing(stack, `${name}Thing`, {
        thingName: name,
        attributePayload: { attributes: attributesOf.get(name) },
      });
      const certificate = new iot.CfnCertificate(stack, `${name}Certificate`, {
        certificateSigningRequest: fs.readFileSync(cachedCsrFile(name), 'utf8'),
        status: 'ACTIVE',
      });
      new iot.CfnThingPrincipalAttachment(stack, `${name}ThingPrincipal`, {
        thingName: thing.ref,
        principal: certificate.attrArn,
      });
      new iot.CfnPolicyPrincipalAttachment(stack, `${name}PolicyPrincipal`, {
        policyName: 'keyless-dev-device',
        principal: certificate.attrArn,
      });
      new CfnOutput(stack, certificateIdOutput(name).key, { value: certificate.ref });
    }
  }
  return app;
}

/** CPU time of this process and of its waited-for children (Linux: /proc/self/stat, in clock ticks). */
function cpuSecondsSoFar(): number {
  const own = process.cpuUsage();
  let children = 0;
  try {
    // Fields after the ")" that ends the command name: cutime and cstime are the 14th and 15th.
    const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    children = (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    // Not Linux: children's time unknown, own time only.
  }
  return (own.user + own.system) / 1e6 + children;
}

/** Child: build, synthesize, describe the cloud assembly, print one JSON line. */
function child(variant: Variant, count: number): void {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `keyless-bench-${variant}-`));
  const cpuStart = cpuSecondsSoFar();
  const start = process.hrtime.bigint();
  const elapsed = (): number => Number(process.hrtime.bigint() - start) / 1e9;
  const marks = { load: 0, construct: 0 };
  const mark = (phase: 'load' | 'construct'): void => {
    marks[phase] = elapsed();
  };
  const app = variant === 'baseline' ? baselineApp(count, outdir) : projectApp(count, outdir, mark);
  if (variant === 'baseline') mark('construct');
  const assembly = app.synth();
  const seconds = elapsed();
  const cpuSeconds = cpuSecondsSoFar() - cpuStart;
  const phases = {
    load: marks.load,
    construct: marks.construct - marks.load,
    synth: seconds - marks.construct,
  };
  let maxResources = 0;
  let maxOutputs = 0;
  let maxBytes = 0;
  let fleetStacks = 0;
  for (const stack of assembly.stacks) {
    const template = stack.template as { Resources?: object; Outputs?: object };
    maxResources = Math.max(maxResources, Object.keys(template.Resources ?? {}).length);
    maxOutputs = Math.max(maxOutputs, Object.keys(template.Outputs ?? {}).length);
    maxBytes = Math.max(maxBytes, fs.statSync(path.join(outdir, stack.templateFile)).size);
    if (shardOfStackName(variant === 'baseline' ? 'baseline' : 'dev', stack.stackName)) fleetStacks++;
  }
  const result: Measurement = {
    variant,
    things: count,
    seconds,
    cpuSeconds,
    phases,
    peakMb: process.resourceUsage().maxRSS / 1024,
    stacks: assembly.stacks.length,
    fleetStacks,
    maxResources,
    maxOutputs,
    maxTemplateKb: maxBytes / 1024,
  };
  fs.rmSync(outdir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function runChild(variant: Variant, count: number, cpuProf: boolean): Measurement {
  const profileDir = path.join(os.tmpdir(), 'keyless-bench-profiles');
  // ts-node's entry run by node itself, so V8 flags such as --cpu-prof can be passed (NODE_OPTIONS refuses it).
  const nodeFlags = ['--max-old-space-size=4096'];
  if (cpuProf && variant !== 'baseline') {
    nodeFlags.push(
      '--cpu-prof',
      `--cpu-prof-dir=${profileDir}`,
      `--cpu-prof-name=${variant}-${count}.cpuprofile`,
    );
  }
  const result = spawnSync(
    process.execPath,
    [
      ...nodeFlags,
      require.resolve('ts-node/dist/bin'),
      '--swc',
      __filename,
      '--child',
      variant,
      String(count),
    ],
    {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: {
        ...process.env,
        AWS_EC2_METADATA_DISABLED: 'true',
        ...(variant === 'lean' ? { CDK_VALIDATION: 'false' } : {}),
      },
    },
  );
  const line = result.stdout.trim().split('\n').pop() ?? '';
  if (result.status !== 0 || !line.startsWith('{')) {
    throw new Error(`${variant} synth of ${count} things failed (exit ${result.status}):\n${result.stderr}`);
  }
  return JSON.parse(line) as Measurement;
}

function numberFlag(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  if (index < 0) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} needs a positive whole number`);
  return value;
}

function sizesFromArgs(): number[] {
  const index = process.argv.indexOf('--sizes');
  if (index < 0) return DEFAULT_SIZES;
  const sizes = process.argv[index + 1].split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error('--sizes needs positive whole numbers');
  return sizes;
}

const fixed = (value: number, digits: number): string => value.toFixed(digits);

async function main(): Promise<void> {
  const sizes = sizesFromArgs();
  const cpuProf = process.argv.includes('--cpu-prof');
  const repeat = numberFlag('--repeat', 2);
  const csrStart = Date.now();
  await ensureCsrs(syntheticThingNames(Math.max(...sizes)));
  console.log(
    `CSRs ready in ${((Date.now() - csrStart) / 1000).toFixed(1)} s (cached in the temp directory)`,
  );
  console.log(
    `${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}\n`,
  );

  const rows: Array<Record<Variant, Measurement>> = [];
  for (const size of sizes) {
    // The fastest of several runs: what the work costs when the machine's other load lets it.
    const best = (variant: Variant): Measurement => {
      const runs = Array.from({ length: repeat }, () => runChild(variant, size, cpuProf));
      const fastest = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
      return { ...fastest, cpuSeconds: Math.min(...runs.map((run) => run.cpuSeconds)) };
    };
    const row = { project: best('project'), lean: best('lean'), baseline: best('baseline') };
    rows.push(row);
    console.log(
      `measured ${size} things: project ${fixed(row.project.seconds, 1)} s wall / ${fixed(row.project.cpuSeconds, 1)} s CPU ` +
        `(load ${fixed(row.project.phases.load, 1)}, construct ${fixed(row.project.phases.construct, 1)}, ` +
        `synth+validate ${fixed(row.project.phases.synth, 1)}); without CDK's built-in validation ` +
        `${fixed(row.lean.seconds, 1)} s / ${fixed(row.lean.cpuSeconds, 1)} s; ` +
        `baseline ${fixed(row.baseline.seconds, 1)} s / ${fixed(row.baseline.cpuSeconds, 1)} s`,
    );
  }

  const columns = [
    'things',
    'stacks (Fleet)',
    'max resources / stack',
    'max outputs / stack',
    'largest template',
    'synth wall (CPU), validators on',
    'peak RSS',
    "same without CDK's built-in validation",
    'bare L1 baseline',
    'baseline peak RSS',
    'CPU ratio to baseline',
  ];
  const time = (m: Measurement): string => `${fixed(m.seconds, 1)} s (${fixed(m.cpuSeconds, 1)} s)`;
  console.log(
    `\nMeasured ${new Date().toISOString().slice(0, 10)} (${os.cpus().length} cores, node ${process.version}, ` +
      `fastest of ${repeat} runs):\n`,
  );
  console.log(`| ${columns.join(' | ')} |`);
  console.log(`|${columns.map(() => '---').join('|')}|`);
  for (const { project, lean, baseline } of rows) {
    const cells = [
      project.things,
      `${project.stacks} (${project.fleetStacks})`,
      project.maxResources,
      project.maxOutputs,
      `${fixed(project.maxTemplateKb, 0)} KB`,
      time(project),
      `${fixed(project.peakMb, 0)} MB`,
      time(lean),
      time(baseline),
      `${fixed(baseline.peakMb, 0)} MB`,
      `${fixed(project.cpuSeconds / baseline.cpuSeconds, 1)}×`,
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
  const at = (n: number) => rows.find((row) => row.project.things === n);
  const small = at(1000);
  const large = at(5000);
  if (small && large) {
    const growth = (variant: Variant, key: 'seconds' | 'cpuSeconds'): string =>
      fixed(large[variant][key] / small[variant][key], 2);
    const perThing = (variant: Variant, key: 'seconds' | 'cpuSeconds'): string =>
      fixed((large[variant][key] - small[variant][key]) / (large.baseline[key] - small.baseline[key]), 2);
    console.log(
      `\n5000 / 1000 things, validators on: wall ${growth('project', 'seconds')}×, CPU ${growth('project', 'cpuSeconds')}× ` +
        `(target ≤ 5.5×); without CDK's built-in validation: wall ${growth('lean', 'seconds')}×, ` +
        `CPU ${growth('lean', 'cpuSeconds')}×`,
    );
    console.log(
      `cost of an added thing (1000 → 5000) against the baseline's, validators on: wall ${perThing('project', 'seconds')}×, ` +
        `CPU ${perThing('project', 'cpuSeconds')}× (target ≤ 2×); without CDK's built-in validation: ` +
        `wall ${perThing('lean', 'seconds')}×, CPU ${perThing('lean', 'cpuSeconds')}×`,
    );
  }
}

if (process.argv[2] === '--child') {
  child(process.argv[3] as Variant, Number(process.argv[4]));
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
