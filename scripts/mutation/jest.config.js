// The jest config `npm run test:mutation` runs (stryker.config.mjs): only the unit tests of the module being
// mutated (scripts/mutation/modules.js), not the whole suite, with the transform and settings the unit project
// uses.
const path = require('node:path');
const base = require('../../jest.config.js');
const { currentModule } = require('./modules.js');

const unit = base.projects.find((p) => p.displayName === 'unit');

/** @type {import('jest').Config} */
module.exports = {
  rootDir: path.resolve(__dirname, '../..'),
  testEnvironment: unit.testEnvironment,
  roots: ['<rootDir>/test'],
  transform: unit.transform,
  testTimeout: base.testTimeout,
  testMatch: currentModule().tests.map((test) => `<rootDir>/${test}`),
};
