import { createHash, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import pLimit from 'p-limit';
import type { KeylessConfig } from '../../config';
import { certificateIdOutput, fleetStackName, inRepository, OUTPUTS, privateKeyFile } from '../../contract';
import { layoutFleet } from '../../fleet/placement';
import { deployCommand, DeployedOutputs } from '../deployed-outputs';
import { assertCallerMatches } from '../operator-clients';
import { buildDeterministicTarGz, type ArchiveFile } from './archive';
import { certificatePem, iotEndpoint, type BundleClients } from './aws';
import {
  awsProfile,
  deviceKeyOf,
  helperVersion,
  kryptonDeviceConfig,
  kryptonEndpoint,
  x509DeviceConfig,
  type DataOutputs,
} from './device-config';
import { bundleReadme } from './readme';

/** One device to bundle. */
export type BundleTarget =
  | { readonly name: string; readonly source: 'x509' }
  | { readonly name: string; readonly source: 'krypton'; readonly mode: 'credentials' | 'open-id-token' };

/** The outcome for one device. Errors are one line and never contain key material. */
export interface DeviceBundleResult {
  readonly name: string;
  readonly source: 'x509' | 'krypton';
  readonly file?: string;
  /**
   * SHA-256 of the archive, hex. Archives are deterministic, so the operator can give this value to whoever
   * installs the device over another channel; `sha256sum <name>.tar.gz` on the device must print the same.
   */
  readonly sha256?: string;
  readonly includesPrivateKey?: boolean;
  readonly error?: string;
}

/** Progress callbacks: a bar on a TTY, plain lines otherwise, nothing in tests. */
export interface BundleProgress {
  start(total: number): void;
  deviceDone(result: DeviceBundleResult): void;
  stop(): void;
}

export interface BuildBundlesOptions {
  readonly config: KeylessConfig;
  readonly clients: BundleClients;
  readonly targets: readonly BundleTarget[];
  /** Holds `fleet/<env>/<thing>/private.key` (the shards come from the loaded config). */
  readonly repoRoot: string;
  /** The `device-scripts/` directory: helper, Root CA, examples, install.sh. */
  readonly deviceScriptsDir: string;
  /** Bundles go to `<outDir>/<env>/<name>.tar.gz`. */
  readonly outDir: string;
  /**
   * Things without `fleet/<env>/<thing>/private.key` made their own CSR, so their key is already on the
   * device: bundle them without a key instead of failing.
   * @default false
   */
  readonly keyOnDevice?: boolean;
  /** @default 3 */
  readonly concurrency?: number;
  readonly progress?: BundleProgress;
}

export interface BundleSummary {
  readonly results: readonly DeviceBundleResult[];
  readonly built: number;
  readonly failed: number;
}

/** Where bundles of one environment go. */
export function bundleDir(outDir: string, envName: string): string {
  return path.join(outDir, envName);
}

/** The archive of one device: `<outDir>/<env>/<name>.tar.gz`. */
export function bundleFile(outDir: string, envName: string, name: string): string {
  return path.join(bundleDir(outDir, envName), `${name}.tar.gz`);
}

/**
 * Builds one deterministic archive per target from the deployed stacks. Problems that concern every device
 * (credentials, account, region, the Data stack, the IoT endpoints, missing device scripts) throw; problems of
 * one device (its Fleet stack, its certificate, its key) are reported in its result and the others go on.
 */
export async function buildBundles(options: BuildBundlesOptions): Promise<BundleSummary> {
  const { config, clients } = options;
  if (options.targets.length === 0) throw new Error('no devices to bundle');
  const scripts = readDeviceScripts(options.deviceScriptsDir);
  // Before any AWS call: a SIM's bundle needs an endpoint SORACOM documents, or one the config names.
  if (options.targets.some((target) => target.source === 'krypton')) kryptonEndpoint(config);

  await assertCallerMatches(clients, config);
  const stacks = new DeployedOutputs(clients.cloudFormation, config);
  // Names derived from the environment (they cannot differ from what is deployed); the Data stack must be there.
  await stacks.requireDeployed('Data');
  const data: DataOutputs = {
    deviceBucket: config.names.deviceBucket,
    deviceSecretName: config.names.deviceSecret,
    referenceTable: config.names.referenceTable,
  };
  // Optional: a Data stack deployed before the scripts asset existed has no such output yet.
  const deviceScriptsPrefix = await stacks.get(OUTPUTS.Data.deviceScriptsPrefix);

  const x509 = options.targets.some((t) => t.source === 'x509');
  const endpoints = x509
    ? {
        credentials: `https://${await iotEndpoint(clients, config, 'iot:CredentialProvider')}`,
        mqtt: await iotEndpoint(clients, config, 'iot:Data-ATS'),
      }
    : undefined;
  // Each thing's Fleet shard from fleet/<env>/shards.json, exactly as synth places it.
  const layout = config.fleet && layoutFleet(config.fleet.things, config.fleet.shardLock);
  const shards = new Map((layout?.things ?? []).map((thing) => [thing.name, thing.shard]));

  const outDir = bundleDir(options.outDir, config.envName);
  // Bundles may hold private keys: only the operator reads them.
  fs.mkdirSync(outDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(outDir, 0o700);

  const context: DeviceContext = {
    options,
    stacks,
    data,
    deviceScriptsPrefix,
    scripts,
    endpoints,
    shards,
    outDir,
  };
  const limit = pLimit(options.concurrency ?? 3);
  options.progress?.start(options.targets.length);
  try {
    const results = await Promise.all(
      options.targets.map((target) =>
        limit(async () => {
          let result: DeviceBundleResult;
          try {
            result = await bundleOne(context, target);
          } catch (error) {
            result = {
              name: target.name,
              source: target.source,
              error: error instanceof Error ? error.message : String(error),
            };
          }
          options.progress?.deviceDone(result);
          return result;
        }),
      ),
    );
    const failed = results.filter((r) => r.error !== undefined).length;
    return { results, built: results.length - failed, failed };
  } finally {
    options.progress?.stop();
  }
}

interface DeviceScripts {
  readonly helper: Buffer;
  readonly helperVersion: string;
  readonly rootCa: Buffer;
  readonly installer: Buffer;
  readonly examples: readonly ArchiveFile[];
}

interface DeviceContext {
  readonly options: BuildBundlesOptions;
  readonly stacks: DeployedOutputs;
  readonly data: DataOutputs;
  readonly deviceScriptsPrefix: string | undefined;
  readonly scripts: DeviceScripts;
  readonly endpoints: { credentials: string; mqtt: string } | undefined;
  readonly shards: ReadonlyMap<string, number>;
  readonly outDir: string;
}

async function bundleOne(context: DeviceContext, target: BundleTarget): Promise<DeviceBundleResult> {
  const { config } = context.options;
  const files: ArchiveFile[] = [];
  let includesPrivateKey = false;
  let keyToken: string | undefined;
  let deviceConfig: object;
  if (target.source === 'x509') {
    const deviceKey = deviceKeyOf(config, target.name);
    if (deviceKey.store === 'pkcs11') keyToken = deviceKey.token;
    const material = await x509Material(
      context,
      target.name,
      deviceKey.store === 'pkcs11' ? deviceKey.token : undefined,
    );
    deviceConfig = x509DeviceConfig({
      deviceKey,
      config,
      helperVersion: context.scripts.helperVersion,
      thingName: target.name,
      credentialsEndpoint: context.endpoints!.credentials,
      // As deployed: the config may name another alias that is not deployed yet.
      roleAlias: await context.stacks.require(OUTPUTS.IotAccess.roleAliasName),
      data: context.data,
    });
    files.push({
      path: 'certs/certificate.pem.crt',
      mode: 0o600,
      content: Buffer.from(material.certificatePem),
    });
    files.push({ path: 'certs/AmazonRootCA1.pem', mode: 0o644, content: context.scripts.rootCa });
    if (material.privateKey) {
      files.push({ path: 'certs/private.pem.key', mode: 0o600, content: material.privateKey });
      includesPrivateKey = true;
    }
  } else {
    // The Krypton bundle is useless until the identity pool exists: check it is deployed.
    await context.stacks.require(OUTPUTS.KryptonAccess.identityPoolId);
    deviceConfig = kryptonDeviceConfig({
      config,
      helperVersion: context.scripts.helperVersion,
      mode: target.mode,
      data: context.data,
    });
  }

  files.push(
    { path: 'device.json', mode: 0o644, content: Buffer.from(`${JSON.stringify(deviceConfig, null, 2)}\n`) },
    { path: 'aws-config', mode: 0o644, content: Buffer.from(awsProfile(config.region)) },
    { path: 'install.sh', mode: 0o755, content: context.scripts.installer },
    { path: 'bin/keyless-credentials', mode: 0o755, content: context.scripts.helper },
    ...context.scripts.examples,
    {
      path: 'README.md',
      mode: 0o644,
      content: Buffer.from(
        bundleReadme({
          envName: config.envName,
          name: target.name,
          source: target.source,
          helperVersion: context.scripts.helperVersion,
          region: config.region,
          deviceBucket: context.data.deviceBucket,
          deviceScriptsPrefix: context.deviceScriptsPrefix,
          hasPrivateKey: includesPrivateKey,
          keyToken,
          mqttEndpoint: target.source === 'x509' ? context.endpoints?.mqtt : undefined,
        }),
      ),
    },
  );

  const archive = buildDeterministicTarGz(target.name, files);
  const file = bundleFile(context.options.outDir, config.envName, target.name);
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, archive, { mode: 0o600 });
  fs.renameSync(temporary, file);
  const sha256 = createHash('sha256').update(archive).digest('hex');
  return { name: target.name, source: target.source, file, sha256, includesPrivateKey };
}

/** `token`: the PKCS#11 token the config says holds the thing's key, so no key file may travel. */
async function x509Material(
  context: DeviceContext,
  thing: string,
  token?: string,
): Promise<{ certificatePem: string; privateKey?: Buffer }> {
  const { config, repoRoot, keyOnDevice } = context.options;
  const shard = context.shards.get(thing);
  if (shard === undefined) {
    throw new Error(
      `thing ${thing} is not in iot.things of ${config.configFile}: add it (npx keyless enroll) and deploy`,
    );
  }
  const fleetStack = fleetStackName(config.envName, shard);
  const certificateId = await context.stacks.certificateId(thing, shard);
  if (!certificateId) {
    throw new Error(
      `thing ${thing} has no certificate: stack ${fleetStack} has no output ${certificateIdOutput(thing).key}. ` +
        `Give it a CSR (\`npx keyless enroll --env ${config.envName} --thing ${thing}\`) and deploy \`${deployCommand(config, fleetStack)}\``,
    );
  }
  const pem = await certificatePem(context.options.clients, config, certificateId, thing);

  const keyFile = inRepository(repoRoot, privateKeyFile(config.envName, thing));
  const shownKeyFile = path.relative(process.cwd(), keyFile) || keyFile;
  if (token !== undefined) {
    // A key made off the device defeats the token: its certificate would be usable by whoever copies the file.
    if (fs.existsSync(keyFile)) {
      throw new Error(
        `thing ${thing} keeps its key in PKCS#11 token ${token} (deviceKey in ${config.configFile}), but ` +
          `${shownKeyFile} exists: its certificate was issued for a key made off the device. Make the key in the ` +
          `token (keyless-credentials --make-csr on the device), enroll that CSR (npx keyless enroll --thing ` +
          `${thing} --csr FILE --force), deploy, and delete ${shownKeyFile}`,
      );
    }
    return { certificatePem: pem };
  }
  if (!fs.existsSync(keyFile)) {
    if (keyOnDevice) return { certificatePem: pem };
    throw new Error(
      `missing private key ${shownKeyFile} for thing ${thing}: restore it, or, if the device made its own CSR ` +
        `(keyless enroll --csr), bundle it with --key-on-device so install.sh takes the key already on the device`,
    );
  }
  const privateKey = fs.readFileSync(keyFile);
  assertKeyMatchesCertificate(privateKey, pem, shownKeyFile, thing, certificateId);
  return { certificatePem: pem, privateKey };
}

/** A key that does not belong to the certificate would only fail later on the device, at the TLS handshake. */
function assertKeyMatchesCertificate(
  keyPem: Buffer,
  certPem: string,
  keyFile: string,
  thing: string,
  certificateId: string,
): void {
  let keyPublic: Buffer;
  try {
    keyPublic = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
  } catch {
    // The parser's message could quote key bytes: say only which file.
    throw new Error(`${keyFile} is not a readable PEM private key`);
  }
  const certPublic = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  if (!keyPublic.equals(certPublic)) {
    throw new Error(
      `${keyFile} does not match certificate ${certificateId} of thing ${thing}: the key was replaced after the certificate was issued (re-enroll and redeploy the thing)`,
    );
  }
}

function readDeviceScripts(dir: string): DeviceScripts {
  const read = (relative: string): Buffer => {
    const file = path.join(dir, relative);
    if (!fs.existsSync(file)) throw new Error(`device script ${file} is missing: every bundle ships it`);
    return fs.readFileSync(file);
  };
  const examplesDir = path.join(dir, 'examples');
  const examples = fs.existsSync(examplesDir)
    ? fs
        .readdirSync(examplesDir)
        .filter((name) => name.endsWith('.py'))
        .sort()
        .map((name): ArchiveFile => {
          const content = fs.readFileSync(path.join(examplesDir, name));
          return {
            path: `examples/${name}`,
            mode: content.subarray(0, 2).toString() === '#!' ? 0o755 : 0o644,
            content,
          };
        })
    : [];
  const helper = read('bin/keyless-credentials');
  return {
    helper,
    helperVersion: helperVersion(helper),
    rootCa: read('AmazonRootCA1.pem'),
    installer: read('install.sh'),
    examples,
  };
}
