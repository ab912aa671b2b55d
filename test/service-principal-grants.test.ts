import { CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { createEnvironmentStacks } from '../lib/stacks/environment';
import { shippedConfigs, testApp } from './support/cdk-app';
import { bundledFunctionCode } from './support/function-bundles';

/**
 * Confused deputy: every role trust and resource-policy grant to an AWS service principal must carry a
 * condition (aws:SourceAccount / aws:SourceArn, or a key that names the one resource), unless the grant is in
 * this list with the AWS fact that makes a condition impossible or pointless.
 */
const ALLOWED_WITHOUT_CONDITION: readonly { principal: string; where: 'role trust'; why: string }[] = [
  {
    principal: 'lambda.amazonaws.com',
    where: 'role trust',
    // Also covers the execution roles aws-cdk-lib makes for its own custom resources (bucket auto-delete,
    // bucket deployment).
    why:
      'Lambda execution roles: the Lambda developer guide documents no aws:SourceAccount/aws:SourceArn for the AssumeRole Lambda makes; ' +
      'only a principal of this account allowed iam:PassRole on the role can attach it to a function, and IAM never passes a role across accounts.',
  },
];

interface Grant {
  readonly stack: string;
  readonly path: string;
  readonly where: 'role trust' | 'resource policy' | 'lambda permission';
  readonly principal: string;
  readonly conditioned: boolean;
}

type Statement = { Effect?: string; Principal?: unknown; Condition?: Record<string, unknown> };

function servicePrincipals(principal: unknown): string[] {
  if (typeof principal !== 'object' || principal === null) return [];
  const service = (principal as { Service?: unknown }).Service;
  const list = Array.isArray(service) ? service : service === undefined ? [] : [service];
  return list.map((s) => (typeof s === 'string' ? s : JSON.stringify(s)));
}

/** Every Allow to a service principal in one template: role trusts, resource policies, Lambda permissions. */
function grantsOf(stack: Stack): Grant[] {
  const grants: Grant[] = [];
  const paths = new Map(
    stack.node
      .findAll()
      .filter((c): c is CfnElement => c instanceof CfnElement)
      .map((c) => [stack.resolve(c.logicalId) as string, c.node.path]),
  );
  const resources = Template.fromStack(stack).toJSON().Resources as Record<
    string,
    { Type: string; Properties?: Record<string, unknown> }
  >;
  for (const [logicalId, resource] of Object.entries(resources)) {
    const path = paths.get(logicalId) ?? logicalId;
    const props = resource.Properties ?? {};
    if (resource.Type === 'AWS::Lambda::Permission') {
      const principal = String(props.Principal);
      if (principal.endsWith('.amazonaws.com')) {
        const conditioned = props.SourceArn !== undefined || props.SourceAccount !== undefined;
        grants.push({ stack: stack.stackName, path, where: 'lambda permission', principal, conditioned });
      }
      continue;
    }
    const documents: [Grant['where'], unknown][] = [
      ['role trust', props.AssumeRolePolicyDocument],
      ['resource policy', props.KeyPolicy],
      ['resource policy', resource.Type === 'AWS::IAM::Policy' ? undefined : props.PolicyDocument],
    ];
    for (const [where, document] of documents) {
      if (document === undefined) continue;
      const statements = (document as { Statement: Statement | Statement[] }).Statement;
      for (const statement of Array.isArray(statements) ? statements : [statements]) {
        if (statement.Effect !== 'Allow') continue;
        for (const principal of servicePrincipals(statement.Principal)) {
          const conditioned = Object.keys(statement.Condition ?? {}).length > 0;
          grants.push({ stack: stack.stackName, path, where, principal, conditioned });
        }
      }
    }
  }
  return grants;
}

const allowed = (grant: Grant) =>
  ALLOWED_WITHOUT_CONDITION.some((a) => a.principal === grant.principal && a.where === grant.where);

describe.each(shippedConfigs().map((config) => [config.configFile, config] as const))(
  '%s: grants to AWS service principals',
  (_file, config) => {
    const app = testApp();
    createEnvironmentStacks(app, config, { functionCode: bundledFunctionCode() });
    const stacks = app.node.children.filter((c): c is Stack => c instanceof Stack);
    const grants = stacks.flatMap(grantsOf);

    it('each carries a condition or is an allowed exception, and every exception is in use', () => {
      expect(grants.length).toBeGreaterThan(0);
      const open = grants
        .filter((g) => !g.conditioned && !allowed(g))
        .map((g) => `${g.where} for ${g.principal} at ${g.path}`);
      expect(open).toEqual([]);
      // A stale entry would let a future grant through unreviewed.
      const unused = ALLOWED_WITHOUT_CONDITION.filter(
        (a) => !grants.some((g) => !g.conditioned && g.principal === a.principal && g.where === a.where),
      ).map((a) => a.principal);
      expect(unused).toEqual([]);
    });

    it('the trusts this project depends on are conditioned', () => {
      const conditioned = new Set(grants.filter((g) => g.conditioned).map((g) => g.principal));
      if (config.iot) {
        expect(conditioned).toContain('credentials.iot.amazonaws.com');
        expect(conditioned).toContain('iot.amazonaws.com');
      }
      // A key rotation (user modes) is invoked by EventBridge Scheduler and alarms through CloudWatch.
      if (config.funnel?.publisher.mode === 'user' || config.krypton?.signer.mode === 'user') {
        expect(conditioned).toContain('cloudwatch.amazonaws.com');
        expect(conditioned).toContain('scheduler.amazonaws.com');
      }
    });
  },
);
