import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeCertificateCommand,
  DescribeThingCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-iot';
import { EXIT_CODES } from '../../lib/cli/exit-codes';
import { fleetStackName, QUARANTINE_ATTRIBUTE } from '../../lib/contract';
import {
  answerAsDeployed,
  certificateIdOf,
  cloudFormation,
  deviceRepo,
  iot,
  runDevice,
  type DeviceRepo,
} from './device-fixture';

let repo: DeviceRepo;
/** Certificates issued by a throwaway CA for the CSRs in the repository, as AWS IoT would hold them. */
let certificateFor: (csrOf: string) => string;
let caDir: string;
afterAll(() => fs.rmSync(caDir, { recursive: true, force: true }));

beforeAll(() => {
  const dir = (caDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-status-ca-')));
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'ca.key',
    ].concat(['-subj', '/CN=test-ca', '-days', '1', '-out', 'ca.pem']),
  );
  const cache = new Map<string, string>();
  certificateFor = (thing) => {
    if (!cache.has(thing)) {
      const csr = path.resolve(__dirname, '..', '..', 'fleet', 'dev', thing, 'csr.pem');
      openssl([
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-days',
        '1',
        '-out',
        `${thing}.pem`,
      ]);
      cache.set(thing, fs.readFileSync(path.join(dir, `${thing}.pem`), 'utf8'));
    }
    return cache.get(thing)!;
  };
});

beforeEach(() => {
  repo = deviceRepo();
  answerAsDeployed();
  for (const thing of ['sensor-001', 'sensor-002']) {
    iot
      .on(DescribeCertificateCommand, { certificateId: certificateIdOf(thing) })
      .resolves({ certificateDescription: { status: 'ACTIVE', certificatePem: certificateFor(thing) } });
    iot.on(DescribeThingCommand, { thingName: thing }).resolves({ attributes: { Owner: 'keyless' } });
  }
});
afterEach(() => repo.remove());

function setThing(index: number, fields: Record<string, unknown>): void {
  const config = repo.config();
  config.iot.things[index] = { ...config.iot.things[index], ...fields };
  fs.writeFileSync(repo.configFile, JSON.stringify(config, null, 2));
}

const status = async (...args: string[]) => {
  const run = await runDevice(repo, ['status', '--env', 'dev', '--json', ...args]);
  return { ...run, result: run.stdout ? JSON.parse(run.stdout) : undefined };
};

