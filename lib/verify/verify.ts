import {
  CloudFormationClient,
  DescribeStackResourceCommand,
  DescribeStacksCommand,
  GetStackPolicyCommand,
  GetTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import { CognitoIdentityClient, DescribeIdentityPoolCommand } from '@aws-sdk/client-cognito-identity';
import { DescribeVpcEndpointsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  GetRoleCommand,
  IAMClient,
  SimulatePrincipalPolicyCommand,
  type ContextEntry,
} from '@aws-sdk/client-iam';
import {
  DescribeRoleAliasCommand,
  DescribeThingCommand,
  IoTClient,
  ListThingPrincipalsCommand,
  TestAuthorizationCommand,
  type AuthInfo,
} from '@aws-sdk/client-iot';
import { GetBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import pLimit from 'p-limit';
import type { KeylessConfig } from '../config';
import { DEVICE_TOPIC_ROOT, OUTPUTS, partitionOf, QUARANTINE_ATTRIBUTE, stackName } from '../contract';
import { statefulResourcesOf, type TemplateResources } from '../contract/stateful-resources';
import { assertCallerMatches, describeAwsError, operatorClientConfig } from '../cli/operator-clients';
import { RemoteServiceError } from '../cli/exit-codes';
import {
  isolationQuestions,
  type DeployedIds,
  type IsolationQuestion,
  type PrincipalRef,
} from './isolation-questions';
import { unprotectedBy } from './stack-policy';
import {
  canonicalJson,
  synthesizeEnvironment,
  templateDifferences,
  type SynthesizedEnvironment,
} from './synth';

/** The AWS clients verify reads through (tests point them at a local stand-in). */
export interface VerifyClients {
  readonly sts: STSClient;
  readonly cloudFormation: CloudFormationClient;
  readonly iam: IAMClient;
  readonly iot: IoTClient;
  readonly cognitoIdentity: CognitoIdentityClient;
  readonly ec2: EC2Client;
  readonly s3: S3Client;
}

/**
 * Clients with the operator's settings ({@link operatorClientConfig}), but fewer attempts: verify is read-only and
 * an unreachable AWS should be reported in seconds, not after minutes of back-off. Endpoints follow the SDK's
 * `AWS_ENDPOINT_URL_<SERVICE>`; with AWS_ENDPOINT_URL_S3 set, S3 is addressed path-style (a local stand-in has no
 * bucket host names).
 */
export function createVerifyClients(
  config: KeylessConfig,
  env: NodeJS.ProcessEnv = process.env,
): VerifyClients {
  const common = { ...operatorClientConfig(config, env), maxAttempts: 3 };
  return {
    sts: new STSClient(common),
    cloudFormation: new CloudFormationClient(common),
    iam: new IAMClient(common),
    iot: new IoTClient(common),
    cognitoIdentity: new CognitoIdentityClient(common),
    ec2: new EC2Client(common),
    s3: new S3Client({ ...common, forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3) }),
  };
}

export type CheckKind =
  | 'stack'
  | 'template'
  | 'stack-policy'
  | 'isolation'
  | 'iot-authorization'
  | 'role-alias'
  | 'identity-pool'
  | 's3-endpoint-policy'
  | 'live';

/** One check's outcome. A failed one names what is wrong and what to do. */
export interface CheckResult {
  readonly check: CheckKind;
  readonly status: 'pass' | 'fail' | 'skip';
  /** What was checked: a stack, a question id, a thing. */
  readonly subject: string;
  readonly principal?: string;
  readonly action?: string;
  readonly resource?: string;
  readonly expected?: string;
  readonly actual?: string;
  readonly message: string;
  /** What to do about a failure (or how to check what was skipped). */
  readonly fix?: string;
}

export interface VerifyReport {
  readonly env: string;
  readonly account: string;
  readonly region: string;
  /** True when no check failed. */
  readonly ok: boolean;
  readonly checks: CheckResult[];
}

export interface VerifyOptions {
  /** The thing whose certificate TestAuthorization asks about. @default the config's first thing */
  readonly thing?: string;
  /** @default {@link synthesizeEnvironment} */
  readonly synthesize?: (config: KeylessConfig) => SynthesizedEnvironment;
  /** Progress lines (stderr). */
  readonly note?: (line: string) => void;
}

const diffCommand = (config: KeylessConfig, name: string) => `npx cdk diff -c env=${config.envName} ${name}`;
const deployCommand = (config: KeylessConfig, name: string) =>
  `npx cdk deploy -c env=${config.envName} ${name}`;

/** What verify learned about one deployed stack. */
interface DeployedStack {
  readonly outputs: ReadonlyMap<string, string>;
  readonly template: Record<string, unknown> | undefined;
}

/**
 * `keyless verify`: reads the deployed environment (never writes) and checks it against what synth makes now and
 * against the isolation questions, with AWS's own evaluators. Throws only when AWS cannot be asked at all (wrong
 * account, no credentials, unreachable): every other finding is a check in the report.
 */
export async function verifyEnvironment(
  config: KeylessConfig,
  clients: VerifyClients,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const note = options.note ?? (() => undefined);
  await reachAws(clients, config);
  note(`synthesizing ${config.envName} to compare with what is deployed`);
  const synthesized = (options.synthesize ?? synthesizeEnvironment)(config);
  const checks: CheckResult[] = [];
  const deployed = new Map<string, DeployedStack>();

  for (const [name, template] of synthesized.templates) {
    note(`reading stack ${name}`);
    const stack = await readStack(clients, config, name, template, checks);
    if (stack) deployed.set(name, stack);
  }

  const output = (part: 'KryptonAccess' | 'Network' | 'IotAccess', key: string) =>
    deployed.get(stackName(config.envName, part))?.outputs.get(key) || undefined;
  const ids: DeployedIds = {
    identityPoolId: output('KryptonAccess', OUTPUTS.KryptonAccess.identityPoolId.key),
    gatewayEndpointId: output('Network', OUTPUTS.Network.gatewayEndpointId.key),
  };
  note('asking iam:SimulatePrincipalPolicy the isolation questions');
  const principals = new PrincipalArns(clients, config, deployed);
  checks.push(
    ...(await askIsolation(clients, config, isolationQuestions(config, synthesized.stacks, ids), principals)),
  );
  if (config.iot && deployed.has(stackName(config.envName, 'IotAccess'))) {
    checks.push(
      ...(await checkRoleAlias(clients, config, output('IotAccess', OUTPUTS.IotAccess.roleArn.key))),
    );
    checks.push(...(await checkIotAuthorization(clients, config, options.thing)));
  }
  if (config.krypton && ids.identityPoolId)
    checks.push(await checkIdentityPool(clients, config, ids.identityPoolId));
  if (synthesized.stacks.network && ids.gatewayEndpointId) {
    checks.push(await checkEndpointPolicy(clients, config, synthesized, ids.gatewayEndpointId));
  }
  return {
    env: config.envName,
    account: config.account,
    region: config.region,
    ok: checks.every((c) => c.status !== 'fail'),
    checks,
  };
}

/** The caller check, with an unreachable AWS said in one line. */
async function reachAws(clients: VerifyClients, config: KeylessConfig): Promise<void> {
  try {
    await assertCallerMatches(clients, config);
  } catch (error) {
    const code = networkCode(error);
    if (code) {
      const endpoint =
        process.env.AWS_ENDPOINT_URL_STS ?? process.env.AWS_ENDPOINT_URL ?? `sts.${config.region}`;
      throw new RemoteServiceError(
        `cannot reach AWS (${endpoint}: ${code}): check the network, a proxy (HTTPS_PROXY) or AWS_ENDPOINT_URL_*, and try again`,
        { cause: error },
      );
    }
    throw error;
  }
}

function networkCode(error: unknown): string | undefined {
  for (let cause = error, depth = 0; cause && typeof cause === 'object' && depth < 5; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
    const name = (cause as { name?: unknown }).name;
    if (name === 'TimeoutError') return 'timed out';
    // The SDK may wrap the socket error in one of its own that keeps only the message.
    const inMessage =
      /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\b/.exec(
        String((cause as { message?: unknown }).message ?? ''),
      );
    if (inMessage) return inMessage[1];
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

async function readStack(
  clients: VerifyClients,
  config: KeylessConfig,
  name: string,
  synthesized: Record<string, unknown>,
  checks: CheckResult[],
): Promise<DeployedStack | undefined> {
  let description;
  try {
    description = (await clients.cloudFormation.send(new DescribeStacksCommand({ StackName: name })))
      .Stacks?.[0];
  } catch (error) {
    if (!/does not exist/.test(error instanceof Error ? error.message : String(error))) {
      throw describeAwsError(error, config);
    }
  }
  if (!description) {
    checks.push({
      check: 'stack',
      status: 'fail',
      subject: name,
      expected: 'deployed',
      actual: 'not deployed',
      message: `stack ${name} is not deployed in account ${config.account} region ${config.region}`,
      fix: `deploy it: ${deployCommand(config, name)}`,
    });
    return undefined;
  }
  const status = description.StackStatus ?? 'UNKNOWN';
  const settled = /_COMPLETE$/.test(status) && !/ROLLBACK_COMPLETE$|DELETE_COMPLETE$/.test(status);
  checks.push({
    check: 'stack',
    status: settled || status === 'UPDATE_ROLLBACK_COMPLETE' ? 'pass' : 'fail',
    subject: name,
    expected: 'CREATE_COMPLETE or UPDATE_COMPLETE',
    actual: status,
    message: `stack ${name} is ${status}`,
    fix: settled
      ? undefined
      : `fix the failure shown in the CloudFormation console and redeploy: ${deployCommand(config, name)}`,
  });
  const outputs = new Map(
    (description.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? ''] as const),
  );

  let template: Record<string, unknown> | undefined;
  try {
    const body = (
      await clients.cloudFormation.send(
        new GetTemplateCommand({ StackName: name, TemplateStage: 'Original' }),
      )
    ).TemplateBody;
    template = JSON.parse(body ?? '') as Record<string, unknown>;
  } catch (error) {
    if (error instanceof SyntaxError) {
      checks.push({
        check: 'template',
        status: 'fail',
        subject: name,
        message: `the deployed template of ${name} is not the JSON cdk deploys`,
        fix: `see what differs: ${diffCommand(config, name)}; redeploy: ${deployCommand(config, name)}`,
      });
    } else throw describeAwsError(error, config);
  }
  if (template) {
    const differences = templateDifferences(template, synthesized);
    checks.push({
      check: 'template',
      status: differences.length === 0 ? 'pass' : 'fail',
      subject: name,
      expected: 'the template synth makes now',
      actual: differences.length === 0 ? 'the same' : `differs at ${differences.join(', ')}`,
      message:
        differences.length === 0
          ? `the deployed template of ${name} is what synth makes now`
          : `the deployed template of ${name} is not what synth makes now (differs at ${differences.join(', ')})`,
      fix:
        differences.length === 0
          ? undefined
          : `see the difference: ${diffCommand(config, name)}; deploy what the repository says: ${deployCommand(config, name)}`,
    });
  }
  checks.push(...(await checkStackPolicy(clients, config, name, synthesized)));
  return { outputs, template };
}

async function checkStackPolicy(
  clients: VerifyClients,
  config: KeylessConfig,
  name: string,
  synthesized: Record<string, unknown>,
): Promise<CheckResult[]> {
  const stateful = statefulResourcesOf(synthesized as TemplateResources);
  if (stateful.length === 0) return [];
  let body: string | undefined;
  try {
    body = (await clients.cloudFormation.send(new GetStackPolicyCommand({ StackName: name })))
      .StackPolicyBody;
  } catch (error) {
    throw describeAwsError(error, config);
  }
  const unprotected = stateful
    .map((resource) => ({ resource, why: unprotectedBy(body, resource) }))
    .filter((u) => u.why !== undefined);
  if (unprotected.length === 0) {
    return [
      {
        check: 'stack-policy',
        status: 'pass',
        subject: name,
        message: `the stack policy of ${name} denies replacing and deleting its ${stateful.length} stateful resources`,
      },
    ];
  }
  return unprotected.map(({ resource, why }) => ({
    check: 'stack-policy' as const,
    status: 'fail' as const,
    subject: `${name}/${resource.logicalId}`,
    action: 'Update:Replace, Update:Delete',
    resource: `${resource.type} ${resource.logicalId}`,
    expected: 'denied by the stack policy',
    actual: `not denied: ${why}`,
    message: `${resource.type} ${resource.logicalId} of ${name} is not protected by a stack policy (${why}): an update could replace or delete ${resource.holds}`,
    fix: `set the stack policy: npx keyless stack-policy --env ${config.envName} --apply`,
  }));
}

/** Principal ARNs, looked up once each: the physical id CloudFormation made, then the role's ARN from IAM. */
class PrincipalArns {
  private readonly arns = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly clients: VerifyClients,
    private readonly config: KeylessConfig,
    private readonly deployed: ReadonlyMap<string, DeployedStack>,
  ) {}

  arnOf(principal: PrincipalRef): Promise<string | undefined> {
    const key = `${principal.stackName}/${principal.logicalId}`;
    let arn = this.arns.get(key);
    if (!arn) {
      arn = this.lookUp(principal);
      arn.catch(() => undefined);
      this.arns.set(key, arn);
    }
    return arn;
  }

  private async lookUp(principal: PrincipalRef): Promise<string | undefined> {
    const stack = this.deployed.get(principal.stackName);
    if (!stack) return undefined;
    let physicalId: string | undefined;
    try {
      physicalId = (
        await this.clients.cloudFormation.send(
          new DescribeStackResourceCommand({
            StackName: principal.stackName,
            LogicalResourceId: principal.logicalId,
          }),
        )
      ).StackResourceDetail?.PhysicalResourceId;
    } catch (error) {
      if (/does not exist|not found/i.test(error instanceof Error ? error.message : String(error)))
        return undefined;
      throw describeAwsError(error, this.config);
    }
    if (!physicalId) return undefined;
    if (principal.type === 'AWS::IAM::Role') {
      try {
        return (await this.clients.iam.send(new GetRoleCommand({ RoleName: physicalId }))).Role?.Arn;
      } catch (error) {
        throw describeAwsError(error, this.config);
      }
    }
    const resources = (stack.template?.Resources ?? {}) as Record<
      string,
      { Properties?: { Path?: unknown } }
    >;
    const path = resources[principal.logicalId]?.Properties?.Path;
    return `arn:${partitionOf(this.config.region)}:iam::${this.config.account}:user${typeof path === 'string' ? path : '/'}${physicalId}`;
  }
}

/** Context keys whose simulator type is not a string. */
const CONTEXT_KEY_TYPES: Readonly<Record<string, ContextEntry['ContextKeyType']>> = {
  's3:tlsversion': 'numeric',
  'aws:securetransport': 'boolean',
};

function contextEntries(context: IsolationQuestion['context']): ContextEntry[] {
  return Object.entries(context).map(([key, value]) => {
    const values = typeof value === 'string' ? [value] : [...value];
    const scalar = CONTEXT_KEY_TYPES[key.toLowerCase()] ?? 'string';
    return {
      ContextKeyName: key,
      ContextKeyValues: values,
      ContextKeyType:
        typeof value === 'string' ? scalar : (`${scalar}List` as ContextEntry['ContextKeyType']),
    };
  });
}

async function askIsolation(
  clients: VerifyClients,
  config: KeylessConfig,
  questions: IsolationQuestion[],
  principals: PrincipalArns,
): Promise<CheckResult[]> {
  const bucketPolicies = new Map<string, Promise<string | undefined>>();
  const bucketPolicy = (bucket: string) => {
    let policy = bucketPolicies.get(bucket);
    if (!policy) {
      policy = clients.s3
        .send(new GetBucketPolicyCommand({ Bucket: bucket }))
        .then((r) => r.Policy)
        .catch((error: unknown) => {
          if ((error as { name?: string }).name === 'NoSuchBucketPolicy') return undefined;
          throw describeAwsError(error, config);
        });
      bucketPolicies.set(bucket, policy);
    }
    return policy;
  };
  const limit = pLimit(4);
  return Promise.all(
    questions.map((question) =>
      limit(async (): Promise<CheckResult> => {
        const base = {
          check: 'isolation' as const,
          subject: question.id,
          principal: question.principal.label,
          action: question.action,
          resource: question.resource,
          expected: question.expected,
        };
        const arn = await principals.arnOf(question.principal);
        if (!arn) {
          return {
            ...base,
            status: 'skip',
            message: `${question.principal.label} is not deployed (stack ${question.principal.stackName}): the question was not asked`,
            fix: `deploy it: ${deployCommand(config, question.principal.stackName)}`,
          };
        }
        const resourcePolicy =
          question.resourcePolicy && (await bucketPolicy(question.resourcePolicy.bucketName));
        let decision: string | undefined;
        try {
          const answer = await clients.iam.send(
            new SimulatePrincipalPolicyCommand({
              PolicySourceArn: arn,
              ActionNames: [question.action],
              ResourceArns: [question.resource],
              ContextEntries: contextEntries(question.context),
              ...(resourcePolicy
                ? {
                    ResourcePolicy: resourcePolicy,
                    ResourceOwner: `arn:${partitionOf(config.region)}:iam::${config.account}:root`,
                  }
                : {}),
            }),
          );
          decision = answer.EvaluationResults?.[0]?.EvalDecision;
        } catch (error) {
          throw describeAwsError(error, config);
        }
        const allowed = decision === 'allowed';
        const ok = allowed === (question.expected === 'allowed');
        return {
          ...base,
          principal: `${question.principal.label} (${arn})`,
          status: ok ? 'pass' : 'fail',
          actual: decision ?? 'no answer',
          message: ok
            ? `${question.principal.label}: ${question.action} on ${question.resource} is ${question.expected}`
            : `${question.principal.label} (${arn}): ${question.action} on ${question.resource} is ${decision ?? 'not answered'}, expected ${question.expected}: ${question.reason}`,
          fix: ok
            ? undefined
            : `the deployed policies of ${question.principal.label} are not what the repository says: ${diffCommand(config, question.principal.stackName)}, then ${deployCommand(config, question.principal.stackName)}`,
        };
      }),
    ),
  );
}

async function checkRoleAlias(
  clients: VerifyClients,
  config: KeylessConfig,
  roleArn: string | undefined,
): Promise<CheckResult[]> {
  const iot = config.iot!;
  const name = stackName(config.envName, 'IotAccess');
  let description;
  try {
    description = (await clients.iot.send(new DescribeRoleAliasCommand({ roleAlias: iot.roleAlias.name })))
      .roleAliasDescription;
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceNotFoundException')
      throw describeAwsError(error, config);
  }
  const subject = `role alias ${iot.roleAlias.name}`;
  if (!description) {
    return [
      {
        check: 'role-alias',
        status: 'fail',
        subject,
        expected: 'exists',
        actual: 'missing',
        message: `${subject} does not exist in AWS IoT: devices cannot get credentials`,
        fix: `redeploy: ${deployCommand(config, name)}`,
      },
    ];
  }
  const problems: string[] = [];
  if (roleArn && description.roleArn !== roleArn) {
    problems.push(`points at ${description.roleArn ?? '(no role)'}, not the X.509 device role ${roleArn}`);
  }
  if (description.credentialDurationSeconds !== iot.roleAlias.credentialDurationSeconds) {
    problems.push(
      `issues credentials for ${description.credentialDurationSeconds ?? '?'} s, the config says ${iot.roleAlias.credentialDurationSeconds}`,
    );
  }
  if (description.roleArn) {
    const roleName = description.roleArn.split('/').pop()!;
    try {
      const role = (await clients.iam.send(new GetRoleCommand({ RoleName: roleName }))).Role;
      if (role?.MaxSessionDuration !== iot.role.maxSessionDurationSeconds) {
        problems.push(
          `its role allows sessions of ${role?.MaxSessionDuration ?? '?'} s, the config says ${iot.role.maxSessionDurationSeconds}`,
        );
      }
    } catch (error) {
      if ((error as { name?: string }).name !== 'NoSuchEntityException')
        throw describeAwsError(error, config);
      problems.push(`its role ${description.roleArn} does not exist`);
    }
  }
  return [
    {
      check: 'role-alias',
      status: problems.length === 0 ? 'pass' : 'fail',
      subject,
      resource: description.roleAliasArn,
      expected: `role ${roleArn ?? 'of the IotAccess stack'}, ${iot.roleAlias.credentialDurationSeconds} s`,
      actual: problems.length === 0 ? 'as configured' : problems.join('; '),
      message:
        problems.length === 0
          ? `${subject} points at the X.509 device role with ${iot.roleAlias.credentialDurationSeconds} s credentials`
          : `${subject} ${problems.join('; ')}`,
      fix:
        problems.length === 0
          ? undefined
          : `${diffCommand(config, name)}, then ${deployCommand(config, name)}`,
    },
  ];
}

async function checkIdentityPool(
  clients: VerifyClients,
  config: KeylessConfig,
  identityPoolId: string,
): Promise<CheckResult> {
  const krypton = config.krypton!;
  const name = stackName(config.envName, 'KryptonAccess');
  let pool;
  try {
    pool = await clients.cognitoIdentity.send(
      new DescribeIdentityPoolCommand({ IdentityPoolId: identityPoolId }),
    );
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceNotFoundException')
      throw describeAwsError(error, config);
  }
  const problems: string[] = [];
  if (!pool) problems.push('does not exist');
  else {
    if (pool.AllowUnauthenticatedIdentities !== false) problems.push('allows unauthenticated identities');
    if (pool.DeveloperProviderName !== krypton.developerProviderName) {
      problems.push(
        `has developer provider ${JSON.stringify(pool.DeveloperProviderName ?? null)}, the config says ${JSON.stringify(krypton.developerProviderName)}`,
      );
    }
  }
  return {
    check: 'identity-pool',
    status: problems.length === 0 ? 'pass' : 'fail',
    subject: `identity pool ${identityPoolId}`,
    expected: `unauthenticated access off, developer provider ${krypton.developerProviderName}`,
    actual: problems.length === 0 ? 'as configured' : problems.join('; '),
    message:
      problems.length === 0
        ? `identity pool ${identityPoolId} refuses unauthenticated identities and uses developer provider ${krypton.developerProviderName}`
        : `identity pool ${identityPoolId} ${problems.join('; ')}`,
    fix:
      problems.length === 0 ? undefined : `${diffCommand(config, name)}, then ${deployCommand(config, name)}`,
  };
}

/** `Ref` to pseudo parameters and `Fn::Join`: what the synthesized endpoint policy holds. */
function resolvePseudo(value: unknown, config: KeylessConfig): unknown {
  const refs: Record<string, string> = {
    'AWS::Partition': partitionOf(config.region),
    'AWS::Region': config.region,
    'AWS::AccountId': config.account,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  if (Array.isArray(value)) return value.map((v) => resolvePseudo(v, config));
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  if (typeof record.Ref === 'string' && record.Ref in refs) return refs[record.Ref];
  if (Array.isArray(record['Fn::Join'])) {
    const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => String(resolvePseudo(p, config))).join(separator);
  }
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, resolvePseudo(v, config)]));
}

