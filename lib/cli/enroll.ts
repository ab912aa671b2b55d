import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SingleBar } from 'cli-progress';
import { Command, Option } from 'commander';
import { DEFAULT_CONFIG_DIR, environmentConfigFile, parseConfig } from '../config';
import { csrProblems } from '../config/csr';
import {
  configFile as configFileOf,
  csrFile as csrFileOf,
  follows,
  inRepository,
  NAME_RULES,
  privateKeyFile,
  REPO_ROOT,
  shardLockFile,
} from '../contract';
import { layoutFleet } from '../fleet/placement';
import { x509 } from '../fleet/x509';
import { addThings, readConfigDocument, renderConfigDocument, setLifecycle } from './config-file-edits';
import { UsageError } from './exit-codes';
import { applyAllOrNothing, type PlannedFileChange } from './file-transaction';
import { commandOutput, envOption, integerArgument, jsonOption, thingNamesArgument } from './options';
import { describeLockChange, plannedLockWrite, type ShardLockChange } from './shard-lock-file';

export type KeyType = 'ec-p256' | 'rsa2048';

export interface EnrollOptions {
  readonly envName: string;
  /** The things to enroll (validated names). */
  readonly things: readonly string[];
  /** A CSR made on the device itself (one thing only): then no private key exists off the device. */
  readonly csrFile?: string;
  /** @default 'ec-p256' */
  readonly keyType?: KeyType;
  /** Replace existing keys and CSRs (the old certificate must then be revoked). */
  readonly force?: boolean;
  /** CSRs, keys and `fleet/<env>/shards.json` live under `<repoRoot>/fleet/<env>/`. @default the repository */
  readonly repoRoot?: string;
  /** `config/<env>.json` lives here. @default the repository's config/ */
  readonly configDir?: string;
  /** Progress callback, once per thing. */
  readonly onProgress?: (done: number, total: number, thingName: string) => void;
  /** Lines for the operator (warnings, what was written). */
  readonly log?: (line: string) => void;
}

export interface EnrollResult {
  /** New key and CSR made here, or a device CSR copied in. */
  readonly enrolled: string[];
  /** Already had a CSR (and key): left alone. */
  readonly unchanged: string[];
  /** Had a CSR and got a new one (--force): their old certificates must be revoked. */
  readonly replaced: string[];
  /** Added to iot.things of the config file. */
  readonly addedToConfig: string[];
  /** What the shard lock recorded, if anything changed. */
  readonly shardLock?: ShardLockChange;
}

