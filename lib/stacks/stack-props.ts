import { RemovalPolicy, type StackProps } from 'aws-cdk-lib';
import type { EnvironmentCommon } from '../config';
import { PROJECT, projectTags, stackName, type FleetStackPart, type StackPart } from '../contract';

/** Props every keyless-iot stack shares: its name, its environment and its protection. */
export function keylessStackProps(
  environment: EnvironmentCommon,
  part: StackPart | FleetStackPart,
  description: string,
): StackProps {
  return {
    stackName: stackName(environment.envName, part),
    description: `${PROJECT} ${environment.envName}: ${description}`,
    env: { account: environment.account, region: environment.region },
    terminationProtection: environment.removalPolicy === 'retain',
    tags: { ...environment.tags, ...projectTags(environment.envName) },
  };
}

export function removalPolicyOf(environment: EnvironmentCommon): RemovalPolicy {
  return environment.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}
