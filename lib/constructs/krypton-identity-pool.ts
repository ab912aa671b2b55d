import type * as iam from 'aws-cdk-lib/aws-iam';
import { IdentityPool } from 'aws-cdk-lib/aws-cognito-identitypool';
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
}

/**
 * The Cognito identity pool SORACOM Krypton issues identities in: developer-authenticated identities only
 * (no unauthenticated identities, no classic flow), with one authenticated role trusted for this pool's
 * `authenticated` identities. The role starts without permissions; {@link KryptonDeviceRole} gives them.
 */
export class KryptonIdentityPool extends Construct {
  public readonly identityPool: IdentityPool;
  /** Trusts `cognito-identity.amazonaws.com` with `aud` = this pool and `amr` containing `authenticated`. */
  public readonly authenticatedRole: iam.Role;
  public readonly developerProviderName: string;

  constructor(scope: Construct, id: string, props: KryptonIdentityPoolProps) {
    super(scope, id);
    checkName('identityPoolName', NAME_RULES.identityPoolName, props.identityPoolName);
    checkName('developerProviderName', NAME_RULES.developerProviderName, props.developerProviderName);
    this.developerProviderName = props.developerProviderName;

    this.identityPool = new IdentityPool(this, 'Resource', {
      identityPoolName: props.identityPoolName,
      allowUnauthenticatedIdentities: false,
      // Basic (classic) flow would let a caller pick any role the pool may hand out; the enhanced flow only.
      allowClassicFlow: false,
      authenticationProviders: { customProvider: props.developerProviderName },
    });
    // The L2 builds the authenticated role after the pool, so its trust policy can name the pool id.
    this.authenticatedRole = this.identityPool.authenticatedRole as iam.Role;
    (this.authenticatedRole.node.defaultChild as iam.CfnRole).description =
      'Credentials of SORACOM Krypton SIM devices, each scoped to its own Cognito identity';

    // The L2 always adds an unauthenticated role. With unauthenticated identities off nobody can ever assume
    // it, so it would only be one more role for a reviewer to wonder about: take it out of the template.
    this.identityPool.roleAttachment.addPropertyDeletionOverride('Roles.unauthenticated');
    this.identityPool.node.tryRemoveChild('UnauthenticatedRole');
  }
}
