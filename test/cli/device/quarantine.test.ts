import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
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
import {
  describeIdentityQuarantine,
  describeQuarantine,
  type IdentityQuarantineResult,
  type QuarantineResult,
} from '../../../lib/cli/device/quarantine';
import { EXIT_CODES } from '../../../lib/cli/exit-codes';
import { certificateIdOutput, fleetStackName, stackName } from '../../../lib/contract';
import { deployedStackAnswer } from '../../support/stack-answers';
import {
  certificateIdOf,
  cloudFormation,
  cognito,
  iot,
  runDevice,
  type DeviceRepo,
  startDeviceTest,
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
  repo = startDeviceTest();
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

describe('keyless device quarantine / release: what is left when AWS IoT refuses', () => {
  const throttled = () =>
    Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} });

  it('a release AWS IoT refuses changes nothing, says so, and keeps the cause', async () => {
    editThing(0, { quarantined: true, quarantinedAt: '2026-12-07T18:00:00Z' });
    iot.on(UpdateThingCommand).rejects(throttled());
    const before = repo.configText();
    const run = await runDevice(repo, ['release', '--env', 'dev', '--thing', 'sensor-001']);
    expect(run.code).toBe(EXIT_CODES.remote);
    expect(run.error?.message).toMatch(
      /^AWS IoT did not release thing sensor-001: .*Rate exceeded.*\. Nothing changed \(\S*config\/dev.json untouched\); fix the cause and run the command again$/,
    );
    expect((run.error as Error & { cause?: Error }).cause?.message).toMatch(/Rate exceeded/);
    expect(iot.commandCalls(UpdateCertificateCommand)).toHaveLength(0);
    expect(repo.configText()).toBe(before);
  });

  it('a release whose certificate AWS IoT refuses to activate is recorded, fails (exit 4) and names the deploy', async () => {
    editThing(0, { quarantined: true, quarantinedAt: '2026-12-07T18:00:00Z' });
    iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { status: 'INACTIVE' } });
    iot.on(UpdateCertificateCommand).rejects(throttled());
    const run = await runDevice(repo, ['release', '--env', 'dev', '--thing', 'sensor-001']);
    expect(run.code).toBe(EXIT_CODES.remote);
    expect(run.error?.message).toMatch(
      new RegExp(
        `^thing sensor-001 is released \\(its attribute, and \\S*config/dev.json\\), but AWS IoT did not set certificate ${certificateIdOf('sensor-001')} ACTIVE: .*Rate exceeded.*\\. Run the command again, or deploy: npx cdk deploy -c env=dev ${fleetStackName('dev', 1)}$`,
      ),
    );
    expect((run.error as Error & { cause?: Error }).cause?.message).toMatch(/Rate exceeded/);
    expect(repo.config().iot.things[0]).not.toHaveProperty('quarantined');
  });
});

describe('keyless device quarantine: a thing with no certificate deployed', () => {
  it('a thing without a CSR has no certificate to look up: the attribute and the config alone', async () => {
    rmSync(path.join(repo.root, 'fleet', 'dev', 'sensor-001', 'csr.pem'));
    const run = await runDevice(repo, ['quarantine', '--env', 'dev', '--thing', 'sensor-001', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ applied: true, certificate: null });
    expect(iot.commandCalls(UpdateThingCommand)).toHaveLength(1);
    expect(iot.commandCalls(DescribeCertificateCommand)).toHaveLength(0);
    expect(iot.commandCalls(UpdateCertificateCommand)).toHaveLength(0);
  });

  it('a Fleet stack deployed before the CSR (empty certificate output) has no certificate to change', async () => {
    const fleet = fleetStackName('dev', 1);
    cloudFormation.on(DescribeStacksCommand, { StackName: fleet }).resolves(
      deployedStackAnswer(fleet, {
        [certificateIdOutput('sensor-001').key]: '',
        [certificateIdOutput('sensor-002').key]: certificateIdOf('sensor-002'),
      }),
    );
    const run = await runDevice(repo, ['quarantine', '--env', 'dev', '--thing', 'sensor-001', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ applied: true, certificate: null });
    expect(iot.commandCalls(DescribeCertificateCommand)).toHaveLength(0);
    expect(iot.commandCalls(UpdateCertificateCommand)).toHaveLength(0);
  });
});

