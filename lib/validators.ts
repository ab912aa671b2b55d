import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * Registers the security review that runs on every synth: cdk-nag's AWS Solutions pack and cfn-guard with the
 * Control Tower proactive controls. Any unacknowledged finding fails synthesis.
 */
export function addValidators(app: IConstruct): void {
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app),
    new CfnGuardValidator({ controlTowerRulesEnabled: true }),
  );
}
