import * as fs from 'node:fs';
import * as path from 'node:path';
import type { z } from 'zod';
import {
  CONFIG_DIR,
  CONFIG_SCHEMA_SUFFIX,
  configFile,
  describeExternalId,
  EXAMPLE_CONFIG_SUFFIX,
  exampleConfigFile,
  follows,
  inRepository,
  NAME_RULES,
  physicalNames,
  REPO_ROOT,
  SECRET_CONFIG_FIELDS,
  type PhysicalNames,
} from '../contract';
import { auditOwnershipProblems } from './audit-ownership';
import { readFleet, type FleetConfig } from './fleet';
import { configSchema, type KeylessConfigBody } from './schema';

/** The validated configuration of one environment, with the names derived from it. */
export interface KeylessConfig extends KeylessConfigBody {
  readonly envName: string;
  /** The file it was read from, as the operator would type it (relative to the working directory). */
  readonly configFile: string;
  /** The physical names of the environment's resources (lib/contract/names.ts). */
  readonly names: PhysicalNames;
  /** The things with their CSRs, and the shard lock (present with the iot section). */
  readonly fleet?: FleetConfig;
}

/**
 * The config is wrong, or lacks what is asked of it (the CLI exits 3). Two shapes:
 * - `new ConfigError(problems, envName?)`: every problem validation found, one line each; the CLI lists them
 *   under "invalid configuration";
 * - `new ConfigError(message, options?)`: one sentence on what a command needs from the config or a file it
 *   names (a missing section, an unusable CSR, a config file that could not be written); the CLI prints it as is.
 */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  /** The environment whose config has the problems, when known (the CLI names it in its first line). */
  readonly envName?: string;
  /** True for validation's list of problems, false for one sentence. */
  readonly listed: boolean;

  constructor(problems: readonly string[], envName?: string);
  constructor(message: string, options?: ErrorOptions);
  constructor(what: readonly string[] | string, envNameOrOptions?: string | ErrorOptions) {
    if (typeof what === 'string') {
      super(what, typeof envNameOrOptions === 'object' ? envNameOrOptions : undefined);
      this.problems = [what];
      this.listed = false;
    } else {
      super(what.join('\n'));
      this.problems = what;
      this.envName = typeof envNameOrOptions === 'string' ? envNameOrOptions : undefined;
      this.listed = true;
    }
    this.name = 'ConfigError';
  }
}

/** `--env` names an environment that has no config file; the message lists the ones that do. */
export class UnknownEnvironmentError extends ConfigError {
  constructor(envName: string, file: string, known: readonly string[]) {
    super(
      [
        `${file}: no such environment ${JSON.stringify(envName)}; environments: ${known.join(', ') || '(none)'}` +
          ` (copy ${exampleConfigFile('prod')} to ${configFile('<env>')} to add one)`,
      ],
      envName,
    );
    this.name = 'UnknownEnvironmentError';
  }
}

export const DEFAULT_CONFIG_DIR = inRepository(REPO_ROOT, CONFIG_DIR);

/**
 * Environments are the `config/<env>.json` files; `*.example.json` are templates and `*.schema.json` the JSON
 * Schema of them all, not environments.
 */
export function listEnvironments(configDir = DEFAULT_CONFIG_DIR): string[] {
  if (!fs.existsSync(configDir)) return [];
  return fs
    .readdirSync(configDir)
    .filter(
      (file) =>
        file.endsWith('.json') &&
        !file.endsWith(EXAMPLE_CONFIG_SUFFIX) &&
        !file.endsWith(CONFIG_SCHEMA_SUFFIX),
    )
    .map((file) => file.slice(0, -'.json'.length))
    .sort();
}

export function loadEnvironmentConfig(
  envName: string,
  configDir: string = DEFAULT_CONFIG_DIR,
): KeylessConfig {
  if (!follows(NAME_RULES.environmentName, envName)) {
    throw new ConfigError(
      [
        `environment name ${JSON.stringify(envName)} is not valid: expected ${NAME_RULES.environmentName.description}`,
      ],
      envName,
    );
  }
  const file = environmentConfigFile(envName, configDir);
  const config = loadConfigFile(file, envName);
  // A template is never deployed: the flag stays until the operator has made the copy their own. Only tests read
  // a template, through loadConfigFile.
  if (config.example === true) {
    throw new ConfigError([
      `${displayPath(file)}: example: true marks a template, never deployed; set the account and your own external ` +
        'ids (npx keyless soracom new-external-id), then remove "example"',
    ]);
  }
  const others = listEnvironments(configDir)
    .filter((other) => other !== envName)
    .map((other) => path.join(configDir, path.basename(configFile(other))));
  const problems = auditOwnershipProblems(config, others, displayPath);
  if (problems.length > 0) throw new ConfigError(problems, envName);
  return config;
}