describe('keyless device quarantine --identity-id: what is refused', () => {
  it('refuses an environment without a krypton section, changing nothing', async () => {
    const config = repo.config();
    delete config.krypton;
    writeFileSync(repo.configFile, JSON.stringify(config, null, 2));
    const before = repo.configText();
    const run = await runDevice(repo, ['quarantine', '--env', 'dev', '--identity-id', IDENTITY]);
    expect(run.code).toBe(EXIT_CODES.configuration);
    expect(run.error?.message).toMatch(/^environment dev has no krypton section in \S*config\/dev.json$/);
    expect(cognito.calls()).toHaveLength(0);
    expect(repo.configText()).toBe(before);
  });

  it('another identity on the list does not count: the identity is checked and gets its own entry and time', async () => {
    const other = { identityId: IDENTITY.replace(/1$/, '2'), quarantinedAt: '2026-01-01T00:00:00Z' };
    const config = repo.config();
    (config.krypton as Record<string, unknown>).quarantinedIdentities = [other];
    writeFileSync(repo.configFile, JSON.stringify(config, null, 2));
    const run = await runDevice(repo, ['quarantine', '--env', 'dev', '--identity-id', IDENTITY]);
    expect(run.code).toBe(0);
    expect(cognito.commandCalls(LookupDeveloperIdentityCommand)).toHaveLength(1);
    const entries = (repo.config().krypton as { quarantinedIdentities: unknown[] }).quarantinedIdentities;
    expect(entries).toEqual([
      other,
      { identityId: IDENTITY, quarantinedAt: expect.not.stringMatching(/^2026-01-01T00:00:00Z$/) },
    ]);
  });

  it('names the pool, the environment and where the id comes from when the pool does not have the identity', async () => {
    cognito
      .on(LookupDeveloperIdentityCommand)
      .rejects(new CognitoNotFound({ message: 'no such identity', $metadata: {} }));
    const run = await runDevice(repo, ['quarantine', '--env', 'dev', '--identity-id', IDENTITY]);
    expect(run.error?.message).toMatch(
      new RegExp(
        `^identity ${IDENTITY} is not an identity of pool ${POOL} \\(environment dev\\): check the id \\(the SIM's krypton/<id>/ prefix\\); nothing changed \\(\\S*config/dev.json untouched\\)$`,
      ),
    );
  });

  it('any other Cognito failure is a remote failure (exit 4), not a bad id, and changes nothing', async () => {
    cognito
      .on(LookupDeveloperIdentityCommand)
      .rejects(
        Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException', $metadata: {} }),
      );
    const before = repo.configText();
    const run = await runDevice(repo, ['quarantine', '--env', 'dev', '--identity-id', IDENTITY]);
    expect(run.code).toBe(EXIT_CODES.remote);
    expect(run.error?.message).toMatch(/Rate exceeded/);
    expect(repo.configText()).toBe(before);
  });

  it('validates the file again as it writes it: an edit made meanwhile that breaks the config is not written over', async () => {
    // The file is read again for the write (after the Cognito check), so the dry run's validation does not cover it.
    let broken = '';
    cognito.on(LookupDeveloperIdentityCommand).callsFake(() => {
      const config = repo.config();
      config.account = 'not-an-account';
      writeFileSync(repo.configFile, JSON.stringify(config, null, 2));
      broken = repo.configText();
      return { IdentityId: IDENTITY };
    });
    const run = await runDevice(repo, ['quarantine', '--env', 'dev', '--identity-id', IDENTITY]);
    expect(run.code).toBe(EXIT_CODES.configuration);
    expect(run.error?.message).toMatch(
      /^\S*config\/dev.json could not be written \(.*not-an-account.*\): nothing changed$/s,
    );
    expect((run.error as Error & { cause?: Error }).cause?.message).toMatch(/not-an-account/);
    expect(repo.configText()).toBe(broken);
  });

  it.each<[string, string | undefined, string]>([
    ['another identity', IDENTITY.replace(/1$/, '2'), IDENTITY.replace(/1$/, '2')],
    ['no identity', undefined, '(none)'],
  ])('refuses when Cognito answers %s, changing nothing', async (_what, answered, shownAs) => {
    cognito.on(LookupDeveloperIdentityCommand).resolves({ IdentityId: answered });
    const before = repo.configText();
    const run = await runDevice(repo, ['quarantine', '--env', 'dev', '--identity-id', IDENTITY]);
    expect(run.code).toBe(EXIT_CODES.remote);
    expect(run.error?.message).toBe(
      `Cognito answered identity ${shownAs} when asked about ${IDENTITY}: nothing changed`,
    );
    expect(repo.configText()).toBe(before);
  });
});

