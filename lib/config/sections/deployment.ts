import { z } from 'zod';
import { DEFAULT_CDK_BOOTSTRAP_QUALIFIER, NAME_RULES } from '../../contract';
import { matching } from '../rules';

const githubId = z
  .int({ error: "expected GitHub's numeric id (a positive integer)" })
  .positive({ error: "expected GitHub's numeric id (a positive integer)" });

const oidcProvider = z
  .union(
    [
      z
        .literal('create')
        .describe('This stack creates the OIDC provider (the first environment in an account).'),
      z
        .strictObject({
          arn: matching(NAME_RULES.githubOidcProviderArn).describe(
            'The existing provider (another environment in the account made it: its GitHubOidcProviderArn output).',
          ),
        })
        .describe('Use the OIDC provider that already exists in the account.'),
    ],
    { error: 'expected "create" or {"arn": "<the existing provider\'s ARN>"}' },
  )
  .describe(
    'IAM accepts one OIDC provider per issuer and account: "create" it in one environment of the account, ' +
      'and give every other environment there its ARN.',
  );

export const deploymentSection = z
  .strictObject({
    github: z
      .strictObject({
        repository: matching(NAME_RULES.githubRepository).describe(
          'The repository whose workflows may deploy this environment, as owner/name.',
        ),
        ids: z
          .strictObject({
            owner: githubId.describe("The owner's numeric id (repository_owner_id in the token)."),
            repository: githubId.describe("The repository's numeric id (repository_id in the token)."),
          })
          .optional()
          .describe(
            'Set when the repository sends the immutable sub claim (repositories created on or after 15 July ' +
              '2026, or opted in): the trust then pins repo:<owner>@<owner id>/<name>@<repository id>:…, which a ' +
              're-registered name cannot match.',
          ),
        environments: z
          .array(matching(NAME_RULES.githubEnvironment))
          .min(1, { error: 'expected at least one GitHub environment' })
          .describe(
            'The GitHub environments whose jobs may assume the deploy role (exact names, case-sensitive). ' +
              "Their protection rules (required reviewers, deployment branches) are the deploy's gate.",
          ),
        oidcProvider,
      })
      .describe('GitHub Actions, trusted through its OpenID Connect tokens.'),
    cdkBootstrapQualifier: matching(NAME_RULES.cdkBootstrapQualifier)
      .default(DEFAULT_CDK_BOOTSTRAP_QUALIFIER)
      .describe(
        'The qualifier the account and region were bootstrapped with (cdk bootstrap --qualifier); the deploy ' +
          'role may assume only those bootstrap roles.',
      ),
  })
  .superRefine((deployment, ctx) => {
    const seen = new Set<string>();
    deployment.github.environments.forEach((name, index) => {
      if (seen.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['github', 'environments', index],
          input: name,
          message: 'expected a GitHub environment not listed already',
        });
      }
      seen.add(name);
    });
  })
  .describe(
    'Keyless deploys from GitHub Actions (docs/operations.md): the OIDC provider and a role whose trust ' +
      'is pinned to the repository and its GitHub environments, allowed only to assume the CDK bootstrap roles.',
  );

export type DeploymentConfig = z.output<typeof deploymentSection>;

/**
 * The imported OIDC provider must be the environment's own account's: a trust naming another account's provider
 * would let that account's tokens in (and CloudFormation would deploy it without complaint).
 */
export function checkDeploymentAccount(
  config: { readonly account: string; readonly deployment?: DeploymentConfig },
  ctx: z.core.$RefinementCtx,
): void {
  const provider = config.deployment?.github.oidcProvider;
  if (provider === undefined || provider === 'create') return;
  const account = provider.arn.split(':')[4];
  if (account !== config.account) {
    ctx.addIssue({
      code: 'custom',
      path: ['deployment', 'github', 'oidcProvider', 'arn'],
      input: provider.arn,
      message: `expected the OIDC provider of this environment's account ${config.account}, not of ${account}`,
    });
  }
}
