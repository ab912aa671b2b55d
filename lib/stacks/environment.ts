import type { App } from 'aws-cdk-lib';
import type { KeylessConfig } from '../config';
import { DataStack } from './data-stack';
import { IotAccessStack } from './iot-access-stack';

/** Every stack of one environment. Optional parts exist only when their config section does. */
export interface EnvironmentStacks {
  readonly data: DataStack;
  readonly iotAccess?: IotAccessStack;
}

export function createEnvironmentStacks(app: App, config: KeylessConfig): EnvironmentStacks {
  const prefix = config.names.stackPrefix;
  const data = new DataStack(app, `${prefix}-Data`, { config });
  const iotAccess = config.iot
    ? new IotAccessStack(app, `${prefix}-IotAccess`, { config, secretsKey: data.deviceSecret.key })
    : undefined;
  return { data, iotAccess };
}
