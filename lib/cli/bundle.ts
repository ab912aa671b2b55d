import * as path from 'node:path';
import { SingleBar } from 'cli-progress';
import { Command, Option } from 'commander';
import { ConfigError, loadEnvironmentConfig, type KeylessConfig } from '../config';
import { DEFAULT_BUNDLE_DIR, DEVICE_SCRIPTS_DIR, inRepository, privateKeyFile, REPO_ROOT } from '../contract';
import { createBundleClients } from './bundle/aws';
import {
  buildBundles,
  bundleDir,
  type BundleProgress,
  type BundleSummary,
  type BundleTarget,
  type DeviceBundleResult,
} from './bundle/build';
import { PartialFailureError, UsageError } from './exit-codes';
import { commandOutput, envOption, jsonOption } from './options';

export interface TargetSelection {
  readonly things?: readonly string[];
  readonly all?: boolean;
  /** Bundle the named devices as SORACOM SIMs even if the config does not list them under krypton.devices. */
  readonly krypton?: boolean;
  readonly kryptonMode?: 'credentials' | 'open-id-token';
}

/**
 * Which devices to bundle: every X.509 thing and Krypton device in the config (`--all`), or the named ones.
 * A name is looked up under iot.things, then krypton.devices; `--krypton` makes it a SIM either way.
 */
export function selectTargets(config: KeylessConfig, selection: TargetSelection): BundleTarget[] {
  const things = config.iot?.things.map((t) => t.name) ?? [];
  const sims = new Map((config.krypton?.devices ?? []).map((d) => [d.name, d.mode] as const));
  const names = selection.things ?? [];
  if (selection.all && names.length > 0) throw new UsageError('use either --thing or --all, not both');
  if (!selection.all && names.length === 0)
    throw new UsageError('name the devices with --thing NAME (repeatable) or pass --all');
  if (selection.all) {
    if (things.length === 0 && sims.size === 0) {
      throw new ConfigError(`--all: ${config.configFile} lists no iot.things and no krypton.devices`);
    }
    return [
      ...things.map((name): BundleTarget => ({ name, source: 'x509' })),
      ...[...sims].map(([name, mode]): BundleTarget => ({ name, source: 'krypton', mode })),
    ];
  }
  const unique = [...new Set(names)];
  const unknown: string[] = [];
  const targets = unique.flatMap((name): BundleTarget[] => {
    if (selection.krypton) {
      if (!config.krypton) {
        throw new ConfigError(`--krypton needs a krypton section in ${config.configFile}`);
      }
      return [{ name, source: 'krypton', mode: selection.kryptonMode ?? sims.get(name) ?? 'credentials' }];
    }
    if (things.includes(name)) return [{ name, source: 'x509' }];
    const mode = sims.get(name);
    if (mode) return [{ name, source: 'krypton', mode }];
    unknown.push(name);
    return [];
  });
  if (unknown.length > 0) {
    throw new UsageError(
      `${unknown.join(', ')}: not in iot.things or krypton.devices of ${config.configFile} ` +
        `(known: ${[...things, ...sims.keys()].join(', ') || 'none'}; add it, or pass --krypton for a SORACOM SIM)`,
    );
  }
  return targets;
}

/** A bar on a TTY; plain lines (one per device) when the output is a file or a CI log. */
export function progressFor(stream: NodeJS.WriteStream): BundleProgress {
  if (stream.isTTY) {
    const bar = new SingleBar({
      stream,
      format: 'bundles [{bar}] {value}/{total} {device}',
      hideCursor: true,
      clearOnComplete: true,
    });
    const failures: string[] = [];
    return {
      start: (total) => bar.start(total, 0, { device: '' }),
      deviceDone: (result) => {
        if (result.error) failures.push(`${result.name}: FAILED ${result.error}`);
        bar.increment({ device: result.name });
      },
      stop: () => {
        bar.stop();
        for (const line of failures) stream.write(`${line}\n`);
      },
    };
  }
  return {
    start: () => undefined,
    deviceDone: (result) => stream.write(`${describeResult(result)}\n`),
    stop: () => undefined,
  };
}

