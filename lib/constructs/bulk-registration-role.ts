import { Aws, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { BUCKET_LAYOUT, NAME_RULES } from '../contract';
import { checkName } from './prop-checks';
import { acknowledgeCompliance, ONE_TO_ONE_POLICY_REASON } from './compliance-acknowledgements';

export interface BulkRegistrationRoleProps {
  /** The role's name; `keyless fleet register --bulk` derives the same name from the environment. */
  readonly roleName: string;
  /** The device bucket, where the CLI uploads the parameter files. */
  readonly deviceBucketName: string;
  /**
   * Key prefix of the parameter files: the only objects the role may read.
   * @default 'bulk-registration/'
   */
  readonly parameterFilePrefix?: string;
}

/**
 * The role AWS IoT assumes for a bulk registration task (`StartThingRegistrationTask`): it reads the task's
 * JSON-lines parameter file from the device bucket and registers each thing, its certificate from the CSR and
 * the policy attachment.
 */
export class BulkRegistrationRole extends Construct {
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: BulkRegistrationRoleProps) {
    super(scope, id);
    const prefix = props.parameterFilePrefix ?? BUCKET_LAYOUT.bulkRegistration;
    checkName('parameterFilePrefix', NAME_RULES.keyPrefix, prefix);
    const stack = Stack.of(this);

    this.role = new iam.Role(this, 'Resource', {
      roleName: props.roleName,
      description: 'Assumed by AWS IoT to run keyless bulk registration tasks',
      // Confused deputy: for roles AWS IoT assumes, the AWS IoT developer guide ("Cross-service confused deputy
      // prevention") documents aws:SourceAccount and aws:SourceArn of the form arn:aws:iot:<region>:<account>:…;
      // the registration task runs in the environment's region. (Offline, this cannot be exercised against
      // StartThingRegistrationTask itself: if AWS sent no keys, the task would fail to assume the role, not gain.)
      assumedBy: new iam.ServicePrincipal('iot.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'iot', resource: '*' }) },
        },
      }),
      // AWS keeps this list in step with what the bulk registration engine calls for a template's resources.
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSIoTThingsRegistration')],
      inlinePolicies: {
        ReadParameterFiles: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'ReadParameterFiles',
              actions: ['s3:GetObject'],
              resources: [`arn:${Aws.PARTITION}:s3:::${props.deviceBucketName}/${prefix}*`],
            }),
          ],
        }),
      },
    });
    acknowledgeCompliance(this.role, 'IAMNoInlinePolicy', ONE_TO_ONE_POLICY_REASON);
    Validations.of(this.role).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSIoTThingsRegistration]',
        reason:
          'The AWS IoT service role policy made for StartThingRegistrationTask: the engine calls CreateThing, CreateCertificateFromCsr, AttachThingPrincipal, AttachPolicy and others as the template needs, and AWS updates the list when the engine changes; a hand-copied subset would fail registrations silently.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${props.deviceBucketName}/${prefix}*]`,
        reason: `Parameter files are named per task (${prefix}<timestamp>.jsonl); the role reads only that prefix of the device bucket.`,
      },
    );
  }
}
