import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConfig, type KeylessConfig, type KeylessConfigInput } from '../../lib/config';
import { CONFIG_DIR } from './cdk-app';

/**
 * config/prod.example.json as an operator would deploy it: copied to config/prod.json with "example" removed
 * (and, optionally, changed).
 */
export function prodExampleConfig(override: (config: KeylessConfigInput) => void = () => {}): KeylessConfig {
  const raw = JSON.parse(
    fs.readFileSync(path.join(CONFIG_DIR, 'prod.example.json'), 'utf8'),
  ) as KeylessConfigInput;
  delete raw.example;
  override(raw);
  return parseConfig(raw, 'prod', 'config/prod.json');
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
