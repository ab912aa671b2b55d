import { PROJECT } from './names';

/**
 * Keyless deploys: what GitHub's OpenID Connect tokens carry, and the CDK bootstrap roles a deploy from GitHub
 * Actions may assume. The Deployment stack builds the trust from these; docs/operations.md explains them.
 */

/** The issuer of GitHub Actions' OIDC tokens: the IAM OIDC provider's URL, and the prefix of its condition keys. */
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
export const GITHUB_OIDC_URL = `https://${GITHUB_OIDC_HOST}`;

/** The audience aws-actions/configure-aws-credentials asks GitHub for (its `audience` input's default). */
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';

/** The condition keys IAM derives from the token's `sub` and `aud` claims. */
export const GITHUB_OIDC_SUB_KEY = `${GITHUB_OIDC_HOST}:sub`;
export const GITHUB_OIDC_AUD_KEY = `${GITHUB_OIDC_HOST}:aud`;

/**
 * GitHub-specific claims AWS STS checks in a trust policy (AWS What's New, January 2026, "AWS STS supports
 * validation of select identity provider specific claims": for GitHub `actor`, `actor_id`, `job_workflow_ref`,
 * `repository`, `repository_id`, `workflow`, `ref`, `environment` and `enterprise_id`; IAM User Guide, "IAM and AWS
 * STS condition context keys", section "Available keys for AWS OIDC federation"). Before that, only `sub`, `aud` and
 * `amr` were condition keys. The roles pin the workflow file and branch with the first two below, and the numeric
 * repository id when it is known; `workflow` (a display name anyone can copy) and `actor` (who clicked) pin nothing
 * an attacker on another branch could not match.
 *
 * `job_workflow_ref`: `<owner>/<repo>/<path>@<ref>` of the workflow file the job's definition came from: another
 * branch's copy of deploy.yml, or another workflow naming the environment, sends a different value.
 */
export const GITHUB_OIDC_JOB_WORKFLOW_REF_KEY = `${GITHUB_OIDC_HOST}:job_workflow_ref`;
/** `ref`: the git ref the run is for (`refs/heads/<branch>` for a workflow_dispatch from that branch). */
export const GITHUB_OIDC_REF_KEY = `${GITHUB_OIDC_HOST}:ref`;
/** `repository_id`: GitHub's numeric id of the repository (a re-registered name gets another). */
export const GITHUB_OIDC_REPOSITORY_ID_KEY = `${GITHUB_OIDC_HOST}:repository_id`;

/** The `job_workflow_ref` claim of a job defined in `workflowFile` of `repository`, run from `branch`. */
export function githubJobWorkflowRef(repository: string, workflowFile: string, branch: string): string {
  return `${repository}/${workflowFile}@refs/heads/${branch}`;
}

/**
 * GitHub's numeric ids of a repository and its owner. Repositories created on github.com on or after 15 July 2026,
 * and older ones that opted in, put them in the `sub` claim (`repo:<owner>@<ownerId>/<name>@<repositoryId>:…`), so
 * a deleted and re-registered name cannot mint tokens that match (aws-actions/configure-aws-credentials v6.2.3
 * README, "Immutable subject claims").
 */
export interface GitHubRepositoryIds {
  readonly owner: number;
  readonly repository: number;
}

/**
 * The `sub` claim of a job that runs in a GitHub environment: `repo:<owner>/<name>:environment:<environment>`, or
 * with the numeric ids when the repository sends the immutable form. Jobs outside an environment send
 * `…:ref:refs/heads/<branch>`, `…:pull_request` and so on, which never equal it.
 */
export function githubEnvironmentSubject(
  repository: string,
  environment: string,
  ids?: GitHubRepositoryIds,
): string {
  return `${subjectRepository(repository, ids)}:environment:${environment}`;
}

/** `repo:<owner>/<name>`, or `repo:<owner>@<owner id>/<name>@<repository id>` (the immutable form). */
function subjectRepository(repository: string, ids?: GitHubRepositoryIds): string {
  const [owner, name] = repository.split('/');
  return ids ? `repo:${owner}@${ids.owner}/${name}@${ids.repository}` : `repo:${owner}/${name}`;
}

/** The qualifier `cdk bootstrap` uses unless told otherwise (aws-cdk-lib's DefaultStackSynthesizer). */
export const DEFAULT_CDK_BOOTSTRAP_QUALIFIER = 'hnb659fds';

/**
 * The CDK bootstrap roles `cdk deploy` assumes for this app: `deploy` (changesets, through the CloudFormation
 * execution role), `file-publishing` (Lambda code and device scripts to the assets bucket) and `lookup`
 * (read-only; `cdk diff` and context lookups). Not `image-publishing`: the app builds no container image
 * (esbuild bundles locally, decision 4), and that role can push to the account's shared asset repository.
 */
export const CDK_BOOTSTRAP_ROLE_KINDS = ['deploy', 'file-publishing', 'lookup'] as const;
export type CdkBootstrapRoleKind = (typeof CDK_BOOTSTRAP_ROLE_KINDS)[number] | 'image-publishing';

/** `cdk-<qualifier>-<kind>-role-<account>-<region>`, as the bootstrap template names its roles. */
export function cdkBootstrapRoleName(
  qualifier: string,
  kind: CdkBootstrapRoleKind,
  account: string,
  region: string,
): string {
  return `cdk-${qualifier}-${kind}-role-${account}-${region}`;
}

/**
 * The `sub` claim of a job outside any GitHub environment, run from a branch: `repo:<owner>/<name>:ref:refs/heads/<branch>`
 * (or the immutable form). The deploy workflow's verify job sends it; a job in an environment never does.
 */
export function githubBranchSubject(repository: string, branch: string, ids?: GitHubRepositoryIds): string {
  return `${subjectRepository(repository, ids)}:ref:refs/heads/${branch}`;
}

/** The workflow that deploys (.github/workflows/deploy.yml), and the only branch it deploys from. */
export const DEPLOY_WORKFLOW_FILE = '.github/workflows/deploy.yml';
export const DEPLOY_BRANCH = 'main';

/** The role GitHub Actions assumes to run `keyless verify` against one environment: read-only (the Deployment stack's). */
export function githubVerifyRoleName(envName: string): string {
  return `${PROJECT}-${envName}-github-verify`;
}

/** The role GitHub Actions assumes to deploy one environment (the Deployment stack's). */
export function githubDeployRoleName(envName: string): string {
  return `${PROJECT}-${envName}-github-deploy`;
}