/**
 * The config file of an environment, absolute; an environment without one is an {@link UnknownEnvironmentError}
 * that lists the environments there are. Every command finds its config here, so they all say the same.
 */
export function environmentConfigFile(envName: string, configDir: string = DEFAULT_CONFIG_DIR): string {
  const file = path.join(configDir, path.basename(configFile(envName)));
  if (!fs.existsSync(file)) {
    throw new UnknownEnvironmentError(envName, displayPath(file), listEnvironments(configDir));
  }
  return file;
}

/** Reads and validates one config file; throws ConfigError listing every problem at once. */
export function loadConfigFile(file: string, envName: string): KeylessConfig {
  const shown = displayPath(file);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError([`${shown}: cannot read JSON: ${reason}`], envName);
  }
  return parseConfig(raw, envName, shown);
}

/**
 * `repoRoot`: where CSR files and `fleet/<env>/shards.json` are looked up (the repository by default).
 * `pendingCsrs`: CSRs about to be written (absolute path → PEM), checked as if they were on disk, so a command
 * validates the config it would leave behind before writing anything.
 */
export function parseConfig(
  raw: unknown,
  envName: string,
  shown: string,
  repoRoot?: string,
  pendingCsrs?: ReadonlyMap<string, string>,
): KeylessConfig {
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.flatMap((issue) => describeIssue(issue, shown)),
      envName,
    );
  }
  // Each thing's CSR and the shard lock are files too: read and checked here, like the config itself.
  const fleet = result.data.iot
    ? readFleet(result.data.iot, envName, shown, repoRoot, pendingCsrs)
    : undefined;
  if (fleet && fleet.problems.length > 0) throw new ConfigError(fleet.problems, envName);
  return {
    ...result.data,
    envName,
    configFile: shown,
    names: physicalNames(envName, result.data.account, result.data.region),
    fleet: fleet?.fleet,
  };
}

function describeIssue(issue: z.core.$ZodIssue, file: string): string[] {
  if (issue.code === 'unrecognized_keys') {
    const valid = validKeysAt(issue.path);
    return issue.keys.map(
      (key) =>
        `${file}: ${formatPath([...issue.path, key])}: unknown key` +
        (valid.length > 0 ? `; valid keys here: ${valid.join(', ')}` : ''),
    );
  }
  const where = formatPath(issue.path);
  // A bad record key carries the key rule's own message inside.
  const inner = issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined;
  const message = (inner ?? issue.message).replace(/^Invalid input: /, '');
  // A key that is absent fails as a wrong type, or as a value outside an enum.
  if (issue.input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value')) {
    return [`${file}: ${where}: missing; ${message}`];
  }
  // A secret (an external id) is described, never shown.
  const secret = SECRET_CONFIG_FIELDS.includes(String(issue.path.at(-1))) && typeof issue.input === 'string';
  return [
    `${file}: ${where}: ${message}, got ${secret ? describeExternalId(String(issue.input)) : showValue(issue.input)}`,
  ];
}

function formatPath(segments: readonly PropertyKey[]): string {
  if (segments.length === 0) return '(top level)';
  return segments
    .map((segment, index) =>
      typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`,
    )
    .join('');
}

function showValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The keys the schema accepts at a path, to suggest the right spelling of an unknown key. */
function validKeysAt(segments: readonly PropertyKey[]): string[] {
  let nodes: z.core.$ZodType[] = [configSchema];
  for (const segment of [...segments, undefined]) {
    nodes = nodes.flatMap(unwrap);
    if (segment === undefined) break;
    nodes = nodes.flatMap((node) => {
      const def = node._zod.def as unknown as Record<string, unknown>;
      if (def.type === 'object') {
        const child = (def.shape as Record<string, z.core.$ZodType>)[String(segment)];
        return child ? [child] : [];
      }
      if (def.type === 'array') return [def.element as z.core.$ZodType];
      if (def.type === 'record') return [def.valueType as z.core.$ZodType];
      return [];
    });
  }
  const keys = nodes.flatMap((node) => {
    const def = node._zod.def as unknown as Record<string, unknown>;
    return def.type === 'object' ? Object.keys(def.shape as object) : [];
  });
  return [...new Set(keys)].sort();
}

function unwrap(node: z.core.$ZodType): z.core.$ZodType[] {
  const def = node._zod.def as unknown as Record<string, unknown>;
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'nullable':
      return unwrap(def.innerType as z.core.$ZodType);
    case 'pipe':
      return unwrap(def.in as z.core.$ZodType);
    case 'union':
      return (def.options as z.core.$ZodType[]).flatMap(unwrap);
    default:
      return [node];
  }
}

function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}
