import { GetStackPolicyCommand, SetStackPolicyCommand } from '@aws-sdk/client-cloudformation';
import type { Command } from 'commander';
import { loadEnvironmentConfig, type KeylessConfig } from '../config';
import {
  statefulResourcesOf,
  statefulStackPolicy,
  type TemplateResources,
} from '../contract/stateful-resources';
import { unprotectedBy } from '../verify/stack-policy';
import { synthesizeEnvironment, type SynthesizedEnvironment } from '../verify/synth';
import {
  createVerifyClients,
  renderReport,
  verifyEnvironment,
  type VerifyClients,
  type VerifyReport,
} from '../verify/verify';
import { assertCallerMatches, describeAwsError } from './operator-clients';
import { createDeviceClients, loadEditableConfig, type DeviceClients } from './device/context';
import { UsageError, VerificationFailedError } from './exit-codes';
import { commandOutput, envOption, jsonOption } from './options';
import { liveChecks } from './verify-live';

/** What the verify commands read and write through; tests replace parts of it. */
export interface VerifyCommandDeps {
  readonly configDir?: string;
  readonly streams?: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
  readonly clients?: (config: KeylessConfig) => VerifyClients;
  readonly synthesize?: (config: KeylessConfig) => SynthesizedEnvironment;
  readonly env?: NodeJS.ProcessEnv;
  /** `fleet/<env>/<thing>/private.key` lives under it (--live). @default the repository */
  readonly repoRoot?: string;
  /** --live: the clients the quarantine and release go through. @default {@link createDeviceClients} */
  readonly deviceClients?: (config: KeylessConfig) => DeviceClients;
  /** --live: extra CA certificates of the credentials endpoint (tests). */
  readonly ca?: string;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * `keyless verify` (read-only: proves the deployed environment with AWS's own evaluators) and `keyless
 * stack-policy` (shows, and with --apply sets, the stack policy that keeps stateful resources from being replaced
 * or deleted by an update).
 */
export function registerVerifyCommands(program: Command, deps: VerifyCommandDeps = {}): void {
  const clientsFor = deps.clients ?? ((config) => createVerifyClients(config, deps.env ?? process.env));

  program
    .command('verify')
    .description(
      'Read-only: check the deployed environment against synth and the isolation questions, with AWS’s own evaluators',
    )
    .addOption(envOption())
    .option(
      '--thing <name>',
      'the thing whose certificate TestAuthorization asks about (default: the first in the config)',
    )
    .option(
      '--live',
      'also ask the real credentials endpoint with the canary’s key, quarantine and release it (needs --thing; writes)',
    )
    .addOption(jsonOption())
    .action(async (flags: { env: string; thing?: string; live?: boolean; json?: boolean }) => {
      const output = commandOutput(Boolean(flags.json), deps.streams);
      if (flags.live && !flags.thing) {
        throw new UsageError('--live needs --thing <canary>: the thing whose key is on this machine');
      }
      const config = loadEnvironmentConfig(flags.env, deps.configDir);
      const clients = clientsFor(config);
      let report: VerifyReport = await verifyEnvironment(config, clients, {
        thing: flags.thing,
        synthesize: deps.synthesize,
        note: output.note,
      });
      if (flags.live) {
        output.note(
          `--live: asking the credentials endpoint as ${flags.thing}, quarantining and releasing it`,
        );
        const editable = loadEditableConfig(flags.env, {
          configDir: deps.configDir,
          repoRoot: deps.repoRoot,
        });
        const live = await liveChecks(config, clients, flags.thing!, {
          editable,
          deviceClients: deps.deviceClients?.(config) ?? createDeviceClients(config, deps.env ?? process.env),
          ca: deps.ca,
          env: deps.env ?? process.env,
          sleep: deps.sleep,
        });
        const checks = [...report.checks, ...live];
        report = { ...report, checks, ok: checks.every((c) => c.status !== 'fail') };
      }
      output.result(report);
      renderReport(report).forEach((line) => output.say(line));
      if (!report.ok) {
        const failed = report.checks.filter((c) => c.status === 'fail').length;
        throw new VerificationFailedError(
          `environment ${config.envName} is not verified: ${failed} check${failed === 1 ? '' : 's'} failed (above)`,
        );
      }
    });

  program
    .command('stack-policy')
    .description(
      'Show which deployed stacks lack the stack policy that denies replacing or deleting their stateful resources; --apply sets it (the only write)',
    )
    .addOption(envOption())
    .option(
      '--apply',
      'set the policy on every deployed stack that has stateful resources (CloudFormation SetStackPolicy)',
    )
    .addOption(jsonOption())
    .action(async (flags: { env: string; apply?: boolean; json?: boolean }) => {
      const output = commandOutput(Boolean(flags.json), deps.streams);
      const config = loadEnvironmentConfig(flags.env, deps.configDir);
      const result = await stackPolicies(config, clientsFor(config), {
        apply: Boolean(flags.apply),
        synthesize: deps.synthesize ?? synthesizeEnvironment,
      });
      output.result(result);
      for (const stack of result.stacks) {
        output.say(
          stack.status === 'not-deployed'
            ? `${stack.stackName}: not deployed`
            : `${stack.stackName}: ${stack.status}${stack.unprotected.length > 0 ? ` (unprotected: ${stack.unprotected.join(', ')})` : ''}`,
        );
      }
      const open = result.stacks.filter((s) => s.status === 'unprotected');
      if (open.length > 0) {
        output.note(`set the policy with: npx keyless stack-policy --env ${config.envName} --apply`);
        throw new VerificationFailedError(
          `${open.length} stack${open.length === 1 ? '' : 's'} of ${config.envName} leave stateful resources unprotected`,
        );
      }
    });
}

export interface StackPolicyResult {
  readonly env: string;
  readonly applied: boolean;
  readonly stacks: {
    readonly stackName: string;
    /** `protected`, `unprotected` (read only), `applied` (set by this run), `not-deployed`. */
    readonly status: 'protected' | 'unprotected' | 'applied' | 'not-deployed';
    /** Logical ids of the stateful resources the policy did not protect before this run. */
    readonly unprotected: string[];
  }[];
}

/** Reads (and with `apply`, sets) the stateful stack policy of each deployed stack that has stateful resources. */
export async function stackPolicies(
  config: KeylessConfig,
  clients: Pick<VerifyClients, 'sts' | 'cloudFormation'>,
  options: { apply: boolean; synthesize: (config: KeylessConfig) => SynthesizedEnvironment },
): Promise<StackPolicyResult> {
  await assertCallerMatches(clients, config);
  const { templates } = options.synthesize(config);
  const stacks: StackPolicyResult['stacks'][number][] = [];
  for (const [stackName, template] of templates) {
    const stateful = statefulResourcesOf(template as TemplateResources);
    if (stateful.length === 0) continue;
    let body: string | undefined;
    try {
      body = (await clients.cloudFormation.send(new GetStackPolicyCommand({ StackName: stackName })))
        .StackPolicyBody;
    } catch (error) {
      if (/does not exist/.test(error instanceof Error ? error.message : String(error))) {
        stacks.push({ stackName, status: 'not-deployed', unprotected: [] });
        continue;
      }
      throw describeAwsError(error, config);
    }
    const unprotected = stateful.filter((r) => unprotectedBy(body, r) !== undefined).map((r) => r.logicalId);
    if (unprotected.length === 0) {
      stacks.push({ stackName, status: 'protected', unprotected });
      continue;
    }
    if (!options.apply) {
      stacks.push({ stackName, status: 'unprotected', unprotected });
      continue;
    }
    try {
      await clients.cloudFormation.send(
        new SetStackPolicyCommand({
          StackName: stackName,
          StackPolicyBody: JSON.stringify(statefulStackPolicy()),
        }),
      );
    } catch (error) {
      throw describeAwsError(error, config);
    }
    stacks.push({ stackName, status: 'applied', unprotected });
  }
  return { env: config.envName, applied: options.apply, stacks };
}
