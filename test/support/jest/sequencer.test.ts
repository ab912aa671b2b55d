import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../cdk-app';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { EXPECTED_SECONDS } = require('./sequencer.js') as { EXPECTED_SECONDS: Record<string, number> };

/** A moved or renamed test file would silently lose its place at the front of the run. */
test.each(Object.keys(EXPECTED_SECONDS))('the sequencer names an existing test file: %s', (file) => {
  expect(fs.existsSync(path.join(REPO_ROOT, file))).toBe(true);
});
