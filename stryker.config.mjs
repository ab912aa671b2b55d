// Mutation testing of the safety-critical modules (`npm run test:mutation`; on demand, not part of `npm test` or
// CI: a module takes minutes to hours). scripts/mutation/run.js runs Stryker once per module of
// scripts/mutation/modules.js, naming it in KEYLESS_MUTATION_MODULE: only that module is mutated, only its unit
// tests run (scripts/mutation/jest.config.js), and Stryker's per-test coverage runs each mutant only against the
// tests that reach it. Scores and how long a run took: bench/README.md "Mutation scores".
import modules from './scripts/mutation/modules.js';

const current = modules.currentModule();
const lines = process.env.KEYLESS_MUTATION_LINES;
const reports = `reports/mutation/${current.name}`;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: lines ? lines.split(',').map((range) => `${current.module}:${range}`) : [current.module],
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'scripts/mutation/jest.config.js',
    enableFindRelatedTests: false,
  },
  coverageAnalysis: 'perTest',
  // Incremental: a run only redoes the mutants whose code or covering tests changed since the last run. The file
  // is a local cache, git-ignored (reports/): it names every test and mutant at one commit, churns with every
  // change to a module or its tests and would conflict between branches; a fresh clone runs in full once.
  incremental: true,
  incrementalFile: `${reports}/stryker-incremental.json`,
  // The machine is shared (2 cores): two test runners at most.
  concurrency: 2,
  // A slow machine must not turn a covered mutant into a timeout that counts as killed by accident.
  timeoutMS: 30000,
  // The first run of every selected test (with coverage) takes minutes while the machine is loaded.
  dryRunTimeoutMinutes: 30,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: `${reports}/mutation.html` },
  jsonReporter: { fileName: `${reports}/mutation.json` },
  thresholds: { high: 90, low: 90, break: null },
  // The sandbox needs the sources, the tests and what they read (config/, fleet/, device-scripts/).
  ignorePatterns: ['/docs', '/bench', '/cdk.out', '/reports', '/coverage'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
