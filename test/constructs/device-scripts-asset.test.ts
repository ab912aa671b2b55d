import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DeviceScriptsAsset } from '../../lib/constructs/device-scripts-asset';
import { createEnvironmentStacks, type EnvironmentStacks } from '../../lib/stacks/environment';
import { devConfig, nagViolations, REPO_ROOT, testApp } from '../support/cdk-app';
import { bundledFunctionCode } from '../support/function-bundles';

const DEVICE_SCRIPTS = join(REPO_ROOT, 'device-scripts');

let stacks: EnvironmentStacks;
let data: Template;
let outdir: string;

beforeAll(() => {
  const app = testApp();
  stacks = createEnvironmentStacks(app, devConfig(), { functionCode: bundledFunctionCode() });
  data = Template.fromStack(stacks.data);
  outdir = app.outdir;
});

function deployments(
  template: Template,
): Record<string, { Properties: Record<string, unknown>; DependsOn?: string[] }> {
  return template.findResources('Custom::CDKBucketDeployment') as Record<
    string,
    { Properties: Record<string, unknown>; DependsOn?: string[] }
  >;
}

/** The directory CDK staged for a deployment's (single) source asset, in the synthesized cloud assembly. */
function stagedDir(deployment: { Properties: Record<string, unknown> }): string {
  const [key] = deployment.Properties.SourceObjectKeys as string[];
  return join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
}

function stagedFiles(deployment: { Properties: Record<string, unknown> }): string[] {
  return (readdirSync(stagedDir(deployment), { recursive: true, encoding: 'utf8' }) as string[])
    .filter((f) => statSync(join(stagedDir(deployment), f)).isFile())
    .sort();
}

function scratchStack(): { stack: Stack; bucket: s3.Bucket } {
  const stack = new Stack(testApp(), 'Scratch', {
    env: { account: '111111111111', region: 'ap-northeast-1' },
  });
  return { stack, bucket: new s3.Bucket(stack, 'Bucket') };
}

describe('DeviceScriptsAsset in the Data stack', () => {
  test('publishes device-scripts/ to the device bucket under device-scripts/<version>/, pruning only that prefix', () => {
    const version = stacks.data.deviceScripts.version;
    expect(version).toMatch(/^[0-9a-f]{16}$/);
    const bucketId = stacks.data.resolve(
      (stacks.data.deviceData.bucket.node.defaultChild as s3.CfnBucket).ref,
    );

    data.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketName: bucketId,
      DestinationBucketKeyPrefix: `device-scripts/${version}/`,
      Prune: true,
      SourceObjectKeys: [Match.stringLikeRegexp(`^${version}[0-9a-f]*\\.zip$`)],
    });
    data.hasOutput('DeviceScriptsPrefix', { Value: `device-scripts/${version}/` });
  });

  test('the published asset is the device-scripts directory: helper, install.sh, Root CA, examples', () => {
    const [, scripts] = Object.entries(deployments(data)).find(([, r]) => r.Properties.Prune === true)!;
    const files = stagedFiles(scripts);

    for (const file of [
      'bin/keyless-credentials',
      'install.sh',
      'AmazonRootCA1.pem',
      'examples/s3_upload.py',
    ]) {
      expect(files).toContain(file);
      expect(
        readFileSync(join(stagedDir(scripts), file)).equals(readFileSync(join(DEVICE_SCRIPTS, file))),
      ).toBe(true);
    }
  });

  test('writes device-scripts/current.json naming the version, after the scripts and without pruning them', () => {
    const all = deployments(data);
    const [scriptsId] = Object.entries(all).find(([, r]) => r.Properties.Prune === true)!;
    const [, pointer] = Object.entries(all).find(
      ([, r]) => r.Properties.DestinationBucketKeyPrefix === 'device-scripts/',
    )!;

    expect(Object.keys(all)).toHaveLength(2);
    expect(pointer.Properties.Prune).toBe(false);
    expect(pointer.DependsOn).toContain(scriptsId);
    expect(stagedFiles(pointer)).toEqual(['current.json']);
    const version = stacks.data.deviceScripts.version;
    expect(JSON.parse(readFileSync(join(stagedDir(pointer), 'current.json'), 'utf8'))).toEqual({
      version,
      prefix: `device-scripts/${version}/`,
    });
  });

  test('published scripts stay when a retained stack is deleted; a throw-away stack takes them along', () => {
    const { stack, bucket } = scratchStack();
    new DeviceScriptsAsset(stack, 'Kept', { sourceDir: DEVICE_SCRIPTS, bucket });
    Template.fromStack(stack).allResourcesProperties('Custom::CDKBucketDeployment', { RetainOnDelete: true });

    const dev = scratchStack();
    new DeviceScriptsAsset(dev.stack, 'Gone', {
      sourceDir: DEVICE_SCRIPTS,
      bucket: dev.bucket,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Template.fromStack(dev.stack).allResourcesProperties('Custom::CDKBucketDeployment', {
      RetainOnDelete: false,
    });
  });

  test('the version is a content hash: same files give the same version anywhere, a changed file a new one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyless-scripts-'));
    try {
      cpSync(DEVICE_SCRIPTS, join(dir, 'copy'), { recursive: true });
      const copy = scratchStack();
      const same = new DeviceScriptsAsset(copy.stack, 'Copy', {
        sourceDir: join(dir, 'copy'),
        bucket: copy.bucket,
      });
      const original = scratchStack();
      const reference = new DeviceScriptsAsset(original.stack, 'Original', {
        sourceDir: DEVICE_SCRIPTS,
        bucket: original.bucket,
      });
      expect(same.version).toBe(reference.version);

      writeFileSync(join(dir, 'copy', 'bin', 'keyless-credentials'), '#!/bin/sh\necho changed\n');
      const changed = scratchStack();
      const next = new DeviceScriptsAsset(changed.stack, 'Changed', {
        sourceDir: join(dir, 'copy'),
        bucket: changed.bucket,
      });
      expect(next.version).not.toBe(reference.version);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a key prefix that is not a key prefix ending in "/" is refused', () => {
    const { stack, bucket } = scratchStack();
    expect(
      () => new DeviceScriptsAsset(stack, 'Bad', { sourceDir: DEVICE_SCRIPTS, bucket, keyPrefix: 'Scripts' }),
    ).toThrow(
      'DeviceScriptsAsset keyPrefix must be an S3 key prefix ending in / such as closed/, got: Scripts',
    );
  });

  test('cdk-nag: the deployment function adds no unacknowledged finding to the Data stack', () => {
    expect(nagViolations(stacks.data)).toEqual([]);
  });
});

