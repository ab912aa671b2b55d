import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { KeylessConfigInput } from '../../lib/config';
import { createEnvironmentStacks } from '../../lib/stacks/environment';
import { addValidators } from '../../lib/validators';
import { devConfig, testApp } from '../support/cdk-app';
import {
  evaluatePolicies,
  flattenIntrinsics,
  type Decision,
  type PolicyDocumentJson,
} from '../support/policy-evaluator';

/**
 * Credentials issued before a quarantine, as the deployed device roles see them (issue 20): the role's own
 * policies, as synthesized from config, deny every request of a session of the quarantined thing issued before
 * its quarantine time (plus the settle window), and every session of a quarantined Krypton identity; sessions of
 * other devices, and of the thing after its release, are allowed. Evaluated with the policy evaluator over the
 * templates, inline and managed policies of each role together.
 */

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}
type Template = { Resources: Record<string, Resource> };

const QUARANTINED_AT = '2026-12-07T18:00:00Z';
const IDENTITY_A = 'ap-northeast-1:0b7f2c3e-aaaa-2222-3333-444455556666';
const IDENTITY_B = 'ap-northeast-1:0b7f2c3e-bbbb-2222-3333-444455556666';
const BUCKET = 'arn:aws:s3:::keyless-iot-dev-111111111111-ap-northeast-1';
const SECRET = 'arn:aws:secretsmanager:ap-northeast-1:111111111111:secret';

function templatesOf(change: (raw: KeylessConfigInput) => void): Record<string, Template> {
  const app = testApp();
  createEnvironmentStacks(app, devConfig(change), {
    functionCode: () => lambda.Code.fromInline('exports.handler = async () => {};'),
  });
  const assembly = app.synth();
  return Object.fromEntries(
    assembly.stacks.map((artifact) => [
      artifact.stackName,
      JSON.parse(fs.readFileSync(path.join(assembly.directory, artifact.templateFile), 'utf8')) as Template,
    ]),
  );
}

/** Every policy of one role in a template: its inline policies and the managed policies attached to it. */
function policiesOfRole(template: Template, roleLogicalId: string): PolicyDocumentJson[] {
  const role = template.Resources[roleLogicalId];
  const inline = ((role.Properties?.Policies as { PolicyDocument: unknown }[] | undefined) ?? []).map(
    (p) => p.PolicyDocument,
  );
  const attached = Object.values(template.Resources)
    .filter(
      (r) =>
        (r.Type === 'AWS::IAM::ManagedPolicy' || r.Type === 'AWS::IAM::Policy') &&
        JSON.stringify(r.Properties?.Roles ?? []).includes(`"${roleLogicalId}"`),
    )
    .map((r) => r.Properties!.PolicyDocument);
  return [...inline, ...attached].map((d) => flattenIntrinsics<PolicyDocumentJson>(d));
}

function roleId(template: Template, servicePrincipal: string): string {
  const ids = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::Role' && JSON.stringify(r.Properties).includes(servicePrincipal))
    .map(([id]) => id);
  expect(ids).toHaveLength(1);
  return ids[0];
}

const quarantineSensor001 = (raw: KeylessConfigInput): void => {
  Object.assign(raw.iot!.things![0], { quarantined: true, quarantinedAt: QUARANTINED_AT });
};
const quarantineIdentityA = (raw: KeylessConfigInput): void => {
  (raw.krypton as unknown as Record<string, unknown>).quarantinedIdentities = [
    { identityId: IDENTITY_A, quarantinedAt: QUARANTINED_AT },
  ];
};

