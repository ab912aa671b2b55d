import { writeFileSync } from 'node:fs';
import {
  LookupDeveloperIdentityCommand,
  ResourceNotFoundException as CognitoNotFound,
} from '@aws-sdk/client-cognito-identity';
import {
  DescribeCertificateCommand,
  UpdateCertificateCommand,
  UpdateThingCommand,
} from '@aws-sdk/client-iot';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { EXIT_CODES } from '../../../lib/cli/exit-codes';
import { fleetStackName, stackName } from '../../../lib/contract';
import {
  answerAsDeployed,
  cloudFormation,
  cognito,
  deviceRepo,
  iot,
  runDevice,
  type DeviceRepo,
} from './device-fixture';

/**
 * `keyless device quarantine / release` and the certificate (issue 20): the quarantine must hold even if AWS does
 * not resolve thing attributes for the credentials provider, so it also deactivates the certificate, and a release
 * activates only a certificate the config wants active. Krypton identities are quarantined through the config.
 */

const POOL = 'ap-northeast-1:0b7f2c3e-1111-2222-3333-444455556666';
const IDENTITY = 'ap-northeast-1:0f1e2d3c-aaaa-bbbb-cccc-000000000001';

let repo: DeviceRepo;
beforeEach(() => {
  repo = deviceRepo();
  answerAsDeployed();
  iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { status: 'ACTIVE' } });
  iot.on(UpdateCertificateCommand).resolves({});
  iot.on(UpdateThingCommand).resolves({});
  cognito
    .on(LookupDeveloperIdentityCommand)
    .resolves({ IdentityId: IDENTITY, DeveloperUserIdentifierList: ['sim'] });
});
afterEach(() => repo.remove());

function editThing(index: number, fields: Record<string, unknown>): void {
  const config = repo.config();
  Object.assign(config.iot.things[index], fields);
  writeFileSync(repo.configFile, JSON.stringify(config, null, 2));
}

