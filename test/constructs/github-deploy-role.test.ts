import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { GitHubDeployRole, type GitHubDeployRoleProps } from '../../lib/constructs/github-deploy-role';
import { nagViolations, testApp } from '../support/cdk-app';
import {
  evaluatePolicies,
  evaluatePolicy,
  flattenIntrinsics,
  type PolicyDocumentJson,
  type RequestContext,
} from '../support/policy-evaluator';

const ACCOUNT = '222222222222';
const REGION = 'ap-northeast-1';
const PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
const SUB = 'token.actions.githubusercontent.com:sub';
const AUD = 'token.actions.githubusercontent.com:aud';
const JOB_WORKFLOW_REF = 'token.actions.githubusercontent.com:job_workflow_ref';
const REF = 'token.actions.githubusercontent.com:ref';
const REPOSITORY_ID = 'token.actions.githubusercontent.com:repository_id';
const DEPLOY_WORKFLOW = 'octo-org/keyless-iot/.github/workflows/deploy.yml@refs/heads/main';

function build(override: Partial<GitHubDeployRoleProps> = {}) {
  const stack = new Stack(testApp(), 'Deployment', { env: { account: ACCOUNT, region: REGION } });
  const construct = new GitHubDeployRole(stack, 'DeployRole', {
    roleName: 'keyless-iot-prod-github-deploy',
    oidcProviderArn: PROVIDER,
    repository: 'octo-org/keyless-iot',
    environments: ['prod'],
    workflowFile: '.github/workflows/deploy.yml',
    branch: 'main',
    ...override,
  });
  const template = Template.fromStack(stack);
  const [role] = Object.values(template.findResources('AWS::IAM::Role'));
  const trust = flattenIntrinsics<PolicyDocumentJson>(role.Properties.AssumeRolePolicyDocument);
  const policies = ((role.Properties.Policies ?? []) as { PolicyDocument: unknown }[]).map((p) =>
    flattenIntrinsics<PolicyDocumentJson>(p.PolicyDocument),
  );
  return { stack, construct, template, role, trust, policies };
}

/** A GitHub Actions job presenting its OIDC token: AssumeRoleWithWebIdentity through a provider. */
function assume(trust: PolicyDocumentJson, context: RequestContext, provider = PROVIDER) {
  return evaluatePolicy(trust, {
    action: 'sts:AssumeRoleWithWebIdentity',
    principal: { Federated: provider },
    context,
  });
}

/** The claims of a job of deploy.yml run from main (what GitHub puts in every such token). */
const token = (
  sub: string,
  aud = 'sts.amazonaws.com',
  workflow = DEPLOY_WORKFLOW,
  ref = 'refs/heads/main',
): RequestContext => ({
  [SUB]: sub,
  [AUD]: aud,
  [JOB_WORKFLOW_REF]: workflow,
  [REF]: ref,
});