const ALGORITHMS: Record<KeyType, RsaHashedKeyGenParams | EcKeyGenParams> = {
  'ec-p256': { name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams,
  rsa2048: {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  } as RsaHashedKeyGenParams,
};

type RsaHashedKeyGenParams = {
  name: string;
  modulusLength: number;
  publicExponent: Uint8Array;
  hash: string;
};
type EcKeyGenParams = { name: string; namedCurve: string };

/** The thing names `--prefix sensor- --count 3` means: sensor-001, sensor-002, sensor-003 (at least 3 digits). */
export function numberedThingNames(prefix: string, count: number, start = 1): string[] {
  if (!Number.isInteger(count) || count < 1)
    throw new UsageError(`--count must be a positive integer, got: ${count}`);
  if (!Number.isInteger(start) || start < 0)
    throw new UsageError(`--start must be a non-negative integer, got: ${start}`);
  const width = Math.max(3, String(start + count - 1).length);
  return Array.from({ length: count }, (_, i) => `${prefix}${String(start + i).padStart(width, '0')}`);
}

/**
 * Makes each thing's private key and CSR in-process (WebCrypto; no openssl per device), or takes a CSR made on
 * the device, adds the things to the config file and records their Fleet shards. Idempotent: a thing that has
 * its CSR keeps it, and an existing private key is never overwritten without `force`.
 */
export async function enroll(options: EnrollOptions): Promise<EnrollResult> {
  const repoRoot = options.repoRoot ?? REPO_ROOT;
  const configDir = options.configDir ?? DEFAULT_CONFIG_DIR;
  const keyType = options.keyType ?? 'ec-p256';
  const log = options.log ?? (() => {});
  const things = [...new Set(options.things)];
  if (!follows(NAME_RULES.environmentName, options.envName)) {
    throw new UsageError(`--env must be ${NAME_RULES.environmentName.description}, got: ${options.envName}`);
  }
  if (things.length === 0) {
    throw new UsageError('name the things with --thing NAME or --prefix PREFIX --count N');
  }
  const badNames = things.filter((name) => !follows(NAME_RULES.thingName, name));
  if (badNames.length > 0) {
    throw new UsageError(
      `thing names must be ${NAME_RULES.thingName.description}, got: ${badNames.join(', ')}`,
    );
  }
  if (options.csrFile !== undefined && things.length !== 1) {
    throw new UsageError('--csr enrolls exactly one thing: pass a single --thing');
  }
  if (!(keyType in ALGORITHMS)) {
    throw new UsageError(`--key-type must be ec-p256 or rsa2048, got: ${keyType}`);
  }
  const configFile = environmentConfigFile(options.envName, configDir);
  const devicePem = options.csrFile === undefined ? undefined : checkDeviceCsr(things[0], options.csrFile);
  const force = options.force ?? false;

  // Everything is made and checked in memory first: keys, CSRs, the edited config (validated whole, with the new
  // CSRs) and the shard lock. Only then is anything written, all of it or nothing (applyAllOrNothing).
  const document = readConfigDocument(configFile);
  const addedToConfig = addThings(document, things);
  const shownConfig = displayPath(configFile);
  // Checked once before the keys (the slow part) are made: a config that cannot validate stops here, silently.
  parseConfig(document.raw, options.envName, shownConfig, repoRoot);
  const result = { enrolled: [] as string[], unchanged: [] as string[], replaced: [] as string[] };
  const thingChanges: PlannedFileChange[] = [];
  const pendingCsrs = new Map<string, string>();
  for (const [index, thing] of things.entries()) {
    const files = {
      csr: inRepository(repoRoot, csrFileOf(options.envName, thing)),
      key: inRepository(repoRoot, privateKeyFile(options.envName, thing)),
    };
    const planned =
      devicePem !== undefined
        ? planDeviceCsr(files, thing, devicePem, force)
        : await planNewKey(files, thing, keyType, force);
    result[planned.outcome].push(thing);
    thingChanges.push(...planned.changes);
    if (planned.csrPem !== undefined) pendingCsrs.set(files.csr, planned.csrPem);
    options.onProgress?.(index + 1, things.length, thing);
  }

  // A new key means a new certificate: the status the config gave the old one (inactive, or revoked for good)
  // is not the new one's. A quarantine is about the device, not the key: it stays until released.
  const reactivated = result.replaced.filter((thing) => setLifecycle(document, thing, { status: 'active' }));

  // Validates the whole config it would leave, with the new CSRs, and places the new things where synth would.
  const config = parseConfig(document.raw, options.envName, shownConfig, repoRoot, pendingCsrs);
  const lock = config.fleet
    ? plannedLockWrite(config.fleet, layoutFleet(config.fleet.things, config.fleet.shardLock))
    : undefined;
  const configChanged = addedToConfig.length > 0 || reactivated.length > 0;
  applyAllOrNothing([
    ...thingChanges,
    ...(configChanged ? [{ file: configFile, content: renderConfigDocument(document.raw) }] : []),
    ...(lock ? [lock.write] : []),
  ]);

  for (const thing of result.replaced) {
    log(
      `${thing}: replaced its key and CSR. The certificate issued for the old key stays valid until it is revoked: ` +
        'deploying its Fleet stack replaces it (CloudFormation deactivates and deletes the old one); revoke it ' +
        'now if the old key may be compromised: ' +
        '`aws iot update-certificate --certificate-id <old id> --new-status REVOKED`.',
    );
  }
  for (const thing of reactivated) {
    log(
      `${thing}: its new certificate will be ACTIVE; ${configFileOf(options.envName)} no longer records the old certificate's status.`,
    );
  }
  return { ...result, addedToConfig, shardLock: lock?.change };
}

type Outcome = 'enrolled' | 'unchanged' | 'replaced';

/** Where one thing's CSR and private key go (both in `fleet/<env>/<thing>/`). */
interface ThingFiles {
  readonly csr: string;
  readonly key: string;
}

/** What enrolling one thing would change, not yet written. */
interface PlannedThing {
  readonly outcome: Outcome;
  readonly changes: PlannedFileChange[];
  /** The CSR it would write, to validate the config with. */
  readonly csrPem?: string;
}

async function planNewKey(
  files: ThingFiles,
  thing: string,
  keyType: KeyType,
  force: boolean,
): Promise<PlannedThing> {
  const hasKey = fs.existsSync(files.key);
  const hasCsr = fs.existsSync(files.csr);
  if (hasCsr && !force) return { outcome: 'unchanged', changes: [] };

  const changes: PlannedFileChange[] = [];
  let keys: CryptoKeyPairLike;
  if (hasKey && !force) {
    // A key without its CSR (the CSR was deleted): make the CSR again from the same key.
    keys = await importKeyPair(fs.readFileSync(files.key, 'utf8'));
  } else {
    keys = (await crypto.webcrypto.subtle.generateKey(ALGORITHMS[keyType], true, [
      'sign',
      'verify',
    ])) as unknown as CryptoKeyPairLike;
    const pkcs8 = await crypto.webcrypto.subtle.exportKey(
      'pkcs8',
      keys.privateKey as crypto.webcrypto.CryptoKey,
    );
    // Created 0600 in one step: never readable by others, not even briefly.
    changes.push({ file: files.key, content: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'), mode: 0o600 });
  }
  const signingAlgorithm =
    keys.privateKey.algorithm.name === 'ECDSA'
      ? { name: 'ECDSA', hash: 'SHA-256' }
      : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [thing] }],
    keys: keys as never,
    signingAlgorithm,
  });
  const csrPem = `${csr.toString('pem')}\n`;
  changes.push({ file: files.csr, content: csrPem });
  return { outcome: hasCsr ? 'replaced' : 'enrolled', changes, csrPem };
}

