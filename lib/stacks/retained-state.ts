import { CfnDeletionPolicy, CfnResource, type Stack } from 'aws-cdk-lib';
import { isStatefulType, STATEFUL_RESOURCE_TYPES } from '../contract';

/**
 * Fails synth when a stack of a retain (production) environment has a stateful resource that CloudFormation would
 * delete on stack deletion or on replacement: the production example is tested, and this holds for every config.
 */
export function requireRetainedState(stack: Stack): void {
  stack.node.addValidation({
    validate: () =>
      stack.node
        .findAll()
        .filter((c): c is CfnResource => CfnResource.isCfnResource(c) && isStatefulType(c.cfnResourceType))
        .filter(
          (resource) =>
            resource.cfnOptions.deletionPolicy !== CfnDeletionPolicy.RETAIN ||
            resource.cfnOptions.updateReplacePolicy !== CfnDeletionPolicy.RETAIN,
        )
        .map(
          (resource) =>
            `${resource.node.path} (${resource.cfnResourceType}) is not retained on delete and replacement, but the ` +
            `environment's removalPolicy is "retain": losing it loses ` +
            `${STATEFUL_RESOURCE_TYPES[resource.cfnResourceType as keyof typeof STATEFUL_RESOURCE_TYPES]}. ` +
            'Give its construct the removalPolicy from removalPolicyOf(environment) (applyRemovalPolicy sets both).',
        ),
  });
}
