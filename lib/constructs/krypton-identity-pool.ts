import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { NAME_RULES } from '../contract';
import { checkName } from './prop-checks';

export interface KryptonIdentityPoolProps {
  /** The identity pool's name: 1-128 characters from a-z A-Z 0-9 _ space + = , . @ -. */
  readonly identityPoolName: string;
  /**
   * The developer provider name Krypton passes to `GetOpenIdTokenForDeveloperIdentity`.
   * Cognito cannot change it once the pool exists: a new name means a new pool and new identity ids.
   */
  readonly developerProviderName: string;
  /**
   * What happens to the pool when it leaves the template or is replaced: with RETAIN both DeletionPolicy and
   * UpdateReplacePolicy are Retain, so every SIM keeps its identity id (and its data) through either.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Cognito identity's federated principal, for roles its identities assume. */
const COGNITO_IDENTITY = 'cognito-identity.amazonaws.com';

/**
 * The Cognito identity pool SORACOM Krypton issues identities in: developer-authenticated identities only
 * (no unauthenticated identities, no classic flow), with one authenticated role trusted for this pool's
 * `authenticated` identities and attached as the pool's authenticated role. The role starts without
 * permissions; {@link KryptonDeviceRole} gives them.
 *
 * Plain L1 resources and a role: exactly what the pool needs, with nothing to take out afterwards (the
 * L2 IdentityPool always adds an unauthenticated role).
 */
export class KryptonIdentityPool extends Construct {
  public readonly identityPool: cognito.CfnIdentityPool;
  public readonly identityPoolId: string;
  /** `arn:<partition>:cognito-identity:<region>:<account>:identitypool/<id>`. */
  public readonly identityPoolArn: string;
  /** Trusts `cognito-identity.amazonaws.com` with `aud` = this pool and `amr` containing `authenticated`. */
  public readonly authenticatedRole: iam.Role;
  public readonly roleAttachment: cognito.CfnIdentityPoolRoleAttachment;
  public readonly developerProviderName: string;

  constructor(scope: Construct, id: string, props: KryptonIdentityPoolProps) {
    super(scope, id);
    checkName('identityPoolName', NAME_RULES.identityPoolName, props.identityPoolName);
    checkName('developerProviderName', NAME_RULES.developerProviderName, props.developerProviderName);
    this.developerProviderName = props.developerProviderName;

    // Under `Resource/`, where the L2 IdentityPool put them: the deployed pool keeps its logical id. A new logical
    // id would be a new pool, and every SIM a new identity id (and a new prefix in the bucket).
    const pool = new Construct(this, 'Resource');
    this.identityPool = new cognito.CfnIdentityPool(pool, 'Resource', {
      identityPoolName: props.identityPoolName,
      allowUnauthenticatedIdentities: false,
      // Basic (classic) flow would let a caller pick any role the pool may hand out; the enhanced flow only.
      allowClassicFlow: false,
      developerProviderName: props.developerProviderName,
      // No user pools or OIDC providers: Krypton, the developer provider, is the only way in.
      cognitoIdentityProviders: [],
    });
    // Sets DeletionPolicy and UpdateReplacePolicy alike: a replacement loses the identities as surely as a delete.
    this.identityPool.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);
    this.identityPoolId = this.identityPool.ref;
    this.identityPoolArn = Stack.of(this).formatArn({
      service: 'cognito-identity',
      resource: 'identitypool',
      resourceName: this.identityPoolId,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });

    this.authenticatedRole = new iam.Role(pool, 'AuthenticatedRole', {
      description: 'Credentials of SORACOM Krypton SIM devices, each scoped to its own Cognito identity',
      assumedBy: new iam.FederatedPrincipal(
        COGNITO_IDENTITY,
        {
          StringEquals: { [`${COGNITO_IDENTITY}:aud`]: this.identityPoolId },
          'ForAnyValue:StringLike': { [`${COGNITO_IDENTITY}:amr`]: 'authenticated' },
        },
        'sts:AssumeRoleWithWebIdentity',
      ),
    });
    // Authenticated identities only: with unauthenticated identities off, an unauthenticated role could never
    // be assumed, so there is none.
    this.roleAttachment = new cognito.CfnIdentityPoolRoleAttachment(
      new Construct(pool, 'DefaultRoleAttachment'),
      'Resource',
      {
        identityPoolId: this.identityPoolId,
        roles: { authenticated: this.authenticatedRole.roleArn },
      },
    );
  }
}
