import * as path from 'node:path';

/**
 * Where the project keeps its files: one config file per environment, and per environment a `fleet/<env>/`
 * directory with the shard lock and, per thing, its CSR (committed) and private key (git-ignored).
 * Paths are relative to the repository root and use `/`, as the operator types them and as config files
 * name CSR files.
 */

/** The repository this code runs from: CSR paths and `fleet/<env>/` are relative to it. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** `config/`: one `<env>.json` per environment; `*.example.json` are templates. */
export const CONFIG_DIR = 'config';
export const EXAMPLE_CONFIG_SUFFIX = '.example.json';
/** `config/keyless.schema.json`: the config files' JSON Schema (generated), which every config file names. */
export const CONFIG_SCHEMA_SUFFIX = '.schema.json';
export const CONFIG_SCHEMA_FILE = `${CONFIG_DIR}/keyless${CONFIG_SCHEMA_SUFFIX}`;

/** What `device-scripts/` holds is published to the bucket and shipped in every bundle. */
export const DEVICE_SCRIPTS_DIR = 'device-scripts';

/** `config/<env>.json`. */
export function configFile(envName: string): string {
  return path.posix.join(CONFIG_DIR, `${envName}.json`);
}

/** `config/<name>.example.json`: a template, never deployed. */
export function exampleConfigFile(name: string): string {
  return path.posix.join(CONFIG_DIR, `${name}${EXAMPLE_CONFIG_SUFFIX}`);
}

/** `fleet/<env>`: everything enroll writes for one environment. */
export function fleetDir(envName: string): string {
  return path.posix.join('fleet', envName);
}

/** `fleet/<env>/shards.json`: which Fleet stack holds which thing, committed like a lock file. */
export function shardLockFile(envName: string): string {
  return path.posix.join(fleetDir(envName), 'shards.json');
}

/** `fleet/<env>/<thing>`: one thing's CSR and key, and nothing else (`keyless device decommission` deletes it). */
export function thingDir(envName: string, thingName: string): string {
  return path.posix.join(fleetDir(envName), thingName);
}

/** `fleet/<env>/<thing>/csr.pem`: a thing's CSR (public), where config files find it by default. */
export function csrFile(envName: string, thingName: string): string {
  return path.posix.join(fleetDir(envName), thingName, 'csr.pem');
}

/** `fleet/<env>/<thing>/private.key`: the key `keyless enroll` made (0600, never committed). */
export function privateKeyFile(envName: string, thingName: string): string {
  return path.posix.join(fleetDir(envName), thingName, 'private.key');
}

/** Where `keyless bundle` writes archives by default: `<dir>/<env>/<name>.tar.gz`. */
export const DEFAULT_BUNDLE_DIR = 'dist/bundles';

/** A repository-relative path as an absolute one under `repoRoot`. */
export function inRepository(repoRoot: string, relative: string): string {
  return path.resolve(repoRoot, relative);
}
