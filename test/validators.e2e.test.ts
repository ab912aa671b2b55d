import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { compliancePacksOf } from '../lib/config';
import { createEnvironmentStacks } from '../lib/stacks/environment';
import { addValidators } from '../lib/validators';
import { nagViolations, shippedConfigs, testApp } from './support/cdk-app';

interface ValidationReport {
  pluginReports: {
    pluginName: string;
    violations: { ruleName: string }[];
    suppressedViolations: unknown[];
  }[];
}

function readReport(outdir: string): ValidationReport {
  return JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
}

describe('validators as a gate', () => {
  it.each(shippedConfigs().map((config) => [config.configFile, config] as const))(
    '%s: every stack passes cdk-nag (with the compliance packs it gates on) and cfn-guard with zero unacknowledged findings',
    (_file, config) => {
      const app = testApp();
      createEnvironmentStacks(app, config);
      const packs = compliancePacksOf(config);
      addValidators(app, packs);
      const assembly = app.synth();

      const report = readReport(assembly.directory);
      expect(
        report.pluginReports.flatMap((r) => r.violations.map((v) => `${r.pluginName}: ${v.ruleName}`)),
      ).toEqual([]);
      // The plugins really ran: acknowledged findings are recorded, each with its reason. (A pack with neither a
      // finding nor a recorded acknowledgement leaves no entry; test/compliance-packs.test.ts proves each pack
      // fails synth on a finding of its own.)
      expect(report.pluginReports.map((r) => r.pluginName)).toContain('cdk-validator-cfnguard');
      for (const stack of app.node.children.filter((c): c is Stack => c instanceof Stack)) {
        expect(nagViolations(stack)).toEqual([]);
      }
    },
  );

  it('fails synthesis on a non-compliant resource', () => {
    const app = testApp();
    const stack = new Stack(app, 'NonCompliant', {
      env: { account: '111111111111', region: 'ap-northeast-1' },
    });
    // No encryption settings, no TLS-only policy, no access logs: both validators must object.
    new s3.CfnBucket(stack, 'OpenBucket', {});
    addValidators(app);

    expect(() => app.synth()).toThrow(/Acknowledge with 'AwsSolutions::AwsSolutions-S1'/);
    const report = readReport(app.outdir);
    const failing = Object.fromEntries(
      report.pluginReports.map((r) => [r.pluginName, r.violations.map((v) => v.ruleName)]),
    );
    expect(failing['cdk-validator-cfnguard']).toContain('s3_bucket_logging_enabled_check');
    expect(failing['AwsSolutions']).toContain('AwsSolutions-S1');
    expect(nagViolations(stack)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^AwsSolutions-S1 /)]),
    );
  });
});
