import { Command } from 'commander';
import { version } from '../../package.json';
import { registerBundleCommand } from './bundle';
import { registerDeviceCommands } from './device-commands';
import { registerEnrollCommand } from './enroll';
import { registerFleetCommands } from './fleet-commands';
import { registerSoracomNewExternalIdCommand } from './soracom-new-external-id';
import { registerSoracomFunnelCommand } from './soracom-register-funnel';
import { registerSoracomKryptonCommand } from './soracom-register-krypton';
import { registerVerifyCommands } from './verify';

/**
 * The operator CLI (`npx keyless …`). Each capability registers its commands here from its own module,
 * so this file stays a table of contents. Commander's own errors (unknown option, missing argument) are thrown,
 * not exited on or printed, so lib/cli/run.ts gives every failure its documented `keyless: …` line and exit code
 * (lib/cli/exit-codes.ts).
 */
export function buildProgram(): Command {
  const program = new Command('keyless')
    .description(
      'Operator CLI for keyless-iot: enroll devices, build their bundles, revoke, quarantine and retire them, register SORACOM credentials',
    )
    .version(version, '-V, --version', 'print the keyless-iot version')
    .exitOverride()
    // Errors are reported once, by lib/cli/run.ts; the only other text commander sends to stderr is the help it
    // shows for an error (a group run without a command), which run.ts replaces with one line naming --help.
    .configureOutput({ outputError: () => {}, writeErr: () => {} });
  registerEnrollCommand(program);
  registerBundleCommand(program);
  registerFleetCommands(program);
  registerDeviceCommands(program);
  registerSoracomKryptonCommand(program);
  registerSoracomFunnelCommand(program);
  registerVerifyCommands(program);
  registerSoracomNewExternalIdCommand(program);
  return program;
}
