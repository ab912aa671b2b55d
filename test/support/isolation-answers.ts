import { Stack, type App } from 'aws-cdk-lib';
import type { KeylessConfig } from '../../lib/config';
import { partitionOf } from '../../lib/contract';
import {
  type DeployedIds,
  type IsolationQuestion,
  type PrincipalRef,
} from '../../lib/verify/isolation-questions';
import {
  evaluatePolicies,
  flattenIntrinsics,
  type Decision,
  type PolicyDocumentJson,
} from './policy-evaluator';

/**
 * Answers the isolation questions (lib/verify/isolation-questions.ts) with the project's policy evaluator over the
 * synthesized templates, as if they were deployed: the same questions `keyless verify` asks AWS's simulator.
 * The verify stand-in answers SimulatePrincipalPolicy with it too.
 */

interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

export type SimulatorDecision = 'allowed' | 'explicitDeny' | 'implicitDeny';

export interface TemplateJson {
  readonly Resources?: Record<string, CfnResourceJson>;
  readonly Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

/** What a deployment of these templates would hold: physical names and ARNs, stand-ins where AWS makes them. */
export class LocalDeployment {
  private readonly refs = new Map<string, Record<string, string>>();

  constructor(
    readonly config: KeylessConfig,
    readonly templates: ReadonlyMap<string, TemplateJson>,
    readonly deployed: DeployedIds = {},
  ) {
    for (const [stackName, template] of templates) this.refs.set(stackName, this.refsOf(template));
  }

  /** Every stack of an app, synthesized. */
  static ofApp(config: KeylessConfig, app: App, deployed: DeployedIds = {}): LocalDeployment {
    const assembly = app.synth();
    const templates = new Map<string, TemplateJson>();
    for (const child of app.node.children) {
      if (Stack.isStack(child)) {
        templates.set(child.stackName, assembly.getStackByName(child.stackName).template as TemplateJson);
      }
    }
    return new LocalDeployment(config, templates, deployed);
  }

  /** A value of a template with its intrinsics (imports included) replaced by what they would deploy as. */
  resolve<T>(stackName: string, value: unknown): T {
    return flattenIntrinsics<T>(this.withImports(value), this.refs.get(stackName) ?? {});
  }

  resource(stackName: string, logicalId: string): CfnResourceJson {
    const resource = this.templates.get(stackName)?.Resources?.[logicalId];
    if (!resource) throw new Error(`stack ${stackName} has no resource ${logicalId}`);
    return resource;
  }

  /** The ARN the principal would have. */
  principalArn(principal: PrincipalRef): string {
    return (
      this.refs.get(principal.stackName)?.[`${principal.logicalId}.Arn`] ?? `<${principal.logicalId}.Arn>`
    );
  }

  /** Every identity policy the principal has: inline, attached, and (for a user) its groups'. */
  identityPolicies(principal: PrincipalRef): PolicyDocumentJson[] {
    const resources = this.templates.get(principal.stackName)?.Resources ?? {};
    const own = this.resource(principal.stackName, principal.logicalId);
    const holders = new Set([principal.logicalId]);
    if (principal.type === 'AWS::IAM::User') {
      for (const group of (own.Properties?.Groups ?? []) as unknown[]) {
        const ref = (group as { Ref?: string }).Ref;
        if (ref) holders.add(ref);
      }
    }
    const refsAny = (list: unknown): boolean =>
      Array.isArray(list) && list.some((item) => holders.has((item as { Ref?: string }).Ref ?? ''));
    const documents: unknown[] = [];
    for (const id of holders) {
      const holder = resources[id];
      if (!holder) continue;
      for (const inline of (holder.Properties?.Policies ?? []) as { PolicyDocument: unknown }[]) {
        documents.push(inline.PolicyDocument);
      }
      if (((holder.Properties?.ManagedPolicyArns ?? []) as unknown[]).length > 0) {
        throw new Error(`${principal.label} has managed policies: the local evaluator cannot read them`);
      }
    }
    for (const resource of Object.values(resources)) {
      if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
      const p = resource.Properties ?? {};
      if (refsAny(p.Roles) || refsAny(p.Users) || refsAny(p.Groups)) documents.push(p.PolicyDocument);
    }
    return this.resolve<PolicyDocumentJson[]>(principal.stackName, documents);
  }

  /** The local decision on one question, in the words AWS's simulator uses. */
  answer(question: IsolationQuestion): SimulatorDecision {
    const resourcePolicy = question.resourcePolicy
      ? this.resolve<PolicyDocumentJson>(
          question.resourcePolicy.stackName,
          this.resource(question.resourcePolicy.stackName, question.resourcePolicy.logicalId).Properties
            ?.PolicyDocument,
        )
      : undefined;
    return this.decide(question.principal, question, resourcePolicy);
  }

