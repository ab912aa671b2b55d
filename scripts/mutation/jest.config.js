// The jest config `npm run test:mutation` runs (stryker.config.mjs): only the unit tests of the mutated modules
// (scripts/mutation/modules.js), not the whole suite, with the transform and settings the unit project uses.
const path = require('node:path');
const base = require('../../jest.config.js');
const { MODULES } = require('./modules.js');

const rootDir = path.resolve(__dirname, '../..');
const unit = base.projects.find((p) => p.displayName === 'unit');
const tests = [...new Set(MODULES.flatMap((m) => m.tests))];

/** @type {import('jest').Config} */
module.exports = {
  rootDir,
  testEnvironment: unit.testEnvironment,
  roots: ['<rootDir>/test'],
  transform: unit.transform,
  testTimeout: base.testTimeout,
  testMatch: tests.map((t) => `<rootDir>/${t}`),
};
