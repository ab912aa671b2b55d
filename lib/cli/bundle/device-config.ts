import type { KeylessConfig } from '../../config';
import type { DeviceKeyConfig } from '../../config/sections/device-key';
import { DEVICE_REFRESH_MARGIN_SECONDS, DEVICE_SCRIPTS_DIR, pkcs11KeyUri, thingPrefix } from '../../contract';

/**
 * Where `install.sh` puts things on the device. device.json and the AWS CLI profile in a bundle name these
 * absolute paths; install.sh prefixes them with KEYLESS_ROOT when it installs into another root (tests).
 */
export const DEVICE_PATHS = {
  prefix: '/opt/keyless',
  helper: '/opt/keyless/bin/keyless-credentials',
  certificate: '/opt/keyless/certs/certificate.pem.crt',
  privateKey: '/opt/keyless/certs/private.pem.key',
  rootCa: '/opt/keyless/certs/AmazonRootCA1.pem',
  configDir: '/etc/keyless',
  deviceConfig: '/etc/keyless/device.json',
  awsConfig: '/etc/keyless/aws-config',
  cacheDir: '/var/cache/keyless',
} as const;

/** The service user install.sh creates by default (`--user NAME` for another): it owns the key and the cache. */
export const SERVICE_USER = 'keyless';

/** The AWS CLI / SDK profile name install.sh writes. */
export const PROFILE_NAME = 'keyless';

/**
 * The Krypton endpoints SORACOM documents, by coverage. Japan: `https://krypton.soracom.io:8036`, the endpoint
 * of the Krypton provisioning API for SIMs authenticated by their SORACOM Air cellular session (SORACOM's
 * Krypton API reference; docs/device-helper.md#krypton-endpoint cites it). Global: none that SORACOM documents,
 * so none here — a bundle for a global-coverage SIM takes `krypton.endpoint` from the config instead.
 */
export const KRYPTON_DOCUMENTED_ENDPOINTS: Readonly<Partial<Record<'jp' | 'global', string>>> = {
  jp: 'https://krypton.soracom.io:8036',
};

/**
 * The Krypton endpoint a bundle writes: `krypton.endpoint` from the config, else the one SORACOM documents for
 * the coverage. Throws, naming the field, when there is neither: an invented host would only fail on the device.
 */
export function kryptonEndpoint(config: KeylessConfig): string {
  const coverage = config.krypton?.coverage ?? 'jp';
  const endpoint = config.krypton?.endpoint ?? KRYPTON_DOCUMENTED_ENDPOINTS[coverage];
  if (!endpoint) {
    throw new Error(
      `${config.configFile}: krypton.endpoint is required for coverage ${coverage}: SORACOM documents no Krypton ` +
        `endpoint for ${coverage} coverage SIMs and keyless bundle does not guess one; set it to the endpoint ` +
        'SORACOM gives for your SIMs (docs/device-helper.md#krypton-endpoint)',
    );
  }
  return endpoint;
}

/**
 * The helper's version (its `KEYLESS_VERSION=` line, kept equal to package.json's by a test): what a bundle
 * ships, recorded in its device.json and README.
 */
export function helperVersion(helper: Buffer | string): string {
  const match = /^KEYLESS_VERSION=([0-9A-Za-z.+-]{1,64})$/m.exec(helper.toString());
  if (!match) {
    throw new Error(
      `${DEVICE_SCRIPTS_DIR}/bin/keyless-credentials has no KEYLESS_VERSION=<version> line: a bundle records the ` +
        'helper version it ships',
    );
  }
  return match[1];
}

/** What the data stack tells every device, in the sections the Python examples read. */
export interface DataOutputs {
  readonly deviceBucket: string;
  readonly deviceSecretName: string;
  readonly referenceTable: string;
}

/** Where a thing's private key lives: its own `deviceKey`, else the fleet's `iot.deviceKey`, else a key file. */
export function deviceKeyOf(config: KeylessConfig, thing: string): DeviceKeyConfig {
  const own = config.iot?.things.find((t) => t.name === thing)?.deviceKey;
  return own ?? config.iot?.deviceKey ?? { store: 'file' };
}

