// The jest config `npm run test:mutation` runs (stryker.config.mjs): only the unit tests of the mutated modules
// (scripts/mutation/modules.js), not the whole suite, with the transform and settings the unit project uses.
const path = require('node:path');
const base = require('../../jest.config.js');
const { MODULES } = require('./modules.js');

const rootDir = path.resolve(__dirname, '../..');
const unit = base.projects.find((p) => p.displayName === 'unit');
// `npm run test:mutation -- -m <module>` mutates some modules only: run.js passes them on, and only their tests
// run (the initial run executes every selected test, whether or not a mutant can reach it).
const only = (process.env.KEYLESS_MUTATE ?? '').split(',').filter((file) => file !== '');
const selected =
  only.length === 0 ? MODULES : MODULES.filter((m) => only.some((file) => file.startsWith(m.module)));
const tests = [...new Set(selected.flatMap((m) => m.tests))];

/** @type {import('jest').Config} */
module.exports = {
  rootDir,
  testEnvironment: unit.testEnvironment,
  roots: ['<rootDir>/test'],
  transform: unit.transform,
  testTimeout: base.testTimeout,
  testMatch: tests.map((t) => `<rootDir>/${t}`),
};
