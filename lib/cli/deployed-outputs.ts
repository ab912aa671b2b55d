import { DescribeStacksCommand, type CloudFormationClient, type Stack } from '@aws-sdk/client-cloudformation';
import type { KeylessConfig } from '../config';
import {
  certificateIdOutput,
  fleetStackName,
  stackName,
  type StackOutput,
  type StackPart,
} from '../contract';
import { describeAwsError } from './operator-clients';
import { RemoteServiceError } from './exit-codes';

/** The deploy command an operator runs for one stack of an environment. */
export function deployCommand(config: KeylessConfig, name: string): string {
  return `npx cdk deploy -c env=${config.envName} ${name}`;
}

/** Stack statuses whose outputs describe what is deployed. */
const USABLE_STATUSES = new Set([
  'CREATE_COMPLETE',
  'UPDATE_COMPLETE',
  'UPDATE_ROLLBACK_COMPLETE',
  'IMPORT_COMPLETE',
  'IMPORT_ROLLBACK_COMPLETE',
]);

/**
 * The outputs of an environment's deployed stacks, as the CLI reads them: only through the contract's output
 * objects (lib/contract/outputs.ts), so the CLI cannot ask for a key the stacks do not emit. Each stack is
 * described once, however many devices ask (the answer is shared).
 */
export class DeployedOutputs {
  private readonly stacks = new Map<string, Promise<ReadonlyMap<string, string>>>();

  constructor(
    private readonly cloudFormation: CloudFormationClient,
    private readonly config: KeylessConfig,
  ) {}

  /** One output, or undefined when the deployed stack does not have it (an older version, another mode). */
  async get(output: StackOutput): Promise<string | undefined> {
    const value = (await this.outputsOf(stackName(this.config.envName, output.part))).get(output.key);
    return value === '' ? undefined : value;
  }

  /** One output, or an error naming the stack, the key and the command that brings it. */
  async require(output: StackOutput): Promise<string> {
    const value = await this.get(output);
    if (value === undefined) throw this.missing(stackName(this.config.envName, output.part), output.key);
    return value;
  }

  /** Fails unless the stack of this part is deployed and usable. */
  async requireDeployed(part: StackPart): Promise<void> {
    await this.outputsOf(stackName(this.config.envName, part));
  }

  /** The certificate id of a thing from its Fleet stack, or undefined when the stack has none for it. */
  async certificateId(thingName: string, shard: number): Promise<string | undefined> {
    const value = (await this.outputsOf(fleetStackName(this.config.envName, shard))).get(
      certificateIdOutput(thingName).key,
    );
    return value === '' ? undefined : value;
  }

  /**
   * The certificate id of a thing as one Fleet stack's outputs name it, whatever state the stack is in (a stack
   * that failed to update or is being deleted may still hold the certificate), or undefined when the stack has
   * none for it or does not exist. For reports on what is deployed, never for acting on a configured thing.
   */
  async certificateIdInAnyState(stackName: string, thingName: string): Promise<string | undefined> {
    let outputs = this.anyState.get(stackName);
    if (!outputs) {
      outputs = this.describeAnyState(stackName);
      outputs.catch(() => undefined);
      this.anyState.set(stackName, outputs);
    }
    const value = (await outputs).get(certificateIdOutput(thingName).key);
    return value === '' ? undefined : value;
  }

  private readonly anyState = new Map<string, Promise<ReadonlyMap<string, string>>>();

  private async describeAnyState(name: string): Promise<ReadonlyMap<string, string>> {
    let stack: Stack | undefined;
    try {
      stack = (await this.cloudFormation.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (!/does not exist/.test(message)) throw describeAwsError(error, this.config);
    }
    return outputsOf(stack);
  }

  private missing(name: string, key: string): RemoteServiceError {
    return new RemoteServiceError(
      `stack ${name} has no output ${key}: it was deployed from another version or configuration; redeploy it with \`${deployCommand(this.config, name)}\``,
    );
  }

  private outputsOf(name: string): Promise<ReadonlyMap<string, string>> {
    let outputs = this.stacks.get(name);
    if (!outputs) {
      outputs = this.describe(name);
      // Callers see the rejection; keep it from being reported as unhandled before they await it.
      outputs.catch(() => undefined);
      this.stacks.set(name, outputs);
    }
    return outputs;
  }

  /** The outputs of one deployed stack, or an error an operator can act on: not deployed, deploying, failed. */
  private async describe(name: string): Promise<ReadonlyMap<string, string>> {
    const { config } = this;
    let stack: Stack | undefined;
    try {
      stack = (await this.cloudFormation.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (!/does not exist/.test(message)) throw describeAwsError(error, config);
    }
    if (!stack) {
      throw new StackAbsentError(
        `stack ${name} is not deployed in account ${config.account} region ${config.region}: deploy it with \`${deployCommand(config, name)}\``,
      );
    }
    const status = stack.StackStatus ?? 'UNKNOWN';
    if (!USABLE_STATUSES.has(status)) {
      throw new StackNotDeployedError(
        `stack ${name} is ${status}, not deployed successfully: ` +
          (status.endsWith('_IN_PROGRESS')
            ? 'wait for the deployment to finish and try again'
            : `fix the failure shown in the CloudFormation console and redeploy with \`${deployCommand(config, name)}\``),
      );
    }
    return outputsOf(stack);
  }
}

function outputsOf(stack: Stack | undefined): ReadonlyMap<string, string> {
  const outputs = new Map<string, string>();
  for (const output of stack?.Outputs ?? []) {
    if (output.OutputKey && output.OutputValue !== undefined)
      outputs.set(output.OutputKey, output.OutputValue);
  }
  return outputs;
}

/**
 * A stack that is not deployed, or not in a state whose outputs can be trusted (exit 4 like every remote
 * failure). Its own class so a command that reports per stack can tell it from AWS failing to answer.
 */
export class StackNotDeployedError extends RemoteServiceError {}

/** A stack CloudFormation does not have at all (never deployed, or deleted): nothing of it exists in AWS. */
export class StackAbsentError extends StackNotDeployedError {}
