#!/usr/bin/env node
// `npm run test:mutation`: StrykerJS over the safety-critical modules (stryker.config.mjs). StrykerJS 10 needs
// Node >= 22; on an older Node this stops with one line naming the fix instead of a stack trace from inside it.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(
    `test:mutation needs Node >= 22 (StrykerJS 10), this is Node ${process.versions.node}: ` +
      'put Node 22 or later first on PATH (e.g. `npm install --prefix /tmp/node24 node@24`, then ' +
      '`PATH=/tmp/node24/node_modules/node/bin:$PATH npm run test:mutation`).',
  );
  process.exit(1);
}

// The package exports no path to its bin; it is installed next to this project.
const stryker = path.join(
  __dirname,
  '..',
  '..',
  'node_modules',
  '@stryker-mutator',
  'core',
  'bin',
  'stryker.js',
);
const args = process.argv.slice(2);
// `-m a.ts,b.ts` (or --mutate) narrows the run to some modules: scripts/mutation/jest.config.js then runs only
// their tests.
const flag = args.findIndex((arg) => arg === '-m' || arg === '--mutate');
const env = { ...process.env, KEYLESS_MUTATE: flag >= 0 ? (args[flag + 1] ?? '') : '' };
const run = spawnSync(process.execPath, [stryker, 'run', ...args], { stdio: 'inherit', env });
process.exit(run.status ?? 1);
