#!/usr/bin/env node
import { runKeyless } from '../lib/cli/run';

// The edge: reads argv and KEYLESS_DEBUG, and turns the outcome into the documented exit code.
void runKeyless(process.argv.slice(2), {
  stderr: process.stderr,
  // Operators get the cause in `keyless: …` lines; a stack trace only with KEYLESS_DEBUG=1.
  debug: Boolean(process.env.KEYLESS_DEBUG),
}).then((code) => {
  process.exitCode = code;
});
