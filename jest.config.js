// Two projects, split by path so that a new test lands in the right one without editing this file:
// - e2e: test/device-scripts/** (the device helper, install.sh and the Python examples driven by real clients —
//   AWS CLI v2, curl, dash, busybox, boto3 — that `npm test`'s pretest installs) and any *.e2e.test.ts (whole-app
//   synth in a child process, fleets of a thousand things: slow rather than tool-bound);
// - unit: everything else. Needs Node and the npm packages, plus openssl, GNU tar and sha256sum, which every
//   Linux development machine has; no Debian tool from scripts/ensure-test-tools.sh.
// `npm test` runs both; `npm run test:unit` is the inner loop, `npm run test:e2e` the rest.
// The AWS SDK's Node-version notice (9 lines per process under Node < 22) is noise in test output; the workers
// inherit this. test/bin/sdk-node-warning.test.ts checks the CLI's own handling with an environment of its own.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const E2E = ['<rootDir>/test/device-scripts/', '\\.e2e\\.test\\.ts$'];

/** @type {import('jest').Config['projects'][number]} */
const shared = {
  // jest's node environment, with the CloudFormation template validator loaded once per worker (see the file).
  testEnvironment: '<rootDir>/test/support/jest/environment.js',
  moduleNameMapper: {
    '^@aws/cloudformation-validate$': '<rootDir>/test/support/jest/cloudformation-validate.js',
  },
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
};

/** @type {import('jest').Config} */
module.exports = {
  // Synthesizing stacks with both validators is CPU-heavy; two workers fit the 2-core machine.
  maxWorkers: 2,
  // The longest files first, also on a clean clone where jest has no timings of its own (see the file).
  testSequencer: '<rootDir>/test/support/jest/sequencer.js',
  // A global option in jest 30 (a project's own testTimeout is ignored).
  testTimeout: 120000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...E2E],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/device-scripts/**/*.test.ts', '<rootDir>/test/**/*.e2e.test.ts'],
    },
  ],
};
