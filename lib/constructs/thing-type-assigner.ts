import { ArnFormat, CustomResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import * as path from 'node:path';
import { lambdaLogGroupName } from '../contract';
import { CustomerManagedKey } from './customer-managed-key';

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
export class ThingTypeAssigner extends Construct {
  public readonly function: lambda.Function;

  constructor(scope: Construct, id: string, props: ThingTypeAssignerProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.logRemovalPolicy ?? RemovalPolicy.RETAIN;
    const logGroupName = lambdaLogGroupName(props.functionName);
    const logKey = new CustomerManagedKey(this, 'LogKey', {
      description: `Encrypts the logs in ${logGroupName}`,
      removalPolicy,
    });
    logKey.allowLogGroup(logGroupName, 'CloudWatchLogsForTheFunctionLogGroup');
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName,
      encryptionKey: logKey.key,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy,
    });
    const role = new iam.Role(this, 'Role', {
      description: `Lets ${props.functionName} set the thing type of device things`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      inlinePolicies: {
        SetThingTypes: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'SetThingType',
              actions: ['iot:UpdateThing'],
              resources: [stack.formatArn({ service: 'iot', resource: 'thing', resourceName: '*' })],
            }),
            new iam.PolicyStatement({
              sid: 'WriteOwnLogs',
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [`${logGroup.logGroupArn}`],
            }),
          ],
        }),
      },
    });
    const common = {
      functionName: props.functionName,
      description: 'Sets the thing type of device things (CloudFormation cannot)',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.minutes(10),
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      // No reserved concurrency: CloudFormation calls it a few times per deployment, and reserving any fails in
      // accounts whose concurrency limit is still the new-account minimum.
    };
    this.function = props.code
      ? new lambda.Function(this, 'Resource', { ...common, code: props.code, handler: 'index.handler' })
      : new nodejs.NodejsFunction(this, 'Resource', {
          ...common,
          entry: path.join(__dirname, '..', 'functions', 'thing-type-assigner', 'index.ts'),
          bundling: { minify: true, sourceMap: false },
        });

    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iot:${stack.region}:${stack.account}:thing/*]`,
      reason:
        'The function sets the type of every device thing in the environment, and the things are listed in Fleet stacks created after it; naming up to 110 thing ARNs per shard would overflow the 10 KB role policy limit. UpdateThing is the only action.',
    });
    Validations.of(this.function).acknowledge({
      id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
      reason:
        'Runs only during CloudFormation deployments and calls only the AWS IoT control plane; a VPC would need NAT or an IoT endpoint for nothing.',
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
      resourceType: 'Custom::ThingTypeAssignment',
      properties: { ThingTypeName: props.thingTypeName, ThingNames: [...props.thingNames] },
    });
  }
}