/** Lists of strings sorted: AWS may hand a policy's actions and resources back in another order. */
function sortedLists(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(sortedLists);
    return items.every((i) => typeof i === 'string') ? [...(items as string[])].sort() : items;
  }
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, sortedLists(v)]),
  );
}

async function checkEndpointPolicy(
  clients: VerifyClients,
  config: KeylessConfig,
  synthesized: SynthesizedEnvironment,
  endpointId: string,
): Promise<CheckResult> {
  const network = synthesized.stacks.network!;
  const name = network.stackName;
  const logicalId = network.resolve(network.s3Endpoint.endpoint.logicalId) as string;
  const resources = (synthesized.templates.get(name)?.Resources ?? {}) as Record<
    string,
    { Properties?: { PolicyDocument?: unknown } }
  >;
  const expected = resolvePseudo(resources[logicalId]?.Properties?.PolicyDocument, config);
  let endpoint;
  try {
    endpoint = (await clients.ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [endpointId] })))
      .VpcEndpoints?.[0];
  } catch (error) {
    if (!/NotFound/.test((error as { name?: string }).name ?? '')) throw describeAwsError(error, config);
  }
  let actual: unknown;
  try {
    actual = endpoint?.PolicyDocument === undefined ? undefined : JSON.parse(endpoint.PolicyDocument);
  } catch {
    actual = endpoint?.PolicyDocument;
  }
  const same =
    actual !== undefined && canonicalJson(sortedLists(actual)) === canonicalJson(sortedLists(expected));
  return {
    check: 's3-endpoint-policy',
    status: same ? 'pass' : 'fail',
    subject: `S3 gateway endpoint ${endpointId}`,
    expected: 'the synthesized endpoint policy (the device bucket only)',
    actual: !endpoint ? 'no such endpoint' : same ? 'the same' : 'another policy',
    message: same
      ? `the policy of S3 gateway endpoint ${endpointId} is the synthesized one`
      : endpoint
        ? `the policy of S3 gateway endpoint ${endpointId} is not the synthesized one: traffic through the closed network may reach other buckets`
        : `S3 gateway endpoint ${endpointId} (output of ${name}) does not exist`,
    fix: same ? undefined : `${diffCommand(config, name)}, then ${deployCommand(config, name)}`,
  };
}

