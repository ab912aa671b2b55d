import { ConfigError, type KeylessConfigInput } from '../../lib/config';
import { devConfig } from './cdk-app';
import { prodExampleConfig } from './prod-example';

/**
 * The problems a config load reports: every line of the `ConfigError` that `load` throws, or none when it loads.
 * Any other error is a bug in the loader, not a config problem: it is thrown on.
 */
export function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

/** The problems of the dev config (config/dev.json) with `override` applied to its raw JSON. */
export function devConfigProblems<Raw extends KeylessConfigInput = KeylessConfigInput>(
  override: (raw: Raw) => void,
): string[] {
  return problemsOf(() => devConfig((raw) => override(raw as Raw)));
}

/** The problems of the production template (config/prod.example.json, as config/prod.json) with `override` applied. */
export function prodExampleProblems<Raw extends KeylessConfigInput = KeylessConfigInput>(
  override: (raw: Raw) => void,
): string[] {
  return problemsOf(() => prodExampleConfig((raw) => override(raw as Raw)));
}
