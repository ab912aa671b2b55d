// The jest environment of both projects: jest's node environment, plus the one thing every test file of a worker
// shares instead of starting it again.
//
// aws-cdk-lib validates every synthesized template with @aws/cloudformation-validate, a 9 MB WebAssembly engine:
// loading it and building an engine for a set of rules costs 2 to 5 s of CPU, the largest fixed cost of a test
// file that synthesizes. Jest gives each test file a fresh module registry, so each such file paid it again. This
// environment loads the package once per worker, in the worker's own realm, and keeps one engine per distinct
// rule set; test/support/jest/cloudformation-validate.js (mapped in jest.config.js) hands that copy to aws-cdk-lib.
// Every template is still validated, by the same engine with the same rules, as aws-cdk-lib itself reuses one
// engine for every app of a process.
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');
const { TestEnvironment } = require('jest-environment-node');

// This realm's, so the copies it makes are plain objects here.
const { structuredClone } = globalThis;

const CLOUDFORMATION_VALIDATE = require.resolve('@aws/cloudformation-validate', {
  paths: [require.resolve('aws-cdk-lib')],
});

/** Loaded on first use, so a test file that never synthesizes does not pay for it. */
let cloudformationValidate;

/**
 * The package, with one engine per engine config for the worker's life, and the plain-object arguments
 * aws-cdk-lib passes (engine config, validation options) copied into this realm first: the package refuses
 * objects whose prototype is another realm's Object.prototype, and a test file runs in a realm of its own.
 */
function loadCloudformationValidate() {
  const loaded = require(CLOUDFORMATION_VALIDATE);
  const engines = new Map();
  class CompositeEngine {
    constructor(config) {
      const copy = structuredClone(config);
      const key = crypto.createHash('sha256').update(v8.serialize(copy)).digest('hex');
      if (!engines.has(key)) engines.set(key, new loaded.CompositeEngine(copy));
      this.engine = engines.get(key);
    }
    validateTemplate(template, config) {
      return this.engine.validateTemplate(template, structuredClone(config));
    }
    /** The engine is shared by later test files of the worker: it lives as long as the worker. */
    free() {}
  }
  return { ...loaded, CompositeEngine };
}

// Each test file also gets a directory of its own for the cloud assemblies its apps write (testApp in
// test/support/cdk-app.ts), removed when the file ends: an assembly holds copies of every asset (the AWS CLI
// layer alone is 30 MB), and left in the temp directory they added up to about 2 GB per `npm test`.
class KeylessTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    Object.defineProperty(this.global, '__keylessCloudformationValidate', {
      get: () => (cloudformationValidate ??= loadCloudformationValidate()),
    });
    this.assemblies = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-assemblies-'));
    this.global.__keylessAssemblies = this.assemblies;
  }

  async teardown() {
    fs.rmSync(this.assemblies, { recursive: true, force: true });
    await super.teardown();
  }
}

module.exports = KeylessTestEnvironment;
