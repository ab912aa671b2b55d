// The safety-critical modules `npm run test:mutation` mutates, each with the unit tests that must catch a change
// to it: scripts/mutation/run.js runs Stryker once per module, against that module's tests only. Scores:
// bench/README.md "Mutation scores". `lines` (optional) narrows a module to the part that is safety-critical; it is
// what `npm run test:mutation -- <module>` mutates unless `:<lines>` says otherwise, and it follows the code: check
// it when the file changes.
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
  {
    name: 'config-rules',
    module: 'lib/config/rules.ts',
    tests: [
      'test/config/rules.test.ts',
      'test/config/sections/iot.test.ts',
      'test/config/sections/krypton.test.ts',
      'test/config/sections/closed-network.test.ts',
      'test/config/quarantine-config.test.ts',
    ],
  },
  {
    // Only the checks across sections (the schema's superRefine); the rest of the file is fields and their
    // descriptions, which the generated docs pin (test/docs), not these tests.
    name: 'config-cross-checks',
    module: 'lib/config/schema.ts',
    lines: '110-166',
    tests: [
      'test/config/sections/funnel.test.ts',
      'test/config/sections/closed-network.test.ts',
      'test/config/load.test.ts',
    ],
  },
  {
    name: 'config-deployment-account',
    module: 'lib/config/sections/deployment.ts',
    lines: '90-105',
    tests: ['test/config/sections/deployment.test.ts'],
  },
  {
    name: 'config-external-ids',
    module: 'lib/config/sections/soracom-principal.ts',
    lines: '117-161',
    tests: ['test/config/external-id-config.test.ts'],
  },
  {
    name: 'device-quarantine',
    module: 'lib/cli/device/quarantine.ts',
    tests: ['test/cli/device/quarantine.test.ts', 'test/cli/device/revoke-quarantine.test.ts'],
  },
  {
    name: 'device-decommission',
    module: 'lib/cli/device/decommission.ts',
    tests: ['test/cli/device/decommission.test.ts'],
  },
  {
    // describeStatus and recordAfterAws are shared with quarantine and decommission: their tests reach them too.
    name: 'device-revoke',
    module: 'lib/cli/device/revoke.ts',
    tests: [
      'test/cli/device/revoke.test.ts',
      'test/cli/device/revoke-quarantine.test.ts',
      'test/cli/device/quarantine.test.ts',
      'test/cli/device/decommission.test.ts',
    ],
  },
  {
    name: 'device-local-files',
    module: 'lib/cli/device/local-files.ts',
    tests: ['test/cli/device/local-files.test.ts', 'test/cli/device/decommission.test.ts'],
  },
  {
    name: 'device-offboard-sim',
    module: 'lib/cli/device/offboard-sim.ts',
    tests: ['test/cli/device/offboard-sim.test.ts'],
  },
  {
    name: 'soracom-api-client',
    module: 'lib/soracom/api-client.ts',
    tests: ['test/soracom/api-client.test.ts'],
  },
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
