import * as fs from 'node:fs';
import * as path from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeCertificateCommand, UpdateCertificateCommand } from '@aws-sdk/client-iot';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { EXIT_CODES } from '../../../lib/cli/exit-codes';
import { fleetStackName } from '../../../lib/contract';
import {
  answerAsDeployed,
  certificateIdOf,
  cloudFormation,
  deviceRepo,
  iot,
  KEY_MARKER,
  runDevice,
  sts,
  type DeviceRepo,
} from './device-fixture';

let repo: DeviceRepo;
/** The certificates as AWS IoT holds them, by id: UpdateCertificate changes them. */
let certificates: Map<string, string>;
beforeEach(() => {
  repo = deviceRepo();
  answerAsDeployed();
  certificates = new Map([
    [certificateIdOf('sensor-001'), 'ACTIVE'],
    [certificateIdOf('sensor-002'), 'ACTIVE'],
  ]);
  iot.on(DescribeCertificateCommand).callsFake((input: { certificateId: string }) => ({
    certificateDescription: {
      certificateId: input.certificateId,
      status: certificates.get(input.certificateId),
    },
  }));
  iot.on(UpdateCertificateCommand).callsFake((input: { certificateId: string; newStatus: string }) => {
    certificates.set(input.certificateId, input.newStatus);
    return {};
  });
});
afterEach(() => repo.remove());

const thingDir = (thing: string) => path.join(repo.root, 'fleet', 'dev', thing);
const bundle = (thing: string) => path.join(repo.outDir, 'dev', `${thing}.tar.gz`);
const decommission = (...args: string[]) =>
  runDevice(repo, ['decommission', '--env', 'dev', '--out', repo.outDir, ...args]);

function accessDenied(): Error {
  return Object.assign(new Error('User is not authorized to perform iot:UpdateCertificate'), {
    name: 'AccessDeniedException',
    $metadata: {},
  });
}

/** Every file under the repository, relative, sorted: what a test compares before and after. */
function tree(): string[] {
  return (fs.readdirSync(repo.root, { recursive: true }) as string[])
    .filter((entry) => !fs.lstatSync(path.join(repo.root, entry)).isDirectory())
    .sort();
}

