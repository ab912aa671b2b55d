#!/usr/bin/env node
import { describeFailure, EXIT_CODES, exitCodeFor } from '../lib/cli/exit-codes';
import { buildProgram } from '../lib/cli/program';

// The edge: reads argv and KEYLESS_DEBUG, and turns the outcome into the documented exit code.
buildProgram()
  .parseAsync(process.argv)
  .then(() => {
    process.exitCode = EXIT_CODES.ok;
  })
  .catch((error: unknown) => {
    // Operators get the cause in one line; a stack trace only with KEYLESS_DEBUG=1.
    process.stderr.write(describeFailure(error, Boolean(process.env.KEYLESS_DEBUG)));
    process.exitCode = exitCodeFor(error);
  });
