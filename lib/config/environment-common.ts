import type { KeylessConfig } from './load';

/**
 * The part of an environment's config every stack reads: its name, where it deploys, its tags, whether it keeps
 * state, and the physical names derived from them. A stack takes this plus its own section, never the whole
 * config; picked from {@link KeylessConfig}, so the two cannot drift.
 */
export type EnvironmentCommon = Readonly<
  Pick<KeylessConfig, 'envName' | 'account' | 'region' | 'tags' | 'removalPolicy' | 'names'>
>;
