// Mutation testing of the safety-critical modules (`npm run test:mutation`; on demand, not part of `npm test` or
// CI: a full run takes many minutes). Each entry of MODULES names a module and the unit tests that must pin its
// safety layers; scripts/mutation/jest.config.js runs exactly those tests, and Stryker's per-test coverage runs each
// mutant only against the tests that reach it. Scores and how long a run took: bench/README.md "Mutation scores".
// Needs Node >= 22 (StrykerJS 10); scripts/mutation/run.js says so in one line on an older Node.
import { MODULES } from './scripts/mutation/modules.js';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: MODULES.map((m) => m.module),
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
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  // The machine is shared (2 cores): two test runners at most.
  concurrency: 2,
  // A slow machine must not turn a covered mutant into a timeout that counts as killed by accident.
  timeoutMS: 30000,
  // The first run of every selected test (with coverage) takes minutes while the machine is loaded.
  dryRunTimeoutMinutes: 30,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 90, break: null },
  // The sandbox needs the sources, the tests and what they read (config/, fleet/, device-scripts/).
  ignorePatterns: ['/docs', '/bench', '/cdk.out', '/reports', '/coverage'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