/** The authInfos of one thing: connect as itself and use its topics, never another thing's. */
function authorizationQuestions(
  config: KeylessConfig,
  thing: string,
  other: string,
): { info: AuthInfo; ownThing: boolean; what: string }[] {
  const arn = (resource: string) =>
    `arn:${partitionOf(config.region)}:iot:${config.region}:${config.account}:${resource}`;
  return [
    {
      info: { actionType: 'CONNECT', resources: [arn(`client/${thing}`)] },
      ownThing: true,
      what: 'connect as itself',
    },
    {
      info: { actionType: 'CONNECT', resources: [arn(`client/${other}`)] },
      ownThing: false,
      what: `connect as ${other}`,
    },
    {
      info: { actionType: 'PUBLISH', resources: [arn(`topic/${DEVICE_TOPIC_ROOT}/${thing}/verify`)] },
      ownThing: true,
      what: 'publish on its own topic',
    },
    {
      info: { actionType: 'PUBLISH', resources: [arn(`topic/${DEVICE_TOPIC_ROOT}/${other}/verify`)] },
      ownThing: false,
      what: `publish on ${other}'s topic`,
    },
    {
      info: { actionType: 'SUBSCRIBE', resources: [arn(`topicfilter/${DEVICE_TOPIC_ROOT}/${thing}/*`)] },
      ownThing: true,
      what: 'subscribe to its own topics',
    },
    {
      info: { actionType: 'SUBSCRIBE', resources: [arn(`topicfilter/${DEVICE_TOPIC_ROOT}/${other}/*`)] },
      ownThing: false,
      what: `subscribe to ${other}'s topics`,
    },
  ];
}

