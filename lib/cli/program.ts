import { Command } from 'commander';
import { registerBundleCommand } from './bundle';
import { registerEnrollCommand } from './enroll';
import { registerFleetCommands } from './fleet-commands';
import { registerSoracomKryptonCommand } from './soracom-register-krypton';

/**
 * The operator CLI (`npx keyless …`). Each capability registers its commands here from its own module,
 * so this file stays a table of contents.
 */
export function buildProgram(): Command {
  const program = new Command('keyless')
    .description(
      'Operator CLI for keyless-iot: enroll devices, register SORACOM credentials, build device bundles',
    )
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(text) });
  registerEnrollCommand(program);
  registerBundleCommand(program);
  registerFleetCommands(program);
  registerSoracomKryptonCommand(program);
  return program;
}
