import * as fs from 'node:fs';
import * as path from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeCertificateCommand,
  ResourceNotFoundException,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { loadEditableConfig, type EditableConfig } from '../../../lib/cli/device/context';
import {
  describeRevocation,
  recordAfterAws,
  revokeCertificate,
  type RevokeResult,
} from '../../../lib/cli/device/revoke';
import { EXIT_CODES, RemoteServiceError } from '../../../lib/cli/exit-codes';
import { ConfigError } from '../../../lib/config';
import { certificateIdOutput, fleetStackName } from '../../../lib/contract';
import { deployedStackAnswer } from '../../support/stack-answers';
import {
  certificateIdOf,
  clientsIn,
  cloudFormation,
  iot,
  KEY_MARKER,
  runDevice,
  type DeviceRepo,
  startDeviceTest,
} from './device-fixture';

/**
 * `keyless device revoke`, rule by rule: what it refuses before AWS is asked, what it changes in AWS IoT and in the
 * config (and what a failure leaves of each), and exactly what the operator reads. The happy paths and the
 * fail-closed table are in revoke-quarantine.test.ts.
 */

let repo: DeviceRepo;
beforeEach(() => {
  repo = startDeviceTest();
});
afterEach(() => repo.remove());

const CERT = () => certificateIdOf('sensor-001');
const STACK = fleetStackName('dev', 1);
const DEPLOY = `npx cdk deploy -c env=dev ${STACK}`;
const revoke = (...args: string[]) =>
  runDevice(repo, ['revoke', '--env', 'dev', '--thing', 'sensor-001', ...args]);
const editable = (): EditableConfig =>
  loadEditableConfig('dev', { repoRoot: repo.root, configDir: path.join(repo.root, 'config') });

/** The config with sensor-001's entry changed, written as the operator would. */
function recordFirstThing(fields: Record<string, unknown>): void {
  const config = repo.config();
  config.iot.things[0] = { ...config.iot.things[0], ...fields };
  fs.writeFileSync(repo.configFile, `${JSON.stringify(config, null, 2)}\n`);
}

function expired(): Error {
  return Object.assign(new Error('The security token included in the request is expired'), {
    name: 'ExpiredTokenException',
    $metadata: {},
  });
}
const EXPIRED = 'the AWS credentials have expired: refresh them (e.g. `aws sso login`) and try again';

describe('refused before AWS is asked to change anything', () => {
  it.each([
    ['revoke', [] as string[]],
    ['deactivate', ['--inactive']],
  ])('a thing without a CSR has no certificate to %s', async (verb, args) => {
    fs.rmSync(path.join(repo.root, 'fleet', 'dev', 'sensor-001', 'csr.pem'));
    const before = repo.configText();
    const run = await revoke(...args);
    expect(run.code).toBe(EXIT_CODES.configuration);
    expect(run.error?.message).toBe(
      `thing sensor-001 has no CSR (fleet/dev/sensor-001/csr.pem), so it has no certificate to ${verb}`,
    );
    expect(iot.calls()).toHaveLength(0);
    expect(repo.configText()).toBe(before);
  });

  it('--inactive for a thing the config records revoked: AWS IoT never brings a revoked certificate back', async () => {
    recordFirstThing({ status: 'revoked' });
    const before = repo.configText();
    const run = await revoke('--inactive');
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(run.error?.message).toBe(
      `thing sensor-001 is "revoked" in ${repo.configFile}: a revoked certificate can never be made inactive or active again; ` +
        'give the device a new key and certificate with `npx keyless enroll --env dev --thing sensor-001 --force`',
    );
    expect(iot.calls()).toHaveLength(0);
    expect(repo.configText()).toBe(before);
  });

  it('--inactive for a certificate AWS IoT has REVOKED: the message names the command that records it', async () => {
    iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { status: 'REVOKED' } });
    const run = await revoke('--inactive');
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(run.error?.message).toBe(
      `certificate ${CERT()} of thing sensor-001 is already REVOKED in AWS IoT, for good: record it with ` +
        '`npx keyless device revoke --env dev --thing sensor-001` (without --inactive)',
    );
  });

  it('a Fleet stack without the certificate output: the message names the output and the bulk path', async () => {
    cloudFormation.on(DescribeStacksCommand, { StackName: STACK }).resolves(deployedStackAnswer(STACK, {}));
    const run = await revoke();
    expect(run.code).toBe(EXIT_CODES.remote);
    expect(run.error?.message).toBe(
      `stack ${STACK} has no output ${certificateIdOutput('sensor-001').key}: thing sensor-001 was not deployed with a certificate. ` +
        'A certificate made outside its Fleet stack (keyless fleet register --bulk) is revoked with `aws iot list-thing-principals --thing-name sensor-001` ' +
        'and `aws iot update-certificate --new-status REVOKED`',
    );
    expect(iot.calls()).toHaveLength(0);
  });

  it('an edit the loader would refuse stops the command before AWS IoT changes', async () => {
    const config = editable();
    const seen: unknown[] = [];
    const refusing: EditableConfig = {
      ...config,
      validate: (raw) => {
        seen.push(JSON.parse(JSON.stringify(raw)));
        throw new ConfigError('refused by the loader');
      },
    };
    const before = repo.configText();
    await expect(revokeCertificate(refusing, clientsIn(), 'sensor-001', 'revoked')).rejects.toThrow(
      'refused by the loader',
    );
    // The loader was shown the edit itself (the thing REVOKED), not the file as it was.
    expect((seen[0] as { iot: { things: Array<{ status?: string }> } }).iot.things[0].status).toBe('revoked');
    expect(iot.commandCalls(UpdateCertificateCommand)).toHaveLength(0);
    expect(repo.configText()).toBe(before);
  });
});