describe('keyless device quarantine: the certificate', () => {
  it('leaves a certificate that AWS IoT already refuses as it is', async () => {
    iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { status: 'REVOKED' } });
    const run = await runDevice(repo, ['quarantine', '--env', 'dev', '--thing', 'sensor-001']);
    expect(run.code).toBe(0);
    expect(iot.commandCalls(UpdateCertificateCommand)).toHaveLength(0);
    expect(run.stdout).toContain('was already REVOKED');
  });

  it('deactivates the certificate of a thing the config keeps inactive but AWS IoT has ACTIVE', async () => {
    editThing(0, { status: 'inactive' });
    await runDevice(repo, ['quarantine', '--env', 'dev', '--thing', 'sensor-001']);
    expect(iot.commandCalls(UpdateCertificateCommand)[0].args[0].input.newStatus).toBe('INACTIVE');
  });

  it('records the quarantine and fails (exit 4) when AWS IoT refuses the certificate change: the deploy finishes it', async () => {
    iot.on(UpdateCertificateCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: iot:UpdateCertificate'), {
        name: 'AccessDeniedException',
        $metadata: {},
      }),
    );
    const run = await runDevice(repo, ['quarantine', '--env', 'dev', '--thing', 'sensor-001']);
    expect(run.code).toBe(EXIT_CODES.remote);
    expect(run.error?.message).toMatch(
      /thing sensor-001 is quarantined \(its attribute, and .*config\/dev.json\), but AWS IoT did not set certificate \w+ INACTIVE: .*not authorized.* Run the command again, or deploy: .*cdk deploy/,
    );
    expect(repo.config().iot.things[0]).toMatchObject({
      quarantined: true,
      quarantinedAt: expect.any(String),
    });
  });

  it('stops before any change when the certificate its stack names is gone from AWS IoT', async () => {
    iot
      .on(DescribeCertificateCommand)
      .rejects(Object.assign(new Error('gone'), { name: 'ResourceNotFoundException', $metadata: {} }));
    const before = repo.configText();
    const run = await runDevice(repo, ['quarantine', '--env', 'dev', '--thing', 'sensor-001']);
    expect(run.code).toBe(EXIT_CODES.remote);
    expect(iot.commandCalls(UpdateThingCommand)).toHaveLength(0);
    expect(repo.configText()).toBe(before);
  });

  it('quarantines by the config alone when the Fleet stack is not deployed yet, and says how to reach a bulk-registered certificate', async () => {
    cloudFormation
      .on(DescribeStacksCommand, { StackName: fleetStackName('dev', 1) })
      .rejects(new Error(`Stack with id ${fleetStackName('dev', 1)} does not exist`));
    const run = await runDevice(repo, ['quarantine', '--env', 'dev', '--thing', 'sensor-001', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ quarantined: true, certificate: null });
    expect(iot.commandCalls(UpdateCertificateCommand)).toHaveLength(0);
    expect(run.stderr).toContain('aws iot list-thing-principals --thing-name sensor-001');
    expect(repo.config().iot.things[0]).toMatchObject({ quarantined: true });
  });

  it('stops with nothing changed when the Fleet stack is in a failed state', async () => {
    cloudFormation.on(DescribeStacksCommand, { StackName: fleetStackName('dev', 1) }).resolves({
      Stacks: [
        {
          StackName: fleetStackName('dev', 1),
          StackStatus: 'UPDATE_ROLLBACK_FAILED',
          CreationTime: new Date(0),
        },
      ],
    });
    const before = repo.configText();
    const run = await runDevice(repo, ['quarantine', '--env', 'dev', '--thing', 'sensor-001']);
    expect(run.code).toBe(EXIT_CODES.remote);
    expect(run.error?.message).toMatch(/is UPDATE_ROLLBACK_FAILED, not deployed successfully/);
    expect(iot.commandCalls(UpdateThingCommand)).toHaveLength(0);
    expect(repo.configText()).toBe(before);
  });

  it('a second quarantine moves the time forward (the deny only widens)', async () => {
    editThing(0, { quarantined: true, quarantinedAt: '2026-01-01T00:00:00Z' });
    await runDevice(repo, ['quarantine', '--env', 'dev', '--thing', 'sensor-001']);
    expect(Date.parse(String(repo.config().iot.things[0].quarantinedAt))).toBeGreaterThan(
      Date.parse('2026-01-01T00:00:00Z'),
    );
  });
});

describe('keyless device release: the certificate', () => {
  it.each<[string, 'INACTIVE' | 'REVOKED']>([
    ['inactive', 'INACTIVE'],
    ['revoked', 'REVOKED'],
  ])('never activates a certificate the config keeps %s', async (status, awsStatus) => {
    editThing(0, { status, quarantined: true, quarantinedAt: '2026-12-07T18:00:00Z' });
    iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { status: awsStatus } });
    const run = await runDevice(repo, ['release', '--env', 'dev', '--thing', 'sensor-001']);
    expect(run.code).toBe(0);
    expect(iot.commandCalls(UpdateCertificateCommand)).toHaveLength(0);
    expect(run.stdout).toContain(`stays ${awsStatus}`);
    const thing = repo.config().iot.things[0];
    expect(thing).toMatchObject({ status });
    expect(thing).not.toHaveProperty('quarantined');
    expect(thing).not.toHaveProperty('quarantinedAt');
  });

  it('never activates a certificate AWS IoT has REVOKED, even when the config says active', async () => {
    editThing(0, { quarantined: true });
    iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { status: 'REVOKED' } });
    const run = await runDevice(repo, ['release', '--env', 'dev', '--thing', 'sensor-001']);
    expect(run.code).toBe(0);
    expect(iot.commandCalls(UpdateCertificateCommand)).toHaveLength(0);
    expect(run.stdout).toContain('stays REVOKED: AWS IoT never makes it active again');
  });
});

