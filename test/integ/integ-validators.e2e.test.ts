import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConfig } from '../../lib/config';
import { createEnvironmentStacks } from '../../lib/stacks/environment';
import { addValidators } from '../../lib/validators';
import { CANARY_THING, INTEG_ENV, integConfigInput } from '../../scripts/integ/plan';
import { testApp } from '../support/cdk-app';
import { integSettingsForTests } from '../support/integ-app';

// `cdk deploy` in `npm run integ` synthesizes with both validators: a finding there would stop the run in the
// user's account, so CI checks the integ app as it checks the shipped configs (test/validators.e2e.test.ts).
it('the integ app (with its canary) passes cdk-nag and cfn-guard with zero unacknowledged findings', () => {
  const raw = integConfigInput(integSettingsForTests());
  raw.iot!.things = [{ name: CANARY_THING, attributes: { Owner: 'keyless' } }];
  const app = testApp();
  createEnvironmentStacks(app, parseConfig(raw, INTEG_ENV, 'config/integ.json'));
  addValidators(app);
  const assembly = app.synth();
  const report = JSON.parse(
    fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'),
  ) as {
    pluginReports: { pluginName: string; violations: { ruleName: string }[] }[];
  };
  expect(report.pluginReports.map((r) => r.pluginName)).toContain('cdk-validator-cfnguard');
  expect(
    report.pluginReports.flatMap((r) => r.violations.map((v) => `${r.pluginName}: ${v.ruleName}`)),
  ).toEqual([]);
});