function describeResult(result: DeviceBundleResult): string {
  if (result.error) return `${result.name}: FAILED ${result.error}`;
  const what =
    result.source === 'krypton'
      ? 'Krypton, no certificate'
      : result.includesPrivateKey
        ? 'with private key'
        : 'key stays on the device';
  return `${result.name}: ${path.relative(process.cwd(), result.file!)} (${what}) sha256 ${result.sha256}`;
}

/**
 * The archives' SHA-256s in `sha256sum` format (relative to the bundle directory). Printed, never shipped next
 * to the archives: a checksum that travels with a file cannot tell a changed copy from a good one, so the
 * operator passes these values on by another channel and the installer compares before unpacking.
 */
export function archiveChecksums(summary: BundleSummary): string[] {
  return summary.results
    .filter((r) => r.file !== undefined && r.sha256 !== undefined)
    .map((r) => `${r.sha256}  ${path.basename(r.file!)}`);
}

export function summaryLine(summary: BundleSummary, outDir: string): string {
  const withKey = summary.results.filter((r) => r.includesPrivateKey).length;
  return (
    `${summary.built} of ${summary.results.length} bundles written to ${path.relative(process.cwd(), outDir) || '.'}` +
    (withKey > 0
      ? ` (${withKey} hold a private key: copy them to their devices over a trusted channel, then delete them)`
      : '') +
    (summary.failed > 0
      ? `; ${summary.failed} failed: ${summary.results
          .filter((r) => r.error)
          .map((r) => r.name)
          .join(', ')}`
      : '')
  );
}

export function registerBundleCommand(program: Command): void {
  program
    .command('bundle')
    .description(
      `Build one installable archive per device from the deployed stacks (${DEFAULT_BUNDLE_DIR}/<env>/<name>.tar.gz)`,
    )
    .addOption(envOption())
    .option('--thing <name>', 'device to bundle (repeatable)', (value: string, previous: string[] = []) => [
      ...previous,
      value,
    ])
    .option('--all', 'every thing in iot.things and every SIM in krypton.devices')
    .option('--krypton', 'bundle the named devices as SORACOM SIMs (Krypton, no certificate)')
    .addOption(
      new Option('--krypton-mode <mode>', 'Krypton flow for --krypton devices').choices([
        'credentials',
        'open-id-token',
      ]),
    )
    .option(
      '--key-on-device',
      `things without ${privateKeyFile('<env>', '<thing>')} made their own CSR: bundle them without a key`,
    )
    .option('--out <dir>', 'output directory', DEFAULT_BUNDLE_DIR)
    .addOption(jsonOption())
    .action(
      async (options: {
        env: string;
        thing?: string[];
        all?: boolean;
        krypton?: boolean;
        kryptonMode?: 'credentials' | 'open-id-token';
        keyOnDevice?: boolean;
        out: string;
        json?: boolean;
      }) => {
        const output = commandOutput(Boolean(options.json));
        const config = loadEnvironmentConfig(options.env);
        const targets = selectTargets(config, {
          things: options.thing,
          all: options.all,
          krypton: options.krypton,
          kryptonMode: options.kryptonMode,
        });
        const outDir = path.resolve(options.out);
        const summary = await buildBundles({
          config,
          clients: createBundleClients(config),
          targets,
          repoRoot: REPO_ROOT,
          deviceScriptsDir: inRepository(REPO_ROOT, DEVICE_SCRIPTS_DIR),
          outDir,
          keyOnDevice: options.keyOnDevice,
          progress: progressFor(process.stderr),
        });
        output.result({
          env: config.envName,
          outDir: bundleDir(outDir, config.envName),
          built: summary.built,
          failed: summary.failed,
          bundles: summary.results.map((result) => ({
            name: result.name,
            source: result.source,
            file: result.file ?? null,
            sha256: result.sha256 ?? null,
            includesPrivateKey: result.includesPrivateKey ?? false,
            error: result.error ?? null,
          })),
        });
        output.say(summaryLine(summary, bundleDir(outDir, config.envName)));
        const checksums = archiveChecksums(summary);
        if (checksums.length > 0) {
          output.say(
            'SHA-256 of each archive (check a copy with `sha256sum <name>.tar.gz` before unpacking it):',
          );
          for (const line of checksums) output.say(line);
        }
        if (summary.failed > 0) {
          throw new PartialFailureError(
            `${summary.failed} of ${summary.results.length} bundles failed (causes above)`,
          );
        }
      },
    );
}
