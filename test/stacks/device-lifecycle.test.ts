import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { KeylessConfig, KeylessConfigInput } from '../../lib/config';
import { createEnvironmentStacks, type EnvironmentStacks } from '../../lib/stacks/environment';
import { devConfig, testApp } from '../support/cdk-app';
import {
  evaluatePolicy,
  flattenIntrinsics,
  thingConnectionContext,
  type PolicyDocumentJson,
} from '../support/policy-evaluator';

/**
 * The device lifecycle in config (`iot.things[].status`, `iot.things[].quarantined`) as CloudFormation sees it:
 * a change flips exactly one property of one resource in the whole environment, and a quarantine written in
 * config reaches the thing the IoT policy denies.
 */

type Thing = NonNullable<NonNullable<KeylessConfigInput['iot']>['things']>[number];

interface Environment {
  readonly stacks: EnvironmentStacks;
  /** Every template of the environment, by stack name. */
  readonly templates: Record<string, { Resources: Record<string, { Properties?: Record<string, unknown> }> }>;
}

function synthesize(change: (things: Thing[]) => void = () => {}): Environment {
  const config: KeylessConfig = devConfig((raw) => change(raw.iot!.things!));
  const app = testApp();
  const stacks = createEnvironmentStacks(app, config, {
    functionCode: () => lambda.Code.fromInline('exports.handler = async () => {};'),
  });
  const assembly = app.synth();
  const templates = Object.fromEntries(
    assembly.stacks.map((artifact) => [
      artifact.stackName,
      JSON.parse(fs.readFileSync(path.join(assembly.directory, artifact.templateFile), 'utf8')),
    ]),
  );
  return { stacks, templates };
}

/** The JSON paths at which two documents differ (a key only one has counts as a difference). */
function differences(a: unknown, b: unknown, at = ''): string[] {
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    if (Array.isArray(a) !== Array.isArray(b)) return [at];
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((key) =>
      differences((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${at}/${key}`),
    );
  }
  return a === b ? [] : [at];
}

function logicalId(stack: Stack, element: { logicalId: string }): string {
  return stack.resolve(element.logicalId) as string;
}

const baseline = synthesize();
const fleet1 = baseline.stacks.fleet[0];
const sensor001 = fleet1.things.get('sensor-001')!;
const certificateOf001 = logicalId(fleet1, sensor001.certificate!);
const thingOf001 = logicalId(fleet1, sensor001.thing);

describe.each(['inactive', 'revoked'] as const)('a status change to %s', (status) => {
  const changed = synthesize((things) => (things[0].status = status));

  it("flips the certificate's Status and changes nothing else in any stack", () => {
    expect(Object.keys(changed.templates)).toEqual(Object.keys(baseline.templates));
    const changes = Object.keys(baseline.templates).flatMap((name) =>
      differences(baseline.templates[name], changed.templates[name], name),
    );
    expect(changes).toEqual([`KeylessIot-dev-Fleet-1/Resources/${certificateOf001}/Properties/Status`]);
    expect(changed.templates['KeylessIot-dev-Fleet-1'].Resources[certificateOf001].Properties!.Status).toBe(
      status.toUpperCase(),
    );
  });

  it('and back to active gives the baseline again', () => {
    const back = synthesize((things) => (things[0].status = 'active'));
    expect(back.templates).toEqual(baseline.templates);
  });
});

describe('a quarantine in config', () => {
  const quarantined = synthesize((things) => (things[0].quarantined = true));

  it("adds the quarantine attribute, deploys the active certificate INACTIVE, adds the role's deny, and changes nothing else", () => {
    const changes = Object.keys(baseline.templates).flatMap((name) =>
      differences(baseline.templates[name], quarantined.templates[name], name),
    );
    // The deny of the thing's earlier sessions: one managed policy on the credentials-provider role.
    expect(changes).toHaveLength(3);
    expect(changes).toEqual(
      expect.arrayContaining([
        `KeylessIot-dev-Fleet-1/Resources/${thingOf001}/Properties/AttributePayload/Attributes/keylessQuarantine`,
        `KeylessIot-dev-Fleet-1/Resources/${certificateOf001}/Properties/Status`,
        expect.stringMatching(
          /^KeylessIot-dev-IotAccess\/Resources\/CredentialsProviderRoleQuarantineResource1\w+$/,
        ),
      ]),
    );
    expect(
      quarantined.templates['KeylessIot-dev-Fleet-1'].Resources[certificateOf001].Properties!.Status,
    ).toBe('INACTIVE');
  });

  it('reaches the IoT policy: the quarantined thing is denied credentials and the connection, the other is not', () => {
    const { templates } = quarantined;
    const policies = Object.values(templates['KeylessIot-dev-IotAccess'].Resources).filter(
      (resource) => (resource as { Type?: string }).Type === 'AWS::IoT::Policy',
    );
    expect(policies).toHaveLength(1);
    const document = flattenIntrinsics<PolicyDocumentJson>(policies[0].Properties!.PolicyDocument);
    const fleet = templates['KeylessIot-dev-Fleet-1'].Resources;
    const decide = (thingName: string, action: string, resource: string): string => {
      // The thing as deployed: the attributes its Fleet stack gives it, the type the assignment sets.
      const thing = Object.values(fleet).find((r) => r.Properties?.ThingName === thingName)!;
      const { Attributes } = thing.Properties!.AttributePayload as { Attributes: Record<string, string> };
      const context = thingConnectionContext({
        thingName,
        thingTypeName: 'KeylessSensor',
        attributes: Attributes,
      });
      return evaluatePolicy(document, { action, resource, context });
    };
    const iot = 'arn:aws:iot:ap-northeast-1:111111111111';
    const alias = `${iot}:rolealias/keyless-dev-device`;
    expect(decide('sensor-001', 'iot:AssumeRoleWithCertificate', alias)).toBe('deny');
    expect(decide('sensor-001', 'iot:Connect', `${iot}:client/sensor-001`)).toBe('deny');
    expect(decide('sensor-002', 'iot:AssumeRoleWithCertificate', alias)).toBe('allow');
    expect(decide('sensor-002', 'iot:Connect', `${iot}:client/sensor-002`)).toBe('allow');

    // Released: the config drops the flag and the deployed thing loses the attribute.
    const released = synthesize().templates['KeylessIot-dev-Fleet-1'].Resources;
    const thing = Object.values(released).find((r) => r.Properties?.ThingName === 'sensor-001')!;
    const { Attributes } = thing.Properties!.AttributePayload as { Attributes: Record<string, string> };
    const context = thingConnectionContext({
      thingName: 'sensor-001',
      thingTypeName: 'KeylessSensor',
      attributes: Attributes,
    });
    expect(
      evaluatePolicy(document, { action: 'iot:AssumeRoleWithCertificate', resource: alias, context }),
    ).toBe('allow');
  });
});
