import { CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { GitHubOidcProvider } from '../../lib/constructs/github-oidc-provider';
import { testApp } from '../support/cdk-app';

const stack = () => new Stack(testApp(), 'S', { env: { account: '222222222222', region: 'ap-northeast-1' } });
const GITHUB = 'token.actions.githubusercontent.com';

describe('GitHubOidcProvider', () => {
  it("creates GitHub Actions' provider for the sts.amazonaws.com audience, kept when the stack goes", () => {
    const s = stack();
    const provider = new GitHubOidcProvider(s, 'Provider');
    const template = Template.fromStack(s);
    template.resourceCountIs('AWS::IAM::OIDCProvider', 1);
    template.hasResource('AWS::IAM::OIDCProvider', {
      Properties: { Url: `https://${GITHUB}`, ClientIdList: ['sts.amazonaws.com'] },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    expect(provider.created).toBe(true);
    const [logicalId] = Object.keys(template.findResources('AWS::IAM::OIDCProvider'));
    expect(s.resolve(provider.providerArn)).toEqual({ Ref: logicalId });
  });

  it("imports the account's existing provider by ARN and creates nothing", () => {
    const s = stack();
    const arn = `arn:aws:iam::222222222222:oidc-provider/${GITHUB}`;
    const provider = new GitHubOidcProvider(s, 'Provider', { existingProviderArn: arn });
    expect(s.node.findAll().filter((c) => c instanceof CfnResource)).toEqual([]);
    expect(provider.providerArn).toBe(arn);
    expect(provider.created).toBe(false);
  });

  it("refuses another issuer's provider and another account's", () => {
    expect(
      () =>
        new GitHubOidcProvider(stack(), 'P', {
          existingProviderArn: 'arn:aws:iam::222222222222:oidc-provider/accounts.google.com',
        }),
    ).toThrow(
      'existingProviderArn must be the ARN of the GitHub Actions OIDC provider, such as arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com, got: arn:aws:iam::222222222222:oidc-provider/accounts.google.com',
    );
    expect(
      () =>
        new GitHubOidcProvider(stack(), 'P', {
          existingProviderArn: `arn:aws:iam::999999999999:oidc-provider/${GITHUB}`,
        }),
    ).toThrow(
      `existingProviderArn must be a provider of this stack's account 222222222222, got: arn:aws:iam::999999999999:oidc-provider/${GITHUB}`,
    );
  });
});
