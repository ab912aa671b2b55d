import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { DescribeCertificateCommand, DescribeEndpointCommand, IoTClient } from '@aws-sdk/client-iot';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { KeylessConfig } from '../../config';

/** The AWS clients the bundle command uses; tests pass `aws-sdk-client-mock`ed ones. */
export interface BundleClients {
  readonly cloudFormation: CloudFormationClient;
  readonly iot: IoTClient;
  readonly sts: STSClient;
}

/**
 * Clients for the operator's credentials. Adaptive retry: with many devices, DescribeCertificate calls run
 * in parallel and the client slows itself down on throttling instead of failing devices. Endpoints follow the
 * SDK's standard `AWS_ENDPOINT_URL_<SERVICE>` variables (CLOUDFORMATION, IOT, STS), so the command can be
 * pointed at local servers. The region is the operator's (AWS_REGION, AWS_DEFAULT_REGION) when set, so a
 * shell pointed at the wrong region is reported instead of silently corrected; otherwise the environment's.
 */
export function createBundleClients(
  config: KeylessConfig,
  env: NodeJS.ProcessEnv = process.env,
): BundleClients {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || config.region;
  const common = { region, retryMode: 'adaptive', maxAttempts: 8 } as const;
  return {
    cloudFormation: new CloudFormationClient(common),
    iot: new IoTClient(common),
    sts: new STSClient(common),
  };
}

/** The deploy command an operator runs for one stack of an environment. */
export function deployCommand(config: KeylessConfig, stackName: string): string {
  return `npx cdk deploy -c env=${config.envName} ${stackName}`;
}

/** Stack statuses whose outputs describe what is deployed. */
const USABLE_STATUSES = new Set([
  'CREATE_COMPLETE',
  'UPDATE_COMPLETE',
  'UPDATE_ROLLBACK_COMPLETE',
  'IMPORT_COMPLETE',
  'IMPORT_ROLLBACK_COMPLETE',
]);

/** Turns SDK errors about the caller's own credentials into one plain sentence; others pass through. */
export function describeAwsError(error: unknown, config: KeylessConfig): Error {
  const name = (error as { name?: string } | undefined)?.name ?? '';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'CredentialsProviderError' || /Could not load credentials/.test(message)) {
    return new Error(
      `no AWS credentials found for account ${config.account}: set AWS_PROFILE (or run \`aws sso login\` / \`aws configure\`) and try again`,
    );
  }
  if (['ExpiredToken', 'ExpiredTokenException', 'RequestExpired'].includes(name)) {
    return new Error(`the AWS credentials have expired: refresh them (e.g. \`aws sso login\`) and try again`);
  }
  if (['InvalidClientTokenId', 'UnrecognizedClientException', 'SignatureDoesNotMatch'].includes(name)) {
    return new Error(
      `the AWS credentials were rejected (${name}): check AWS_PROFILE or the access key in use`,
    );
  }
  return error instanceof Error ? error : new Error(message);
}

/**
 * Refuses to read stacks with credentials for another account or a client in another region than the
 * environment's config: outputs from the wrong place would make bundles that point at nothing.
 */
export async function assertCallerMatches(
  clients: Pick<BundleClients, 'sts'>,
  config: KeylessConfig,
): Promise<void> {
  const region = await clients.sts.config.region();
  if (region !== config.region) {
    throw new Error(
      `the AWS region in use is ${region} but environment ${config.envName} (${config.configFile}) is in ${config.region}: ` +
        `unset AWS_REGION/AWS_DEFAULT_REGION or set it to ${config.region}`,
    );
  }
  let identity;
  try {
    identity = await clients.sts.send(new GetCallerIdentityCommand({}));
  } catch (error) {
    throw describeAwsError(error, config);
  }
  if (identity.Account !== config.account) {
    throw new Error(
      `the AWS credentials in use are for account ${identity.Account ?? '(unknown)'} (${identity.Arn ?? 'unknown principal'}) ` +
        `but environment ${config.envName} (${config.configFile}) deploys to account ${config.account}: use a profile for ${config.account}`,
    );
  }
}

/**
 * Reads a deployed stack's outputs once per stack name, however many devices ask (the promise is shared).
 */
