import * as path from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { ConfigError } from '../config';
import { DEFAULT_BUNDLE_DIR } from '../contract';
import { UsageError } from './exit-codes';
import { commandOutput, envOption, jsonOption } from './options';
import { terminalAuthKeyPrompt } from './operator-clients';
import { createDeviceClients, loadEditableConfig, type DeviceCommandDeps } from './device/context';
import { decommission, describeDecommission } from './device/decommission';
import { describeOffboarding, offboardSim } from './device/offboard-sim';
import {
  describeIdentityQuarantine,
  describeQuarantine,
  setIdentityQuarantine,
  setQuarantine,
} from './device/quarantine';
import { describeRevocation, revokeCertificate } from './device/revoke';
import { findOrphans, renderOrphans } from './device/orphans';
import { deviceStatus, renderStatus } from './device/status';

/**
 * `keyless device …`: the day-2 life of a device. X.509 things: see how config and AWS compare (`status`), cut a
 * thing off at once (`revoke`, `quarantine`), let it back (`release`), retire it (`decommission`). SORACOM SIMs:
 * end a SIM's access and remove its data (`offboard-sim`). Commands that change AWS also write the config, so the
 * next deploy keeps what they did; docs/runbooks/device-stolen.md puts them in order.
 */
export function registerDeviceCommands(program: Command, deps: DeviceCommandDeps = {}): Command {
  const device = program
    .command('device')
    .description('Device lifecycle: status, revoke, quarantine and release, decommission, SIM off-boarding');
  const clientsFor = deps.clients ?? ((config) => createDeviceClients(config, deps.env ?? process.env));

  device
    .command('status')
    .description(
      'Compare each thing in the config with AWS IoT: certificate status, quarantine, what a deploy changes; and report deployed Fleet stacks and things the config no longer has (orphans)',
    )
    .addOption(envOption())
    .option('--thing <name>', 'only this thing (repeatable; default: every thing)', collect)
    .addOption(jsonOption())
    .action(async (flags: { env: string; thing?: string[]; json?: boolean }) => {
      const output = commandOutput(Boolean(flags.json), deps.streams);
      const editable = loadEditableConfig(flags.env, deps);
      const clients = clientsFor(editable.config);
      const states = await deviceStatus(editable, clients, flags.thing);
      // Orphans are the whole environment's: looked for only when no --thing narrows the question.
      const orphans = flags.thing && flags.thing.length > 0 ? null : await findOrphans(editable, clients);
      output.result({ env: flags.env, things: states, orphans });
      renderStatus(states).forEach((line) => output.say(line));
      if (orphans) renderOrphans(orphans).forEach((line) => output.say(line));
      const conflicts = states.filter((s) => s.verdict === 'conflict').map((s) => s.thing);
      if (conflicts.length > 0) {
        throw new ConfigError(
          `${editable.config.configFile} asks for what AWS IoT cannot do for ${conflicts.join(', ')} (above): fix it before deploying`,
        );
      }
    });

  device
    .command('revoke')
    .description(
      "Revoke a thing's certificate in AWS IoT now (--inactive: deactivate), record it in the config, and name the deploy that makes CloudFormation agree",
    )
    .addOption(envOption())
    .requiredOption('--thing <name>', 'the thing whose certificate to revoke')
    .option('--inactive', 'set the certificate INACTIVE instead (it can be made active again; REVOKED never)')
    .addOption(jsonOption())
    .action(async (flags: { env: string; thing: string; inactive?: boolean; json?: boolean }) => {
      const output = commandOutput(Boolean(flags.json), deps.streams);
      const editable = loadEditableConfig(flags.env, deps);
      const result = await revokeCertificate(
        editable,
        clientsFor(editable.config),
        flags.thing,
        flags.inactive ? 'inactive' : 'revoked',
      );
      output.result(result);
      describeRevocation(result, editable.config.iot!.roleAlias.credentialDurationSeconds).forEach((line) =>
        output.say(line),
      );
    });

  for (const [name, quarantined] of [
    ['quarantine', true],
    ['release', false],
  ] as const) {
    device
      .command(name)
      .description(
        quarantined
          ? 'Cut a thing off (--thing: quarantine attribute and certificate INACTIVE now, the deploy denies its earlier sessions) or a Krypton identity (--identity-id: the deploy denies all its sessions); the config keeps it so'
          : 'End a quarantine (--thing: attribute gone and certificate ACTIVE again unless the config keeps it off; --identity-id: after the deploy), and record it in the config',
      )
      .addOption(envOption())
      .option('--thing <name>', `the thing to ${name}`)
      .option('--identity-id <id>', `the Krypton (Cognito) identity to ${name}, instead of a thing`)
      .addOption(jsonOption())
      .action(async (flags: { env: string; thing?: string; identityId?: string; json?: boolean }) => {
        if ((flags.thing === undefined) === (flags.identityId === undefined)) {
          throw new UsageError(`device ${name}: give exactly one of --thing <name> or --identity-id <id>`);
        }
        const output = commandOutput(Boolean(flags.json), deps.streams);
        const editable = loadEditableConfig(flags.env, deps);
        const clients = clientsFor(editable.config);
        if (flags.identityId !== undefined) {
          const result = await setIdentityQuarantine(editable, clients, flags.identityId, quarantined);
          output.result(result);
          describeIdentityQuarantine(result).forEach((line) => output.say(line));
          return;
        }
        const result = await setQuarantine(editable, clients, flags.thing!, quarantined);
        output.result(result);
        describeQuarantine(result, editable.config.iot!.roleAlias.credentialDurationSeconds).forEach((line) =>
          output.say(line),
        );
      });
  }

  device
    .command('decommission')
    .description(
      'Retire a thing: set its certificate INACTIVE in AWS IoT now, then remove it from the config (its Fleet slot is freed, nothing moves), delete its local key, CSR and bundle, and say what the next deploy deletes',
    )
    .addOption(envOption())
    .requiredOption('--thing <name>', 'the thing to retire')
    .option('--out <dir>', 'where `keyless bundle` wrote its archives', DEFAULT_BUNDLE_DIR)
    .option('--dry-run', 'read AWS, say what would be changed and deleted, change nothing')
    .addOption(jsonOption())
    .action(async (flags: { env: string; thing: string; out: string; dryRun?: boolean; json?: boolean }) => {
      const output = commandOutput(Boolean(flags.json), deps.streams);
      const editable = loadEditableConfig(flags.env, deps);
      const result = await decommission(editable, clientsFor(editable.config), flags.thing, {
        outDir: path.resolve(flags.out),
        dryRun: flags.dryRun,
      });
      output.result(result);
      describeDecommission(result).forEach((line) => output.say(line));
    });

  device
    .command('offboard-sim')
    .description(
      "End a Krypton SIM's access: check the identity is the SIM's, show what goes and confirm, then suspend the SIM at SORACOM, unlink and delete its Cognito identity, delete its device-table partition",
    )
    .addOption(envOption())
    .requiredOption(
      '--identity-id <id>',
      'its Cognito identity id (its krypton/<id>/ prefix and partition key)',
    )
    .option(
      '--sim-id <id>',
      'the SIM: checked against the identity, then suspended at SORACOM first (SORACOM_AUTH_KEY_ID/SORACOM_AUTH_KEY, or asked)',
    )
    .option('--keep-data', 'keep its device-table partition')
    .option('--dry-run', 'read and show what would go (SIM, identity, partition items), change nothing')
    .option('--yes', 'go ahead without asking (required when not on a terminal)')
    .option(
      '--allow-unverified-identity',
      "go ahead although nothing shows the identity is the SIM's (no --sim-id, or identifiers without a SIM number); never when they show another SIM",
    )
    .addOption(jsonOption())
    .action(
      async (flags: {
        env: string;
        identityId: string;
        simId?: string;
        keepData?: boolean;
        dryRun?: boolean;
        yes?: boolean;
        allowUnverifiedIdentity?: boolean;
        json?: boolean;
      }) => {
        const output = commandOutput(Boolean(flags.json), deps.streams);
        const { config } = loadEditableConfig(flags.env, deps);
        const result = await offboardSim(
          config,
          clientsFor(config),
          {
            identityId: flags.identityId,
            simId: flags.simId,
            keepData: flags.keepData,
            dryRun: flags.dryRun,
            yes: flags.yes,
            allowUnverifiedIdentity: flags.allowUnverifiedIdentity,
          },
          {
            env: deps.env ?? process.env,
            askAuthKey: terminalAuthKeyPrompt(),
            confirm: deps.confirm === undefined ? terminalConfirmPrompt() : (deps.confirm ?? undefined),
            note: output.note,
            fetchImpl: deps.fetchImpl,
            sleep: deps.sleep,
          },
        );
        output.result(result);
        describeOffboarding(result, config.krypton!, config.names.deviceBucket).forEach((line) =>
          output.say(line),
        );
      },
    );
  return device;
}

/** A yes/no question on the terminal (only "yes" is yes), or undefined when stdin or stderr is not one. */
function terminalConfirmPrompt(
  input: NodeJS.ReadStream = process.stdin,
  output: NodeJS.WriteStream = process.stderr,
): ((question: string) => Promise<boolean>) | undefined {
  if (!input.isTTY || !output.isTTY) return undefined;
  return (question) =>
    new Promise((resolve) => {
      const rl = createInterface({ input, output, terminal: true });
      rl.question(question, (answer) => {
        rl.close();
        resolve(answer.trim().toLowerCase() === 'yes');
      });
    });
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
