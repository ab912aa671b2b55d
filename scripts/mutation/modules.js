// The safety-critical modules `npm run test:mutation` mutates, each with the unit tests that must catch a change
// to it: scripts/mutation/run.js runs Stryker once per module, against that module's tests only. Scores:
// bench/README.md "Mutation scores".
module.exports.MODULES = [
  {
    name: 'rotation',
    module: 'lib/functions/soracom-key-rotation/rotation.ts',
    tests: [
      'test/functions/soracom-key-rotation/rotation.test.ts',
      'test/functions/soracom-key-rotation/handler.test.ts',
    ],
  },
  {
    name: 'funnel-credential-ids',
    module: 'lib/soracom/funnel-credential-ids.ts',
    tests: ['test/soracom/funnel-credential-ids.test.ts'],
  },
  { name: 'placement', module: 'lib/fleet/placement.ts', tests: ['test/fleet/placement.test.ts'] },
  { name: 'shard-lock', module: 'lib/fleet/shard-lock.ts', tests: ['test/fleet/shard-lock.test.ts'] },
];

/** The module run.js is mutating now (it sets KEYLESS_MUTATION_MODULE for Stryker and the jest config). */
module.exports.currentModule = () => {
  const name = process.env.KEYLESS_MUTATION_MODULE;
  const found = module.exports.MODULES.find((m) => m.name === name);
  if (found === undefined) {
    throw new Error(
      `KEYLESS_MUTATION_MODULE is ${JSON.stringify(name)}: run mutation testing with \`npm run test:mutation\` ` +
        `(modules: ${module.exports.MODULES.map((m) => m.name).join(', ')})`,
    );
  }
  return found;
};
