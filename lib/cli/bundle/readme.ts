import * as path from 'node:path';
import { BUCKET_LAYOUT, deviceScriptsPointerKey, thingPrefix } from '../../contract';
import { DEVICE_PATHS, PROFILE_NAME, SERVICE_USER } from './device-config';

export interface BundleReadmeInput {
  readonly envName: string;
  readonly name: string;
  readonly source: 'x509' | 'krypton';
  /** The version of the helper in the bundle (also in device.json as `helperVersion`). */
  readonly helperVersion: string;
  readonly region: string;
  readonly deviceBucket: string;
  /** `device-scripts/<version>/` in the device bucket, when the Data stack publishes it. */
  readonly deviceScriptsPrefix?: string;
  /** False when the device made its own CSR: the key is already on the device and install.sh needs --key. */
  readonly hasPrivateKey: boolean;
  /** The PKCS#11 token that holds the key, when the config says so: install.sh then installs no key at all. */
  readonly keyToken?: string;
  readonly mqttEndpoint?: string;
}

/** The short README at the top of a bundle: what is in it, how to install it, how to update the helper. */
export function bundleReadme(input: BundleReadmeInput): string {
  const aws = `runuser -u ${SERVICE_USER} -- env AWS_CONFIG_FILE=${DEVICE_PATHS.awsConfig} aws --profile ${PROFILE_NAME}`;
  const lines = [
    `# keyless-iot bundle: ${input.name} (environment ${input.envName})`,
    '',
    input.source === 'x509'
      ? `This device proves it holds the private key of its AWS IoT certificate and gets short-lived AWS credentials from the AWS IoT credentials provider in ${input.region}. No long-term AWS key is stored anywhere.`
      : `This device is a SORACOM SIM: SORACOM Krypton recognises it from its cellular session and hands it short-lived AWS credentials from Amazon Cognito in ${input.region}. There is no certificate and no key in this bundle.`,
    '',
    `The helper in this bundle is keyless-credentials ${input.helperVersion} (\`${DEVICE_PATHS.helper} --version\` on the device says which one it runs). If the device gets no credentials, \`runuser -u ${SERVICE_USER} -- ${DEVICE_PATHS.helper} --check\` goes through every step they depend on and names the first that fails.`,
    '',
    '## Install (as root, on the device)',
    '',
    `First compare the archive with the SHA-256 that \`keyless bundle\` printed for ${input.name} (from the`,
    'operator, by another channel than the one the archive came by: a checksum inside the archive cannot tell',
    'a changed archive from a good one). Unpack only if they are equal:',
    '',
    '```sh',
    `sha256sum ${input.name}.tar.gz`,
    `tar -xzf ${input.name}.tar.gz && cd ${input.name}`,
    input.hasPrivateKey || input.source === 'krypton'
      ? 'sh install.sh'
      : input.keyToken !== undefined
        ? `sh install.sh   # the key stays in PKCS#11 token ${input.keyToken}: no key file anywhere`
        : `sh install.sh --key /path/to/the/private.key   # the key this device made its CSR with`,
    '```',
    '',
    `install.sh needs curl, jq and flock, and sha256sum (or busybox, or openssl) to check every file against`,
    'SHA256SUMS: it installs only the files listed there and refuses a bundle with anything else in it. It puts',
    `the helper and certificates in ${DEVICE_PATHS.prefix}, writes ${DEVICE_PATHS.deviceConfig} and the AWS CLI`,
    `profile ${DEVICE_PATHS.awsConfig}, creates the service user \`${SERVICE_USER}\` (or \`--user NAME\`) that owns the`,
    'key and the credential cache, then fetches credentials once as that user and says whether that worked.',
    'Running it again is safe.',
    '',
    '## Use',
    '',
    `The helper runs as the service user: its cache ${DEVICE_PATHS.cacheDir} belongs to \`${SERVICE_USER}\` (or the \`--user\` you installed with), and the helper`,
    `refuses to work in another user's cache (so it refuses root there). As root, go through \`runuser -u ${SERVICE_USER} --\`.`,
    '',
    '```sh',
    input.source === 'x509'
      ? `${aws} s3 cp reading.json s3://${input.deviceBucket}/${thingPrefix(input.name)}`
      : `${aws} s3 ls s3://${input.deviceBucket}/`,
    `runuser -u ${SERVICE_USER} -- env KEYLESS_CONFIG=${DEVICE_PATHS.deviceConfig} python3 ${DEVICE_PATHS.prefix}/examples/s3_upload.py ./outbox`,
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
    const rootProfile = 'keyless-update';
    lines.push(
      `The Data stack publishes the device scripts to s3://${input.deviceBucket}/${prefix} and names the current`,
      `version in s3://${input.deviceBucket}/${deviceScriptsPointerKey()}. Every device role may read (never write)`,
      `under ${BUCKET_LAYOUT.deviceScripts}, so a device updates itself with its own short-lived credentials. Root does`,
      'all of it: the file it installs is never written or fetched by a process of the service user (who could hand',
      `root any file). Root gets the device's credentials through its own cache in a private temporary directory,`,
      `never the service user's ${DEVICE_PATHS.cacheDir}. As root:`,
      '',
      '```sh',
      '(',
      '  set -e',
      '  umask 077',
      '  work=$(mktemp -d)',
      `  trap 'rm -rf "$work"' EXIT`,
      `  jq --arg d "$work/cache" '.cacheDir = $d' ${DEVICE_PATHS.deviceConfig} >"$work/device.json"`,
      `  printf '[profile ${rootProfile}]\\nregion = %s\\ncredential_process = ${DEVICE_PATHS.helper} --config %s\\n' \\`,
      `    "$(jq -r .region "$work/device.json")" "$work/device.json" >"$work/aws-config"`,
      `  aws_root() { AWS_CONFIG_FILE="$work/aws-config" aws --profile ${rootProfile} "$@"; }`,
      `  prefix=$(aws_root s3 cp s3://${input.deviceBucket}/${deviceScriptsPointerKey()} - | jq -r .prefix)`,
      `  printf '%s\\n' "$prefix" | grep -Eq '^${BUCKET_LAYOUT.deviceScripts}[0-9a-f]+/$'`,
      `  new=$(mktemp ${path.posix.dirname(DEVICE_PATHS.helper)}/.keyless-credentials.XXXXXX)`,
      `  trap 'rm -rf "$work" "$new"' EXIT`,
      `  aws_root s3 cp "s3://${input.deviceBucket}/\${prefix}bin/keyless-credentials" - >"$new"`,
      '  sh -n "$new"',
      '  chmod 0755 "$new"',
      `  mv "$new" ${DEVICE_PATHS.helper}`,
      ')',
      '```',
      '',
      'Any failing step stops it and leaves the installed helper as it was.',
    );
  } else {
    lines.push('Rebuild the bundle after the next deployment of the Data stack and re-run install.sh.');
  }
  lines.push('');
  return lines.join('\n');
}
