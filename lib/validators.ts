import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  Validations,
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
} from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import type { CompliancePack } from './contract';

/**
 * Registers the security review that runs on every synth: cdk-nag's AWS Solutions pack, cfn-guard with the
 * Control Tower proactive controls, and the compliance packs the environment gates on (NIST 800-53 rev 5 in
 * production: `compliancePacksOf`). Any unacknowledged finding fails synthesis.
 */
export function addValidators(app: IConstruct, packs: readonly CompliancePack[] = []): void {
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app),
    ...packs.map((pack) => COMPLIANCE_CHECKS[pack](app)),
    new CfnGuardOnCoveredTemplates(),
  );
}

/** cdk-nag's class for each pack; its findings are `<COMPLIANCE_RULE_PREFIXES[pack]>-<Rule>`. */
const COMPLIANCE_CHECKS: Readonly<Record<CompliancePack, (app: IConstruct) => IPolicyValidationPlugin>> = {
  'nist-800-53-r5': (app) => new NIST80053R5Checks(app),
  'hipaa-security': (app) => new HIPAASecurityChecks(app),
  'pci-dss-3.2.1': (app) => new PCIDSS321Checks(app),
};

/** Where @cdklabs/cdk-validator-cfnguard keeps the Control Tower rules it runs by default. */
const CONTROL_TOWER_RULES = path.join(
  path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard')),
  '..',
  'rules',
  'control-tower',
  'cfn-guard',
);

/**
 * cfn-guard with the Control Tower rules, given only the templates that hold a resource type some rule names.
 *
 * Every Control Tower rule selects resources by type and SKIPs when there are none, so a template of types no
 * rule names — a Fleet stack's things, certificates and attachments — can only pass. cfn-guard still
 * evaluates each of its ~240 rules against every resource of such a template: about 9 s per 100-thing Fleet
 * stack on a 2-core machine, which made synth grow by ~90 ms per thing. Same verdicts, without that cost.
 * If a rule ever names no type, every template is checked.
 */
class CfnGuardOnCoveredTemplates implements IPolicyValidationPlugin {
  private readonly guard = new CfnGuardValidator({ controlTowerRulesEnabled: true });
  private readonly coveredTypes = resourceTypesNamedByRules(CONTROL_TOWER_RULES);
  // The plugin name is the acknowledgement namespace (`cdk-validator-cfnguard::<rule>`): keep cfn-guard's.
  readonly name = this.guard.name;
  readonly version = this.guard.version;
  readonly ruleIds = this.guard.ruleIds;

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const covered = this.coveredTypes;
    const stackTemplates = covered
      ? context.stackTemplates.filter((stack) =>
          templateTypes(stack.templatePath).some((t) => covered.has(t)),
        )
      : context.stackTemplates;
    if (stackTemplates.length === 0) return { success: true, violations: [] };
    const templatePaths = stackTemplates.map((stack) => stack.templatePath);
    const narrowed: IPolicyValidationContext = { ...context, stackTemplates, templatePaths };
    return this.guard.validate(narrowed);
  }
}

/** Every `AWS::X::Y` the rule files name, or undefined when some rule names none (it may match any type). */
function resourceTypesNamedByRules(dir: string): Set<string> | undefined {
  const types = new Set<string>();
  const files = fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.guard'));
  for (const file of files) {
    const named = fs.readFileSync(path.join(dir, file), 'utf8').match(/AWS::[A-Za-z0-9]+::[A-Za-z0-9]+/g);
    if (!named) return undefined;
    named.forEach((type) => types.add(type));
  }
  return files.length > 0 ? types : undefined;
}

function templateTypes(templatePath: string): string[] {
  const template = JSON.parse(fs.readFileSync(templatePath, 'utf8')) as {
    Resources?: Record<string, { Type?: string }>;
  };
  return Object.values(template.Resources ?? {}).map((resource) => resource.Type ?? '');
}
