#!/usr/bin/env node
// What `npm test` checks before jest: the type check, eslint and prettier, side by side. Each is one
// single-threaded process and none depends on another, so on two cores they take the time of the longest (tsc)
// instead of the sum. Each one's output is printed whole when it ends, in this order; the exit status is 1 when
// any of them failed. `npm run build` and `npm run lint` still run them one by one.
const { Buffer } = require('node:buffer');
const { spawn } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

const CHECKS = [
  ['tsc --noEmit', bin('tsc'), ['--noEmit']],
  ['eslint . --max-warnings=0', bin('eslint'), ['.', '--max-warnings=0']],
  ['prettier --check .', bin('prettier'), ['--check', '.']],
];

function run([label, command, args]) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.on('error', (error) => resolve({ label, code: 1, output: `${error.message}\n` }));
    child.on('close', (code, signal) =>
      resolve({ label, code: code ?? `signal ${signal}`, output: Buffer.concat(output).toString('utf8') }),
    );
  });
}

Promise.all(CHECKS.map(run)).then((results) => {
  for (const { label, code, output } of results) {
    process.stdout.write(`\n> ${label}${code === 0 ? '' : ` (failed: exit ${code})`}\n${output}`);
  }
  if (results.some((r) => r.code !== 0)) process.exit(1);
});