describe('keyless device quarantine / release --identity-id (Krypton)', () => {
  it('quarantine checks the identity is one of the pool, then records it with its time and names the deploy', async () => {
    const run = await runDevice(repo, ['quarantine', '--env', 'dev', '--identity-id', IDENTITY]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(cognito.commandCalls(LookupDeveloperIdentityCommand).map((c) => c.args[0].input)).toEqual([
      { IdentityPoolId: POOL, IdentityId: IDENTITY, MaxResults: 1 },
    ]);
    const entries = (repo.config().krypton as { quarantinedIdentities: Array<Record<string, string>> })
      .quarantinedIdentities;
    expect(entries).toEqual([
      { identityId: IDENTITY, quarantinedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) },
    ]);
    expect(run.stdout).toContain(`cdk deploy -c env=dev ${stackName('dev', 'KryptonAccess')}`);
    expect(run.stdout).toContain('denies every session of the identity');
    expect(iot.calls()).toHaveLength(0);

    const release = await runDevice(repo, ['release', '--env', 'dev', '--identity-id', IDENTITY, '--json']);
    expect(release.code).toBe(0);
    expect(repo.config().krypton).not.toHaveProperty('quarantinedIdentities');
    expect(JSON.parse(release.stdout)).toMatchObject({
      identityId: IDENTITY,
      quarantined: false,
      configChanged: true,
    });
  });

  it('a second quarantine keeps the recorded time; releasing an identity that is not listed changes nothing and says so', async () => {
    const config = repo.config();
    (config.krypton as Record<string, unknown>).quarantinedIdentities = [
      { identityId: IDENTITY, quarantinedAt: '2026-01-01T00:00:00Z' },
    ];
    writeFileSync(repo.configFile, JSON.stringify(config, null, 2));
    const before = repo.configText();
    const again = await runDevice(repo, ['quarantine', '--env', 'dev', '--identity-id', IDENTITY, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({
      quarantinedAt: '2026-01-01T00:00:00Z',
      configChanged: false,
    });
    expect(repo.configText()).toBe(before);

    const other = IDENTITY.replace(/1$/, '2');
    const release = await runDevice(repo, ['release', '--env', 'dev', '--identity-id', other]);
    expect(release.code).toBe(0);
    expect(release.stdout).toContain(`identity ${other} was not quarantined`);
    expect(repo.configText()).toBe(before);
  });

  it('refuses an identity the pool does not have, changing nothing', async () => {
    cognito
      .on(LookupDeveloperIdentityCommand)
      .rejects(new CognitoNotFound({ message: 'no such identity', $metadata: {} }));
    const before = repo.configText();
    const run = await runDevice(repo, ['quarantine', '--env', 'dev', '--identity-id', IDENTITY]);
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(run.error?.message).toMatch(new RegExp(`identity ${IDENTITY} is not an identity of pool ${POOL}`));
    expect(repo.configText()).toBe(before);
  });

  it.each<[string, string[], RegExp]>([
    ['neither --thing nor --identity-id', [], /give exactly one of --thing <name> or --identity-id <id>/],
    ['both', ['--thing', 'sensor-001', '--identity-id', IDENTITY], /give exactly one of/],
    [
      'an identity id that is not one',
      ['--identity-id', 'sim-001'],
      /--identity-id must be a Cognito identity id/,
    ],
    [
      'an identity of another region',
      ['--identity-id', 'us-east-1:0f1e2d3c'],
      /is an identity of us-east-1, but environment dev is in ap-northeast-1/,
    ],
  ])('refuses %s before any call', async (_what, args, message) => {
    const before = repo.configText();
    const run = await runDevice(repo, ['quarantine', '--env', 'dev', ...args]);
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(run.error?.message).toMatch(message);
    expect(cognito.calls()).toHaveLength(0);
    expect(iot.calls()).toHaveLength(0);
    expect(repo.configText()).toBe(before);
  });
});