describe('keyless device status', () => {
  it('in sync: every thing as the config says, each certificate for the key of its CSR', async () => {
    const run = await status();
    expect(run.code).toBe(0);
    expect(run.result.things.map((t: { verdict: string }) => t.verdict)).toEqual(['in-sync', 'in-sync']);
    expect(run.result.things[0]).toEqual({
      thing: 'sensor-001',
      stackName: fleetStackName('dev', 1),
      config: { status: 'active', quarantined: false, hasCsr: true },
      deployed: {
        certificateId: certificateIdOf('sensor-001'),
        certificateStatus: 'ACTIVE',
        certificateMatchesCsr: true,
        thingExists: true,
        quarantined: false,
      },
      verdict: 'in-sync',
      notes: [],
    });
  });

  it('a config change not deployed yet is deploy-pending, with the command that applies it now', async () => {
    setThing(0, { status: 'revoked' });
    setThing(1, { quarantined: true });
    const run = await status();
    expect(run.code).toBe(0);
    const [first, second] = run.result.things;
    expect(first.verdict).toBe('deploy-pending');
    expect(first.notes[0]).toMatch(
      /is ACTIVE but config says "revoked": deploy .*, or run `npx keyless device revoke --env dev --thing sensor-001`/,
    );
    expect(second.verdict).toBe('deploy-pending');
    expect(second.notes[0]).toMatch(/config quarantines sensor-002 but AWS IoT does not/);
  });

  it('a quarantine AWS holds and the config does not is reported, not hidden', async () => {
    iot
      .on(DescribeThingCommand, { thingName: 'sensor-001' })
      .resolves({ attributes: { Owner: 'keyless', [QUARANTINE_ATTRIBUTE.name]: 'true' } });
    const run = await status('--thing', 'sensor-001');
    expect(run.result.things).toHaveLength(1);
    expect(run.result.things[0].deployed.quarantined).toBe(true);
    expect(run.result.things[0].notes[0]).toMatch(/AWS IoT still quarantines sensor-001/);
  });

  it('a config asking to bring a REVOKED certificate back is a conflict: exit 3 with the way forward', async () => {
    iot.on(DescribeCertificateCommand, { certificateId: certificateIdOf('sensor-001') }).resolves({
      certificateDescription: { status: 'REVOKED', certificatePem: certificateFor('sensor-001') },
    });
    const run = await status();
    expect(run.code).toBe(EXIT_CODES.configuration);
    expect(run.result.things[0].verdict).toBe('conflict');
    expect(run.result.things[0].notes[0]).toMatch(/keyless enroll --env dev --thing sensor-001 --force/);
    expect(run.error?.message).toMatch(/asks for what AWS IoT cannot do for sensor-001/);
  });

  it('a certificate for another key than the CSR is one the next deploy replaces', async () => {
    iot.on(DescribeCertificateCommand, { certificateId: certificateIdOf('sensor-001') }).resolves({
      certificateDescription: { status: 'ACTIVE', certificatePem: certificateFor('sensor-002') },
    });
    const run = await status('--thing', 'sensor-001');
    expect(run.result.things[0].deployed.certificateMatchesCsr).toBe(false);
    expect(run.result.things[0].notes[0]).toMatch(/for another key than .*: deploying .* replaces it/);
  });

  it('a Fleet stack not deployed, or a thing AWS IoT lacks, is said so per thing', async () => {
    iot
      .on(DescribeThingCommand, { thingName: 'sensor-002' })
      .rejects(new ResourceNotFoundException({ message: 'no thing', $metadata: {} }));
    let run = await status();
    expect(run.result.things[1]).toMatchObject({
      verdict: 'deploy-pending',
      deployed: { thingExists: false },
    });

    cloudFormation.on(DescribeStacksCommand, { StackName: fleetStackName('dev', 1) }).rejects(
      Object.assign(new Error('Stack with id x does not exist'), {
        name: 'ValidationError',
        $metadata: {},
      }),
    );
    run = await status();
    expect(run.code).toBe(0);
    expect(run.result.things.map((t: { verdict: string }) => t.verdict)).toEqual([
      'not-deployed',
      'not-deployed',
    ]);
    expect(run.result.things[0].notes[0]).toMatch(/is not deployed in account 111111111111/);
  });

  it('AWS failing to answer is an error, never "not deployed"', async () => {
    cloudFormation
      .on(DescribeStacksCommand, { StackName: fleetStackName('dev', 1) })
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: {} }));
    const run = await status();
    expect(run.code).toBe(EXIT_CODES.remote);
    expect(run.result).toBeUndefined();
    expect(run.error?.message).toMatch(/Rate exceeded/);
  });

  it('an unknown thing is a usage error', async () => {
    const run = await status('--thing', 'sensor-404');
    expect(run.code).toBe(EXIT_CODES.usage);
  });

  it('for people: a table, then the notes', async () => {
    setThing(0, { status: 'inactive' });
    const run = await runDevice(repo, ['status', '--env', 'dev']);
    expect(run.stdout.split('\n').slice(0, 3)).toEqual([
      'thing       in config  AWS IoT  verdict',
      'sensor-001  inactive   active   deploy-pending',
      'sensor-002  active     active   in-sync',
    ]);
    expect(run.stdout).toMatch(/sensor-001: certificate .* is ACTIVE but config says "inactive"/);
  });
});
