import { Command } from 'commander';
import { version } from '../../package.json';
import { registerBundleCommand } from './bundle';
import { registerDeviceCommands } from './device-commands';
import { registerEnrollCommand } from './enroll';
import { registerFleetCommands } from './fleet-commands';
import { registerSoracomNewExternalIdCommand } from './soracom-new-external-id';
import { registerSoracomFunnelCommand } from './soracom-register-funnel';
import { registerSoracomKryptonCommand } from './soracom-register-krypton';

/**
 * The operator CLI (`npx keyless …`). Each capability registers its commands here from its own module,
 * so this file stays a table of contents. Commander's own errors (unknown option, missing argument) are thrown,
 * not exited on, so bin/keyless.ts gives every failure its documented exit code (lib/cli/exit-codes.ts).
 */
export function buildProgram(): Command {
  const program = new Command('keyless')
    .description(
      'Operator CLI for keyless-iot: enroll devices, build their bundles, revoke, quarantine and retire them, register SORACOM credentials',
    )
    .version(version, '-V, --version', 'print the keyless-iot version')
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(text) });
  registerEnrollCommand(program);
  registerBundleCommand(program);
  registerFleetCommands(program);
  registerDeviceCommands(program);
  registerSoracomKryptonCommand(program);
  registerSoracomFunnelCommand(program);
  registerSoracomNewExternalIdCommand(program);
  return program;
}
