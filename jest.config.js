/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  // Synthesizing stacks with both validators is CPU-heavy; two workers fit the 2-core machine.
  maxWorkers: 2,
  testTimeout: 120000,
};
