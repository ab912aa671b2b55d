import * as fs from 'node:fs';
import * as path from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeCertificateCommand, UpdateCertificateCommand } from '@aws-sdk/client-iot';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { EXIT_CODES } from '../../../lib/cli/exit-codes';
import { certificateIdOutput, fleetStackName } from '../../../lib/contract';
import { deployedStackAnswer } from '../../support/stack-answers';
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
/** What decommission deletes of a thing, as it lists them: its files first, then its directory. */
const ownFiles = (thing: string) =>
  [
    path.join(thingDir(thing), 'csr.pem'),
    path.join(thingDir(thing), 'private.key'),
    bundle(thing),
    thingDir(thing),
  ].join(', ');
const decommission = (...args: string[]) =>
  runDevice(repo, ['decommission', '--env', 'dev', '--out', repo.outDir, ...args]);

const certificateIdOutputKey = (thing: string) => certificateIdOutput(thing).key;
const deployCommandOf = (stack: string) => `npx cdk deploy -c env=dev ${stack}`;

const jsonError = (text: string) => {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${text} is JSON`);
};
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

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
    const stack = fleetStackName('dev', 1);
    expect(run.stderr).toContain(
      `\nsensor-002 was the last thing of ${stack}: the app no longer has that stack, so \`cdk deploy\` leaves it deployed. ` +
        `Delete the stack, which deletes thing sensor-002 (AWS::IoT::Thing); its certificate (AWS::IoT::Certificate, deactivated first unless revoked) ` +
        `and the stack output ${certificateIdOutputKey('sensor-002')}; the certificate's attachments to the thing and to the IoT policy: ` +
        `aws cloudformation delete-stack --region ap-northeast-1 --stack-name ${stack}\n`,
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

  // Equivalent (decommission.ts:123-127, the "would move" guard, its condition and its message): unreachable, since
  // the lock used is lockOf(before), which records every remaining thing at its shard, and layoutFleet keeps
  // recorded things where they are, so nothing moves and nothing is unrecorded. It stays as a guard.
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

  it('says what it did, line by line: the certificate first, the config, the lock, the files, what deploy deletes', async () => {
    const run = await decommission('--thing', 'sensor-001');
    expect(run.code).toBe(0);
    const stack = fleetStackName('dev', 1);
    expect(run.stdout.trimEnd().split('\n')).toEqual([
      `Certificate ${certificateIdOf('sensor-001')} of sensor-001 is now INACTIVE in AWS IoT (was ACTIVE): the device is refused from now on.`,
      `sensor-001 is removed from ${repo.configFile}.`,
      `fleet/dev/shards.json releases its slot on ${stack}; no other thing moves. Commit it with the config.`,
      `Deleted: ${ownFiles('sensor-001')}`,
      expect.stringMatching(
        /^Kept: things\/sensor-001\/ in the device bucket \(.+\): what the device uploaded stays$/,
      ),
      `Deploying ${stack} deletes thing sensor-001 (AWS::IoT::Thing); its certificate (AWS::IoT::Certificate, deactivated first unless revoked) and the stack output ${certificateIdOutputKey('sensor-001')}; the certificate's attachments to the thing and to the IoT policy: ${deployCommandOf(stack)}`,
      'Credentials it was issued before stay valid until they expire (iot.roleAlias.credentialDurationSeconds). ' +
        'If the device is lost or stolen, its key is known: revoke it for good first (`npx keyless device revoke --env dev --thing sensor-001`), then decommission.',
    ]);
  });

  it('--dry-run says each step with "would"', async () => {
    const run = await decommission('--thing', 'sensor-001', '--dry-run');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 4)).toEqual([
      `Dry run: nothing changed. Would set certificate ${certificateIdOf('sensor-001')} of sensor-001 INACTIVE in AWS IoT (it is ACTIVE) before changing anything else.`,
      `sensor-001 would be removed from ${repo.configFile}.`,
      `fleet/dev/shards.json would release its slot on ${fleetStackName('dev', 1)}; no other thing moves. Commit it with the config.`,
      `Would delete: ${ownFiles('sensor-001')}`,
    ]);
  });

  it("deletes the temporary files a killed bundle run left for this thing, and no one else's", async () => {
    const dir = path.dirname(bundle('sensor-001'));
    const ours = 'sensor-001.tar.gz.12345.tmp';
    // Not a `<pid>.tmp` of this thing's bundle: another thing's, a name around the pid, a suffix after it.
    const others = [
      'sensor-002.tar.gz.12345.tmp',
      'sensor-001.tar.gz.x12345.tmp',
      'sensor-001.tar.gz.12345.tmp.keep',
      'sensor-001.tar.gz.tmp',
      'xsensor-001.tar.gz.12345.tmp',
    ];
    for (const name of [ours, ...others]) fs.writeFileSync(path.join(dir, name), 'partial');
    expect((await decommission('--thing', 'sensor-001')).code).toBe(0);
    expect(fs.existsSync(path.join(dir, ours))).toBe(false);
    expect(fs.readdirSync(dir).sort()).toEqual([...others, 'sensor-002.tar.gz'].sort());
  });

  // Equivalent (decommission.ts:272, `relative !== ''` made true or compared with another string): it differs only
  // when csrFile names the thing directory itself, which the loader refuses (a directory is no readable CSR).
  it('a CSR the config names outside the thing directory is kept and said so', async () => {
    const config = repo.config();
    fs.mkdirSync(path.join(repo.root, 'csrs'));
    fs.renameSync(
      path.join(thingDir('sensor-001'), 'csr.pem'),
      path.join(repo.root, 'csrs', 'sensor-001.pem'),
    );
    config.iot.things[0] = { ...config.iot.things[0], csrFile: 'csrs/sensor-001.pem' };
    fs.writeFileSync(repo.configFile, `${JSON.stringify(config, null, 2)}\n`);
    const run = await decommission('--thing', 'sensor-001', '--json');
    expect(run.code).toBe(0);
    expect(fs.existsSync(path.join(repo.root, 'csrs', 'sensor-001.pem'))).toBe(true);
    const result = JSON.parse(run.stdout);
    expect(result.kept[0]).toBe(
      'csrs/sensor-001.pem (csrFile names it outside fleet/dev/sensor-001/: delete it by hand if nothing else uses it)',
    );
    expect(result.kept).toHaveLength(2);
  });

  it('the default CSR inside the thing directory is deleted, not listed as kept', async () => {
    const result = JSON.parse((await decommission('--thing', 'sensor-001', '--json')).stdout);
    expect(result.kept).toEqual([expect.stringMatching(/^things\/sensor-001\/ in the device bucket/)]);
  });

  it('a thing never enrolled (no CSR, no local file): only the thing is deleted by the deploy, nothing local to delete', async () => {
    fs.rmSync(thingDir('sensor-001'), { recursive: true });
    fs.rmSync(bundle('sensor-001'));
    const run = await decommission('--thing', 'sensor-001', '--dry-run', '--json');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.nextDeployDeletes).toEqual(['thing sensor-001 (AWS::IoT::Thing)']);
    expect(result.deleted).toEqual([]);
    expect(run.stderr).toContain('\nNo local key, CSR or bundle to delete.\n');
  });

  it('an enrolled thing: the deploy deletes the thing, its certificate and their attachments', async () => {
    const result = JSON.parse((await decommission('--thing', 'sensor-001', '--dry-run', '--json')).stdout);
    expect(result.nextDeployDeletes).toEqual([
      'thing sensor-001 (AWS::IoT::Thing)',
      `its certificate (AWS::IoT::Certificate, deactivated first unless revoked) and the stack output ${certificateIdOutputKey('sensor-001')}`,
      "the certificate's attachments to the thing and to the IoT policy",
    ]);
  });

  it('a Fleet stack deployed without an output for the thing: no certificate is touched, and the reason names the bulk path', async () => {
    cloudFormation.on(DescribeStacksCommand, { StackName: fleetStackName('dev', 1) }).resolves(
      deployedStackAnswer(fleetStackName('dev', 1), {
        [certificateIdOutputKey('sensor-002')]: certificateIdOf('sensor-002'),
      }),
    );
    const run = await decommission('--thing', 'sensor-001', '--json');
    expect(run.code).toBe(0);
    expect(iot.commandCalls(UpdateCertificateCommand)).toHaveLength(0);
    const result = JSON.parse(run.stdout);
    expect(result.certificate).toBeNull();
    const reason =
      `${fleetStackName('dev', 1)} has no output ${certificateIdOutputKey('sensor-001')}: no certificate of sensor-001 was deployed with it. ` +
      'A certificate made outside its Fleet stack (keyless fleet register --bulk) is not touched: `aws iot list-thing-principals --thing-name sensor-001`';
    expect(result.noCertificateReason).toBe(reason);
    expect(run.stderr.split('\n')[0]).toBe(`No deployed certificate to deactivate: ${reason}.`);
    expect(repo.config().iot.things.map((t) => t.name)).toEqual(['sensor-002']);
  });

  it('when UpdateCertificate fails, the error says nothing changed and keeps the AWS cause', async () => {
    iot.on(UpdateCertificateCommand).rejects(accessDenied());
    const run = await decommission('--thing', 'sensor-001');
    expect(run.code).toBe(EXIT_CODES.remote);
    expect(run.error?.message).toMatch(
      new RegExp(
        `^AWS IoT did not set certificate ${certificateIdOf('sensor-001')} of thing sensor-001 INACTIVE: .*not authorized.*\\. ` +
          `Nothing changed \\(${escaped(repo.configFile)}, its key, CSR and bundle untouched\\); fix the cause and run the command again$`,
      ),
    );
    expect(run.error?.cause).toBeInstanceOf(Error);
  });

  it('the certificate is INACTIVE but the config cannot be written: the error says how to keep it so, and nothing else changes', async () => {
    // The config changes under the command while AWS IoT is asked: its edit no longer applies.
    iot.on(UpdateCertificateCommand).callsFake(() => {
      fs.writeFileSync(repo.configFile, '{ not json');
      return {};
    });
    const lock = repo.lock();
    const run = await decommission('--thing', 'sensor-001');
    expect(run.code).toBe(EXIT_CODES.configuration);
    expect(run.error?.message).toMatch(
      new RegExp(
        `^certificate ${certificateIdOf('sensor-001')} of thing sensor-001 is INACTIVE in AWS IoT, but ${escaped(repo.configFile)} could not be written \\(.+\\): ` +
          'set "status": "inactive" on sensor-001 before any deploy \\(a deploy of the config as it is makes the certificate ACTIVE again\\), then run the command again$',
      ),
    );
    expect(run.error?.cause).toBeInstanceOf(Error);
    expect(repo.lock()).toEqual(lock);
    expect(fs.existsSync(path.join(thingDir('sensor-001'), 'private.key'))).toBe(true);
    expect(fs.existsSync(bundle('sensor-001'))).toBe(true);
  });

  it('the config cannot be written and AWS IoT was not changed: the write error itself is reported', async () => {
    certificates.set(certificateIdOf('sensor-001'), 'INACTIVE');
    iot.on(DescribeCertificateCommand).callsFake((input: { certificateId: string }) => {
      fs.writeFileSync(repo.configFile, '{ not json');
      return { certificateDescription: { certificateId: input.certificateId, status: 'INACTIVE' } };
    });
    const run = await decommission('--thing', 'sensor-001');
    expect(run.code).toBe(EXIT_CODES.configuration);
    expect(run.error?.message).toBe(`${repo.configFile}: cannot read JSON: ${jsonError('{ not json')}`);
    expect(fs.existsSync(path.join(thingDir('sensor-001'), 'private.key'))).toBe(true);
  });

  it('no shard lock yet: it is written with the things that remain, where they are', async () => {
    fs.rmSync(path.join(repo.root, 'fleet', 'dev', 'shards.json'));
    const run = await decommission('--thing', 'sensor-001', '--json');
    expect(run.code).toBe(0);
    expect(repo.lock().assignments).toEqual({ 'sensor-002': 1 });
    // sensor-001 had no slot to release; sensor-002 is recorded, sensor-001 is not.
    expect(JSON.parse(run.stdout).shardLock).toEqual({
      lockFile: 'fleet/dev/shards.json',
      placed: { 'sensor-002': 1 },
      released: [],
    });
    expect(run.stderr).toContain(
      `fleet/dev/shards.json releases its slot on ${fleetStackName('dev', 1)} and records 1 thing(s) where they are (sensor-002); no other thing moves.`,
    );
  });

  it('a lock that already says what remains is left byte for byte', async () => {
    const lockFile = path.join(repo.root, 'fleet', 'dev', 'shards.json');
    const text = JSON.stringify({ version: 1, maxThingsPerShard: 100, assignments: { 'sensor-002': 1 } });
    fs.writeFileSync(lockFile, text);
    const run = await decommission('--thing', 'sensor-001', '--json');
    expect(run.code).toBe(0);
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(text);
    expect(JSON.parse(run.stdout).shardLock).toBeNull();
    expect(run.stderr).not.toContain('shards.json');
  });

  it('the config written is one the loader accepts, even if it changed while AWS IoT was asked', async () => {
    const changed = { ...repo.config(), region: 'nowhere-1' };
    iot.on(UpdateCertificateCommand).callsFake(() => {
      fs.writeFileSync(repo.configFile, `${JSON.stringify(changed, null, 2)}\n`);
      return {};
    });
    const run = await decommission('--thing', 'sensor-001');
    expect(run.code).toBe(EXIT_CODES.configuration);
    expect(run.error?.message).toMatch(/is INACTIVE in AWS IoT, but .* could not be written/);
    expect(repo.config()).toEqual(changed);
  });

  it('no certificate was cut off and the config cannot be written: the write error itself is reported', async () => {
    cloudFormation.on(DescribeStacksCommand, { StackName: fleetStackName('dev', 1) }).callsFake(() => {
      fs.writeFileSync(repo.configFile, '{ not json');
      throw new Error(`Stack with id ${fleetStackName('dev', 1)} does not exist`);
    });
    const run = await decommission('--thing', 'sensor-001');
    expect(run.code).toBe(EXIT_CODES.configuration);
    expect(run.error?.message).toBe(`${repo.configFile}: cannot read JSON: ${jsonError('{ not json')}`);
  });

  it('the dry run names every thing the lock would record, in order', async () => {
    const config = repo.config();
    config.iot.things.push({ name: 'sensor-003', attributes: { Owner: 'keyless' } });
    fs.writeFileSync(repo.configFile, `${JSON.stringify(config, null, 2)}\n`);
    fs.rmSync(path.join(repo.root, 'fleet', 'dev', 'shards.json'));
    const run = await decommission('--thing', 'sensor-001', '--dry-run');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      `fleet/dev/shards.json would release its slot on ${fleetStackName('dev', 1)} and would record 2 thing(s) where they are (sensor-002, sensor-003); no other thing moves.`,
    );
  });

  it('the last thing of its Fleet stack is so even when other stacks still hold things', async () => {
    fs.writeFileSync(
      path.join(repo.root, 'fleet', 'dev', 'shards.json'),
      `${JSON.stringify({ version: 1, maxThingsPerShard: 1, assignments: { 'sensor-001': 1, 'sensor-002': 2 } }, null, 2)}\n`,
    );
    cloudFormation.on(DescribeStacksCommand, { StackName: fleetStackName('dev', 2) }).resolves(
      deployedStackAnswer(fleetStackName('dev', 2), {
        [certificateIdOutputKey('sensor-002')]: certificateIdOf('sensor-002'),
      }),
    );
    const run = await decommission('--thing', 'sensor-002', '--dry-run', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ stackName: fleetStackName('dev', 2), stackEmptied: true });
  });
});
