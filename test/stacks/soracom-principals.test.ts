import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { KeylessConfig } from '../../lib/config';
import { createEnvironmentStacks } from '../../lib/stacks/environment';
import { devConfig, testApp } from '../support/cdk-app';
import { prodExampleConfig } from '../support/prod-example';
import {
  evaluatePolicies,
  evaluatePolicy,
  flattenIntrinsics,
  type PolicyDocumentJson,
} from '../support/policy-evaluator';

/**
 * Issue 15, "no long-term AWS key anywhere": the SORACOM principals (the Funnel publisher, the Krypton signer) of
 * whole environments, read from every synthesized stack rather than from one construct.
 */

const SORACOM_ACCOUNT = '762707677580';
const noBundling = { 'aws:cdk:bundling-stacks': [] };

/** config/prod.example.json as an operator deploys it: copied, `example` removed, its own external ids set. */
function prodConfig(): KeylessConfig {
  return prodExampleConfig();
}

interface Synthesized {
  readonly templates: ReadonlyMap<string, Template>;
  /** Every resource of every stack, by `<stack>/<logical id>`. */
  readonly resources: ReadonlyMap<string, { Type: string; Properties?: Record<string, unknown> }>;
}

function synthesize(config: KeylessConfig): Synthesized {
  const app = testApp(noBundling);
  createEnvironmentStacks(app, config);
  const templates = new Map<string, Template>();
  const resources = new Map<string, { Type: string; Properties?: Record<string, unknown> }>();
  for (const child of app.node.children) {
    if (!Stack.isStack(child)) continue;
    const template = Template.fromStack(child);
    templates.set(child.stackName, template);
    const all = template.toJSON().Resources as Record<
      string,
      { Type: string; Properties?: Record<string, unknown> }
    >;
    for (const [id, resource] of Object.entries(all)) resources.set(`${child.stackName}/${id}`, resource);
  }
  return { templates, resources };
}

function ofType(s: Synthesized, type: string): [string, Record<string, unknown>][] {
  return [...s.resources].filter(([, r]) => r.Type === type).map(([id, r]) => [id, r.Properties ?? {}]);
}

/** The identity policies a role has: its inline policies and every AWS::IAM::Policy attached to it. */
function rolePolicies(s: Synthesized, roleKey: string): PolicyDocumentJson[] {
  const [stackName, roleId] = roleKey.split('/');
  const role = s.resources.get(roleKey)!;
  const inline = ((role.Properties?.Policies ?? []) as { PolicyDocument: unknown }[]).map(
    (p) => p.PolicyDocument,
  );
  const attached = ofType(s, 'AWS::IAM::Policy')
    .filter(
      ([id, p]) => id.startsWith(`${stackName}/`) && JSON.stringify(p.Roles ?? []).includes(`"${roleId}"`),
    )
    .map(([, p]) => p.PolicyDocument);
  return flattenIntrinsics<PolicyDocumentJson[]>([...inline, ...attached]);
}

/** Roles some AWS account (not a service, not a web identity) may assume. */
function accountTrustedRoles(s: Synthesized): [string, PolicyDocumentJson][] {
  return ofType(s, 'AWS::IAM::Role')
    .map(([id, p]): [string, PolicyDocumentJson] => [
      id,
      flattenIntrinsics<PolicyDocumentJson>(p.AssumeRolePolicyDocument),
    ])
    .filter(([, trust]) => JSON.stringify(trust).includes('"AWS":'));
}

