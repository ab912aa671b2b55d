import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { compliancePacksOf, type KeylessConfig } from '../lib/config';
import { COMPLIANCE_PACKS, COMPLIANCE_RULE_PREFIXES, type CompliancePack } from '../lib/contract';
import { createEnvironmentStacks } from '../lib/stacks/environment';
import { addValidators } from '../lib/validators';
import { devConfig, testApp } from './support/cdk-app';
import { prodExampleProblems } from './support/config-problems';
import { prodExampleConfig } from './support/prod-example';
import { bundledFunctionCode } from './support/function-bundles';

const CHECKS: Record<CompliancePack, () => { validateScope(stack: Stack): { violations: Violation[] } }> = {
  'nist-800-53-r5': () => new NIST80053R5Checks(),
  'hipaa-security': () => new HIPAASecurityChecks(),
  'pci-dss-3.2.1': () => new PCIDSS321Checks(),
};
interface Violation {
  ruleName: string;
  violatingResources: { constructPath?: string }[];
}

/** Production shapes: the example as shipped, and one with every user mode, tables and a created VPC. */
const PRODUCTION_CONFIGS: [string, () => KeylessConfig][] = [
  ['prod.example.json (roles, imported VPC, audit, deployment)', () => prodExampleConfig()],
  [
    'dev.json retained (user-mode signer and Funnel with key rotation, created VPC, interface endpoints)',
    () =>
      devConfig((c) => {
        c.removalPolicy = 'retain';
      }),
  ],
];

function packFindings(config: KeylessConfig, pack: CompliancePack): string[] {
  const app = testApp();
  createEnvironmentStacks(app, config, { functionCode: bundledFunctionCode() });
  return app.node.children
    .filter((c): c is Stack => c instanceof Stack)
    .flatMap((stack) =>
      CHECKS[pack]()
        .validateScope(stack)
        .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`)),
    );
}

describe('compliance packs as a production gate', () => {
  describe.each(PRODUCTION_CONFIGS)('%s', (_name, config) => {
    it.each(COMPLIANCE_PACKS.map((pack) => [pack]))('%s: zero unacknowledged findings', (pack) => {
      expect(packFindings(config(), pack)).toEqual([]);
    });
  });

  it('a production config gates on NIST 800-53 rev 5 unless it names its own packs; dev gates on none', () => {
    expect(compliancePacksOf(prodExampleConfig())).toEqual(['nist-800-53-r5']);
    expect(compliancePacksOf(devConfig())).toEqual([]);
    expect(
      compliancePacksOf(prodExampleConfig((c) => (c.compliancePacks = ['nist-800-53-r5', 'hipaa-security']))),
    ).toEqual(['nist-800-53-r5', 'hipaa-security']);
    expect(compliancePacksOf(prodExampleConfig((c) => (c.compliancePacks = [])))).toEqual([]);
    expect(compliancePacksOf(devConfig((c) => (c.compliancePacks = ['pci-dss-3.2.1'])))).toEqual([
      'pci-dss-3.2.1',
    ]);
  });

  it('refuses an unknown pack and a pack named twice, naming the field', () => {
    const problems = (override: (c: { compliancePacks?: unknown }) => void) =>
      prodExampleProblems(override as never);
    expect(problems((c) => (c.compliancePacks = ['nist-800-53-r4']))).toEqual([
      'config/prod.json: compliancePacks[0]: expected one of: nist-800-53-r5, hipaa-security, pci-dss-3.2.1, got "nist-800-53-r4"',
    ]);
    expect(problems((c) => (c.compliancePacks = ['hipaa-security', 'hipaa-security']))).toEqual([
      expect.stringMatching(/^config\/prod\.json: compliancePacks: expected each pack once/),
    ]);
  });

  it.each(COMPLIANCE_PACKS.map((pack) => [pack]))(
    'the %s gate fails synthesis on a finding only that pack raises',
    (pack) => {
      const app = testApp();
      const stack = new Stack(app, 'InlineOnly', {
        env: { account: '111111111111', region: 'ap-northeast-1' },
      });
      // AWS Solutions accepts an inline policy with exact actions and resources; the compliance packs do not.
      new iam.Role(stack, 'Role', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        inlinePolicies: {
          Read: new iam.PolicyDocument({
            statements: [
              new iam.PolicyStatement({
                actions: ['s3:GetObject'],
                resources: ['arn:aws:s3:::example-bucket/key'],
              }),
            ],
          }),
        },
      });
      addValidators(app, [pack]);
      expect(() => app.synth()).toThrow(`${COMPLIANCE_RULE_PREFIXES[pack]}-IAMNoInlinePolicy`);
      const report = JSON.parse(fs.readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8'));
      expect(report.pluginReports.map((r: { pluginName: string }) => r.pluginName)).toContain(
        COMPLIANCE_RULE_PREFIXES[pack],
      );
    },
  );

  it('without a pack the same stack passes: AWS Solutions alone does not object', () => {
    const app = testApp();
    const stack = new Stack(app, 'InlineOnly', {
      env: { account: '111111111111', region: 'ap-northeast-1' },
    });
    new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    addValidators(app, []);
    expect(() => app.synth()).not.toThrow();
  });
});
