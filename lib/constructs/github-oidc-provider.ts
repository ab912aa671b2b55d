import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_URL, NAME_RULES } from '../contract';
import { checkName } from './prop-checks';

export interface GitHubOidcProviderProps {
  /**
   * The account's existing GitHub Actions provider. IAM accepts one provider per issuer URL and account, so only
   * one environment of an account creates it; the others name it here.
   * @default - the provider is created
   */
  readonly existingProviderArn?: string;
}

/**
 * The IAM OpenID Connect provider for GitHub Actions (`token.actions.githubusercontent.com`, audience
 * `sts.amazonaws.com`), created or imported. Creating one trusts nothing by itself: only a role whose trust names
 * the provider, with conditions on the token's claims, lets a workflow in.
 */
export class GitHubOidcProvider extends Construct {
  /** The provider's ARN: the Federated principal of deploy roles. */
  public readonly providerArn: string;
  /** Whether this construct created the provider (false: imported). */
  public readonly created: boolean;

  constructor(scope: Construct, id: string, props: GitHubOidcProviderProps = {}) {
    super(scope, id);
    const arn = props.existingProviderArn;
    if (arn !== undefined) {
      checkName('existingProviderArn', NAME_RULES.githubOidcProviderArn, arn);
      const account = Stack.of(this).account;
      const owner = arn.split(':')[4];
      if (!Token.isUnresolved(arn) && !Token.isUnresolved(account) && owner !== account) {
        throw new Error(
          `existingProviderArn must be a provider of this stack's account ${account}, got: ${arn}`,
        );
      }
      this.providerArn = arn;
      this.created = false;
      return;
    }
    const provider = new iam.OidcProviderNative(this, 'Resource', {
      url: GITHUB_OIDC_URL,
      clientIds: [GITHUB_OIDC_AUDIENCE],
      // No thumbprints: IAM verifies GitHub's certificate through its own library of trusted CAs
      // (aws-actions/configure-aws-credentials README: "The thumbprint, if specified, will be ignored").
      // Kept when the stack goes: other environments of the account may trust it through their own roles.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.providerArn = provider.oidcProviderArn;
    this.created = true;
  }
}
