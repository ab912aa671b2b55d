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
