import type { KeylessConfig } from '../../lib/config';
import { integConfig, type IntegSettings } from '../../scripts/integ/plan';
import { TEST_EXTERNAL_IDS } from './prod-example';

/** Fixed stand-ins for what `npm run integ` learns from the sandbox account, so its app synthesizes offline. */
export function integSettingsForTests(): IntegSettings {
  return {
    account: '123456789012',
    region: 'us-east-1',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    externalIds: TEST_EXTERNAL_IDS,
  };
}

/** The integ environment as the run deploys it (without the canary's CSR, which only the run makes). */
export function integTestConfig(): KeylessConfig {
  return integConfig(integSettingsForTests());
}