describe('GitHubDeployRole trust: pinned to the repository and its GitHub environment', () => {
  const { trust } = build();

  it('lets a job in the pinned environment of the pinned repository assume the role', () => {
    expect(assume(trust, token('repo:octo-org/keyless-iot:environment:prod'))).toBe('allow');
  });

  it.each<[string, RequestContext]>([
    ['another repository', token('repo:octo-org/other:environment:prod')],
    ['another owner with the same repository name', token('repo:evil-org/keyless-iot:environment:prod')],
    ['another environment', token('repo:octo-org/keyless-iot:environment:staging')],
    [
      'an environment whose name starts with the pinned one',
      token('repo:octo-org/keyless-iot:environment:prod-x'),
    ],
    ['the environment in another letter case', token('repo:octo-org/keyless-iot:environment:Prod')],
    ['a branch (a job outside any environment)', token('repo:octo-org/keyless-iot:ref:refs/heads/main')],
    ['a tag', token('repo:octo-org/keyless-iot:ref:refs/tags/v1.0.0')],
    ['a pull request', token('repo:octo-org/keyless-iot:pull_request')],
    ['a wrong audience', token('repo:octo-org/keyless-iot:environment:prod', 'sts.amazonaws.com.cn')],
    [
      'no audience',
      {
        [SUB]: 'repo:octo-org/keyless-iot:environment:prod',
        [JOB_WORKFLOW_REF]: DEPLOY_WORKFLOW,
        [REF]: 'refs/heads/main',
      },
    ],
    [
      'no subject',
      { [AUD]: 'sts.amazonaws.com', [JOB_WORKFLOW_REF]: DEPLOY_WORKFLOW, [REF]: 'refs/heads/main' },
    ],
    ['a token with the pinned subject as a prefix', token('repo:octo-org/keyless-iot:environment:prod:x')],
  ])('refuses %s', (_name, context) => {
    expect(assume(trust, context)).toBe('implicit-deny');
  });

  it("refuses the pinned claims through another identity provider (another account's, or Cognito)", () => {
    const claims = token('repo:octo-org/keyless-iot:environment:prod');
    expect(
      assume(trust, claims, 'arn:aws:iam::999999999999:oidc-provider/token.actions.githubusercontent.com'),
    ).toBe('implicit-deny');
    expect(assume(trust, claims, 'cognito-identity.amazonaws.com')).toBe('implicit-deny');
  });

  it('compares with StringEquals, never a pattern, and allows only AssumeRoleWithWebIdentity', () => {
    expect(trust.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRoleWithWebIdentity',
        Principal: { Federated: PROVIDER },
        Condition: {
          StringEquals: {
            [AUD]: 'sts.amazonaws.com',
            [SUB]: 'repo:octo-org/keyless-iot:environment:prod',
            [JOB_WORKFLOW_REF]: DEPLOY_WORKFLOW,
            [REF]: 'refs/heads/main',
          },
        },
      },
    ]);
    for (const action of ['sts:AssumeRole', 'sts:TagSession', 'sts:AssumeRoleWithSAML']) {
      expect(
        evaluatePolicy(trust, {
          action,
          principal: { Federated: PROVIDER },
          context: token('repo:octo-org/keyless-iot:environment:prod'),
        }),
      ).toBe('implicit-deny');
    }
  });

  it('trusts each listed environment, and only those', () => {
    const { trust: two } = build({ environments: ['prod', 'prod-hotfix'] });
    expect(assume(two, token('repo:octo-org/keyless-iot:environment:prod'))).toBe('allow');
    expect(assume(two, token('repo:octo-org/keyless-iot:environment:prod-hotfix'))).toBe('allow');
    expect(assume(two, token('repo:octo-org/keyless-iot:environment:staging'))).toBe('implicit-deny');
  });

  it('pins the immutable subject and the repository id claim when given the numeric ids, and then refuses the name-only form', () => {
    const { trust: immutable } = build({ repositoryIds: { owner: 123456, repository: 789012 } });
    const withId = (sub: string, id = '789012') => ({ ...token(sub), [REPOSITORY_ID]: id });
    expect(assume(immutable, withId('repo:octo-org@123456/keyless-iot@789012:environment:prod'))).toBe(
      'allow',
    );
    expect(assume(immutable, token('repo:octo-org@123456/keyless-iot@789012:environment:prod'))).toBe(
      'implicit-deny',
    );
    expect(
      assume(immutable, withId('repo:octo-org@123456/keyless-iot@789012:environment:prod', '111111')),
    ).toBe('implicit-deny');
    expect(assume(immutable, token('repo:octo-org/keyless-iot:environment:prod'))).toBe('implicit-deny');
    // A re-registered organization or repository name has new ids.
    expect(assume(immutable, token('repo:octo-org@999999/keyless-iot@789012:environment:prod'))).toBe(
      'implicit-deny',
    );
    expect(assume(immutable, token('repo:octo-org@123456/keyless-iot@111111:environment:prod'))).toBe(
      'implicit-deny',
    );
  });
});

describe('GitHubDeployRole trust beyond sub: the claims AWS STS checks pin the workflow file and the branch', () => {
  const { trust } = build();
  const prod = 'repo:octo-org/keyless-iot:environment:prod';

  it('lets the deploy workflow on main in, and refuses the same environment from anywhere else', () => {
    expect(assume(trust, token(prod))).toBe('allow');
  });

  it.each<[string, RequestContext]>([
    [
      "another branch's copy of deploy.yml naming the environment (its branch rule forgotten)",
      token(
        prod,
        undefined,
        'octo-org/keyless-iot/.github/workflows/deploy.yml@refs/heads/feature',
        'refs/heads/feature',
      ),
    ],
    [
      'another workflow file on main naming the environment',
      token(prod, undefined, 'octo-org/keyless-iot/.github/workflows/other.yml@refs/heads/main'),
    ],
    [
      'a reusable workflow of another repository called from main',
      token(prod, undefined, 'evil-org/tools/.github/workflows/deploy.yml@refs/heads/main'),
    ],
    [
      'a run for a tag',
      token(
        prod,
        undefined,
        'octo-org/keyless-iot/.github/workflows/deploy.yml@refs/tags/v1',
        'refs/tags/v1',
      ),
    ],
    ['a run whose ref is another branch', token(prod, undefined, DEPLOY_WORKFLOW, 'refs/heads/feature')],
    [
      'a token without job_workflow_ref',
      { [SUB]: prod, [AUD]: 'sts.amazonaws.com', [REF]: 'refs/heads/main' },
    ],
    ['a token without ref', { [SUB]: prod, [AUD]: 'sts.amazonaws.com', [JOB_WORKFLOW_REF]: DEPLOY_WORKFLOW }],
  ])('refuses %s', (_name, context) => {
    expect(assume(trust, context)).toBe('implicit-deny');
  });

  it('follows the workflow file and branch it is given', () => {
    const { trust: release } = build({
      workflowFile: '.github/workflows/release.yaml',
      branch: 'release/v2',
    });
    expect(
      assume(
        release,
        token(
          prod,
          undefined,
          'octo-org/keyless-iot/.github/workflows/release.yaml@refs/heads/release/v2',
          'refs/heads/release/v2',
        ),
      ),
    ).toBe('allow');
    expect(assume(release, token(prod))).toBe('implicit-deny');
  });
});

