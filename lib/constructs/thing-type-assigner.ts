import { ArnFormat, CustomResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { LIMITS } from '../contract';
import { nagRendered } from './nag-rendered';
import { KeylessFunction } from './keyless-function';
import { acknowledgeCompliance } from './compliance-acknowledgements';

/** How long the assigner may run: room for 110 things at 5 calls at a time under IoT throttling and retries. */
export const THING_TYPE_ASSIGNER_TIMEOUT = Duration.minutes(10);

/**
 * How long CloudFormation waits for the assigner's answer: its timeout plus the margin Lambda needs to start it
 * and deliver the answer. Without it a function that dies before answering holds the deploy for an hour.
 */
export const THING_TYPE_ASSIGNMENT_SERVICE_TIMEOUT = THING_TYPE_ASSIGNER_TIMEOUT.plus(Duration.minutes(2));

export interface ThingTypeAssignerProps {
  /** Fleet stacks find the function by this name, so they need no reference into this stack. */
  readonly functionName: string;
  /**
   * The function code.
   * @default - lib/functions/thing-type-assigner bundled with esbuild
   */
  readonly code?: lambda.Code;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The function behind `Custom::ThingTypeAssignment`. `AWS::IoT::Thing` has no ThingTypeName property, so this
 * function sets each thing's type with UpdateThing after CloudFormation created it. One per environment;
 * every Fleet stack uses it through {@link ThingTypeAssignment}.
 */
export class ThingTypeAssigner extends KeylessFunction {
  constructor(scope: Construct, id: string, props: ThingTypeAssignerProps) {
    const stack = Stack.of(scope);
    super(scope, id, {
      handler: 'thing-type-assigner',
      functionName: props.functionName,
      description: 'Sets the thing type of device things (CloudFormation cannot)',
      roleDescription: `Lets ${props.functionName} set the thing type of device things`,
      permissions: {
        SetThingTypes: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'SetThingType',
              actions: ['iot:UpdateThing'],
              resources: [stack.formatArn({ service: 'iot', resource: 'thing', resourceName: '*' })],
            }),
          ],
        }),
      },
      outsideVpcReason:
        'Runs only during CloudFormation deployments and calls only the AWS IoT control plane; a VPC would need NAT or an IoT endpoint for nothing.',
      noDeadLetterQueueReason:
        'CloudFormation invokes it synchronously through Custom::ThingTypeAssignment (a dead-letter queue only receives asynchronous invocations); a failure fails the deployment, which rolls back and names the error.',
      timeout: THING_TYPE_ASSIGNER_TIMEOUT,
      code: props.code,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    acknowledgeCompliance(
      this.function,
      'LambdaConcurrency',
      'No reserved concurrency: CloudFormation calls it a few times per deployment, and reserving any fails in accounts whose concurrency limit is still the new-account minimum.',
    );
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:${nagRendered(this, 'Partition')}:iot:${stack.region}:${stack.account}:thing/*]`,
      reason: `The function sets the type of every device thing in the environment, and the things are listed in Fleet stacks created after it; naming up to ${LIMITS.maxThingsPerShard} thing ARNs per shard would overflow the 10 KB role policy limit. UpdateThing is the only action.`,
    });
  }
}

export interface ThingTypeAssignmentProps {
  /** The {@link ThingTypeAssigner} function's name (same account and region). */
  readonly functionName: string;
  readonly thingTypeName: string;
  readonly thingNames: readonly string[];
}

/** Gives the listed things their thing type when they are created (one custom resource per Fleet stack). */
export class ThingTypeAssignment extends Construct {
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: ThingTypeAssignmentProps) {
    super(scope, id);
    const serviceToken = Stack.of(this).formatArn({
      service: 'lambda',
      resource: 'function',
      resourceName: props.functionName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken,
      serviceTimeout: THING_TYPE_ASSIGNMENT_SERVICE_TIMEOUT,
      resourceType: 'Custom::ThingTypeAssignment',
      properties: { ThingTypeName: props.thingTypeName, ThingNames: [...props.thingNames] },
    });
  }
}
