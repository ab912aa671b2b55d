#!/usr/bin/env node
// `npm run test:mutation [-- <module>[:<lines>] ...]`: StrykerJS over the safety-critical modules
// (scripts/mutation/modules.js), one run per module against that module's own tests, each incremental
// (reports/mutation/<module>/). A module is named as in modules.js (`rotation`) or by its path; `:<lines>`
// mutates only those lines (`rotation:283-300,596-604`). StrykerJS 10 needs Node >= 22; on an older Node this
// stops with one line naming the fix instead of a stack trace from inside it.
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { MODULES } = require('./modules.js');

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(
    `test:mutation needs Node >= 22 (StrykerJS 10), this is Node ${process.versions.node}: ` +
      'put Node 22 or later first on PATH (e.g. `npm install --prefix /tmp/node24 node@24`, then ' +
      '`PATH=/tmp/node24/node_modules/node/bin:$PATH npm run test:mutation`).',
  );
  process.exit(1);
}

// `--force` (and any other `--` option) goes to Stryker: `--force` ignores the incremental cache, which can keep a
// stale result after a test file is switched back and forth.
const options = process.argv.slice(2).filter((arg) => arg.startsWith('--'));
const selected = process.argv
  .slice(2)
  .filter((arg) => !arg.startsWith('--'))
  .map((arg) => {
    const [which, lines] = arg.split(':');
    const found = MODULES.find((m) => m.name === which || m.module === which);
    if (found === undefined || (lines !== undefined && !/^\d+-\d+(,\d+-\d+)*$/.test(lines))) {
      console.error(
        `test:mutation: ${JSON.stringify(arg)} is not <module>[:<first line>-<last line>[,...]] with <module> one of ` +
          `${MODULES.map((m) => m.name).join(', ')} (or its path); a Stryker option takes its value after "=" ` +
          '(`--concurrency=1`)',
      );
      process.exit(2);
    }
    return { module: found, lines };
  });

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
let failed = false;
for (const { module, lines } of selected.length > 0 ? selected : MODULES.map((m) => ({ module: m }))) {
  console.log(
    `\n== test:mutation ${module.name}: ${module.module}${(lines ?? module.lines) ? `:${lines ?? module.lines}` : ''}`,
  );
  const env = {
    ...process.env,
    KEYLESS_MUTATION_MODULE: module.name,
    KEYLESS_MUTATION_LINES: lines ?? module.lines ?? '',
  };
  const started = Date.now();
  const run = spawnSync(process.execPath, [stryker, 'run', ...options], { stdio: 'inherit', env });
  console.log(
    `== test:mutation ${module.name}: ${Math.round((Date.now() - started) / 1000)} s, exit ${run.status}`,
  );
  failed ||= run.status !== 0;
}
process.exit(failed ? 1 : 0);
