import { RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { IAM_PATH, NAME_RULES } from '../contract';
import { CustomerManagedKey } from './customer-managed-key';
import { checkName } from './prop-checks';

/**
 * How SORACOM Krypton signs `GetOpenIdTokenForDeveloperIdentity`:
 * - `user`: with an IAM user's access key, registered in the SORACOM credential store as `aws-credentials`;
 * - `role`: by assuming a role from SORACOM's AWS account (`aws-iam-role-credentials`), no long-term key at all.
 */
export type KryptonSignerMode =
  | { readonly mode: 'user' }
  | {
      readonly mode: 'role';
      /** The SORACOM AWS account that assumes the role. */
      readonly soracomAccountId: string;
      /** The external id SORACOM shows for the credential (`sts:ExternalId`). */
      readonly externalId: string;
    };

export interface KryptonSignerProps {
  /** The one identity pool the signer may issue tokens in. */
  readonly identityPoolArn: string;
  readonly signer: KryptonSignerMode;
  /**
   * Name of the secret holding the user's access key (user mode only).
   * @default - a name CloudFormation generates
   */
  readonly secretName?: string;
  /**
   * What happens to the access key's secret and its KMS key when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The only calls Krypton makes with these credentials (`open_id_tokens` and `cognito/credentials`). */
export const KRYPTON_SIGNER_ACTIONS = [
  'cognito-identity:GetOpenIdTokenForDeveloperIdentity',
  'cognito-identity:LookupDeveloperIdentity',
];

/**
 * The principal SORACOM Krypton signs with. Its only permission is to issue developer-authenticated
 * OpenID tokens in one identity pool. In `user` mode the stack creates the access key and stores it straight
 * into a Secrets Manager secret (the template holds only a GetAtt reference to it, never a value) for the
 * operator to register in the SORACOM credential store.
 */
export class KryptonSigner extends Construct {
  /** What may sign: the policy with the single permission is attached here. */
  public readonly policy: iam.Policy;
  /** `user` mode: the IAM user whose key Krypton uses. */
  public readonly user?: iam.User;
  /** `user` mode: the secret with `{"accessKeyId","secretAccessKey"}`. */
  public readonly credentialsSecret?: secretsmanager.Secret;
  /** `role` mode: the role SORACOM assumes. */
  public readonly role?: iam.Role;

  constructor(scope: Construct, id: string, props: KryptonSignerProps) {
    super(scope, id);
    this.policy = new iam.Policy(this, 'SignPolicy', {
      statements: [
        new iam.PolicyStatement({
          sid: 'IssueTokensInThisPoolOnly',
          actions: KRYPTON_SIGNER_ACTIONS,
          resources: [props.identityPoolArn],
        }),
      ],
    });

    if (props.signer.mode === 'role') {
      const { soracomAccountId, externalId } = props.signer;
      checkName('soracomAccountId', NAME_RULES.accountId, soracomAccountId);
      checkName('externalId', NAME_RULES.externalId, externalId);
      this.role = new iam.Role(this, 'Resource', {
        description: 'Assumed by SORACOM Krypton to issue Cognito OpenID tokens for SIM devices',
        assumedBy: new iam.AccountPrincipal(soracomAccountId),
        // Without it any SORACOM customer could point their credential store at this role.
        externalIds: [externalId],
      });
      this.policy.attachToRole(this.role);
      return;
    }

    // Permissions come through a group: an IAM user with policies of its own fails Control Tower CT.IAM.PR.4.
    // The path groups the project's IAM identities (and gives the group properties cfn-guard can read).
    const group = new iam.Group(this, 'Group', { path: IAM_PATH });
    this.policy.attachToGroup(group);
    this.user = new iam.User(this, 'Resource', { groups: [group], path: IAM_PATH });
    const accessKey = new iam.AccessKey(this, 'AccessKey', { user: this.user });
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const key = new CustomerManagedKey(this, 'Key', {
      description: 'Encrypts the access key SORACOM Krypton signs with',
      removalPolicy,
    }).key;
    this.credentialsSecret = new secretsmanager.Secret(this, 'Credentials', {
      secretName: props.secretName,
      description: 'Access key of the IAM user SORACOM Krypton signs with; register it with keyless soracom',
      encryptionKey: key,
      // A GetAtt on the access key: CloudFormation writes the value, the template never contains it.
      secretObjectValue: {
        accessKeyId: SecretValue.unsafePlainText(accessKey.accessKeyId),
        secretAccessKey: accessKey.secretAccessKey,
      },
      removalPolicy,
    });
    Validations.of(this.credentialsSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        "SORACOM's credential store keeps its own copy of this IAM access key (user mode needs a long-term key there); a rotation Lambda changing only this secret would leave Krypton signing with a deleted key. Rotate by re-deploying a new key and re-running keyless soracom register-krypton-credentials, or use signer mode role, which has no long-term key at all.",
    });
  }
}
