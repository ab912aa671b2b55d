#!/usr/bin/env node
// `npm run synth [-- -c env=<name>]`: synthesize every stack of one environment with both validators,
// then say where the templates and the validation report are. Offline: no lookups, no AWS credentials.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
// The names come from the contract (TypeScript), like everything else that names stacks and files.
require('ts-node').register({ swc: true, project: path.join(root, 'tsconfig.json') });
const { shardLockFile, shardOfStackName } = require('../lib/contract');
const outdir = path.join(root, 'cdk.out');
const args = process.argv.slice(2);
const envArg = args.find((arg, i) => arg.startsWith('env=') && args[i - 1] === '-c');
const env = envArg ? envArg.slice('env='.length) : process.env.KEYLESS_ENV || 'dev';
const contextArgs = envArg ? args : ['-c', `env=${env}`, ...args];

const cdk = path.join(root, 'node_modules', '.bin', 'cdk');
const result = spawnSync(cdk, ['synth', '--quiet', ...contextArgs], {
  cwd: root,
  stdio: 'inherit',
  // The app never needs AWS: skip the SDK's instance-metadata probe when no credentials are set.
  env: { AWS_EC2_METADATA_DISABLED: 'true', ...process.env },
});
if (result.status !== 0) {
  process.stderr.write(`\nsynth failed for environment "${env}" (exit ${result.status ?? result.signal}).\n`);
  process.exit(result.status || 1);
}

const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
const stacks = Object.entries(manifest.artifacts)
  .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
  .map(([id, artifact]) => {
    const file = path.join(outdir, artifact.properties.templateFile);
    const template = JSON.parse(fs.readFileSync(file, 'utf8'));
    const resources = Object.keys(template.Resources ?? {}).length;
    const things = Object.values(template.Resources ?? {}).filter((r) => r.Type === 'AWS::IoT::Thing').length;
    return { id, file: path.relative(root, file), resources, things, bytes: fs.statSync(file).size };
  })
  .sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));

const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
const count = (key) => report.pluginReports.reduce((n, r) => n + r[key].length, 0);

const pad = (s, n) => String(s).padEnd(n);
console.log(`\nEnvironment "${env}": ${stacks.length} stacks synthesized and validated.\n`);
console.log(`${pad('stack', 34)} ${pad('resources', 9)} ${pad('things', 6)} ${pad('bytes', 8)} template`);
for (const s of stacks) {
  console.log(
    `${pad(s.id, 34)} ${pad(s.resources, 9)} ${pad(s.things || '', 6)} ${pad(s.bytes, 8)} ${s.file}`,
  );
}
// The shard layout: how full the Fleet stacks are, against the lock file's per-stack maximum.
const fleetStacks = stacks.filter((s) => shardOfStackName(env, s.id) !== undefined);
if (fleetStacks.length > 0) {
  const lockFile = path.join(root, shardLockFile(env));
  const lock = fs.existsSync(lockFile) ? JSON.parse(fs.readFileSync(lockFile, 'utf8')) : {};
  const most = (key) => Math.max(...fleetStacks.map((s) => s[key]));
  console.log(
    `\nFleet: ${fleetStacks.reduce((n, s) => n + s.things, 0)} things in ${fleetStacks.length} stack(s), at most ` +
      `${lock.maxThingsPerShard ?? '?'} per stack (${path.relative(root, lockFile)}); fullest: ${most('things')} things, ` +
      `${most('resources')} resources, ${Math.ceil(most('bytes') / 1024)} KB. ` +
      `Where a new thing lands: npx keyless fleet plan --env ${env}`,
  );
}
const plugins = report.pluginReports.map((r) => r.pluginName);
const nagPacks = plugins.filter((name) => name !== 'cdk-validator-cfnguard').join(', ');
console.log(
  `\nValidators: cdk-nag ${nagPacks} and cfn-guard Control Tower rules: ${count('violations')} unacknowledged ` +
    `findings. cfn-guard findings acknowledged: ${count('suppressedViolations')} (with their reasons in the report); ` +
    `cdk-nag acknowledgements sit next to their resources (Validations.of(...).acknowledge).`,
);
console.log(`Validation report: ${path.relative(root, path.join(outdir, 'validation-report.json'))}`);
console.log(`Templates: ${path.relative(root, outdir)}/`);