describe('the X.509 device role of a quarantined thing', () => {
  const decideIn = (templates: Record<string, Template>) => {
    const template = templates['KeylessIot-dev-IotAccess'];
    const documents = policiesOfRole(template, roleId(template, 'credentials.iot.amazonaws.com'));
    return (thing: string, issued: string, action: string, resource: string): Decision =>
      evaluatePolicies(documents, {
        action,
        resource,
        context: { 'credentials-iot:ThingName': thing, 'aws:TokenIssueTime': issued },
      });
  };
  const quarantined = decideIn(templatesOf(quarantineSensor001));
  const released = decideIn(templatesOf(() => {}));
  const requests: Array<[string, (thing: string) => string]> = [
    ['s3:PutObject', (thing) => `${BUCKET}/things/${thing}/data.json`],
    ['s3:GetObject', (thing) => `${BUCKET}/things/${thing}/data.json`],
    ['secretsmanager:GetSecretValue', (thing) => `${SECRET}:devices/${thing}-AbC123`],
  ];

  it.each(requests)('denies %s to a session issued before the quarantine', (action, resource) => {
    expect(quarantined('sensor-001', '2026-12-07T17:59:59Z', action, resource('sensor-001'))).toBe('deny');
    // Within the settle window AWS IoT may still have issued credentials: denied too.
    expect(quarantined('sensor-001', '2026-12-07T18:14:59Z', action, resource('sensor-001'))).toBe('deny');
  });

  it.each(requests)('allows %s to another thing, and to the thing once released', (action, resource) => {
    expect(quarantined('sensor-002', '2026-12-07T17:59:59Z', action, resource('sensor-002'))).toBe('allow');
    // A session issued after the quarantine (after a release that is not deployed yet) is not denied by the role.
    expect(quarantined('sensor-001', '2026-12-07T18:15:00Z', action, resource('sensor-001'))).toBe('allow');
    // Released and deployed: no deny left.
    expect(released('sensor-001', '2026-12-07T17:59:59Z', action, resource('sensor-001'))).toBe('allow');
  });

  it('denies every session of a thing quarantined without a time (a config from before the time was recorded)', () => {
    const legacy = decideIn(templatesOf((raw) => (raw.iot!.things![0].quarantined = true)));
    const [action, resource] = requests[0];
    expect(legacy('sensor-001', '2030-01-01T00:00:00Z', action, resource('sensor-001'))).toBe('deny');
    expect(legacy('sensor-002', '2030-01-01T00:00:00Z', action, resource('sensor-002'))).toBe('allow');
  });
});

describe('the Krypton device role of a quarantined identity', () => {
  const decideIn = (templates: Record<string, Template>) => {
    const template = templates['KeylessIot-dev-KryptonAccess'];
    const documents = policiesOfRole(template, roleId(template, 'cognito-identity.amazonaws.com'));
    return (identity: string, issued: string, action: string, resource: string): Decision =>
      evaluatePolicies(documents, {
        action,
        resource,
        context: { 'cognito-identity.amazonaws.com:sub': identity, 'aws:TokenIssueTime': issued },
      });
  };
  const quarantined = decideIn(templatesOf(quarantineIdentityA));
  const released = decideIn(templatesOf(() => {}));
  const object = (identity: string): string => `${BUCKET}/krypton/${identity}/data.json`;

  it('denies its sessions, issued before the quarantine or after, until the release is deployed', () => {
    expect(quarantined(IDENTITY_A, '2026-12-07T17:59:59Z', 's3:PutObject', object(IDENTITY_A))).toBe('deny');
    expect(quarantined(IDENTITY_A, '2026-12-08T00:00:00Z', 's3:GetObject', object(IDENTITY_A))).toBe('deny');
  });

  it('allows another identity, and the identity once released', () => {
    expect(quarantined(IDENTITY_B, '2026-12-07T17:59:59Z', 's3:PutObject', object(IDENTITY_B))).toBe('allow');
    expect(released(IDENTITY_A, '2026-12-07T17:59:59Z', 's3:PutObject', object(IDENTITY_A))).toBe('allow');
  });
});

describe('the quarantine deny and the validators', () => {
  it('passes cdk-nag and cfn-guard with a quarantined thing and identity: zero unacknowledged findings', () => {
    const app = testApp();
    createEnvironmentStacks(
      app,
      devConfig((raw) => {
        quarantineSensor001(raw);
        quarantineIdentityA(raw);
      }),
      { functionCode: () => lambda.Code.fromInline('exports.handler = async () => {};') },
    );
    addValidators(app);
    const assembly = app.synth();
    const report = JSON.parse(
      fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'),
    ) as {
      pluginReports: { pluginName: string; violations: { ruleName: string }[] }[];
    };
    expect(
      report.pluginReports.flatMap((r) => r.violations.map((v) => `${r.pluginName}: ${v.ruleName}`)),
    ).toEqual([]);
    expect(report.pluginReports.map((r) => r.pluginName)).toContain('cdk-validator-cfnguard');
  });
});
