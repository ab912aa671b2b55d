import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DescribeCertificateCommand, DescribeEndpointCommand, IoTClient } from '@aws-sdk/client-iot';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { KeylessConfig } from '../../config';
import { RemoteServiceError } from '../exit-codes';

/** The AWS clients the bundle command uses; tests pass `aws-sdk-client-mock`ed ones. */
export interface BundleClients {
  readonly cloudFormation: CloudFormationClient;
  readonly iot: IoTClient;
  readonly sts: STSClient;
}

/**
 * The SDK client settings of every CLI command that acts with the operator's credentials: adaptive retry (the
 * client slows itself down on throttling instead of failing), and the operator's region (AWS_REGION,
 * AWS_DEFAULT_REGION) when set, so a shell pointed at the wrong region is reported by the account check instead
 * of silently corrected; otherwise the environment's. Endpoints follow the SDK's `AWS_ENDPOINT_URL_<SERVICE>`.
 */
export function operatorClientConfig(config: KeylessConfig, env: NodeJS.ProcessEnv) {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || config.region;
  return { region, retryMode: 'adaptive', maxAttempts: 8 } as const;
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
  const common = operatorClientConfig(config, env);
  return {
    cloudFormation: new CloudFormationClient(common),
    iot: new IoTClient(common),
    sts: new STSClient(common),
  };
}

/** Turns SDK errors about the caller's own credentials into one plain sentence; others pass through. */
export function describeAwsError(error: unknown, config: KeylessConfig): Error {
  const name = (error as { name?: string } | undefined)?.name ?? '';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'CredentialsProviderError' || /Could not load credentials/.test(message)) {
    return new RemoteServiceError(
      `no AWS credentials found for account ${config.account}: set AWS_PROFILE (or run \`aws sso login\` / \`aws configure\`) and try again`,
    );
  }
  if (['ExpiredToken', 'ExpiredTokenException', 'RequestExpired'].includes(name)) {
    return new RemoteServiceError(
      `the AWS credentials have expired: refresh them (e.g. \`aws sso login\`) and try again`,
    );
  }
  if (['InvalidClientTokenId', 'UnrecognizedClientException', 'SignatureDoesNotMatch'].includes(name)) {
    return new RemoteServiceError(
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
    throw new RemoteServiceError(
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
    throw new RemoteServiceError(
      `the AWS credentials in use are for account ${identity.Account ?? '(unknown)'} (${identity.Arn ?? 'unknown principal'}) ` +
        `but environment ${config.envName} (${config.configFile}) deploys to account ${config.account}: use a profile for ${config.account}`,
    );
  }
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
  if (!address) throw new RemoteServiceError(`AWS IoT DescribeEndpoint(${endpointType}) returned no address`);
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
      throw new RemoteServiceError(
        `certificate ${certificateId} of thing ${thingName} does not exist in AWS IoT (${config.region}): redeploy its Fleet stack`,
      );
    }
    throw describeAwsError(error, config);
  }
  if (!description?.certificatePem) {
    throw new RemoteServiceError(
      `AWS IoT returned no PEM for certificate ${certificateId} of thing ${thingName}`,
    );
  }
  if (description.status !== 'ACTIVE') {
    throw new RemoteServiceError(
      `certificate ${certificateId} of thing ${thingName} is ${description.status ?? 'of unknown status'}, not ACTIVE: the credentials provider would refuse it`,
    );
  }
  return description.certificatePem;
}
