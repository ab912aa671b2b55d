import { RemovalPolicy, type StackProps } from 'aws-cdk-lib';
import type { KeylessConfig } from '../config';
import { PROJECT, projectTags, stackName, type FleetStackPart, type StackPart } from '../contract';

/** Props every keyless-iot stack shares: its name, its environment and its protection. */
export function keylessStackProps(
  config: KeylessConfig,
  part: StackPart | FleetStackPart,
  description: string,
): StackProps {
  return {
    stackName: stackName(config.envName, part),
    description: `${PROJECT} ${config.envName}: ${description}`,
    env: { account: config.account, region: config.region },
    terminationProtection: config.removalPolicy === 'retain',
    tags: { ...config.tags, ...projectTags(config.envName) },
  };
}

export function removalPolicyOf(config: KeylessConfig): RemovalPolicy {
  return config.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}