describe('config/prod.example.json (role modes): no long-term AWS key anywhere', () => {
  const config = prodConfig();
  const prod = synthesize(config);

  it('uses role mode for both SORACOM principals', () => {
    expect(config.krypton?.signer.mode).toBe('role');
    expect(config.funnel?.publisher.mode).toBe('role');
  });

  it('synthesizes zero IAM users and zero access keys, in every stack', () => {
    expect(prod.templates.size).toBeGreaterThanOrEqual(5);
    for (const [name, template] of prod.templates) {
      for (const type of ['AWS::IAM::User', 'AWS::IAM::AccessKey']) {
        expect({ name, type, count: Object.keys(template.findResources(type)).length }).toEqual({
          name,
          type,
          count: 0,
        });
      }
    }
  });

  it('has no key rotation machinery either: no rotation function, auth key secret or schedule', () => {
    expect(ofType(prod, 'AWS::Scheduler::Schedule')).toEqual([]);
    const secrets = ofType(prod, 'AWS::SecretsManager::Secret').map(([, p]) => String(p.Name));
    expect(secrets.filter((name) => name.includes('soracom-auth-key'))).toEqual([]);
  });

  describe('the two SORACOM roles', () => {
    const trusted = accountTrustedRoles(prod);

    it('are the only roles another AWS account may assume', () => {
      expect(trusted.map(([id]) => id).sort()).toEqual([
        expect.stringMatching(/^KeylessIot-prod-Funnel\/PublisherRole/),
        expect.stringMatching(/^KeylessIot-prod-KryptonAccess\/Signer/),
      ]);
    });

    it.each(['Funnel', 'KryptonAccess'])(
      '%s: only SORACOM’s account, and only with the external id (sts:ExternalId)',
      (part) => {
        const [, trust] = trusted.find(([id]) => id.startsWith(`KeylessIot-prod-${part}/`))!;
        const externalId =
          part === 'Funnel'
            ? (config.funnel?.publisher as { externalId: string }).externalId
            : (config.krypton?.signer as { externalId: string }).externalId;
        const assume = (account: string, context: Record<string, string> = {}) =>
          evaluatePolicy(trust, {
            action: 'sts:AssumeRole',
            principal: { AWS: `arn:aws:iam::${account}:role/soracom-platform` },
            context,
          });
        expect(assume(SORACOM_ACCOUNT, { 'sts:ExternalId': externalId })).toBe('allow');
        expect(assume(SORACOM_ACCOUNT)).toBe('implicit-deny');
        expect(assume(SORACOM_ACCOUNT, { 'sts:ExternalId': 'another-customers-id' })).toBe('implicit-deny');
        expect(assume(SORACOM_ACCOUNT, { 'sts:ExternalId': externalId.toUpperCase() })).toBe('implicit-deny');
        expect(assume('222222222222', { 'sts:ExternalId': externalId })).toBe('implicit-deny');
        expect(assume('999999999999', { 'sts:ExternalId': externalId })).toBe('implicit-deny');
      },
    );
  });

  describe('the Funnel publisher role', () => {
    const [roleKey] = accountTrustedRoles(prod).find(([id]) => id.startsWith('KeylessIot-prod-Funnel/'))!;
    const policies = rolePolicies(prod, roleKey);
    const iot = (resource: string) => `arn:aws:iot:ap-northeast-1:222222222222:${resource}`;
    const ask = (action: string, resource: string) => evaluatePolicies(policies, { action, resource });

    it('may publish under funnel/prod/', () => {
      expect(ask('iot:Publish', iot('topic/funnel/prod/sim-001'))).toBe('allow');
      expect(ask('iot:Publish', iot('topic/funnel/prod/a/b/c'))).toBe('allow');
    });

    it.each([
      ['a sibling prefix', 'topic/funnel/production/sim-001'],
      ['the prefix itself', 'topic/funnel/prod'],
      ['another environment', 'topic/funnel/dev/sim-001'],
      ['device topics', 'topic/things/sensor-001/telemetry'],
      ['a thing shadow', 'topic/$aws/things/sensor-001/shadow/update'],
      ['a named shadow', 'topic/$aws/things/sensor-001/shadow/name/config/update'],
      ['jobs', 'topic/$aws/things/sensor-001/jobs/start-next'],
      ['basic ingest', 'topic/$aws/rules/any'],
    ])('may not publish to %s (%s)', (_what, resource) => {
      expect(ask('iot:Publish', iot(resource))).toBe('implicit-deny');
      expect(ask('iot:Publish', `arn:aws:iot:us-east-1:222222222222:${resource}`)).toBe('implicit-deny');
    });

    it.each([
      ['iot:UpdateThingShadow', 'thing/sensor-001'],
      ['iot:GetThingShadow', 'thing/sensor-001'],
      ['iot:DeleteThingShadow', 'thing/sensor-001'],
      ['iot:Connect', 'client/soracom'],
      ['iot:Subscribe', 'topicfilter/funnel/prod/#'],
      ['iot:Receive', 'topic/funnel/prod/sim-001'],
      ['iot:RetainPublish', 'topic/funnel/prod/sim-001'],
      ['iot:UpdateCertificate', 'cert/abc'],
      ['iot:AssumeRoleWithCertificate', 'rolealias/keyless-prod-device'],
    ])('cannot %s', (action, resource) => {
      expect(ask(action, iot(resource))).toBe('implicit-deny');
    });

    it('cannot do anything outside AWS IoT', () => {
      for (const action of [
        'sts:AssumeRole',
        'iam:CreateAccessKey',
        's3:GetObject',
        'cognito-identity:GetId',
      ]) {
        expect({ action, decision: ask(action, '*') }).toEqual({ action, decision: 'implicit-deny' });
      }
    });
  });
});

