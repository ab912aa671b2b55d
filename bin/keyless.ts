#!/usr/bin/env node
import { buildProgram } from '../lib/cli/program';
import { ConfigError } from '../lib/config';

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    // Operators get the cause in one line; a stack trace only for bugs (KEYLESS_DEBUG=1 shows them all).
    if (error instanceof ConfigError) {
      process.stderr.write(`Invalid configuration:\n${error.message}\n`);
    } else if (error instanceof Error && !process.env.KEYLESS_DEBUG) {
      process.stderr.write(`keyless: ${error.message}\n`);
    } else {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    }
    process.exitCode = 1;
  });
