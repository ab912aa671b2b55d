import { writeFileSync } from 'node:fs';
import {
  DescribeCertificateCommand,
  ResourceNotFoundException,
  UpdateCertificateCommand,
  UpdateThingCommand,
} from '@aws-sdk/client-iot';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { EXIT_CODES } from '../../../lib/cli/exit-codes';
import { fleetStackName, QUARANTINE_ATTRIBUTE } from '../../../lib/contract';
import { deployedStackAnswer } from '../../support/stack-answers';
import {
  certificateIdOf,
  clientsIn,
  cloudFormation,
  iot,
  KEY_MARKER,
  runDevice,
  sts,
  type DeviceRepo,
  startDeviceTest,
} from './device-fixture';

let repo: DeviceRepo;
beforeEach(() => {
  repo = startDeviceTest();
  iot.on(UpdateThingCommand).resolves({});
});
afterEach(() => repo.remove());

/** The config file as it is, with one thing's entry replaced: what a command may change and nothing else. */
function configWith(thing: string, entry: (before: Record<string, unknown>) => Record<string, unknown>) {
  const config = repo.config();
  config.iot.things = config.iot.things.map((t) => (t.name === thing ? entry(t) : t));
  return config;
}

describe('keyless device revoke', () => {
  it('sets the certificate REVOKED in AWS IoT at once, records it in the config, and names the deploy', async () => {
    const expected = configWith('sensor-001', (t) => ({ ...t, status: 'revoked' }));
    const run = await runDevice(repo, ['revoke', '--env', 'dev', '--thing', 'sensor-001']);

    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(iot.commandCalls(UpdateCertificateCommand).map((c) => c.args[0].input)).toEqual([
      { certificateId: certificateIdOf('sensor-001'), newStatus: 'REVOKED' },
    ]);
    // Only that thing's entry changed; everything else in the file is as it was.
    expect(repo.config()).toEqual(expected);
    expect(run.stdout).toContain(
      `certificate ${certificateIdOf('sensor-001')} of thing sensor-001 is now REVOKED (was ACTIVE).`,
    );
    expect(run.stdout).toContain('"status": "revoked" for sensor-001');
    expect(run.stdout).toMatch(
      new RegExp(`Deploy so CloudFormation agrees: .*cdk deploy .*${fleetStackName('dev', 1)}`),
    );
    expect(run.stdout).not.toContain(KEY_MARKER);
  });

  it('--inactive sets INACTIVE, and --json answers the result on stdout with the messages on stderr', async () => {
    const run = await runDevice(repo, [
      'revoke',
      '--env',
      'dev',
      '--thing',
      'sensor-002',
      '--inactive',
      '--json',
    ]);

    expect(run.code).toBe(0);
    expect(iot.commandCalls(UpdateCertificateCommand)[0].args[0].input.newStatus).toBe('INACTIVE');
    expect(JSON.parse(run.stdout)).toEqual({
      env: 'dev',
      thing: 'sensor-002',
      certificateId: certificateIdOf('sensor-002'),
      previousStatus: 'ACTIVE',
      status: 'INACTIVE',
      updated: true,
      configFile: expect.stringMatching(/config\/dev\.json$/),
      configChanged: true,
      stackName: fleetStackName('dev', 1),
      deployCommand: expect.stringContaining(fleetStackName('dev', 1)),
    });
    expect(run.stderr).toContain('it can be made active again');
    expect(repo.config().iot.things.find((t) => t.name === 'sensor-002')).toMatchObject({
      status: 'inactive',
    });
  });

  it('a certificate AWS IoT already has REVOKED is not updated again; the config still records it', async () => {
    iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { status: 'REVOKED' } });
    const run = await runDevice(repo, ['revoke', '--env', 'dev', '--thing', 'sensor-001']);
    expect(run.code).toBe(0);
    expect(iot.commandCalls(UpdateCertificateCommand)).toHaveLength(0);
    expect(run.stdout).toContain('was already REVOKED');
    expect(repo.config().iot.things[0]).toMatchObject({ status: 'revoked' });
  });

  it('refuses --inactive for a certificate that is REVOKED: AWS IoT never brings one back', async () => {
    iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { status: 'REVOKED' } });
    const before = repo.configText();
    const run = await runDevice(repo, ['revoke', '--env', 'dev', '--thing', 'sensor-001', '--inactive']);
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(run.error?.message).toMatch(/already REVOKED in AWS IoT, for good/);
    expect(iot.commandCalls(UpdateCertificateCommand)).toHaveLength(0);
    expect(repo.configText()).toBe(before);
  });

  // Each way the command can fail: a clear error, its exit code, AWS not changed, the config untouched.
  const failures: Array<[string, () => void, string[], number, RegExp]> = [
    [
      'an unknown thing',
      () => {},
      ['--thing', 'sensor-404'],
      EXIT_CODES.usage,
      /^sensor-404: not in iot.things of \S*config\/dev.json \(known: sensor-001, sensor-002\)$/,
    ],
    [
      'a Fleet stack without the certificate output',
      () =>
        cloudFormation
          .on(DescribeStacksCommand, { StackName: fleetStackName('dev', 1) })
          .resolves(deployedStackAnswer(fleetStackName('dev', 1), {})),
      ['--thing', 'sensor-001'],
      EXIT_CODES.remote,
      /has no output .*: thing sensor-001 was not deployed with a certificate/,
    ],
    [
      'credentials of another account',
      () =>
        sts
          .on(GetCallerIdentityCommand)
          .resolves({ Account: '222222222222', Arn: 'arn:aws:iam::222222222222:role/x' }),
      ['--thing', 'sensor-001'],
      EXIT_CODES.remote,
      /credentials in use are for account 222222222222 .* deploys to account 111111111111/,
    ],
    [
      'a certificate AWS IoT does not have',
      () =>
        iot
          .on(DescribeCertificateCommand)
          .rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} })),
      ['--thing', 'sensor-001'],
      EXIT_CODES.remote,
      /does not exist in AWS IoT .* though its Fleet stack names it/,
    ],
    [
      'UpdateCertificate refused',
      () =>
        iot.on(UpdateCertificateCommand).rejects(
          Object.assign(new Error('User is not authorized to perform: iot:UpdateCertificate'), {
            name: 'AccessDeniedException',
            $metadata: {},
          }),
        ),
      ['--thing', 'sensor-001'],
      EXIT_CODES.remote,
      /AWS IoT did not set certificate .* REVOKED: .*not authorized.*Nothing changed \(.*config\/dev.json untouched\)/,
    ],
  ];
  it.each(failures)('fails closed on %s', async (_name, arrange, args, code, message) => {
    arrange();
    const before = repo.configText();
    const run = await runDevice(repo, ['revoke', '--env', 'dev', ...args]);
    expect(run.code).toBe(code);
    expect(run.error?.message).toMatch(message);
    expect(repo.configText()).toBe(before);
    if (!/UpdateCertificate refused/.test(_name)) {
      expect(iot.commandCalls(UpdateCertificateCommand)).toHaveLength(0);
    }
  });

  it('refuses a shell pointed at another region before any call', async () => {
    const before = repo.configText();
    const run = await runDevice(repo, ['revoke', '--env', 'dev', '--thing', 'sensor-001'], {
      clients: () => clientsIn('us-east-1'),
    });
    expect(run.code).toBe(EXIT_CODES.remote);
    expect(run.error?.message).toMatch(/region in use is us-east-1/);
    expect(iot.calls()).toHaveLength(0);
    expect(repo.configText()).toBe(before);
  });
});

