import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT_CODES } from '../../lib/cli/exit-codes';
import { fleetStackName } from '../../lib/contract';
import { answerAsDeployed, deviceRepo, iot, KEY_MARKER, runDevice, type DeviceRepo } from './device-fixture';

let repo: DeviceRepo;
beforeEach(() => {
  repo = deviceRepo();
  answerAsDeployed();
});
afterEach(() => repo.remove());

const thingDir = (thing: string) => path.join(repo.root, 'fleet', 'dev', thing);
const bundle = (thing: string) => path.join(repo.outDir, 'dev', `${thing}.tar.gz`);
const decommission = (...args: string[]) =>
  runDevice(repo, ['decommission', '--env', 'dev', '--out', repo.outDir, ...args]);

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
    // AWS is not called: the next deploy deletes what CloudFormation created.
    expect(iot.calls()).toHaveLength(0);
    expect(run.stdout).toContain(
      `Deploying ${fleetStackName('dev', 1)} deletes thing sensor-001 (AWS::IoT::Thing)`,
    );
    expect(run.stdout).toMatch(
      /Its certificate stays active until that deploy\. If the device is lost or stolen, revoke it first/,
    );
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
    });
    expect(result.deleted.map((f: string) => path.basename(f)).sort()).toEqual(
      ['csr.pem', 'private.key', 'sensor-002', 'sensor-002.tar.gz'].sort(),
    );
    expect(result.nextDeployDeletes[0]).toBe('thing sensor-002 (AWS::IoT::Thing)');
    expect(run.stderr).toMatch(/^Dry run: nothing changed\./);
  });

  it('a revoked thing is decommissioned without the revoke-first warning', async () => {
    const config = repo.config();
    config.iot.things[0].status = 'revoked';
    fs.writeFileSync(repo.configFile, JSON.stringify(config, null, 2));
    const run = await decommission('--thing', 'sensor-001');
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('revoke it first');
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

  it('the last thing of a Fleet stack: the stack leaves the app, so the command names its deletion, not a deploy', async () => {
    expect((await decommission('--thing', 'sensor-001')).code).toBe(0);
    const run = await decommission('--thing', 'sensor-002', '--json');
    expect(run.code).toBe(0);
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
