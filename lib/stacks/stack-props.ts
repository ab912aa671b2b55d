import { RemovalPolicy, type StackProps } from 'aws-cdk-lib';
import { stackName, type KeylessConfig } from '../config';

/** Props every keyless-iot stack shares: its name, its environment and its protection. */
export function keylessStackProps(config: KeylessConfig, part: string, description: string): StackProps {
  return {
    stackName: stackName(config.names, part),
    description: `keyless-iot ${config.envName}: ${description}`,
    env: { account: config.account, region: config.region },
    terminationProtection: config.removalPolicy === 'retain',
    tags: { ...config.tags, Project: 'keyless-iot', Environment: config.envName },
  };
}

export function removalPolicyOf(config: KeylessConfig): RemovalPolicy {
  return config.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}
