// The safety-critical modules `npm run test:mutation` mutates (stryker.config.mjs), each with the unit tests
// that must catch a change to it. Order is the order they were raised to >= 90 % killed (bench/README.md).
module.exports.MODULES = [
  {
    module: 'lib/functions/soracom-key-rotation/rotation.ts',
    tests: [
      'test/functions/soracom-key-rotation/rotation.test.ts',
      'test/functions/soracom-key-rotation/handler.test.ts',
    ],
  },
  {
    module: 'lib/soracom/funnel-credential-ids.ts',
    tests: [
      'test/soracom/funnel-credential-ids.test.ts',
      'test/functions/soracom-key-rotation/rotation.test.ts',
    ],
  },
  { module: 'lib/fleet/placement.ts', tests: ['test/fleet/placement.test.ts'] },
  { module: 'lib/fleet/shard-lock.ts', tests: ['test/fleet/shard-lock.test.ts'] },
];