describe('what the operator reads after a quarantine or release', () => {
  const CMD = 'npx cdk deploy -c env=dev Fleet';
  const thing: QuarantineResult = {
    env: 'dev',
    thing: 'sensor-001',
    quarantined: true,
    quarantinedAt: '2026-12-07T18:00:00Z',
    applied: true,
    certificate: { certificateId: 'c1', previousStatus: 'ACTIVE', status: 'INACTIVE', updated: true },
    configFile: 'config/dev.json',
    configChanged: true,
    stackName: 'Fleet',
    deployCommand: CMD,
  };
  const released: QuarantineResult = {
    ...thing,
    quarantined: false,
    quarantinedAt: null,
    certificate: { certificateId: 'c1', previousStatus: 'INACTIVE', status: 'ACTIVE', updated: true },
  };
  const bulk = (status: string) =>
    'A certificate made outside its Fleet stack (keyless fleet register --bulk) is not changed: find it with ' +
    '`aws iot list-thing-principals --thing-name sensor-001` and use `aws iot update-certificate --new-status ' +
    `${status}\`.`;

  it('a quarantine: what is refused now, the certificate, what the config keeps, and the deploy that ends earlier sessions', () => {
    expect(describeQuarantine(thing, 3600)).toEqual([
      'thing sensor-001 is quarantined: the IoT policy denies it credentials, MQTT connections and topics (AWS IoT applies such changes within minutes).',
      'certificate c1 is now INACTIVE (was ACTIVE): AWS IoT refuses it whatever the thing attributes say, and disconnects devices using it within minutes.',
      'config/dev.json now records it ("quarantined": true, "quarantinedAt": "2026-12-07T18:00:00Z"): deploys keep the quarantine.',
      `Deploy now so the device role also refuses the credentials issued to it before 2026-12-07T18:00:00Z (+900 s while AWS IoT applies the change); until then they stay valid until they expire (at most 3600 s, iot.roleAlias.credentialDurationSeconds): ${CMD}`,
    ]);
  });

  it('a release: the attribute is gone, the certificate, and the deploy that stops the deny', () => {
    expect(describeQuarantine({ ...released, configChanged: false }, 3600)).toEqual([
      'thing sensor-001 is released: the quarantine attribute is gone, so the IoT policy gives it credentials and MQTT again (within minutes).',
      'certificate c1 is now ACTIVE (was INACTIVE).',
      `config/dev.json already recorded it (no "quarantined"). Deploy so CloudFormation's record agrees and the device role stops denying its earlier sessions: ${CMD}`,
    ]);
  });

  it.each<[string, QuarantineResult, string, string]>([
    ['quarantined', thing, 'INACTIVE while the thing is quarantined', 'INACTIVE'],
    ['released', released, 'as iot.things[].status says', 'ACTIVE'],
  ])(
    'a thing AWS IoT does not have yet: its first deploy creates it %s',
    (word, result, whenDeployed, status) => {
      expect(describeQuarantine({ ...result, applied: false, certificate: null }, 3600)).toEqual([
        `thing sensor-001 does not exist in AWS IoT yet; config/dev.json now records it, so its first deploy creates it ${word}: ${CMD}`,
        `No certificate of sensor-001 is deployed by Fleet yet; when it is, it is ${whenDeployed}. ${bulk(status)}`,
      ]);
    },
  );

  it.each<[string, string, QuarantineResult, string]>([
    ['quarantine', 'INACTIVE', thing, 'certificate c1 was already INACTIVE.'],
    ['release', 'ACTIVE', released, 'certificate c1 stays ACTIVE.'],
    [
      'release',
      'INACTIVE',
      released,
      'certificate c1 stays INACTIVE, as the config\'s "status" says (`npx keyless device revoke` set it; release does not undo that).',
    ],
    [
      'release',
      'REVOKED',
      released,
      'certificate c1 stays REVOKED: AWS IoT never makes it active again; give the device a new key and certificate with `npx keyless enroll --force`.',
    ],
  ])('a %s that leaves a certificate %s says why', (_what, status, result, line) => {
    const certificate = { certificateId: 'c1', previousStatus: status, status, updated: false };
    expect(describeQuarantine({ ...result, certificate }, 3600)[1]).toBe(line);
  });

  const identity: IdentityQuarantineResult = {
    env: 'dev',
    identityId: IDENTITY,
    quarantined: true,
    quarantinedAt: '2026-12-07T18:00:00Z',
    configFile: 'config/dev.json',
    configChanged: true,
    stackName: 'KryptonAccess',
    deployCommand: CMD,
  };

  it.each<[boolean, string]>([
    [true, 'now records'],
    [false, 'already recorded'],
  ])(
    'a Krypton identity quarantine (config changed: %s) is the deploy, and names the SIM switch',
    (changed, says) => {
      expect(describeIdentityQuarantine({ ...identity, configChanged: changed })).toEqual([
        `identity ${IDENTITY} is quarantined in the config (krypton.quarantinedIdentities, since 2026-12-07T18:00:00Z); config/dev.json ${says} it.`,
        `Deploy now: nothing refuses it before the deploy. After it, the Krypton device role denies every session of the identity, those issued before and any Krypton hands out later: ${CMD}`,
        'To stop Krypton issuing credentials at all, suspend the SIM at SORACOM (`npx keyless device offboard-sim --sim-id` ends it for good).',
      ]);
    },
  );

  it.each<[boolean, string]>([
    [true, `identity ${IDENTITY} is released in the config (no longer in krypton.quarantinedIdentities).`],
    [
      false,
      `identity ${IDENTITY} was not quarantined (not in krypton.quarantinedIdentities); nothing changed.`,
    ],
  ])('a Krypton identity release (config changed: %s) stays denied until deployed', (changed, first) => {
    const result = { ...identity, quarantined: false, quarantinedAt: null, configChanged: changed };
    expect(describeIdentityQuarantine(result)).toEqual([
      first,
      `Its sessions stay denied until this is deployed: ${CMD}`,
    ]);
  });
});
