import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConfig, type KeylessConfig, type KeylessConfigInput } from '../../lib/config';
import { CONFIG_DIR } from './cdk-app';

/**
 * External ids as an operator would set them in place of the template's placeholders (random-looking, 32+
 * characters, one per role). Test values only: no deployment uses them.
 */
export const TEST_EXTERNAL_IDS = {
  krypton: 'test-only-krypton-9fK2qLm8Xw3ZbR7tVn4PjH6d',
  funnel: 'test-only-funnel-Qe5Rt8Yu2Io4Pa7Sd1Fg3Hj6',
} as const;

/**
 * config/prod.example.json as an operator would deploy it: copied to config/prod.json with "example" removed and
 * its placeholder external ids replaced (and, optionally, changed) — the JSON, before validation.
 */
export function prodExampleRaw(
  override: (config: KeylessConfigInput) => void = () => {},
): KeylessConfigInput {
  const raw = JSON.parse(
    fs.readFileSync(path.join(CONFIG_DIR, 'prod.example.json'), 'utf8'),
  ) as KeylessConfigInput;
  delete raw.example;
  const signer = raw.krypton?.signer;
  if (signer?.mode === 'role') signer.externalId = TEST_EXTERNAL_IDS.krypton;
  const publisher = raw.funnel?.publisher;
  if (publisher?.mode === 'role') publisher.externalId = TEST_EXTERNAL_IDS.funnel;
  override(raw);
  return raw;
}

/** {@link prodExampleRaw}, validated. */
export function prodExampleConfig(override: (config: KeylessConfigInput) => void = () => {}): KeylessConfig {
  return parseConfig(prodExampleRaw(override), 'prod', 'config/prod.json');
}

/**
 * The production example with every optional part it leaves out switched on, from dev.json: things (so Fleet
 * stacks exist), a Krypton signer user with its key rotation, Funnel with its key rotation, a created VPC with
 * interface endpoints. A production config may use any of them, so the upgrade-safety tests cover them too.
 */
export function prodWithEveryPart(): KeylessConfig {
  const dev = JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, 'dev.json'), 'utf8')) as KeylessConfigInput;
  return prodExampleConfig((raw) => {
    raw.iot!.things = dev.iot!.things;
    raw.krypton = { ...raw.krypton!, signer: { mode: 'user' }, devices: dev.krypton!.devices };
    raw.funnel = { ...dev.funnel!, topicPrefix: 'funnel/prod' };
    raw.closedNetwork = dev.closedNetwork;
  });
}