describe('keyless device quarantine / release', () => {
  it('quarantine sets the attribute (merged, nothing else touched) and the certificate INACTIVE at once, and records both in the config', async () => {
    const before = new Date(Math.floor(Date.now() / 1000) * 1000);
    const run = await runDevice(repo, ['quarantine', '--env', 'dev', '--thing', 'sensor-001']);
    const after = new Date();

    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(iot.commandCalls(UpdateThingCommand).map((c) => c.args[0].input)).toEqual([
      {
        thingName: 'sensor-001',
        attributePayload: { attributes: { [QUARANTINE_ATTRIBUTE.name]: 'true' }, merge: true },
      },
    ]);
    // The certificate is refused too, whether or not the credentials provider resolves thing attributes.
    expect(iot.commandCalls(UpdateCertificateCommand).map((c) => c.args[0].input)).toEqual([
      { certificateId: certificateIdOf('sensor-001'), newStatus: 'INACTIVE' },
    ]);
    const recorded = repo.config().iot.things[0];
    const quarantinedAt = String(recorded.quarantinedAt);
    expect(quarantinedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Date.parse(quarantinedAt)).toBeGreaterThanOrEqual(before.getTime());
    expect(Date.parse(quarantinedAt)).toBeLessThanOrEqual(after.getTime());
    // Only that thing's entry changed, and its status stays "active": the config's quarantine keeps it INACTIVE.
    expect(repo.config()).toEqual(
      configWith('sensor-001', (t) => ({ ...t, quarantined: true, quarantinedAt })),
    );
    expect(run.stdout).toContain('thing sensor-001 is quarantined: the IoT policy denies it credentials');
    expect(run.stdout).toContain(`certificate ${certificateIdOf('sensor-001')} is now INACTIVE (was ACTIVE)`);
    expect(run.stdout).toContain(`refuses the credentials issued to it before ${quarantinedAt}`);
  });

  it('release removes the attribute (an empty value, merged), activates the certificate again and drops both config fields', async () => {
    await runDevice(repo, ['quarantine', '--env', 'dev', '--thing', 'sensor-001']);
    const released = configWith('sensor-001', (t) =>
      Object.fromEntries(
        Object.entries(t).filter(([key]) => key !== 'quarantined' && key !== 'quarantinedAt'),
      ),
    );
    iot.resetHistory();
    iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { status: 'INACTIVE' } });
    const run = await runDevice(repo, ['release', '--env', 'dev', '--thing', 'sensor-001', '--json']);

    expect(run.code).toBe(0);
    expect(iot.commandCalls(UpdateThingCommand)[0].args[0].input).toEqual({
      thingName: 'sensor-001',
      attributePayload: { attributes: { [QUARANTINE_ATTRIBUTE.name]: '' }, merge: true },
    });
    expect(iot.commandCalls(UpdateCertificateCommand).map((c) => c.args[0].input)).toEqual([
      { certificateId: certificateIdOf('sensor-001'), newStatus: 'ACTIVE' },
    ]);
    expect(repo.config()).toEqual(released);
    expect(JSON.parse(run.stdout)).toMatchObject({
      thing: 'sensor-001',
      quarantined: false,
      quarantinedAt: null,
      applied: true,
      certificate: { previousStatus: 'INACTIVE', status: 'ACTIVE', updated: true },
    });
  });

  it('a thing AWS IoT does not have yet is quarantined by the config alone, and says so', async () => {
    iot.on(UpdateThingCommand).rejects(new ResourceNotFoundException({ message: 'no thing', $metadata: {} }));
    const run = await runDevice(repo, ['quarantine', '--env', 'dev', '--thing', 'sensor-002']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/does not exist in AWS IoT yet; .* its first deploy creates it quarantined/);
    expect(repo.config().iot.things[1]).toMatchObject({ quarantined: true });
  });

  it('fails closed when AWS IoT refuses: exit 4, config untouched', async () => {
    iot
      .on(UpdateThingCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} }));
    const before = repo.configText();
    const run = await runDevice(repo, ['quarantine', '--env', 'dev', '--thing', 'sensor-001']);
    expect(run.code).toBe(EXIT_CODES.remote);
    expect(run.error?.message).toMatch(/AWS IoT did not quarantine thing sensor-001: .*Nothing changed/);
    expect(repo.configText()).toBe(before);
  });

  it('fails closed for an unknown thing or another account, before AWS IoT is called', async () => {
    const before = repo.configText();
    expect((await runDevice(repo, ['quarantine', '--env', 'dev', '--thing', 'nope'])).code).toBe(
      EXIT_CODES.usage,
    );
    sts.on(GetCallerIdentityCommand).resolves({ Account: '222222222222' });
    expect((await runDevice(repo, ['release', '--env', 'dev', '--thing', 'sensor-001'])).code).toBe(
      EXIT_CODES.remote,
    );
    expect(iot.commandCalls(UpdateThingCommand)).toHaveLength(0);
    expect(repo.configText()).toBe(before);
  });

  it('refuses a quarantine the config could not hold, before AWS IoT is called', async () => {
    // A thing already at the limit of attributes (3: CloudFormation creates the thing untyped) has no room for
    // the quarantine attribute. The file is valid as it is; only the edit is not.
    const config = repo.config();
    config.iot.things[0].attributes = { Owner: 'keyless', Site: 'tokyo', Rack: 'r1' };
    writeFileSync(repo.configFile, JSON.stringify(config, null, 2));
    const before = repo.configText();
    const run = await runDevice(repo, ['quarantine', '--env', 'dev', '--thing', 'sensor-001']);
    expect(run.code).toBe(EXIT_CODES.configuration);
    expect(run.error?.message).toMatch(/iot\.things\[0\]\.quarantined/);
    expect(run.error?.message).toMatch(/the quarantine attribute is one more/);
    expect(iot.commandCalls(UpdateThingCommand)).toHaveLength(0);
    expect(repo.configText()).toBe(before);
  });
});