describe('what AWS IoT answers about the certificate', () => {
  it.each([
    ['no certificate description', {}],
    ['a description without a status', { certificateDescription: {} }],
  ])('%s: refused, naming the certificate, nothing changed', async (_what, answer) => {
    iot.on(DescribeCertificateCommand).resolves(answer);
    const before = repo.configText();
    const run = await revoke();
    expect(run.code).toBe(EXIT_CODES.remote);
    expect(run.error).toBeInstanceOf(RemoteServiceError);
    expect(run.error?.message).toBe(
      `AWS IoT answered no status for certificate ${CERT()} of thing sensor-001`,
    );
    expect(iot.commandCalls(UpdateCertificateCommand)).toHaveLength(0);
    expect(repo.configText()).toBe(before);
  });

  it('a certificate the stack names but AWS IoT does not have: the stack was changed outside CloudFormation', async () => {
    iot
      .on(DescribeCertificateCommand)
      .rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
    const run = await revoke();
    expect(run.error?.message).toBe(
      `certificate ${CERT()} of thing sensor-001 does not exist in AWS IoT (ap-northeast-1), ` +
        'though its Fleet stack names it: the stack was changed outside CloudFormation; redeploy it',
    );
  });

  it('any other failure to read it is the AWS error, told for people (never "does not exist")', async () => {
    iot.on(DescribeCertificateCommand).rejects(expired());
    const before = repo.configText();
    const run = await revoke();
    expect(run.code).toBe(EXIT_CODES.remote);
    expect(run.error?.message).toBe(EXPIRED);
    expect(iot.commandCalls(UpdateCertificateCommand)).toHaveLength(0);
    expect(repo.configText()).toBe(before);
  });
  // Equivalent (revoke.ts:141, `error instanceof RemoteServiceError` made false): describeAwsError hands back any
  // error whose name is not a credentials error unchanged, so the RemoteServiceError is thrown as it was.

  it('UpdateCertificate refused: the message says nothing changed, and the cause is the AWS error told for people', async () => {
    iot.on(UpdateCertificateCommand).rejects(expired());
    const before = repo.configText();
    const run = await revoke();
    expect(run.code).toBe(EXIT_CODES.remote);
    expect(run.error?.message).toBe(
      `AWS IoT did not set certificate ${CERT()} of thing sensor-001 REVOKED: ${EXPIRED}. ` +
        `Nothing changed (${repo.configFile} untouched); fix the cause and run the command again`,
    );
    expect((run.error?.cause as Error).message).toBe(EXPIRED);
    expect(repo.configText()).toBe(before);
  });
});

describe('what the config records after AWS IoT changed', () => {
  it('revoking again a thing the config records revoked: AWS and the file are left as they are, and it says so', async () => {
    recordFirstThing({ status: 'revoked' });
    iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { status: 'REVOKED' } });
    const before = repo.configText();
    const run = await revoke();
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(iot.commandCalls(UpdateCertificateCommand)).toHaveLength(0);
    expect(repo.configText()).toBe(before);
    expect(run.stdout.trimEnd().split('\n')).toEqual([
      `certificate ${CERT()} of thing sensor-001 was already REVOKED.`,
      'AWS IoT refuses it from now on and disconnects devices using it within minutes; a revoked certificate can never be made active again.',
      'Credentials issued with it before now stay valid until they expire (at most 3600 s, iot.roleAlias.credentialDurationSeconds).',
      `${repo.configFile} already recorded "status": "revoked" for sensor-001.`,
      `Deploy so CloudFormation agrees: ${DEPLOY}`,
    ]);
  });

  it('AWS IoT changed but the file cannot be written: the error says what to set by hand, and keeps the cause', async () => {
    iot.on(UpdateCertificateCommand).callsFake(() => {
      fs.writeFileSync(repo.configFile, '{ not json');
      return {};
    });
    const run = await revoke();
    expect(run.code).toBe(EXIT_CODES.configuration);
    expect(run.error?.message).toMatch(
      new RegExp(
        `^certificate ${CERT()} is REVOKED in AWS IoT, but ${escaped(repo.configFile)} could not be written ` +
          `\\(${escaped(repo.configFile)}: cannot read JSON: .+\\): ` +
          'set "status": "revoked" on sensor-001 by hand before the next deploy, or the deploy undoes it$',
      ),
    );
    expect((run.error?.cause as Error).message).toMatch(/cannot read JSON/);
    expect(run.stdout + run.stderr).not.toContain(KEY_MARKER);
  });

  it('the write is validated as the loader would: a config broken while AWS IoT was asked is not written over', async () => {
    const broken = { ...repo.config(), region: 'nowhere-1' };
    iot.on(UpdateCertificateCommand).callsFake(() => {
      fs.writeFileSync(repo.configFile, `${JSON.stringify(broken, null, 2)}\n`);
      return {};
    });
    const run = await revoke('--inactive');
    expect(run.code).toBe(EXIT_CODES.configuration);
    expect(run.error?.message).toMatch(
      /^certificate \S+ is INACTIVE in AWS IoT, but .* could not be written \(.*nowhere-1.*\): set "status": "inactive" on sensor-001 by hand/s,
    );
    expect(repo.config()).toEqual(broken);
  });
});