/**
 * device.json's key fields: the installed key file, or the key's `pkcs11:` URI (the object label defaults to the
 * thing name, as `keyless-credentials --make-csr` makes it) with the module and PIN file the device uses.
 */
function keyFields(deviceKey: DeviceKeyConfig, thingName: string): object {
  if (deviceKey.store === 'file') return { keyFile: DEVICE_PATHS.privateKey };
  return {
    keyFile: pkcs11KeyUri(deviceKey.token, deviceKey.object ?? thingName),
    ...(deviceKey.module !== undefined && { pkcs11Module: deviceKey.module }),
    ...(deviceKey.pinFile !== undefined && { pinFile: deviceKey.pinFile }),
  };
}

export interface X509DeviceConfigInput {
  readonly config: KeylessConfig;
  /** The version of the helper the bundle ships ({@link helperVersion}). */
  readonly helperVersion: string;
  readonly thingName: string;
  readonly credentialsEndpoint: string;
  readonly roleAlias: string;
  readonly data: DataOutputs;
  /** Where the key lives ({@link deviceKeyOf}). @default a key file */
  readonly deviceKey?: DeviceKeyConfig;
}

/**
 * device.json for an X.509 device, per the helper contract in DESIGN.md. The `s3`, `secretsManager` and
 * `dynamodb` sections are the defaults the Python examples read; the helper ignores them.
 */
export function x509DeviceConfig(input: X509DeviceConfigInput): object {
  return {
    source: 'x509',
    helperVersion: input.helperVersion,
    region: input.config.region,
    cacheDir: DEVICE_PATHS.cacheDir,
    refreshMarginSeconds: DEVICE_REFRESH_MARGIN_SECONDS,
    x509: {
      endpoint: input.credentialsEndpoint,
      roleAlias: input.roleAlias,
      thingName: input.thingName,
      certFile: DEVICE_PATHS.certificate,
      ...keyFields(input.deviceKey ?? { store: 'file' }, input.thingName),
      caFile: DEVICE_PATHS.rootCa,
    },
    s3: { bucket: input.data.deviceBucket, prefix: thingPrefix(input.thingName) },
    secretsManager: { secretId: input.data.deviceSecretName },
    dynamodb: { tableName: input.data.referenceTable },
  };
}

export interface KryptonDeviceConfigInput {
  readonly config: KeylessConfig;
  /** The version of the helper the bundle ships ({@link helperVersion}). */
  readonly helperVersion: string;
  readonly mode: 'credentials' | 'open-id-token';
  readonly data: DataOutputs;
}

/**
 * device.json for a SORACOM SIM: no certificate, no key. Krypton recognises the SIM from its Air session and
 * SORACOM's public certificate is checked against the system trust store, so no caFile either. The S3 prefix
 * (`krypton/<identity id>/`) is only known once Cognito has issued the identity, so it is left to the device.
 */
export function kryptonDeviceConfig(input: KryptonDeviceConfigInput): object {
  return {
    source: 'krypton',
    helperVersion: input.helperVersion,
    region: input.config.region,
    cacheDir: DEVICE_PATHS.cacheDir,
    refreshMarginSeconds: DEVICE_REFRESH_MARGIN_SECONDS,
    krypton: {
      endpoint: kryptonEndpoint(input.config),
      mode: input.mode,
      coverage: input.config.krypton?.coverage ?? 'jp',
    },
    s3: { bucket: input.data.deviceBucket },
    dynamodb: { tableName: input.data.referenceTable },
  };
}

/** The AWS CLI profile install.sh writes to /etc/keyless/aws-config. */
export function awsProfile(region: string): string {
  return [
    '# AWS CLI / SDK profile for this device: short-lived credentials from keyless-credentials, no stored key.',
    `# Use: AWS_CONFIG_FILE=${DEVICE_PATHS.awsConfig} AWS_PROFILE=${PROFILE_NAME} aws s3 ls`,
    `[profile ${PROFILE_NAME}]`,
    `region = ${region}`,
    `credential_process = ${DEVICE_PATHS.helper} --config ${DEVICE_PATHS.deviceConfig}`,
    '',
  ].join('\n');
}