/** Every IAM statement of a stack's policies (inline role policies and AWS::IAM::Policy documents). */
function statements(stack: Stack): { Effect: string; Action: string | string[]; Resource: unknown }[] {
  const template = Template.fromStack(stack).toJSON() as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const documents: { Statement: unknown[] }[] = [];
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      documents.push(resource.Properties.PolicyDocument as { Statement: unknown[] });
    }
    if (resource.Type === 'AWS::IAM::Role') {
      for (const policy of (resource.Properties.Policies ?? []) as {
        PolicyDocument: { Statement: unknown[] };
      }[]) {
        documents.push(policy.PolicyDocument);
      }
    }
  }
  return documents.flatMap((d) => d.Statement) as {
    Effect: string;
    Action: string | string[];
    Resource: unknown;
  }[];
}

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

describe('device roles: read-only on device-scripts/', () => {
  const cases: [string, () => Stack | undefined][] = [
    ['X.509 credentials-provider role (IotAccess)', () => stacks.iotAccess],
    ['Krypton authenticated role (KryptonAccess)', () => stacks.kryptonAccess],
  ];

  test.each(cases)('%s: s3:GetObject on device-scripts/* and nothing that writes there', (_name, stackOf) => {
    const stack = stackOf();
    expect(stack).toBeDefined();
    const all = statements(stack!);
    const resolved = all.map((s) => ({ ...s, Resource: JSON.stringify(stack!.resolve(s.Resource)) }));
    const onScripts = resolved.filter((s) => s.Resource.includes('/device-scripts/*'));

    expect(onScripts.map((s) => [s.Effect, asList(s.Action)])).toEqual([['Allow', ['s3:GetObject']]]);
    // No other Allow may reach device-scripts/ with a write: bucket-wide object wildcards would.
    for (const statement of resolved.filter((s) => s.Effect === 'Allow')) {
      const writes = asList(statement.Action).filter(
        (a) => /^s3:(Put|Delete|\*|Abort|Restore)/.test(a) || a === '*',
      );
      if (writes.length === 0) continue;
      expect(statement.Resource).not.toMatch(/device-scripts/);
      // A bucket-wide object wildcard would cover device-scripts/ too.
      expect(statement.Resource).not.toMatch(/:::keyless-iot-dev-111111111111-ap-northeast-1\/\*"/);
    }
  });
});
