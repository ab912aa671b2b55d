// The jest config `npm run test:mutation` runs (stryker.config.mjs): only the unit tests of the module being
// mutated (scripts/mutation/modules.js), not the whole suite, with the transform and settings the unit project
// uses.
const path = require('node:path');
const base = require('../../jest.config.js');
const { currentModule } = require('./modules.js');

const unit = base.projects.find((p) => p.displayName === 'unit');
const root = path.resolve(__dirname, '../..');
// Stryker's jest runner wraps the test environment and requires it by name itself, without jest's <rootDir>
// substitution: give it (and the module mapping the environment works with) as absolute paths.
const absolute = (value) => value.replace('<rootDir>', root);

/** @type {import('jest').Config} */
module.exports = {
  rootDir: root,
  testEnvironment: absolute(unit.testEnvironment),
  moduleNameMapper: Object.fromEntries(
    Object.entries(unit.moduleNameMapper).map(([pattern, target]) => [pattern, absolute(target)]),
  ),
  roots: ['<rootDir>/test'],
  transform: unit.transform,
  testTimeout: base.testTimeout,
  testMatch: currentModule().tests.map((test) => `<rootDir>/${test}`),
};
