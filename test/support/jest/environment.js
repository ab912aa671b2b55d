// The jest environment of both projects: jest's node environment, plus one thing every test file of a worker
// shares instead of loading it again.
//
// aws-cdk-lib validates every synthesized template with @aws/cloudformation-validate, a 9 MB WebAssembly engine
// whose instance costs 1 to 5 s of CPU to start (it is the largest fixed cost of a test file that synthesizes).
// Jest gives each test file a fresh module registry, so each file started its own. This environment loads the
// package once per worker, in the worker's own realm, and test/support/jest/cloudformation-validate.js (mapped in
// jest.config.js) hands that copy to aws-cdk-lib. Every template is still validated, by the same engine.
const { TestEnvironment } = require('jest-environment-node');

// This realm's, so the copies it makes are plain objects here.
const { structuredClone } = globalThis;

const CLOUDFORMATION_VALIDATE = require.resolve('@aws/cloudformation-validate', {
  paths: [require.resolve('aws-cdk-lib')],
});

/** Loaded on first use, so a test file that never synthesizes does not pay for it. */
let cloudformationValidate;

/**
 * The package, with the plain-object arguments aws-cdk-lib passes (engine config, validation options) copied into
 * this realm first: the package refuses objects whose prototype is another realm's Object.prototype, and a test
 * file runs in a realm of its own.
 */
function loadCloudformationValidate() {
  const loaded = require(CLOUDFORMATION_VALIDATE);
  class CompositeEngine extends loaded.CompositeEngine {
    constructor(config) {
      super(structuredClone(config));
    }
    validateTemplate(template, config) {
      return super.validateTemplate(template, structuredClone(config));
    }
  }
  return { ...loaded, CompositeEngine };
}

class KeylessTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    Object.defineProperty(this.global, '__keylessCloudformationValidate', {
      get: () => (cloudformationValidate ??= loadCloudformationValidate()),
    });
  }
}

module.exports = KeylessTestEnvironment;
