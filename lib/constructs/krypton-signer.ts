import { RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { IAM_PATH } from '../contract';
import { CustomerManagedKey } from './customer-managed-key';
import { soracomTrust } from './soracom-trust';
import { acknowledgeCompliance, ONE_TO_ONE_POLICY_REASON } from './compliance-acknowledgements';

/**
 * How SORACOM Krypton signs `GetOpenIdTokenForDeveloperIdentity`:
 * - `user`: with an IAM user's access key, registered in the SORACOM credential store as `aws-credentials` and
 *   rotated by a SoracomKeyRotation (CloudFormation makes no key);
 * - `role`: by assuming a role from SORACOM's AWS account (`aws-iam-role-credentials`), no long-term key at all.
 */
export type KryptonSignerMode =
  | {
      readonly mode: 'user';
      /**
       * Keep the user, access key and secret that CloudFormation made before the signer key rotated (an upgrade
       * aid: see docs/flows/krypton.md).
       * @default false
       */
      readonly keepLegacyAccessKey?: boolean;
    }
  | {
      readonly mode: 'role';
      /** The SORACOM AWS account that assumes the role. */
      readonly soracomAccountId: string;
      /** The external id the SORACOM credential carries (`sts:ExternalId`). */
      readonly externalId: string;
      /**
       * Keep the user-mode user next to the role while SORACOM is switched to the role.
       * @default false
       */
      readonly migratingFromUser?: boolean;
    };

export interface KryptonSignerProps {
  /** The one identity pool the signer may issue tokens in. */
  readonly identityPoolArn: string;
  readonly signer: KryptonSignerMode;
  /**
   * The IAM user's name (user mode, and role mode while migrating from it).
   * @default - a name CloudFormation generates
   */
  readonly userName?: string;
  /**
   * Name of the secret that held the access key CloudFormation made (only with `keepLegacyAccessKey`).
   * @default - a name CloudFormation generates
   */
  readonly legacySecretName?: string;
  /**
   * What happens to the legacy secret and its KMS key when the stack is deleted.
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
 * The principal SORACOM Krypton signs with. Its only permission is to issue developer-authenticated OpenID
 * tokens in one identity pool.
 *
 * The role (the `Resource` child) and the user (`User`) have logical ids of their own: CloudFormation cannot change
 * a resource's type under one logical id, so a user and a role must never share one, or no environment could move
 * from one to the other.
 */
export class KryptonSigner extends Construct {
  /** What may sign: the policy with the single permission is attached here. */
  public readonly policy: iam.Policy;
  /** `user` mode (and `role` mode while migrating from it): the IAM user whose key Krypton uses. */
  public readonly user?: iam.User;
  /** `role` mode: the role SORACOM assumes. */
  public readonly role?: iam.Role;
  /** `keepLegacyAccessKey`: the user CloudFormation gave a key, before the key rotated. */
  public readonly legacyUser?: iam.User;
  /** `keepLegacyAccessKey`: the secret with that key, `{"accessKeyId","secretAccessKey"}`. */
  public readonly legacyCredentialsSecret?: secretsmanager.Secret;

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
    acknowledgeCompliance(this.policy, 'IAMNoInlinePolicy', ONE_TO_ONE_POLICY_REASON);

    const signer = props.signer;
    if (signer.mode === 'role') {
      this.role = new iam.Role(this, 'Resource', {
        description: 'Assumed by SORACOM Krypton to issue Cognito OpenID tokens for SIM devices',
        ...soracomTrust(signer),
      });
      this.policy.attachToRole(this.role);
      if (signer.migratingFromUser) this.user = this.signerUser(props.userName);
      return;
    }
    this.user = this.signerUser(props.userName);
    if (signer.keepLegacyAccessKey) {
      const legacy = this.keepLegacyAccessKey(props);
      this.legacyUser = legacy.user;
      this.legacyCredentialsSecret = legacy.secret;
    }
  }

  /**
   * Permissions come through a group: an IAM user with policies of its own fails Control Tower CT.IAM.PR.4.
   * The path groups the project's IAM identities (and gives the group properties cfn-guard can read).
   */
  private signerUser(userName: string | undefined): iam.User {
    const group = new iam.Group(this, 'Group', { path: IAM_PATH });
    this.policy.attachToGroup(group);
    return new iam.User(this, 'User', { userName, groups: [group], path: IAM_PATH });
  }

  /**
   * What this construct made before the signer key rotated, under the same construct ids (so the same logical
   * ids: CloudFormation changes none of it): an unnamed user in the signer group, its access key, and the secret
   * the key was written to. The deploy that adds the rotation keeps them; SORACOM keeps using that key until the
   * first rotation replaces it, and removing the flag afterwards deletes them.
   */
  private keepLegacyAccessKey(props: KryptonSignerProps): {
    user: iam.User;
    secret: secretsmanager.Secret;
  } {
    const group = this.node.findChild('Group') as iam.Group;
    const legacyUser = new iam.User(this, 'Resource', { groups: [group], path: IAM_PATH });
    const accessKey = new iam.AccessKey(this, 'AccessKey', { user: legacyUser });
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const key = new CustomerManagedKey(this, 'Key', {
      description: 'Encrypts the access key SORACOM Krypton signs with',
      removalPolicy,
    }).key;
    const secret = new secretsmanager.Secret(this, 'Credentials', {
      secretName: props.legacySecretName,
      description: 'Access key of the IAM user SORACOM Krypton signs with; register it with keyless soracom',
      encryptionKey: key,
      // A GetAtt on the access key: CloudFormation writes the value, the template never contains it.
      secretObjectValue: {
        accessKeyId: SecretValue.unsafePlainText(accessKey.accessKeyId),
        secretAccessKey: accessKey.secretAccessKey,
      },
      removalPolicy,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Kept only through the upgrade to the rotated signer key (krypton.signer.keepLegacyAccessKey): the key in it is the one SORACOM holds until the signer key rotation replaces it, after which the flag is removed and this secret deleted.',
    });
    return { user: legacyUser, secret };
  }
}