async function checkIotAuthorization(
  clients: VerifyClients,
  config: KeylessConfig,
  requested: string | undefined,
): Promise<CheckResult[]> {
  const things = config.iot!.things;
  const names = requested
    ? [requested]
    : things
        .filter((t) => !t.quarantined)
        .slice(0, 1)
        .map((t) => t.name);
  // A thing the config quarantines shows whether the quarantine holds.
  const quarantinedInConfig = things.find((t) => t.quarantined && t.name !== requested);
  if (quarantinedInConfig) names.push(quarantinedInConfig.name);
  if (names.length === 0) {
    return [
      {
        check: 'iot-authorization',
        status: 'skip',
        subject: 'AWS IoT policy',
        message: 'the config has no thing to ask TestAuthorization about',
        fix: `enroll one (npx keyless enroll --env ${config.envName} …) or run verify --live --thing <canary>`,
      },
    ];
  }
  const results: CheckResult[] = [];
  for (const thing of names) results.push(...(await authorizeThing(clients, config, thing)));
  if (!quarantinedInConfig && !names.some((n) => things.find((t) => t.name === n)?.quarantined)) {
    results.push({
      check: 'iot-authorization',
      status: 'skip',
      subject: 'quarantine',
      message: 'no thing is quarantined, so TestAuthorization could not show that a quarantine holds',
      fix: `npx keyless verify --env ${config.envName} --live --thing <canary> quarantines the canary, asks, and releases it`,
    });
  }
  return results;
}