describe('GitHubDeployRole permissions: the CDK bootstrap roles of this account and region, nothing else', () => {
  const { policies, role, template, stack } = build();
  const bootstrap = (kind: string, qualifier = 'hnb659fds', account = ACCOUNT, region = REGION) =>
    `arn:aws:iam::${account}:role/cdk-${qualifier}-${kind}-role-${account}-${region}`;
  const can = (action: string, resource: string) => evaluatePolicies(policies, { action, resource });

  it.each(['deploy', 'file-publishing', 'lookup'])('may assume the %s role', (kind) => {
    expect(can('sts:AssumeRole', bootstrap(kind))).toBe('allow');
  });

  it.each<[string, string, string]>([
    ['the image-publishing role (no container assets here)', 'sts:AssumeRole', bootstrap('image-publishing')],
    ['the CloudFormation execution role directly', 'sts:AssumeRole', bootstrap('cfn-exec')],
    ['the bootstrap roles of another qualifier', 'sts:AssumeRole', bootstrap('deploy', 'other')],
    [
      'the bootstrap roles of another account',
      'sts:AssumeRole',
      bootstrap('deploy', 'hnb659fds', '999999999999'),
    ],
    [
      'the bootstrap roles of another region',
      'sts:AssumeRole',
      bootstrap('deploy', 'hnb659fds', ACCOUNT, 'us-east-1'),
    ],
    ['any other role', 'sts:AssumeRole', `arn:aws:iam::${ACCOUNT}:role/keyless-iot-prod-bulk-registration`],
    ['session tags', 'sts:TagSession', bootstrap('deploy')],
    ['passing a role', 'iam:PassRole', bootstrap('deploy')],
    [
      'CloudFormation itself',
      'cloudformation:CreateChangeSet',
      `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/x/y`,
    ],
    [
      'the assets bucket directly',
      's3:PutObject',
      `arn:aws:s3:::cdk-hnb659fds-assets-${ACCOUNT}-${REGION}/x`,
    ],
  ])('may not touch %s', (_name, action, resource) => {
    expect(can(action, resource)).toBe('implicit-deny');
  });

  it('has its one inline policy and no managed policy, a one-hour session and the contract name', () => {
    expect(policies).toHaveLength(1);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'keyless-iot-prod-github-deploy',
      MaxSessionDuration: 3600,
      Policies: [Match.objectLike({ PolicyName: 'AssumeCdkBootstrapRoles' })],
    });
  });

  it('follows a custom bootstrap qualifier', () => {
    const { policies: custom } = build({ bootstrapQualifier: 'keyless' });
    expect(
      evaluatePolicies(custom, { action: 'sts:AssumeRole', resource: bootstrap('deploy', 'keyless') }),
    ).toBe('allow');
    expect(evaluatePolicies(custom, { action: 'sts:AssumeRole', resource: bootstrap('deploy') })).toBe(
      'implicit-deny',
    );
  });

  it('passes cdk-nag without acknowledgements', () => {
    expect(nagViolations(stack)).toEqual([]);
  });
});

describe('GitHubDeployRole refuses props that would widen or break the trust', () => {
  it.each<[string, Partial<GitHubDeployRoleProps>, string]>([
    [
      'a repository pattern',
      { repository: 'octo-org/*' },
      'repository must be a GitHub repository as owner/name, such as octo-org/keyless-iot, got: octo-org/*',
    ],
    [
      'no environment',
      { environments: [] },
      'environments must name at least one GitHub environment, got: []',
    ],
    [
      'an environment with a wildcard',
      { environments: ['prod*'] },
      'environments must be 1-255 characters from a-z A-Z 0-9 _ . -, got: prod*',
    ],
    [
      "another issuer's provider",
      { oidcProviderArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/accounts.google.com` },
      `oidcProviderArn must be the ARN of the GitHub Actions OIDC provider, such as arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com, got: arn:aws:iam::${ACCOUNT}:oidc-provider/accounts.google.com`,
    ],
    [
      'a qualifier with a wildcard',
      { bootstrapQualifier: '*' },
      'bootstrapQualifier must be 1-10 characters from a-z A-Z 0-9 _ -, got: *',
    ],
    [
      'an id that is not a number',
      { repositoryIds: { owner: 0, repository: 1 } },
      'repositoryIds.owner must be a positive integer, got: 0',
    ],
    [
      'a branch pattern',
      { branch: 'release/*' },
      'branch must be a branch name from a-z A-Z 0-9 _ . - and /, such as main, got: release/*',
    ],
    [
      'a workflow file outside .github/workflows',
      { workflowFile: 'deploy.yml' },
      'workflowFile must be a file .github/workflows/<name>.yml, got: deploy.yml',
    ],
  ])('%s', (_name, override, message) => {
    expect(() => build(override)).toThrow(message);
  });
});