describe('recordAfterAws', () => {
  it('answers whether the file changed', () => {
    expect(recordAfterAws(editable(), 'sensor-001', { status: 'inactive' }, 'done')).toBe(true);
    expect(recordAfterAws(editable(), 'sensor-001', { status: 'inactive' }, 'done')).toBe(false);
    expect(repo.config().iot.things[0]).toMatchObject({ status: 'inactive' });
  });

  it.each<[string, Parameters<typeof recordAfterAws>[2], string]>([
    ['a status', { status: 'revoked' }, '"status": "revoked"'],
    [
      'a quarantine',
      { quarantined: true, quarantinedAt: '2026-12-07T18:00:00Z' },
      '"quarantined": true, "quarantinedAt": "2026-12-07T18:00:00Z"',
    ],
    ['a release', { quarantined: false }, '"quarantined": false'],
    [
      'all three',
      { status: 'inactive', quarantined: true, quarantinedAt: '2026-12-07T18:00:00Z' },
      '"status": "inactive", "quarantined": true, "quarantinedAt": "2026-12-07T18:00:00Z"',
    ],
  ])(
    'a file it cannot write: the error names exactly the fields of %s to set by hand',
    (_what, lifecycle, fields) => {
      const config = editable();
      fs.writeFileSync(repo.configFile, '{ not json');
      let thrown: unknown;
      try {
        recordAfterAws(config, 'sensor-001', lifecycle, 'thing sensor-001 is quarantined');
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      const cause = (thrown as Error).cause as Error;
      expect(cause.message).toMatch(/cannot read JSON/);
      expect((thrown as Error).message).toBe(
        `thing sensor-001 is quarantined in AWS IoT, but ${repo.configFile} could not be written (${cause.message}): ` +
          `set ${fields} on sensor-001 by hand before the next deploy, or the deploy undoes it`,
      );
    },
  );
});

describe('describeRevocation', () => {
  const result: RevokeResult = {
    env: 'dev',
    thing: 'sensor-001',
    certificateId: 'c1',
    previousStatus: 'ACTIVE',
    status: 'REVOKED',
    updated: true,
    configFile: 'config/dev.json',
    configChanged: true,
    stackName: 'Fleet',
    deployCommand: 'npx cdk deploy -c env=dev Fleet',
  };

  it('a revocation: done now, never undone, earlier credentials until they expire, the config, the deploy', () => {
    expect(describeRevocation(result, 3600)).toEqual([
      'certificate c1 of thing sensor-001 is now REVOKED (was ACTIVE).',
      'AWS IoT refuses it from now on and disconnects devices using it within minutes; a revoked certificate can never be made active again.',
      'Credentials issued with it before now stay valid until they expire (at most 3600 s, iot.roleAlias.credentialDurationSeconds).',
      'config/dev.json now records "status": "revoked" for sensor-001.',
      'Deploy so CloudFormation agrees: npx cdk deploy -c env=dev Fleet',
    ]);
  });

  it('a deactivation that was already so: it can be made active again, and the config already said it', () => {
    expect(
      describeRevocation(
        { ...result, previousStatus: 'INACTIVE', status: 'INACTIVE', updated: false, configChanged: false },
        900,
      ),
    ).toEqual([
      'certificate c1 of thing sensor-001 was already INACTIVE.',
      'AWS IoT refuses it from now on and disconnects devices using it within minutes; it can be made active again.',
      'Credentials issued with it before now stay valid until they expire (at most 900 s, iot.roleAlias.credentialDurationSeconds).',
      'config/dev.json already recorded "status": "inactive" for sensor-001.',
      'Deploy so CloudFormation agrees: npx cdk deploy -c env=dev Fleet',
    ]);
  });
});

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