  /** What the simulator would answer for a principal's request, with an optional resource policy. */
  decide(
    principal: PrincipalRef,
    request: { action: string; resource: string; context: IsolationQuestion['context'] },
    resourcePolicy?: PolicyDocumentJson,
  ): SimulatorDecision {
    const asked = { action: request.action, resource: request.resource, context: { ...request.context } };
    const identity = evaluatePolicies(this.identityPolicies(principal), asked);
    let resource: Decision = 'implicit-deny';
    if (resourcePolicy) {
      const arn = this.principalArn(principal);
      resource = evaluatePolicies([resourcePolicy], {
        ...asked,
        principal: { AWS: arn },
        context: { ...asked.context, 'aws:PrincipalArn': arn },
      });
    }
    // Same account: an explicit deny anywhere wins, then an allow in either policy.
    if (identity === 'deny' || resource === 'deny') return 'explicitDeny';
    if (identity === 'allow' || resource === 'allow') return 'allowed';
    return 'implicitDeny';
  }

  /** The physical id a resource would have (its name, or a stand-in). */
  physicalId(stackName: string, logicalId: string): string {
    return this.refs.get(stackName)?.[logicalId] ?? `${logicalId}-stand-in`;
  }

  /** The principal (role or user) with this ARN, if these templates make it. */
  principalWithArn(arn: string): PrincipalRef | undefined {
    for (const [stackName, template] of this.templates) {
      for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
        if (resource.Type !== 'AWS::IAM::Role' && resource.Type !== 'AWS::IAM::User') continue;
        const principal: PrincipalRef = { label: logicalId, stackName, logicalId, type: resource.Type };
        if (this.principalArn(principal) === arn) return principal;
      }
    }
    return undefined;
  }

  private refsOf(template: TemplateJson): Record<string, string> {
    const { account, region } = this.config;
    const partition = partitionOf(region);
    const refs: Record<string, string> = {
      'AWS::AccountId': account,
      'AWS::Region': region,
      'AWS::Partition': partition,
    };
    for (const [id, resource] of Object.entries(template.Resources ?? {})) {
      const p = resource.Properties ?? {};
      const named = (key: string): string => (typeof p[key] === 'string' ? (p[key] as string) : id);
      const path = typeof p.Path === 'string' ? p.Path : '/';
      switch (resource.Type) {
        case 'AWS::IAM::Role':
          refs[id] = named('RoleName');
          refs[`${id}.Arn`] = `arn:${partition}:iam::${account}:role${path}${named('RoleName')}`;
          break;
        case 'AWS::IAM::User':
          refs[id] = named('UserName');
          refs[`${id}.Arn`] = `arn:${partition}:iam::${account}:user${path}${named('UserName')}`;
          break;
        case 'AWS::S3::Bucket':
          refs[id] = named('BucketName');
          refs[`${id}.Arn`] = `arn:${partition}:s3:::${named('BucketName')}`;
          break;
        case 'AWS::Cognito::IdentityPool':
          if (this.deployed.identityPoolId) refs[id] = this.deployed.identityPoolId;
          break;
        case 'AWS::EC2::VPCEndpoint':
          if (this.deployed.gatewayEndpointId && p.VpcEndpointType === 'Gateway') {
            refs[id] = this.deployed.gatewayEndpointId;
          }
          break;
        default:
      }
    }
    return refs;
  }

  /** `Fn::ImportValue` → the exporting stack's output value, resolved there. */
  private withImports(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.withImports(v));
    if (value === null || typeof value !== 'object') return value;
    const record = value as Record<string, unknown>;
    if ('Fn::ImportValue' in record && Object.keys(record).length === 1) {
      const name = record['Fn::ImportValue'];
      for (const [stackName, template] of this.templates) {
        for (const output of Object.values(template.Outputs ?? {})) {
          if (output.Export && output.Export.Name === name) return this.resolve(stackName, output.Value);
        }
      }
      return `<import ${JSON.stringify(name)}>`;
    }
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, this.withImports(v)]));
  }
}

/** The questions whose local answer is not the expected one, as lines naming what is wrong. */
export function wrongAnswers(deployment: LocalDeployment, questions: readonly IsolationQuestion[]): string[] {
  return questions.flatMap((question) => {
    const decision = deployment.answer(question);
    const allowed = decision === 'allowed';
    if (allowed === (question.expected === 'allowed')) return [];
    return [
      `${question.id}: ${question.principal.label} ${question.action} on ${question.resource} is ${decision}, expected ${question.expected} (${question.reason})`,
    ];
  });
}
