import { Template } from 'aws-cdk-lib/assertions';
import { deployTarget } from '../../lib/config/deploy-target';
import { outputsOf, VERIFY_ACTIONS } from '../../lib/contract';
import { createEnvironmentStacks } from '../../lib/stacks/environment';
import { devConfig, nagViolations, testApp } from '../support/cdk-app';
import { prodExampleConfig } from '../support/prod-example';
import {
  evaluatePolicies,
  evaluatePolicy,
  flattenIntrinsics,
  type PolicyDocumentJson,
} from '../support/policy-evaluator';

const noBundling = { 'aws:cdk:bundling-stacks': [] };
const SUB = 'token.actions.githubusercontent.com:sub';
const AUD = 'token.actions.githubusercontent.com:aud';
/** What every job of .github/workflows/deploy.yml run from main also says (AWS STS checks both claims). */
const DEPLOY_JOB = {
  'token.actions.githubusercontent.com:job_workflow_ref':
    'octo-org/keyless-iot/.github/workflows/deploy.yml@refs/heads/main',
  'token.actions.githubusercontent.com:ref': 'refs/heads/main',
};

function synth(config = prodExampleConfig()) {
  const { deployment } = createEnvironmentStacks(testApp(noBundling), config);
  const stack = deployment!;
  const template = Template.fromStack(stack);
  const providers = template.findResources('AWS::IAM::OIDCProvider');
  const [providerId] = Object.keys(providers);
  const providerArn = `arn:aws:iam::${config.account}:oidc-provider/token.actions.githubusercontent.com`;
  const refs = providerId ? { [providerId]: providerArn } : {};
  const roleNamed = (suffix: string) => {
    const found = Object.values(template.findResources('AWS::IAM::Role')).find((r) =>
      String(r.Properties.RoleName).endsWith(suffix),
    );
    if (!found) throw new Error(`no role named *${suffix}`);
    const roleTrust = flattenIntrinsics<PolicyDocumentJson>(found.Properties.AssumeRolePolicyDocument, refs);
    const rolePolicies = (found.Properties.Policies as { PolicyDocument: unknown }[]).map((p) =>
      flattenIntrinsics<PolicyDocumentJson>(p.PolicyDocument, refs),
    );
    return { role: found, trust: roleTrust, policies: rolePolicies };
  };
  const { role, trust, policies } = roleNamed('-github-deploy');
  const verify = roleNamed('-github-verify');
  return { config, stack, template, providers, providerArn, role, trust, policies, verify };
}