/** TestAuthorization for one deployed thing's certificate (exported for `--live`, which asks again in quarantine). */
export async function authorizeThing(
  clients: Pick<VerifyClients, 'iot'>,
  config: KeylessConfig,
  thing: string,
): Promise<CheckResult[]> {
  let certificateArn: string | undefined;
  let quarantined = false;
  try {
    const [principals, description] = await Promise.all([
      clients.iot.send(new ListThingPrincipalsCommand({ thingName: thing })),
      clients.iot.send(new DescribeThingCommand({ thingName: thing })),
    ]);
    certificateArn = principals.principals?.find((p) => /:cert\//.test(p));
    quarantined = description.attributes?.[QUARANTINE_ATTRIBUTE.name] === QUARANTINE_ATTRIBUTE.value;
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceNotFoundException')
      throw describeAwsError(error, config);
  }
  if (!certificateArn) {
    return [
      {
        check: 'iot-authorization',
        status: 'fail',
        subject: `thing ${thing}`,
        expected: 'a deployed thing with a certificate',
        actual: 'no thing or no certificate attached',
        message: `thing ${thing} has no certificate attached in AWS IoT: TestAuthorization cannot ask about it`,
        fix: `deploy its Fleet stack (npx keyless device status --env ${config.envName} --thing ${thing} shows where it is)`,
      },
    ];
  }
  const other = `${thing}-other`;
  const asked = authorizationQuestions(config, thing, other);
  let results;
  try {
    results = (
      await clients.iot.send(
        new TestAuthorizationCommand({
          principal: certificateArn,
          clientId: thing,
          authInfos: asked.map((a) => a.info),
        }),
      )
    ).authResults;
  } catch (error) {
    throw describeAwsError(error, config);
  }
  return asked.map((a, index) => {
    const decision = results?.[index]?.authDecision ?? 'no answer';
    const expectedAllowed = a.ownThing && !quarantined;
    const ok = (decision === 'ALLOWED') === expectedAllowed;
    const expected = expectedAllowed ? 'ALLOWED' : 'denied';
    const why = quarantined
      ? `${thing} is quarantined (${QUARANTINE_ATTRIBUTE.name}=${QUARANTINE_ATTRIBUTE.value}): the IoT policy must deny it everything`
      : a.ownThing
        ? `${thing} may ${a.what}`
        : `${thing} must not ${a.what}`;
    return {
      check: 'iot-authorization' as const,
      status: ok ? ('pass' as const) : ('fail' as const),
      subject: `thing ${thing}${quarantined ? ' (quarantined)' : ''}`,
      principal: `certificate of ${thing} (${certificateArn})`,
      action: a.info.actionType,
      resource: a.info.resources?.[0],
      expected,
      actual: decision,
      message: ok
        ? why
        : `${thing} ${a.info.actionType} on ${a.info.resources?.[0]} is ${decision}, expected ${expected}: ${why}`,
      fix: ok
        ? undefined
        : `the IoT policy in AWS IoT is not the synthesized one: ${diffCommand(config, stackName(config.envName, 'IotAccess'))}, then redeploy it`,
    };
  });
}

/** The report as lines for people: failures first, each with what to do. */
export function renderReport(report: VerifyReport): string[] {
  const failed = report.checks.filter((c) => c.status === 'fail');
  const skipped = report.checks.filter((c) => c.status === 'skip');
  const passed = report.checks.length - failed.length - skipped.length;
  const lines = failed.flatMap((c) => [
    `FAIL ${c.check} ${c.subject}: ${c.message}`,
    ...(c.fix ? [`     to do: ${c.fix}`] : []),
  ]);
  lines.push(
    ...skipped.map((c) => `SKIP ${c.check} ${c.subject}: ${c.message}${c.fix ? ` (${c.fix})` : ''}`),
  );
  lines.push(
    `${report.ok ? 'verified' : 'NOT verified'}: environment ${report.env} (account ${report.account}, ${report.region}): ` +
      `${passed} passed, ${failed.length} failed, ${skipped.length} skipped`,
  );
  return lines;
}
