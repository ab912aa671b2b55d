/**
 * `npm run integ`: deploys the integ environment to a throwaway sandbox account, enrolls a canary thing (its key
 * stays on this machine), runs `keyless verify --env integ --live --thing <canary>`, and deletes everything it
 * made, retained resources included, whatever happened before. `npm run integ -- --cleanup` only deletes (for a
 * run that was killed before it could). Refuses without KEYLESS_INTEG_ACCOUNT = the credentials' account.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CloudFormationClient,
  DeleteStackCommand,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  ListStacksCommand,
  UpdateTerminationProtectionCommand,
  waitUntilStackDeleteComplete,
  type StackStatus,
} from '@aws-sdk/client-cloudformation';
import { CognitoIdentityClient, DeleteIdentityPoolCommand } from '@aws-sdk/client-cognito-identity';
import { DeleteTableCommand, DynamoDBClient, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { DescribeAvailabilityZonesCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CloudWatchLogsClient, DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { DeleteSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DeleteParametersCommand, GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  CONFIG_DIR,
  configFile,
  fleetDir,
  inRepository,
  isStatefulType,
  stackName,
} from '../../lib/contract';
import { newExternalId } from '../../lib/cli/soracom-new-external-id';
import {
  CANARY_THING,
  deletionOrder,
  INTEG_ENV,
  IntegRefusal,
  integConfigInput,
  leftoverCandidates,
  requireCallerAccount,
  requireOptIn,
  ROTATION_STATE_PARAMETER_PREFIX,
  type MadeResource,
} from './plan';

const ROOT = path.resolve(__dirname, '..', '..');
const CONFIG_FILE = inRepository(ROOT, configFile(INTEG_ENV));
const FLEET_DIR = inRepository(ROOT, fleetDir(INTEG_ENV));
// `KeylessIot-integ-`: every stack of the environment, Fleet stacks included.
const STACK_PREFIX = stackName(INTEG_ENV, 'Data').slice(0, -'Data'.length);

const started = Date.now();
function say(line: string): void {
  const elapsed = Math.round((Date.now() - started) / 1000);
  process.stderr.write(
    `[integ +${Math.floor(elapsed / 60)}m${String(elapsed % 60).padStart(2, '0')}s] ${line}\n`,
  );
}

/** Runs a project command in the repository, its output shown; a failure throws with the command named. */
function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv): void {
  say(`$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', env });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
  }
}

/** The environment's stacks that exist (not yet deleted). */
async function existingStacks(cfn: CloudFormationClient): Promise<string[]> {
  const names: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await cfn.send(new ListStacksCommand({ NextToken }));
    for (const summary of page.StackSummaries ?? []) {
      if (
        summary.StackName?.startsWith(STACK_PREFIX) &&
        summary.StackStatus !== ('DELETE_COMPLETE' as StackStatus)
      ) {
        names.push(summary.StackName);
      }
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return [...new Set(names)];
}

/** The stack's resources (only those in one status, when given). */
async function resourcesOf(
  cfn: CloudFormationClient,
  stack: string,
  status?: string,
): Promise<MadeResource[]> {
  const made: MadeResource[] = [];
  let NextToken: string | undefined;
  do {
    const page = await cfn.send(new ListStackResourcesCommand({ StackName: stack, NextToken }));
    for (const r of page.StackResourceSummaries ?? []) {
      if (status !== undefined && r.ResourceStatus !== status) continue;
      made.push({
        stack,
        logicalId: r.LogicalResourceId ?? '',
        type: r.ResourceType ?? '',
        physicalId: r.PhysicalResourceId ?? '',
      });
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return made;
}

const gone = (error: unknown): boolean =>
  /NotFound|NoSuchBucket|does not exist|ResourceNotFoundException/.test(
    `${(error as Error).name} ${(error as Error).message}`,
  );

async function emptyAndDeleteBucket(s3: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 1000 }));
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({
      Key: v.Key!,
      VersionId: v.VersionId,
    }));
    if (objects.length === 0) break;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/** Deletes one stateful resource that outlived its stack; already gone is fine. */
async function deleteLeftover(region: string, resource: MadeResource): Promise<void> {
  const id = resource.physicalId;
  switch (resource.type) {
    case 'AWS::S3::Bucket':
      return emptyAndDeleteBucket(new S3Client({ region }), id);
    case 'AWS::DynamoDB::Table':
    case 'AWS::DynamoDB::GlobalTable': {
      const ddb = new DynamoDBClient({ region });
      await ddb
        .send(new UpdateTableCommand({ TableName: id, DeletionProtectionEnabled: false }))
        .catch(() => {});
      await ddb.send(new DeleteTableCommand({ TableName: id }));
      return;
    }
    case 'AWS::KMS::Key':
      // The shortest pending window KMS allows; a key pending deletion costs nothing.
      await new KMSClient({ region }).send(
        new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 7 }),
      );
      return;
    case 'AWS::SecretsManager::Secret':
      await new SecretsManagerClient({ region }).send(
        new DeleteSecretCommand({ SecretId: id, ForceDeleteWithoutRecovery: true }),
      );
      return;
    case 'AWS::Logs::LogGroup':
      await new CloudWatchLogsClient({ region }).send(new DeleteLogGroupCommand({ logGroupName: id }));
      return;
    case 'AWS::Cognito::IdentityPool':
      await new CognitoIdentityClient({ region }).send(new DeleteIdentityPoolCommand({ IdentityPoolId: id }));
      return;
    default:
      throw new Error(`no cleanup for ${resource.type}`);
  }
}

/** Deletes every stack of the environment, then what outlived them, then the local files. Returns what is left. */
async function cleanup(region: string): Promise<string[]> {
  const cfn = new CloudFormationClient({ region });
  const left: string[] = [];
  const stacks = deletionOrder(await existingStacks(cfn));
  const made = (await Promise.all(stacks.map((stack) => resourcesOf(cfn, stack)))).flat();
  for (const stack of stacks) {
    say(`deleting stack ${stack}`);
    await cfn.send(
      new UpdateTerminationProtectionCommand({ StackName: stack, EnableTerminationProtection: false }),
    );
    await cfn.send(new DeleteStackCommand({ StackName: stack }));
    try {
      await waitUntilStackDeleteComplete({ client: cfn, maxWaitTime: 1800 }, { StackName: stack });
    } catch {
      // DELETE_FAILED: delete it again keeping only what would not go (CloudFormation accepts nothing else there).
      // Stateful ones are deleted below, by type; anything else is reported, never silently left.
      const status = (await cfn.send(new DescribeStacksCommand({ StackName: stack }))).Stacks?.[0];
      say(
        `${stack} is ${status?.StackStatus} (${status?.StackStatusReason ?? 'no reason'}): deleting it again`,
      );
      const failed = (await resourcesOf(cfn, stack, 'DELETE_FAILED')).filter((r) => r.logicalId !== '');
      for (const resource of failed.filter((r) => !isStatefulType(r.type))) {
        left.push(
          `${resource.type} ${resource.physicalId} (${stack} ${resource.logicalId}) would not delete`,
        );
      }
      made.push(...failed.filter((r) => !made.some((m) => m.stack === stack && m.logicalId === r.logicalId)));
      await cfn.send(
        new DeleteStackCommand({ StackName: stack, RetainResources: failed.map((r) => r.logicalId) }),
      );
      await waitUntilStackDeleteComplete({ client: cfn, maxWaitTime: 1800 }, { StackName: stack }).catch(() =>
        left.push(`stack ${stack}`),
      );
    }
  }
  for (const resource of leftoverCandidates(made)) {
    try {
      await deleteLeftover(region, resource);
      say(`deleted ${resource.type} ${resource.physicalId} (or it was gone)`);
    } catch (error) {
      if (!gone(error)) left.push(`${resource.type} ${resource.physicalId}: ${(error as Error).message}`);
    }
  }
  const ssm = new SSMClient({ region });
  const parameters = await ssm.send(
    new GetParametersByPathCommand({ Path: ROTATION_STATE_PARAMETER_PREFIX, Recursive: true }),
  );
  const names = (parameters.Parameters ?? []).map((p) => p.Name!).filter(Boolean);
  if (names.length > 0) await ssm.send(new DeleteParametersCommand({ Names: names }));
  fs.rmSync(CONFIG_FILE, { force: true });
  fs.rmSync(FLEET_DIR, { recursive: true, force: true });
  return left;
}

async function availabilityZones(region: string): Promise<[string, string]> {
  const answer = await new EC2Client({ region }).send(
    new DescribeAvailabilityZonesCommand({
      Filters: [
        { Name: 'state', Values: ['available'] },
        { Name: 'zone-type', Values: ['availability-zone'] },
      ],
    }),
  );
  const zones = (answer.AvailabilityZones ?? []).map((zone) => zone.ZoneName!).sort();
  if (zones.length < 2) throw new IntegRefusal(`region ${region} offers fewer than two availability zones`);
  return [zones[0], zones[1]];
}

async function main(): Promise<number> {
  const cleanupOnly = process.argv.includes('--cleanup');
  const optIn = requireOptIn(process.env, inRepository(ROOT, CONFIG_DIR));
  const { account, region } = optIn;
  const identity = await new STSClient({ region }).send(new GetCallerIdentityCommand({}));
  requireCallerAccount(optIn, identity.Account);
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_REGION: region, CDK_DEFAULT_REGION: region };

  if (!cleanupOnly) {
    const cfn = new CloudFormationClient({ region });
    const already = await existingStacks(cfn);
    if (already.length > 0 || fs.existsSync(CONFIG_FILE) || fs.existsSync(FLEET_DIR)) {
      throw new IntegRefusal(
        `a previous run left ${[...already, ...[CONFIG_FILE, FLEET_DIR].filter((f) => fs.existsSync(f)).map((f) => path.relative(ROOT, f))].join(', ')}: ` +
          'delete it first with npm run integ -- --cleanup',
      );
    }
    const bootstrapped = await cfn
      .send(new DescribeStacksCommand({ StackName: 'CDKToolkit' }))
      .catch(() => undefined);
    if (!bootstrapped) {
      throw new IntegRefusal(
        `account ${account} is not CDK-bootstrapped in ${region}: npx cdk bootstrap aws://${account}/${region} ` +
          '(the run does not bootstrap, so it leaves nothing it did not make)',
      );
    }
  }

  let failure: unknown;
  if (!cleanupOnly) {
    // From here on, everything made is deleted again: on success, on failure and on Ctrl-C.
    const interrupted = (): void => {
      failure = new Error('interrupted');
    };
    process.once('SIGINT', interrupted);
    try {
      const input = integConfigInput({
        account,
        region,
        availabilityZones: await availabilityZones(region),
        externalIds: { krypton: newExternalId(), funnel: newExternalId() },
      });
      fs.writeFileSync(CONFIG_FILE, `${JSON.stringify(input, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      say(`wrote ${path.relative(ROOT, CONFIG_FILE)} for account ${account}, ${region}`);
      run('npx', ['keyless', 'enroll', '--env', INTEG_ENV, '--thing', CANARY_THING], env);
      run('npx', ['cdk', 'deploy', '--all', '-c', `env=${INTEG_ENV}`, '--require-approval', 'never'], env);
      run('npx', ['keyless', 'verify', '--env', INTEG_ENV, '--live', '--thing', CANARY_THING], env);
      say('keyless verify --live passed');
    } catch (error) {
      failure = error;
    } finally {
      process.removeListener('SIGINT', interrupted);
    }
  }
  say(
    `cleaning up: every ${STACK_PREFIX}* stack, what outlived it, ${configFile(INTEG_ENV)} and ${fleetDir(INTEG_ENV)}/`,
  );
  const left = await cleanup(region);
  if (left.length > 0) {
    say(`NOT deleted (delete by hand, or run npm run integ -- --cleanup again):\n  ${left.join('\n  ')}`);
  }
  if (failure) {
    say(`FAILED: ${(failure as Error).message}`);
    return 1;
  }
  say(left.length > 0 ? 'done, with leftovers' : cleanupOnly ? 'cleaned up' : 'passed and cleaned up');
  return left.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    say(error instanceof IntegRefusal ? `refused: ${error.message}` : `failed: ${(error as Error).message}`);
    process.exit(error instanceof IntegRefusal ? 2 : 1);
  },
);
