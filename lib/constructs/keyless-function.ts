import * as path from 'node:path';
import { type Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { lambdaLogGroupName } from '../contract';
import { CustomerManagedKey } from './customer-managed-key';
import { EncryptedLogGroup } from './encrypted-log-group';
import { acknowledgeCompliance, ONE_TO_ONE_POLICY_REASON } from './compliance-acknowledgements';

/** The project's Lambda handlers: each is `lib/functions/<handler>/index.ts`, exporting `handler`. */
export type FunctionHandler = 'thing-type-assigner' | 'soracom-key-rotation';

/**
 * Where the project's functions get their code: `undefined` bundles `lib/functions/<handler>` with the local
 * esbuild (no Docker), the default; infrastructure tests return inline code so they never bundle.
 */
export type FunctionCode = (handler: FunctionHandler) => lambda.Code | undefined;

export interface KeylessFunctionProps {
  readonly handler: FunctionHandler;
  /** Required when the function's log group is its own (the log group is named after it). */
  readonly functionName?: string;
  readonly description: string;
  /** What the function may do besides writing its own logs: inline policies of its role, by name. */
  readonly permissions: Readonly<Record<string, iam.PolicyDocument>>;
  /** What its role is for (IAM shows it). */
  readonly roleDescription: string;
  /**
   * Why it runs outside a VPC: Control Tower's lambda_inside_vpc_check flags every function, and each must say
   * which constraint it answers.
   */
  readonly outsideVpcReason: string;
  /**
   * How a failed invocation surfaces and is retried, since the function has no dead-letter queue (the NIST, HIPAA
   * and PCI packs ask every function for one).
   */
  readonly noDeadLetterQueueReason: string;
  readonly timeout: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default - no reservation */
  readonly reservedConcurrentExecutions?: number;
  /** Retries of an asynchronous invocation. @default 2 (Lambda's) */
  readonly retryAttempts?: number;
  /** @default 6 hours (Lambda's) */
  readonly maxEventAge?: Duration;
  /**
   * Where it logs.
   * @default - `/aws/lambda/<functionName>`, encrypted with a key of its own
   */
  readonly logGroup?: EncryptedLogGroup;
  /** The default log group's and key's removal policy. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * The code.
   * @default - `lib/functions/<handler>` bundled with esbuild
   */
  readonly code?: lambda.Code;
}

/**
 * One of the project's Lambda functions, written once: Node.js 24 on ARM, bundled with the local esbuild (the
 * runtime's AWS SDK v3 left out), JSON logs into a log group encrypted with a customer managed key, a role that
 * may write those logs and do what `permissions` says, and the acknowledgement of its place outside a VPC.
 */
export class KeylessFunction extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: EncryptedLogGroup;

  constructor(scope: Construct, id: string, props: KeylessFunctionProps) {
    super(scope, id);
    this.logGroup = props.logGroup ?? this.ownLogGroup(props);
    if ('WriteOwnLogs' in props.permissions) {
      throw new Error('KeylessFunction permissions: WriteOwnLogs is the name of the policy it writes itself');
    }
    this.role = new iam.Role(this, 'Role', {
      description: props.roleDescription,
      // No confused-deputy condition: the Lambda developer guide documents no aws:SourceAccount/aws:SourceArn for
      // the AssumeRole of an execution role; only a principal of this account allowed iam:PassRole on this role
      // can attach it to a function, and IAM never passes a role across accounts.
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      inlinePolicies: {
        ...props.permissions,
        WriteOwnLogs: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'WriteOwnLogs',
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [this.logGroup.logGroupArn],
            }),
          ],
        }),
      },
    });
    const code = props.code;
    this.function = new nodejs.NodejsFunction(this, 'Resource', {
      functionName: props.functionName,
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: props.environment ? { ...props.environment } : undefined,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
      ...(code
        ? { code, handler: 'index.handler' }
        : {
            entry: path.join(__dirname, '..', 'functions', props.handler, 'index.ts'),
            handler: 'handler',
            bundling: {
              // The Node.js runtime ships AWS SDK v3; everything else the handler imports is bundled.
              externalModules: ['@aws-sdk/*'],
              minify: true,
              sourceMap: false,
              target: 'node24',
            },
          }),
    });
    Validations.of(this.function).acknowledge({
      id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
      reason: props.outsideVpcReason,
    });
    acknowledgeCompliance(this.function, 'LambdaInsideVPC', props.outsideVpcReason);
    acknowledgeCompliance(this.function, 'LambdaDLQ', props.noDeadLetterQueueReason);
    acknowledgeCompliance(this.role, 'IAMNoInlinePolicy', ONE_TO_ONE_POLICY_REASON);
  }

  /** `/aws/lambda/<functionName>` with a key of its own. */
  private ownLogGroup(props: KeylessFunctionProps): EncryptedLogGroup {
    if (props.functionName === undefined) {
      throw new Error('KeylessFunction needs a functionName for a log group of its own, or a logGroup');
    }
    const logGroupName = lambdaLogGroupName(props.functionName);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const key = new CustomerManagedKey(this, 'LogKey', {
      description: `Encrypts the logs in ${logGroupName}`,
      removalPolicy,
    });
    return new EncryptedLogGroup(this, 'Logs', { logGroupName, key, removalPolicy });
  }
}