describe('DeploymentStack (production template)', () => {
  const { config, stack, template, providers, providerArn, role, trust, policies, verify } = synth();
  const assume = (sub: string, provider = providerArn, roleTrust = trust) =>
    evaluatePolicy(roleTrust, {
      action: 'sts:AssumeRoleWithWebIdentity',
      principal: { Federated: provider },
      context: { [SUB]: sub, [AUD]: 'sts.amazonaws.com', ...DEPLOY_JOB },
    });

  it("creates GitHub Actions' OIDC provider for the sts.amazonaws.com audience", () => {
    expect(Object.values(providers)).toHaveLength(1);
    template.hasResourceProperties('AWS::IAM::OIDCProvider', {
      Url: 'https://token.actions.githubusercontent.com',
      ClientIdList: ['sts.amazonaws.com'],
    });
  });

  it('lets jobs in the prod environment of octo-org/keyless-iot assume the deploy role, and nothing else', () => {
    expect(assume('repo:octo-org/keyless-iot:environment:prod')).toBe('allow');
    for (const sub of [
      'repo:octo-org/other-repo:environment:prod',
      'repo:someone/keyless-iot:environment:prod',
      'repo:octo-org/keyless-iot:environment:staging',
      'repo:octo-org/keyless-iot:ref:refs/heads/main',
      'repo:octo-org/keyless-iot:ref:refs/heads/feature',
      'repo:octo-org/keyless-iot:pull_request',
    ]) {
      expect({ sub, decision: assume(sub) }).toEqual({ sub, decision: 'implicit-deny' });
    }
  });

  it("may assume the prod account's and region's CDK bootstrap roles only", () => {
    const bootstrap = (kind: string, account = config.account, region = config.region) =>
      `arn:aws:iam::${account}:role/cdk-hnb659fds-${kind}-role-${account}-${region}`;
    const can = (action: string, resource: string) => evaluatePolicies(policies, { action, resource });
    for (const kind of ['deploy', 'file-publishing', 'lookup']) {
      expect(can('sts:AssumeRole', bootstrap(kind))).toBe('allow');
    }
    expect(can('sts:AssumeRole', bootstrap('deploy', '999999999999'))).toBe('implicit-deny');
    expect(can('sts:AssumeRole', bootstrap('deploy', config.account, 'us-east-1'))).toBe('implicit-deny');
    expect(can('iam:CreateRole', '*')).toBe('implicit-deny');
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('is the role the deploy workflow is told to assume (scripts/deploy-target.js)', () => {
    expect(role.Properties.RoleName).toBe('keyless-iot-prod-github-deploy');
    const target = deployTarget(config, 'prod');
    expect(target).toEqual({
      envName: 'prod',
      account: config.account,
      region: config.region,
      roleArn: `arn:aws:iam::${config.account}:role/${role.Properties.RoleName}`,
      verifyRoleArn: `arn:aws:iam::${config.account}:role/${verify.role.Properties.RoleName}`,
    });
    expect(verify.role.Properties.RoleName).toBe('keyless-iot-prod-github-verify');
  });

  it("separates the two jobs' tokens: the deploy job's reaches only the deploy role, the verify job's only the verify role", () => {
    const deployJob = 'repo:octo-org/keyless-iot:environment:prod';
    const verifyJob = 'repo:octo-org/keyless-iot:ref:refs/heads/main';
    expect(assume(deployJob, providerArn, trust)).toBe('allow');
    expect(assume(deployJob, providerArn, verify.trust)).toBe('implicit-deny');
    expect(assume(verifyJob, providerArn, verify.trust)).toBe('allow');
    expect(assume(verifyJob, providerArn, trust)).toBe('implicit-deny');
    for (const sub of [
      'repo:octo-org/keyless-iot:ref:refs/heads/feature',
      'repo:octo-org/other-repo:ref:refs/heads/main',
      'repo:octo-org/keyless-iot:pull_request',
      'repo:octo-org/keyless-iot:environment:staging',
    ]) {
      expect({ sub, decision: assume(sub, providerArn, verify.trust) }).toEqual({
        sub,
        decision: 'implicit-deny',
      });
    }
  });

  it('pins both roles to the deploy workflow on main: the verify role does not open to every job on main', () => {
    const verifyJob = 'repo:octo-org/keyless-iot:ref:refs/heads/main';
    const fromTestWorkflow = {
      [SUB]: verifyJob,
      [AUD]: 'sts.amazonaws.com',
      'token.actions.githubusercontent.com:job_workflow_ref':
        'octo-org/keyless-iot/.github/workflows/test.yml@refs/heads/main',
      'token.actions.githubusercontent.com:ref': 'refs/heads/main',
    };
    const via = (roleTrust: PolicyDocumentJson, context: Record<string, string>) =>
      evaluatePolicy(roleTrust, {
        action: 'sts:AssumeRoleWithWebIdentity',
        principal: { Federated: providerArn },
        context,
      });
    expect(via(verify.trust, fromTestWorkflow)).toBe('implicit-deny');
    expect(via(trust, { ...fromTestWorkflow, [SUB]: 'repo:octo-org/keyless-iot:environment:prod' })).toBe(
      'implicit-deny',
    );
  });

  it('grants the verify role exactly the read-only actions keyless verify calls, and no bootstrap role', () => {
    const can = (action: string, resource = '*') => evaluatePolicies(verify.policies, { action, resource });
    for (const action of VERIFY_ACTIONS)
      expect({ action, decision: can(action) }).toEqual({ action, decision: 'allow' });
    const bootstrapDeploy = `arn:aws:iam::${config.account}:role/cdk-hnb659fds-deploy-role-${config.account}-${config.region}`;
    for (const action of [
      'sts:AssumeRole',
      'cloudformation:UpdateStack',
      'cloudformation:SetStackPolicy',
      'iam:PassRole',
      'iot:UpdateCertificate',
      's3:GetObject',
      'secretsmanager:GetSecretValue',
    ]) {
      expect({ action, decision: can(action, bootstrapDeploy) }).toEqual({
        action,
        decision: 'implicit-deny',
      });
    }
    expect(verify.role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(verify.role.Properties.MaxSessionDuration).toBe(3600);
  });

  it("emits the contract's outputs, references no other stack and passes cdk-nag", () => {
    expect(Object.keys(template.findOutputs('*')).sort()).toEqual(
      outputsOf('Deployment')
        .map((o) => o.key)
        .sort(),
    );
    expect(stack.stackName).toBe('KeylessIot-prod-Deployment');
    expect(JSON.stringify(template.toJSON())).not.toContain('Fn::ImportValue');
    expect(nagViolations(stack)).toEqual([]);
  });
});

describe('DeploymentStack with the account provider another environment created', () => {
  it('creates no provider and trusts the existing one only', () => {
    const existing = 'arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com';
    const { template, trust } = synth(
      prodExampleConfig((raw) => {
        raw.deployment!.github.oidcProvider = { arn: existing };
      }),
    );
    template.resourceCountIs('AWS::IAM::OIDCProvider', 0);
    const context = {
      [SUB]: 'repo:octo-org/keyless-iot:environment:prod',
      [AUD]: 'sts.amazonaws.com',
      ...DEPLOY_JOB,
    };
    const via = (provider: string) =>
      evaluatePolicy(trust, {
        action: 'sts:AssumeRoleWithWebIdentity',
        principal: { Federated: provider },
        context,
      });
    expect(via(existing)).toBe('allow');
    expect(via('arn:aws:iam::999999999999:oidc-provider/token.actions.githubusercontent.com')).toBe(
      'implicit-deny',
    );
    template.hasOutput('GitHubOidcProviderArn', { Value: existing });
  });
});

describe('DeploymentStack is optional', () => {
  it('is absent from the dev sample (deployed by hand)', () => {
    expect(createEnvironmentStacks(testApp(noBundling), devConfig()).deployment).toBeUndefined();
  });
});