/** The device's CSR must be one AWS IoT will sign for this thing; returns its PEM. */
function checkDeviceCsr(thing: string, source: string): string {
  if (!fs.existsSync(source)) throw new UsageError(`--csr ${source}: no such file`);
  const pem = fs.readFileSync(source, 'utf8');
  const problems = csrProblems(pem, thing, source);
  if (problems.length > 0) throw new UsageError(`--csr ${source}: ${problems.join('; ')}`);
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

function planDeviceCsr(files: ThingFiles, thing: string, pem: string, force: boolean): PlannedThing {
  const replaced = fs.existsSync(files.csr);
  if (replaced) {
    if (fs.readFileSync(files.csr, 'utf8') === pem) return { outcome: 'unchanged', changes: [] };
    if (!force) {
      throw new UsageError(
        `${thing} already has a CSR at ${files.csr}; pass --force to replace it (its certificate must then be revoked)`,
      );
    }
  }
  const changes: PlannedFileChange[] = [{ file: files.csr, content: pem }];
  // A key made here earlier belongs to the old CSR: the device's own key replaces it.
  if (fs.existsSync(files.key)) {
    if (!force)
      throw new UsageError(
        `${thing} has a private key at ${files.key}; pass --force to replace it with the device's CSR`,
      );
    changes.push({ file: files.key });
  }
  return { outcome: replaced ? 'replaced' : 'enrolled', changes, csrPem: pem };
}

interface CryptoKeyPairLike {
  readonly privateKey: { readonly algorithm: { readonly name: string } };
  readonly publicKey: unknown;
}

async function importKeyPair(pem: string): Promise<CryptoKeyPairLike> {
  const privateKey = crypto.createPrivateKey(pem);
  const publicKey = crypto.createPublicKey(privateKey);
  const algorithm =
    privateKey.asymmetricKeyType === 'ec'
      ? { name: 'ECDSA', namedCurve: 'P-256' }
      : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const subtle = crypto.webcrypto.subtle;
  return {
    privateKey: await subtle.importKey(
      'pkcs8',
      privateKey.export({ type: 'pkcs8', format: 'der' }),
      algorithm,
      true,
      ['sign'],
    ),
    publicKey: await subtle.importKey(
      'spki',
      publicKey.export({ type: 'spki', format: 'der' }),
      algorithm,
      true,
      ['verify'],
    ),
  };
}

export { partialFileOf } from './file-transaction';

function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

interface EnrollFlags {
  env: string;
  thing?: string[];
  prefix?: string;
  count?: number;
  start: number;
  csr?: string;
  keyType: KeyType;
  force?: boolean;
  json?: boolean;
}

/** Where `keyless enroll` reads and writes, and prints; tests point it at a repository of their own. */
export interface EnrollCommandDeps {
  readonly repoRoot?: string;
  readonly configDir?: string;
  readonly streams?: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
}

/** `keyless enroll`: see {@link enroll}. */
export function registerEnrollCommand(program: Command, deps: EnrollCommandDeps = {}): void {
  program
    .command('enroll')
    .description(
      `Make a private key and CSR per thing (or take a CSR made on the device), add the things to ${configFileOf('<env>')}`,
    )
    .addOption(envOption())
    .option('--thing <name...>', 'thing name(s); repeatable', thingNamesArgument)
    .option('--prefix <prefix>', 'numbered things: <prefix>001, <prefix>002, … (with --count)')
    .option('--count <n>', 'how many numbered things', integerArgument(1))
    .option('--start <n>', 'first number for --prefix', integerArgument(0), 1)
    .option(
      '--csr <file>',
      'a CSR made on the device itself (CN = thing name): no private key exists off the device',
    )
    .addOption(new Option('--key-type <type>', 'key type').choices(['ec-p256', 'rsa2048']).default('ec-p256'))
    .option('--force', 'replace existing keys and CSRs (the old certificates must then be revoked)')
    .addOption(jsonOption())
    .action(async (flags: EnrollFlags) => {
      const output = commandOutput(Boolean(flags.json), deps.streams);
      const things = [...(flags.thing ?? [])];
      if (flags.prefix !== undefined || flags.count !== undefined) {
        if (flags.prefix === undefined || flags.count === undefined)
          throw new UsageError('--prefix and --count go together');
        things.push(...numberedThingNames(flags.prefix, flags.count, flags.start));
      }
      const progress = progressReporter(things.length);
      const result = await enroll({
        envName: flags.env,
        things,
        csrFile: flags.csr,
        keyType: flags.keyType,
        force: flags.force,
        repoRoot: deps.repoRoot,
        configDir: deps.configDir,
        onProgress: progress.update,
        log: output.note,
      });
      progress.stop();
      output.result({
        env: flags.env,
        enrolled: result.enrolled,
        replaced: result.replaced,
        unchanged: result.unchanged,
        addedToConfig: result.addedToConfig,
        shardLock: result.shardLock ?? null,
      });
      output.say(
        `${flags.env}: ${result.enrolled.length} enrolled, ${result.replaced.length} replaced, ` +
          `${result.unchanged.length} already enrolled; ${result.addedToConfig.length} added to ${configFileOf(flags.env)}`,
      );
      if (flags.csr === undefined && result.enrolled.length + result.replaced.length > 0) {
        output.say(
          `Private keys: ${privateKeyFile(flags.env, '<thing>')} (0600, git-ignored). Copy each to its device only.`,
        );
      }
      if (result.shardLock) output.say(describeLockChange(result.shardLock));
      output.say(
        `Next: npm run synth, then npx cdk deploy to create the certificates; commit ${csrFileOf(flags.env, '<thing>')} and ${shardLockFile(flags.env)}.`,
      );
    });
}

/** A progress bar on a terminal; on a pipe or in CI, a plain line every 10% (and for every thing when few). */
function progressReporter(total: number): {
  update: (done: number, total: number, thing: string) => void;
  stop: () => void;
} {
  if (process.stderr.isTTY && total > 1) {
    const bar = new SingleBar({ format: 'enroll [{bar}] {value}/{total} {thing}', stream: process.stderr });
    bar.start(total, 0, { thing: '' });
    return { update: (done, _total, thing) => bar.update(done, { thing }), stop: () => bar.stop() };
  }
  const step = Math.max(1, Math.floor(total / 10));
  return {
    update: (done, all, thing) => {
      if (all <= 20 || done % step === 0 || done === all)
        process.stderr.write(`enroll ${done}/${all} ${thing}\n`);
    },
    stop: () => {},
  };
}
