// The order jest starts test files in: the longest first, so that no worker is left running a long file alone at
// the end of the run. Jest knows how long each file took from its cache; a clean clone (CI) has no cache, and jest
// then falls back to the file's size, which started test/device-scripts/aws-cli.test.ts (120 lines, 200 real AWS
// CLI starts, minutes) among the last. Files in EXPECTED_SECONDS get that duration until jest has measured its own;
// other files keep jest's order. test/support/jest/sequencer.test.ts checks that every file named here exists.
const path = require('node:path');
const { default: TestSequencer } = require('@jest/test-sequencer');

const ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * Wall seconds per file, measured 2026-12-07 on the 2-core machine under load (the whole unit and e2e projects,
 * `--json`): what matters is the order, not the value.
 */
const EXPECTED_SECONDS = {
  'test/device-scripts/aws-cli.test.ts': 180,
  'test/bin/synth-read-only.e2e.test.ts': 70,
  'test/bin/app.e2e.test.ts': 65,
  'test/verify/verify.test.ts': 65,
  'test/functions/soracom-key-rotation/rotation.test.ts': 60,
  'test/cli/verify-live.test.ts': 60,
  'test/stacks/quarantine-deny.test.ts': 60,
  'test/upgrade/pins.test.ts': 50,
  'test/verify/isolation-questions.test.ts': 45,
  'test/fleet/fleet-stability.e2e.test.ts': 35,
  'test/cli/exit-codes.test.ts': 33,
  'test/compliance-packs.test.ts': 28,
  'test/validators.e2e.test.ts': 25,
  'test/device-scripts/keyless-credentials-fuzz.test.ts': 25,
  'test/contract/stack-outputs.test.ts': 25,
};

class LongestFirstSequencer extends TestSequencer {
  sort(tests) {
    const seconds = (test) => {
      const measured = this.time(test);
      if (measured != null) return measured / 1000;
      return EXPECTED_SECONDS[path.relative(ROOT, test.path).split(path.sep).join('/')];
    };
    const known = tests.filter((test) => seconds(test) != null || this.hasFailed(test));
    const unknown = tests.filter((test) => !known.includes(test));
    // Failed last time first (jest's rule), then the longest; files with no estimate after, in jest's own order.
    known.sort(
      (a, b) =>
        Number(this.hasFailed(b)) - Number(this.hasFailed(a)) || (seconds(b) ?? 0) - (seconds(a) ?? 0),
    );
    return [...known, ...super.sort(unknown)];
  }
}

module.exports = LongestFirstSequencer;
module.exports.EXPECTED_SECONDS = EXPECTED_SECONDS;
