import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { FleetThing } from '../../lib/constructs/fleet-thing';
import { REPO_ROOT, testApp } from '../support/cdk-app';

const CSR = fs.readFileSync(path.join(REPO_ROOT, 'fleet', 'dev', 'sensor-001', 'csr.pem'), 'utf8');

function build(props: Partial<ConstructorParameters<typeof FleetThing>[2]> = {}) {
  const stack = new Stack(testApp(), 'Test', { env: { account: '111111111111', region: 'ap-northeast-1' } });
  const thing = new FleetThing(stack, 'sensor-001', {
    thingName: 'sensor-001',
    attributes: { Owner: 'keyless', Site: 'tokyo' },
    csrPem: CSR,
    policyName: 'keyless-dev-device',
    ...props,
  });
  return { stack, thing, template: Template.fromStack(stack) };
}

describe('FleetThing', () => {
  it('creates the thing with its attributes', () => {
    build().template.hasResourceProperties('AWS::IoT::Thing', {
      ThingName: 'sensor-001',
      AttributePayload: { Attributes: { Owner: 'keyless', Site: 'tokyo' } },
    });
  });

  it('registers an ACTIVE certificate from the CSR: no private key, no certificate PEM in the template', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::IoT::Certificate', {
      CertificateSigningRequest: CSR,
      Status: 'ACTIVE',
      CertificatePem: Match.absent(),
      CACertificatePem: Match.absent(),
    });
    expect(JSON.stringify(template.toJSON())).not.toMatch(/PRIVATE KEY/);
  });

  it('attaches the certificate to its thing and to the IoT policy by name', () => {
    const { stack, thing, template } = build();
    const certificateArn = stack.resolve(thing.certificate!.attrArn);
    template.hasResourceProperties('AWS::IoT::ThingPrincipalAttachment', {
      ThingName: stack.resolve(thing.thing.ref),
      Principal: certificateArn,
    });
    template.hasResourceProperties('AWS::IoT::PolicyPrincipalAttachment', {
      PolicyName: 'keyless-dev-device',
      Principal: certificateArn,
    });
    template.resourceCountIs('AWS::IoT::ThingPrincipalAttachment', 1);
    template.resourceCountIs('AWS::IoT::PolicyPrincipalAttachment', 1);
  });

  it.each(['INACTIVE', 'REVOKED'] as const)('deploys the certificate %s, still attached', (status) => {
    const { template } = build({ certificateStatus: status });
    template.hasResourceProperties('AWS::IoT::Certificate', { Status: status });
    template.resourceCountIs('AWS::IoT::ThingPrincipalAttachment', 1);
    template.resourceCountIs('AWS::IoT::PolicyPrincipalAttachment', 1);
  });

  it('quarantines with the reserved attribute, after its own attributes', () => {
    build({ quarantined: true }).template.hasResourceProperties('AWS::IoT::Thing', {
      AttributePayload: { Attributes: { Owner: 'keyless', Site: 'tokyo', keylessQuarantine: 'true' } },
    });
    build({ attributes: undefined, quarantined: true }).template.hasResourceProperties('AWS::IoT::Thing', {
      AttributePayload: { Attributes: { keylessQuarantine: 'true' } },
    });
    build({ attributes: undefined }).template.hasResourceProperties('AWS::IoT::Thing', {
      AttributePayload: Match.absent(),
    });
  });

  it('without a CSR, creates the thing only', () => {
    const { thing, template } = build({ csrPem: undefined });
    template.resourceCountIs('AWS::IoT::Thing', 1);
    template.resourceCountIs('AWS::IoT::Certificate', 0);
    template.resourceCountIs('AWS::IoT::ThingPrincipalAttachment', 0);
    template.resourceCountIs('AWS::IoT::PolicyPrincipalAttachment', 0);
    expect(thing.certificate).toBeUndefined();
  });

  it('takes the thing name as it is, punctuation included', () => {
    build({ thingName: 'site:a_b-1' }).template.hasResourceProperties('AWS::IoT::Thing', {
      ThingName: 'site:a_b-1',
    });
  });

  it.each([
    [{ thingName: 'sensor/1' }, 'thingName must be 1-128 characters from a-z A-Z 0-9 : _ -, got: sensor/1'],
    [
      { attributes: { a: '1', b: '2', c: '3', d: '4' } },
      'a thing created by CloudFormation holds at most 3 attributes, got: a, b, c, d',
    ],
    [{ csrPem: 'not a csr' }, 'csrPem must be a PEM certificate signing request, got: not a csr'],
    [
      { attributes: { Owner: 'keyless', KeylessQuarantine: 'true' } },
      'attributes must not name keylessQuarantine (in any letter case), reserved for quarantine: pass quarantined: true, got: KeylessQuarantine',
    ],
    [
      { attributes: { a: '1', b: '2', c: '3' }, quarantined: true },
      'a thing created by CloudFormation holds at most 3 attributes, got: a, b, c, keylessQuarantine',
    ],
    [
      { certificateStatus: 'PENDING_TRANSFER' as never },
      'certificateStatus must be one of ACTIVE, INACTIVE, REVOKED, got: PENDING_TRANSFER',
    ],
  ])('rejects %j', (props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});