describe('keyless device decommission', () => {
  it('removes the thing from the config, frees its slot, deletes its key, CSR and bundle, and nothing else', async () => {
    const config = repo.config();
    const before = tree();
    const run = await decommission('--thing', 'sensor-001');

    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(repo.config()).toEqual({
      ...config,
      iot: { ...config.iot, things: config.iot.things.filter((t) => t.name !== 'sensor-001') },
    });
    // Its slot is freed; sensor-002 keeps its shard.
    expect(repo.lock().assignments).toEqual({ 'sensor-002': 1 });
    expect(fs.existsSync(thingDir('sensor-001'))).toBe(false);
    expect(fs.existsSync(bundle('sensor-001'))).toBe(false);
    expect(tree()).toEqual(
      before.filter(
        (file) => !file.startsWith('fleet/dev/sensor-001/') && file !== 'dist/bundles/dev/sensor-001.tar.gz',
      ),
    );
    // The certificate is cut off in AWS IoT at once; the next deploy deletes what CloudFormation created.
    expect(iot.commandCalls(UpdateCertificateCommand).map((c) => c.args[0].input)).toEqual([
      { certificateId: certificateIdOf('sensor-001'), newStatus: 'INACTIVE' },
    ]);
    expect(run.stdout).toContain(
      `Certificate ${certificateIdOf('sensor-001')} of sensor-001 is now INACTIVE in AWS IoT (was ACTIVE)`,
    );
    expect(run.stdout).toContain(
      `Deploying ${fleetStackName('dev', 1)} deletes thing sensor-001 (AWS::IoT::Thing)`,
    );
    expect(run.stdout).toMatch(/If the device is lost or stolen, its key is known: revoke it for good first/);
    expect(run.stdout).not.toContain(KEY_MARKER);
  });

  it('--dry-run says the same and changes nothing; --json carries the plan', async () => {
    const text = repo.configText();
    const lock = repo.lock();
    const before = tree();
    const run = await decommission('--thing', 'sensor-002', '--dry-run', '--json');

    expect(run.code).toBe(0);
    expect(repo.configText()).toBe(text);
    expect(repo.lock()).toEqual(lock);
    expect(tree()).toEqual(before);
    // AWS is read, never changed.
    expect(iot.commandCalls(UpdateCertificateCommand)).toHaveLength(0);
    expect(certificates.get(certificateIdOf('sensor-002'))).toBe('ACTIVE');
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({
      env: 'dev',
      thing: 'sensor-002',
      dryRun: true,
      status: 'active',
      quarantined: false,
      stackName: fleetStackName('dev', 1),
      stackEmptied: false,
      shardLock: { released: ['sensor-002'] },
      certificate: {
        certificateId: certificateIdOf('sensor-002'),
        previousStatus: 'ACTIVE',
        status: 'INACTIVE',
        updated: true,
      },
      noCertificateReason: null,
    });
    expect(result.deleted.map((f: string) => path.basename(f)).sort()).toEqual(
      ['csr.pem', 'private.key', 'sensor-002', 'sensor-002.tar.gz'].sort(),
    );
    expect(result.nextDeployDeletes[0]).toBe('thing sensor-002 (AWS::IoT::Thing)');
    expect(run.stderr).toMatch(/^Dry run: nothing changed\./);
  });

  it('a certificate AWS IoT already has REVOKED is left so, without the revoke-first warning', async () => {
    certificates.set(certificateIdOf('sensor-001'), 'REVOKED');
    const run = await decommission('--thing', 'sensor-001');
    expect(run.code).toBe(0);
    expect(iot.commandCalls(UpdateCertificateCommand)).toHaveLength(0);
    expect(certificates.get(certificateIdOf('sensor-001'))).toBe('REVOKED');
    expect(run.stdout).toContain('is already REVOKED: AWS IoT refuses it');
    expect(run.stdout).not.toContain('revoke it for good first');
  });

  it('a certificate already INACTIVE is not updated again', async () => {
    certificates.set(certificateIdOf('sensor-001'), 'INACTIVE');
    const run = await decommission('--thing', 'sensor-001', '--json');
    expect(run.code).toBe(0);
    expect(iot.commandCalls(UpdateCertificateCommand)).toHaveLength(0);
    expect(JSON.parse(run.stdout).certificate).toEqual({
      certificateId: certificateIdOf('sensor-001'),
      previousStatus: 'INACTIVE',
      status: 'INACTIVE',
      updated: false,
    });
  });

  it('deactivates the certificate before the config changes', async () => {
    // What the config said when AWS IoT was asked to deactivate: the thing must still be in it.
    let configWhenUpdated: unknown;
    iot.on(UpdateCertificateCommand).callsFake(() => {
      configWhenUpdated = repo.config().iot.things.map((t) => t.name);
      return {};
    });
    expect((await decommission('--thing', 'sensor-001')).code).toBe(0);
    expect(configWhenUpdated).toEqual(['sensor-001', 'sensor-002']);
    expect(repo.config().iot.things.map((t) => t.name)).toEqual(['sensor-002']);
  });

  it.each([
    ['UpdateCertificate fails', () => void iot.on(UpdateCertificateCommand).rejects(accessDenied())],
    ['DescribeCertificate fails', () => void iot.on(DescribeCertificateCommand).rejects(accessDenied())],
    [
      'the Fleet stack is being deployed',
      () =>
        void cloudFormation.on(DescribeStacksCommand, { StackName: fleetStackName('dev', 1) }).resolves({
          Stacks: [
            {
              StackName: fleetStackName('dev', 1),
              StackStatus: 'UPDATE_IN_PROGRESS',
              CreationTime: new Date(0),
            },
          ],
        }),
    ],
  ])('when AWS cannot cut the certificate off (%s), nothing changes locally (exit 4)', async (_, fail) => {
    fail();
    const text = repo.configText();
    const lock = repo.lock();
    const before = tree();
    const run = await decommission('--thing', 'sensor-001');
    expect(run.code).toBe(EXIT_CODES.remote);
    expect(repo.configText()).toBe(text);
    expect(repo.lock()).toEqual(lock);
    expect(tree()).toEqual(before);
    expect(certificates.get(certificateIdOf('sensor-001'))).toBe('ACTIVE');
  });

  it('another account: refused before AWS IoT is asked anything, nothing changes', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '222222222222' });
    const text = repo.configText();
    const run = await decommission('--thing', 'sensor-001');
    expect(run.code).toBe(EXIT_CODES.remote);
    expect(iot.calls()).toHaveLength(0);
    expect(repo.configText()).toBe(text);
  });

  it('a thing whose Fleet stack was never deployed has no certificate to cut off: it is retired all the same', async () => {
    cloudFormation
      .on(DescribeStacksCommand, { StackName: fleetStackName('dev', 1) })
      .rejects(new Error(`Stack with id ${fleetStackName('dev', 1)} does not exist`));
    const run = await decommission('--thing', 'sensor-001', '--json');
    expect(run.code).toBe(0);
    expect(iot.calls()).toHaveLength(0);
    const result = JSON.parse(run.stdout);
    expect(result.certificate).toBeNull();
    expect(result.noCertificateReason).toMatch(/is not deployed, so no certificate of sensor-001/);
    expect(repo.config().iot.things.map((t) => t.name)).toEqual(['sensor-002']);
  });

  it('refuses to delete through a symbolic link, and changes nothing', async () => {
    // An attacker who can write fleet/ points the thing's directory at something the operator cares about.
    const victim = path.join(repo.root, 'victim');
    fs.mkdirSync(victim);
    fs.writeFileSync(path.join(victim, 'precious'), 'keep me');
    fs.rmSync(thingDir('sensor-001'), { recursive: true });
    fs.symlinkSync(victim, thingDir('sensor-001'));
    const text = repo.configText();
    const lock = repo.lock();

    const run = await decommission('--thing', 'sensor-001');

    expect(run.code).toBe(EXIT_CODES.configuration);
    expect(run.error?.message).toMatch(/is a symbolic link: keyless deletes nothing through links/);
    expect(fs.readFileSync(path.join(victim, 'precious'), 'utf8')).toBe('keep me');
    expect(repo.configText()).toBe(text);
    expect(repo.lock()).toEqual(lock);
    expect(fs.existsSync(bundle('sensor-001'))).toBe(true);
  });

  it('refuses a directory inside the thing directory (keyless never puts one there)', async () => {
    fs.mkdirSync(path.join(thingDir('sensor-001'), 'surprise'));
    const text = repo.configText();
    const run = await decommission('--thing', 'sensor-001');
    expect(run.code).toBe(EXIT_CODES.configuration);
    expect(run.error?.message).toMatch(
      /surprise is a directory, which keyless never puts there: nothing deleted/,
    );
    expect(repo.configText()).toBe(text);
    expect(fs.existsSync(path.join(thingDir('sensor-001'), 'private.key'))).toBe(true);
  });

  it('removes a bundle link itself, never what it points at', async () => {
    const target = path.join(repo.root, 'elsewhere.tar.gz');
    fs.writeFileSync(target, 'not ours');
    fs.rmSync(bundle('sensor-001'));
    fs.symlinkSync(target, bundle('sensor-001'));
    expect((await decommission('--thing', 'sensor-001')).code).toBe(0);
    expect(fs.existsSync(target)).toBe(true);
    expect(fs.existsSync(bundle('sensor-001'))).toBe(false);
  });

  it('the last thing of a Fleet stack: its certificate is cut off now, and the command names the stack deletion, not a deploy', async () => {
    expect((await decommission('--thing', 'sensor-001')).code).toBe(0);
    const run = await decommission('--thing', 'sensor-002', '--json');
    expect(run.code).toBe(0);
    // `cdk deploy --all` would never touch the stack again: without this the device would keep its access.
    expect(certificates.get(certificateIdOf('sensor-002'))).toBe('INACTIVE');
    expect(repo.config().iot.things).toEqual([]);
    expect(repo.lock().assignments).toEqual({});
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({
      stackEmptied: true,
      deployCommand: `aws cloudformation delete-stack --region ap-northeast-1 --stack-name ${fleetStackName('dev', 1)}`,
    });
    expect(run.stderr).toMatch(
      /sensor-002 was the last thing of .*: the app no longer has that stack, so `cdk deploy` leaves it deployed\. Delete the stack/,
    );
  });

  it('an unknown thing is a usage error; nothing changes', async () => {
    const before = tree();
    const text = repo.configText();
    const run = await decommission('--thing', 'sensor-404');
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(run.error?.message).toMatch(/^sensor-404: not in iot.things of /);
    expect(tree()).toEqual(before);
    expect(repo.configText()).toBe(text);
  });

  it('things the lock did not record yet are recorded where they are: nobody moves', async () => {
    // sensor-002 was added by hand, without `fleet plan --write`: the lock knows only sensor-001.
    fs.writeFileSync(
      path.join(repo.root, 'fleet', 'dev', 'shards.json'),
      `${JSON.stringify({ version: 1, maxThingsPerShard: 100, assignments: { 'sensor-001': 1 } }, null, 2)}\n`,
    );
    const run = await decommission('--thing', 'sensor-001', '--json');
    expect(run.code).toBe(0);
    expect(repo.lock().assignments).toEqual({ 'sensor-002': 1 });
    expect(JSON.parse(run.stdout).shardLock).toMatchObject({
      placed: { 'sensor-002': 1 },
      released: ['sensor-001'],
    });
  });
});
