import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { KeylessConfig, KeylessConfigInput } from '../../lib/config';
import { createEnvironmentStacks } from '../../lib/stacks/environment';
import { isolationQuestions, type DeployedIds } from '../../lib/verify/isolation-questions';
import { devConfig, testApp } from '../support/cdk-app';
import { LocalDeployment, wrongAnswers, type TemplateJson } from '../support/isolation-answers';
import { prodExampleConfig } from '../support/prod-example';

/**
 * The isolation questions `keyless verify` asks AWS, answered here by the project's policy evaluator over the
 * synthesized templates: one list of questions for both, so the unit tests and verify cannot drift apart.
 */

const inlineCode = () => lambda.Code.fromInline('exports.handler = async () => {};');

const DEPLOYED: DeployedIds = {
  identityPoolId: 'ap-northeast-1:0f0f0f0f-0000-4000-8000-000000000001',
  gatewayEndpointId: 'vpce-0123456789abcdef0',
};

function synthesize(config: KeylessConfig) {
  const app = testApp({ 'aws:cdk:bundling-stacks': [] });
  const stacks = createEnvironmentStacks(app, config, { functionCode: inlineCode });
  const deployment = LocalDeployment.ofApp(config, app, DEPLOYED);
  return { stacks, deployment, questions: isolationQuestions(config, stacks, DEPLOYED) };
}

/** The principal kinds (the id's first part) the questions cover. */
const kinds = (questions: { id: string }[]) => [...new Set(questions.map((q) => q.id.split('/')[0]))].sort();

describe.each([
  ['config/dev.json (signer and publisher users with key rotation)', () => devConfig()],
  [
    'config/dev.json with a deployment section',
    () =>
      devConfig((raw: KeylessConfigInput) => {
        raw.deployment = {
          github: { repository: 'example/keyless-iot', environments: ['dev'], oidcProvider: 'create' },
        };
      }),
  ],
  ['config/prod.example.json (signer and publisher roles)', () => prodExampleConfig()],
])('%s', (_name, config) => {
  const { deployment, questions } = synthesize(config());

  it('answers every isolation question as expected', () => {
    expect(wrongAnswers(deployment, questions)).toEqual([]);
  });

  it('asks each question once, with a reason', () => {
    expect(new Set(questions.map((q) => q.id)).size).toBe(questions.length);
    for (const q of questions) expect(q.reason.length).toBeGreaterThan(10);
  });
});

describe('which principals the questions cover', () => {
  it('dev: the X.509 and Krypton roles, the closed prefix, the signer and publisher users and their rotations', () => {
    expect(kinds(synthesize(devConfig()).questions)).toEqual([
      'closed-prefix',
      'funnel-publisher-user',
      'funnel-rotation-role',
      'krypton-role',
      'krypton-rotation-role',
      'krypton-signer-user',
      'x509-role',
    ]);
  });

  it('the production example: the signer and publisher roles, and the deploy role', () => {
    const covered = kinds(synthesize(prodExampleConfig()).questions);
    expect(covered).toEqual(
      expect.arrayContaining(['funnel-publisher-role', 'krypton-signer-role', 'deploy-role', 'x509-role']),
    );
    expect(covered).not.toContain('funnel-rotation-role');
  });

  it('leaves out the questions that need a deployed value it was not given', () => {
    const config = devConfig();
    const app = testApp({ 'aws:cdk:bundling-stacks': [] });
    const ids = isolationQuestions(
      config,
      createEnvironmentStacks(app, config, { functionCode: inlineCode }),
    ).map((q) => q.id);
    expect(ids.filter((id) => id.startsWith('closed-prefix/') || id.startsWith('krypton-signer'))).toEqual(
      [],
    );
  });
});

describe('a widened policy fails the questions, naming what is wrong', () => {
  /** The same deployment with one statement's resource replaced. */
  function widened(config: KeylessConfig, stackPart: string, sid: string, resource: unknown) {
    const { deployment, questions } = synthesize(config);
    const templates = new Map<string, TemplateJson>();
    for (const [name, template] of deployment.templates) {
      const copy = JSON.parse(JSON.stringify(template)) as TemplateJson;
      if (name.endsWith(`-${stackPart}`)) {
        for (const r of Object.values(copy.Resources ?? {})) {
          const documents = [
            r.Properties?.PolicyDocument,
            ...((r.Properties?.Policies ?? []) as { PolicyDocument: unknown }[]).map((p) => p.PolicyDocument),
          ];
          for (const d of documents) {
            for (const s of (d as { Statement?: { Sid?: string; Resource?: unknown }[] })?.Statement ?? []) {
              if (s.Sid === sid) s.Resource = resource;
            }
          }
        }
      }
      templates.set(name, copy);
    }
    return wrongAnswers(new LocalDeployment(config, templates, DEPLOYED), questions);
  }

  it('an X.509 role that may touch every thing prefix', () => {
    const config = devConfig();
    const wrong = widened(
      config,
      'IotAccess',
      'OwnObjects',
      'arn:aws:s3:::keyless-iot-dev-111111111111-ap-northeast-1/things/*',
    );
    expect(wrong).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^x509-role\/other-thing-object-read: X\.509 device role s3:GetObject on arn:aws:s3:::keyless-iot-dev-111111111111-ap-northeast-1\/things\/sensor-002\/data\.json is allowed, expected denied/,
        ),
      ]),
    );
  });

  it('a Krypton role that may touch every SIM prefix', () => {
    const wrong = widened(
      devConfig(),
      'KryptonAccess',
      'OwnPrefixObjects',
      'arn:aws:s3:::keyless-iot-dev-111111111111-ap-northeast-1/*',
    );
    expect(wrong.map((line) => line.split(':')[0])).toEqual(
      expect.arrayContaining(['krypton-role/other-sim-object-read', 'krypton-role/x509-object-read']),
    );
  });

  it('a signer that may issue tokens in any pool', () => {
    const wrong = widened(prodExampleConfig(), 'KryptonAccess', 'IssueTokensInThisPoolOnly', '*');
    expect(wrong.map((line) => line.split(':')[0])).toEqual(['krypton-signer-role/other-pool-token']);
  });

  it('a bucket policy without the closed-prefix statement', () => {
    const wrong = widened(
      devConfig(),
      'Data',
      'ClosedPrefixOnlyThroughTheGatewayEndpoint',
      'arn:aws:s3:::another-bucket/*',
    );
    expect(wrong.map((line) => line.split(':')[0])).toEqual([
      'closed-prefix/from-the-internet',
      'closed-prefix/another-endpoint',
    ]);
  });
});
