import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { DescribeCertificateCommand, DescribeEndpointCommand, IoTClient } from '@aws-sdk/client-iot';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { Parser } from 'tar';
import { z } from 'zod';
import type { KeylessConfig } from '../../../lib/config';
import type { BundleClients } from '../../../lib/cli/bundle/aws';
import { certificateIdOutput, fleetStackName } from '../../../lib/contract';
import { devConfig, REPO_ROOT } from '../../support/cdk-app';
import { IssuedCertificate, TestPki } from '../../support/test-pki';

export const DEVICE_SCRIPTS = join(REPO_ROOT, 'device-scripts');

/** One entry of a .tar.gz as read back from the archive. */
export interface ArchiveEntry {
  readonly path: string;
  readonly type: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly uname: string;
  readonly gname: string;
  readonly mtime: number;
  readonly content: Buffer;
}

/** Every entry of a .tar.gz in archive order. */
export async function readArchive(file: string): Promise<ArchiveEntry[]> {
  const entries: ArchiveEntry[] = [];
  const parser = new Parser({
    onReadEntry: (entry) => {
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () =>
        entries.push({
          path: entry.path,
          type: entry.type,
          mode: entry.mode ?? -1,
          uid: entry.uid ?? -1,
          gid: entry.gid ?? -1,
          uname: entry.uname ?? '',
          gname: entry.gname ?? '',
          mtime: entry.mtime?.getTime() ?? -1,
          content: Buffer.concat(chunks),
        }),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', () => resolve());
    parser.on('error', reject);
    parser.end(gunzipSync(readFileSync(file)));
  });
  return entries;
}

/**
 * The helper contract of DESIGN.md ("Device helper contract"), strict: a field the contract does not name
 * fails. The `s3`, `secretsManager` and `dynamodb` sections are the defaults the Python examples read
 * (device-scripts/examples), and `krypton.coverage` records the SORACOM coverage the endpoint belongs to.
 */
const httpsUrl = z.string().regex(/^https:\/\/[^/?#]+(\/[^?#]*)?$/);
const absolutePath = z.string().regex(/^\//);
export const deviceConfigContract = z
  .strictObject({
    source: z.enum(['x509', 'krypton']),
    /** The helper version the bundle ships (its KEYLESS_VERSION line). */
    helperVersion: z.string().regex(/^\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$/),
    proxy: z.string().optional(),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-[0-9]+$/),
    cacheDir: absolutePath.optional(),
    refreshMarginSeconds: z.int().min(900).max(43200).optional(),
    x509: z
      .strictObject({
        endpoint: httpsUrl,
        roleAlias: z.string().min(1),
        thingName: z.string().min(1),
        certFile: absolutePath,
        /** A key file, or the key in a PKCS#11 token (docs/keys-in-hardware.md). */
        keyFile: absolutePath.or(z.string().regex(/^pkcs11:token=[^;?]+;object=[^;?]+;type=private$/)),
        pkcs11Module: absolutePath.optional(),
        pinFile: absolutePath.optional(),
        caFile: absolutePath.optional(),
      })
      .optional(),
    krypton: z
      .strictObject({
        endpoint: httpsUrl,
        mode: z.enum(['credentials', 'open-id-token']).optional(),
        cognitoEndpoint: httpsUrl.optional(),
        caFile: absolutePath.optional(),
        cognitoCaFile: absolutePath.optional(),
        coverage: z.enum(['jp', 'global']).optional(),
      })
      .optional(),
    s3: z.strictObject({ bucket: z.string().min(3), prefix: z.string().min(1).optional() }).optional(),
    secretsManager: z.strictObject({ secretId: z.string().min(1) }).optional(),
    dynamodb: z.strictObject({ tableName: z.string().min(1) }).optional(),
  })
  .refine(
    (c) => (c.source === 'x509' ? c.x509 !== undefined && !c.krypton : c.krypton !== undefined && !c.x509),
    {
      error: 'exactly the section named by source',
    },
  );

export const ACCOUNT = '111111111111';
export const REGION = 'ap-northeast-1';
export const DEVICE_BUCKET = 'keyless-iot-dev-111111111111-ap-northeast-1';
export const ROLE_ALIAS = 'keyless-dev-device';
export const CREDENTIALS_ENDPOINT = 'c1a2b3c4d5e6f7.credentials.iot.ap-northeast-1.amazonaws.com';
export const MQTT_ENDPOINT = 'a1b2c3d4e5f6g7-ats.iot.ap-northeast-1.amazonaws.com';

/** The certificate id AWS IoT would give a thing's certificate (any 64 hex digits). */
export function certificateIdOf(thing: string): string {
  return Buffer.from(thing.padEnd(32, '0')).toString('hex').slice(0, 64);
}

/**
 * A deployed dev environment as the bundle command sees it: the stacks' outputs, the IoT endpoints and
 * certificates behind `aws-sdk-client-mock`, and a repository root whose fleet/dev holds the shard lock and
 * the operator-made key of sensor-001 (sensor-002 made its own CSR: no key here).
 */
export class BundleFixture {
  readonly config: KeylessConfig = devConfig();
  readonly pki = new TestPki('keyless-bundle');
  readonly certificates: Record<string, IssuedCertificate> = {
    'sensor-001': this.pki.issueClient('sensor-001'),
    'sensor-002': this.pki.issueClient('sensor-002'),
  };
  readonly dir = mkdtempSync(join(tmpdir(), 'keyless-bundle-'));
  readonly repoRoot = join(this.dir, 'repo');
  readonly deviceScriptsDir = join(this.dir, 'device-scripts');
  readonly cloudFormation = mockClient(CloudFormationClient);
  readonly iot = mockClient(IoTClient);
  readonly sts = mockClient(STSClient);
  /** Stacks DescribeStacks knows; tests delete or change entries to break the environment. */
  stacks: Record<string, Stack> = {};
  /** Answer for DescribeEndpoint(iot:CredentialProvider); the e2e test points it at its emulator. */
  credentialsEndpoint = CREDENTIALS_ENDPOINT;

  constructor() {
    cpSync(DEVICE_SCRIPTS, this.deviceScriptsDir, { recursive: true });
    const fleet = join(this.repoRoot, 'fleet', 'dev');
    mkdirSync(join(fleet, 'sensor-001'), { recursive: true });
    writeFileSync(
      join(fleet, 'shards.json'),
      JSON.stringify({
        version: 1,
        maxThingsPerShard: 100,
        assignments: { 'sensor-001': 1, 'sensor-002': 1 },
      }),
    );
    writeFileSync(join(fleet, 'sensor-001', 'private.key'), this.certificates['sensor-001'].keyPem, {
      mode: 0o600,
    });
    this.reset();
  }

  /** Every mock back to a healthy, fully deployed environment. */
  reset(): void {
    this.cloudFormation.reset();
    this.iot.reset();
    this.sts.reset();
    const stack = (name: string, outputs: Record<string, string>): Stack => ({
      StackName: name,
      StackStatus: 'CREATE_COMPLETE',
      CreationTime: new Date(0),
      Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
    });
    this.stacks = {
      'KeylessIot-dev-Data': stack('KeylessIot-dev-Data', {
        DeviceBucketName: DEVICE_BUCKET,
        DeviceSecretName: 'keyless-iot/dev/device-secret',
        ReferenceTableName: 'keyless-iot-dev-reference',
        DeviceScriptsPrefix: 'device-scripts/0123456789ab/',
      }),
      'KeylessIot-dev-IotAccess': stack('KeylessIot-dev-IotAccess', {
        RoleAliasName: ROLE_ALIAS,
        RoleAliasArn: `arn:aws:iot:${REGION}:${ACCOUNT}:rolealias/${ROLE_ALIAS}`,
      }),
      'KeylessIot-dev-KryptonAccess': stack('KeylessIot-dev-KryptonAccess', {
        IdentityPoolId: `${REGION}:00000000-0000-0000-0000-000000000000`,
        DeveloperProviderName: 'keyless.dev.krypton',
      }),
      [fleetStackName('dev', 1)]: stack(fleetStackName('dev', 1), {
        [certificateIdOutput('sensor-001').key]: certificateIdOf('sensor-001'),
        [certificateIdOutput('sensor-002').key]: certificateIdOf('sensor-002'),
      }),
    };
    this.cloudFormation.on(DescribeStacksCommand).callsFake((input: { StackName: string }) => {
      const found = this.stacks[input.StackName];
      if (!found) {
        const error = new Error(`Stack with id ${input.StackName} does not exist`);
        error.name = 'ValidationError';
        throw error;
      }
      return { Stacks: [found] };
    });
    this.iot
      .on(DescribeEndpointCommand, { endpointType: 'iot:CredentialProvider' })
      .resolves({ endpointAddress: this.credentialsEndpoint })
      .on(DescribeEndpointCommand, { endpointType: 'iot:Data-ATS' })
      .resolves({ endpointAddress: MQTT_ENDPOINT });
    for (const [thing, cert] of Object.entries(this.certificates)) {
      this.iot.on(DescribeCertificateCommand, { certificateId: certificateIdOf(thing) }).resolves({
        certificateDescription: {
          certificateId: certificateIdOf(thing),
          certificatePem: cert.certPem,
          status: 'ACTIVE',
        },
      });
    }
    this.sts.on(GetCallerIdentityCommand).resolves({
      Account: ACCOUNT,
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Operator/alice`,
      UserId: 'AROAEXAMPLE:alice',
    });
  }

  /** Bundles then trust this CA instead of Amazon Root CA 1 (the e2e test's emulators use a test CA). */
  useRootCa(pem: string): void {
    writeFileSync(join(this.deviceScriptsDir, 'AmazonRootCA1.pem'), pem);
  }

  /** Real SDK clients (their sends go to the mocks) in the environment's region, or another. */
  clients(region = REGION): BundleClients {
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-secret' };
    return {
      cloudFormation: new CloudFormationClient({ region, credentials }),
      iot: new IoTClient({ region, credentials }),
      sts: new STSClient({ region, credentials }),
    };
  }

  dispose(): void {
    this.cloudFormation.restore();
    this.iot.restore();
    this.sts.restore();
    rmSync(this.dir, { recursive: true, force: true });
    this.pki.dispose();
  }
}
