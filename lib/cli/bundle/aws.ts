import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DescribeCertificateCommand, DescribeEndpointCommand, IoTClient } from '@aws-sdk/client-iot';
import { STSClient } from '@aws-sdk/client-sts';
import type { KeylessConfig } from '../../config';
import { RemoteServiceError } from '../exit-codes';
import { describeAwsError, operatorClientConfig } from '../operator-clients';

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
  const common = operatorClientConfig(config, env);
  return {
    cloudFormation: new CloudFormationClient(common),
    iot: new IoTClient(common),
    sts: new STSClient(common),
  };
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