describe('config/dev.json (user modes): every key that must exist is rotated, and CloudFormation makes none', () => {
  const dev = synthesize(devConfig());
  const users = ofType(dev, 'AWS::IAM::User');
  const roles = ofType(dev, 'AWS::IAM::Role').map(([id]) => id);

  it('synthesizes no access key', () => {
    expect(ofType(dev, 'AWS::IAM::AccessKey')).toEqual([]);
    for (const template of dev.templates.values()) {
      expect(JSON.stringify(template.toJSON())).not.toContain('SecretAccessKey');
    }
  });

  it('has exactly the two users a SORACOM credential holds', () => {
    expect(users.map(([, p]) => p.UserName).sort()).toEqual([
      'keyless-iot-dev-funnel-publisher',
      'keyless-iot-dev-krypton-signer',
    ]);
  });

  it('gives each user one rotation role that may create keys for it alone, and no other role may', () => {
    const userArn = (key: string) => `<${key.split('/')[1]}.Arn>`;
    const mayCreate = (roleKey: string, userKey: string) =>
      roleKey.split('/')[0] === userKey.split('/')[0] &&
      evaluatePolicies(rolePolicies(dev, roleKey), {
        action: 'iam:CreateAccessKey',
        resource: userArn(userKey),
      }) === 'allow';
    const grants = users.map(([userKey, p]) => ({
      user: p.UserName,
      creators: roles.filter((roleKey) => mayCreate(roleKey, userKey)),
    }));
    expect(grants).toEqual([
      { user: expect.any(String), creators: [expect.stringMatching(/KeyRotation/)] },
      { user: expect.any(String), creators: [expect.stringMatching(/KeyRotation/)] },
    ]);
    // One role per user, and each role reaches its own user only (not the other user, not any user).
    const [a, b] = grants.map((g) => g.creators[0]);
    expect(a).not.toBe(b);
    for (const [userKey] of users) {
      for (const roleKey of [a, b]) {
        const own =
          grants.find((g) => g.creators[0] === roleKey)!.user ===
          dev.resources.get(userKey)!.Properties!.UserName;
        const decision = evaluatePolicies(rolePolicies(dev, roleKey), {
          action: 'iam:CreateAccessKey',
          resource: userArn(userKey),
        });
        expect({ roleKey, userKey, decision }).toEqual({
          roleKey,
          userKey,
          decision: own ? 'allow' : 'implicit-deny',
        });
      }
      expect(
        evaluatePolicies(rolePolicies(dev, a), {
          action: 'iam:CreateAccessKey',
          resource: 'arn:aws:iam::111111111111:user/someone-else',
        }),
      ).toBe('implicit-deny');
    }
  });

  it('rotates both keys with the one rotation function, the same period and grace, alarms and schedules', () => {
    const functions = ofType(dev, 'AWS::Lambda::Function')
      .map(([, p]) => (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {})
      .filter((v) => v.ROTATION_GRACE_DAYS !== undefined);
    expect(functions.map((v) => [v.ROTATION_PERIOD_DAYS, v.ROTATION_GRACE_DAYS])).toEqual([
      ['90', '7'],
      ['90', '7'],
    ]);
    // Each rotation has its failure and staleness alarms and its two schedules.
    expect(ofType(dev, 'AWS::CloudWatch::Alarm').length).toBeGreaterThanOrEqual(4);
    const inputs = ofType(dev, 'AWS::Scheduler::Schedule').map(
      ([, p]) => (p.Target as { Input: string }).Input,
    );
    expect(inputs.sort()).toEqual([
      '{"action":"ensure"}',
      '{"action":"ensure"}',
      '{"action":"rotate"}',
      '{"action":"rotate"}',
    ]);
  });
});
