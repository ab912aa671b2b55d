import { BUCKET_LAYOUT, deviceScriptsPointerKey, thingPrefix } from '../../contract';
import { DEVICE_PATHS, PROFILE_NAME } from './device-config';

export interface BundleReadmeInput {
  readonly envName: string;
  readonly name: string;
  readonly source: 'x509' | 'krypton';
  readonly region: string;
  readonly deviceBucket: string;
  /** `device-scripts/<version>/` in the device bucket, when the Data stack publishes it. */
  readonly deviceScriptsPrefix?: string;
  /** False when the device made its own CSR: the key is already on the device and install.sh needs --key. */
  readonly hasPrivateKey: boolean;
  readonly mqttEndpoint?: string;
}

/** The short README at the top of a bundle: what is in it, how to install it, how to update the helper. */
export function bundleReadme(input: BundleReadmeInput): string {
  const aws = `AWS_CONFIG_FILE=${DEVICE_PATHS.awsConfig} aws --profile ${PROFILE_NAME}`;
  const lines = [
    `# keyless-iot bundle: ${input.name} (environment ${input.envName})`,
    '',
    input.source === 'x509'
      ? `This device proves it holds the private key of its AWS IoT certificate and gets short-lived AWS credentials from the AWS IoT credentials provider in ${input.region}. No long-term AWS key is stored anywhere.`
      : `This device is a SORACOM SIM: SORACOM Krypton recognises it from its cellular session and hands it short-lived AWS credentials from Amazon Cognito in ${input.region}. There is no certificate and no key in this bundle.`,
    '',
    '## Install (as root, on the device)',
    '',
    '```sh',
    `tar -xzf ${input.name}.tar.gz && cd ${input.name}`,
    'sha256sum -c SHA256SUMS',
    input.hasPrivateKey || input.source === 'krypton'
      ? 'sh install.sh'
      : `sh install.sh --key /path/to/the/private.key   # the key this device made its CSR with`,
    '```',
    '',
    `install.sh needs curl, jq and flock. It puts the helper and certificates in ${DEVICE_PATHS.prefix}, writes`,
    `${DEVICE_PATHS.deviceConfig} and the AWS CLI profile ${DEVICE_PATHS.awsConfig}, creates the service user`,
    '`keyless` (or `--user NAME`) that owns the key and the credential cache, then fetches credentials once and',
    'says whether that worked. Running it again is safe.',
    '',
    '## Use',
    '',
    '```sh',
    input.source === 'x509'
      ? `${aws} s3 cp reading.json s3://${input.deviceBucket}/${thingPrefix(input.name)}`
      : `${aws} s3 ls s3://${input.deviceBucket}/`,
    `KEYLESS_CONFIG=${DEVICE_PATHS.deviceConfig} python3 ${DEVICE_PATHS.prefix}/examples/s3_upload.py ./outbox`,
    '```',
    '',
  ];
  if (input.mqttEndpoint) {
    lines.push(
      `MQTT (AWS IoT Core): \`${input.mqttEndpoint}:8883\`, client id \`${input.name}\`, same certificate.`,
      '',
    );
  }
  lines.push('## Update the helper', '');
  if (input.deviceScriptsPrefix) {
    const prefix = input.deviceScriptsPrefix.replace(/\/?$/, '/');
    lines.push(
      `The Data stack publishes the device scripts to s3://${input.deviceBucket}/${prefix} and names the current`,
      `version in s3://${input.deviceBucket}/${deviceScriptsPointerKey()}. Every device role may read (never write)`,
      `under ${BUCKET_LAYOUT.deviceScripts}, so a device updates itself with its own short-lived credentials:`,
      '',
      '```sh',
      `prefix=$(${aws} s3 cp s3://${input.deviceBucket}/${deviceScriptsPointerKey()} - | jq -r .prefix)`,
      `${aws} s3 cp "s3://${input.deviceBucket}/\${prefix}bin/keyless-credentials" ${DEVICE_PATHS.helper}.new`,
      `chmod 0755 ${DEVICE_PATHS.helper}.new && mv ${DEVICE_PATHS.helper}.new ${DEVICE_PATHS.helper}`,
      '```',
    );
  } else {
    lines.push('Rebuild the bundle after the next deployment of the Data stack and re-run install.sh.');
  }
  lines.push('');
  return lines.join('\n');
}