export class StackOutputs {
  private readonly cache = new Map<string, Promise<Readonly<Record<string, string>>>>();

  constructor(
    private readonly clients: BundleClients,
    private readonly config: KeylessConfig,
  ) {}

  of(stackName: string): Promise<Readonly<Record<string, string>>> {
    let outputs = this.cache.get(stackName);
    if (!outputs) {
      outputs = this.load(stackName);
      // Callers see the rejection; keep it from being reported as unhandled before they await it.
      outputs.catch(() => undefined);
      this.cache.set(stackName, outputs);
    }
    return outputs;
  }

  /** One output, or an error naming the stack, the key and how to fix it. */
  async require(stackName: string, key: string): Promise<string> {
    const value = (await this.of(stackName))[key];
    if (value === undefined || value === '') {
      throw new Error(
        `stack ${stackName} has no output ${key}: it was deployed from an older version; redeploy it with \`${deployCommand(this.config, stackName)}\``,
      );
    }
    return value;
  }

  private async load(stackName: string): Promise<Readonly<Record<string, string>>> {
    return deployedStackOutputs(this.clients.cloudFormation, this.config, stackName);
  }
}

/**
 * The outputs of one deployed stack, or an error an operator can act on: not deployed (with the command that
 * deploys it), still deploying, or failed.
 */
export async function deployedStackOutputs(
  cloudFormation: CloudFormationClient,
  config: KeylessConfig,
  stackName: string,
): Promise<Record<string, string>> {
  let stack: Stack | undefined;
  try {
    const answer = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    stack = answer.Stacks?.[0];
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!/does not exist/.test(message)) throw describeAwsError(error, config);
  }
  if (!stack) {
    throw new Error(
      `stack ${stackName} is not deployed in account ${config.account} region ${config.region}: deploy it with \`${deployCommand(config, stackName)}\``,
    );
  }
  const status = stack.StackStatus ?? 'UNKNOWN';
  if (!USABLE_STATUSES.has(status)) {
    throw new Error(
      `stack ${stackName} is ${status}, not deployed successfully: ` +
        (status.endsWith('_IN_PROGRESS')
          ? 'wait for the deployment to finish and try again'
          : `fix the failure shown in the CloudFormation console and redeploy with \`${deployCommand(config, stackName)}\``),
    );
  }
  const outputs: Record<string, string> = {};
  for (const output of stack.Outputs ?? []) {
    if (output.OutputKey && output.OutputValue !== undefined) outputs[output.OutputKey] = output.OutputValue;
  }
  return outputs;
}

/** `https://<address>` of an AWS IoT endpoint type (`iot:CredentialProvider`, `iot:Data-ATS`). */
export async function iotEndpoint(
  clients: BundleClients,
  config: KeylessConfig,
  endpointType: 'iot:CredentialProvider' | 'iot:Data-ATS',
): Promise<string> {
  let address: string | undefined;
  try {
    address = (await clients.iot.send(new DescribeEndpointCommand({ endpointType }))).endpointAddress;
  } catch (error) {
    throw describeAwsError(error, config);
  }
  if (!address) throw new Error(`AWS IoT DescribeEndpoint(${endpointType}) returned no address`);
  return address;
}

/** The PEM and status of one certificate. */
export async function certificatePem(
  clients: BundleClients,
  config: KeylessConfig,
  certificateId: string,
  thingName: string,
): Promise<string> {
  let description;
  try {
    description = (await clients.iot.send(new DescribeCertificateCommand({ certificateId })))
      .certificateDescription;
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') {
      throw new Error(
        `certificate ${certificateId} of thing ${thingName} does not exist in AWS IoT (${config.region}): redeploy its Fleet stack`,
      );
    }
    throw describeAwsError(error, config);
  }
  if (!description?.certificatePem) {
    throw new Error(`AWS IoT returned no PEM for certificate ${certificateId} of thing ${thingName}`);
  }
  if (description.status !== 'ACTIVE') {
    throw new Error(
      `certificate ${certificateId} of thing ${thingName} is ${description.status ?? 'of unknown status'}, not ACTIVE: the credentials provider would refuse it`,
    );
  }
  return description.certificatePem;
}
