import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DescribeStacksCommand,
  ListStackResourcesCommand,
  ListStacksCommand,
} from '@aws-sdk/client-cloudformation';
import {
  DescribeCertificateCommand,
  DescribeThingCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-iot';
import { EXIT_CODES } from '../../../lib/cli/exit-codes';
import { fleetStackName, QUARANTINE_ATTRIBUTE } from '../../../lib/contract';
import {
  answerAsDeployed,
  certificateIdOf,
  cloudFormation,
  deviceRepo,
  iot,
  runDevice,
  thingResources,
  type DeviceRepo,
} from './device-fixture';
import { certificateIdOutput } from '../../../lib/contract';
import { REPO_ROOT } from '../../support/cdk-app';
import { deployedStackAnswer } from '../../support/stack-answers';

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
      const csr = path.resolve(REPO_ROOT, 'fleet', 'dev', thing, 'csr.pem');
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

  describe('orphans: what is deployed and the config no longer has', () => {
    const fleet1 = fleetStackName('dev', 1);
    const fleet2 = fleetStackName('dev', 2);
    /** Fleet-2 deployed with `old-sensor` (its certificate as given), besides Fleet-1. */
    const deployFleet2 = (certificateStatus: 'ACTIVE' | 'INACTIVE') => {
      cloudFormation.on(ListStacksCommand).resolves({
        StackSummaries: [
          { StackName: fleet1, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(0) },
          { StackName: fleet2, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(0) },
          // Deleted stacks, other environments and names that only look alike are not this environment's.
          { StackName: fleetStackName('dev', 3), StackStatus: 'DELETE_COMPLETE', CreationTime: new Date(0) },
          { StackName: fleetStackName('prod', 2), StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(0) },
          { StackName: 'KeylessIot-dev-Fleet-02', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(0) },
        ],
      });
      cloudFormation
        .on(ListStackResourcesCommand, { StackName: fleet2 })
        .resolves({ StackResourceSummaries: thingResources(['old-sensor']) });
      cloudFormation.on(DescribeStacksCommand, { StackName: fleet2 }).resolves(
        deployedStackAnswer(fleet2, {
          [certificateIdOutput('old-sensor').key]: certificateIdOf('old-sensor'),
        }),
      );
      iot
        .on(DescribeCertificateCommand, { certificateId: certificateIdOf('old-sensor') })
        .resolves({ certificateDescription: { status: certificateStatus } });
    };

    it('none when AWS holds only what the config has', async () => {
      const run = await status();
      expect(run.code).toBe(0);
      expect(run.result.orphans).toEqual({ stacks: [], things: [] });
    });

    it('a Fleet stack the app no longer has: its things, its ACTIVE certificate, and the commands that cut and remove them', async () => {
      deployFleet2('ACTIVE');
      const run = await status();
      expect(run.code).toBe(0);
      const deleteStack = `aws cloudformation delete-stack --region ap-northeast-1 --stack-name ${fleet2}`;
      expect(run.result.orphans).toEqual({
        stacks: [
          { stackName: fleet2, stackStatus: 'UPDATE_COMPLETE', things: ['old-sensor'], remove: deleteStack },
        ],
        things: [
          {
            thing: 'old-sensor',
            stackName: fleet2,
            certificateId: certificateIdOf('old-sensor'),
            certificateStatus: 'ACTIVE',
            remove: deleteStack,
            cutOffNow: `aws iot update-certificate --region ap-northeast-1 --certificate-id ${certificateIdOf('old-sensor')} --new-status INACTIVE`,
          },
        ],
      });
      const text = await runDevice(repo, ['status', '--env', 'dev']);
      expect(text.stdout).toContain(
        `orphan stack ${fleet2} (UPDATE_COMPLETE): deployed, but the app no longer has it, so \`cdk deploy\` never changes or deletes it; it holds 1 thing(s) (old-sensor). Remove it: ${deleteStack}`,
      );
      expect(text.stdout).toMatch(
        /orphan thing old-sensor in .*: not in the config; certificate .* is ACTIVE\. Cut it off now: aws iot update-certificate/,
      );
    });

    it('a thing a Fleet stack of the app still holds: the next deploy of that stack removes it', async () => {
      cloudFormation
        .on(ListStackResourcesCommand, { StackName: fleet1 })
        .resolves({ StackResourceSummaries: thingResources(['sensor-001', 'sensor-002', 'sensor-009']) });
      iot
        .on(DescribeCertificateCommand, { certificateId: certificateIdOf('sensor-009') })
        .resolves({ certificateDescription: { status: 'INACTIVE' } });
      cloudFormation.on(DescribeStacksCommand, { StackName: fleet1 }).resolves(
        deployedStackAnswer(fleet1, {
          [certificateIdOutput('sensor-001').key]: certificateIdOf('sensor-001'),
          [certificateIdOutput('sensor-002').key]: certificateIdOf('sensor-002'),
          [certificateIdOutput('sensor-009').key]: certificateIdOf('sensor-009'),
        }),
      );
      const run = await status();
      expect(run.result.orphans).toEqual({
        stacks: [],
        things: [
          {
            thing: 'sensor-009',
            stackName: fleet1,
            certificateId: certificateIdOf('sensor-009'),
            certificateStatus: 'INACTIVE',
            remove: `npx cdk deploy -c env=dev ${fleet1}`,
            cutOffNow: null,
          },
        ],
      });
    });

    it('every page of ListStacks is read', async () => {
      cloudFormation
        .on(ListStacksCommand)
        .resolvesOnce({
          StackSummaries: [{ StackName: fleet1, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(0) }],
          NextToken: 'page-2',
        })
        .resolves({
          StackSummaries: [
            { StackName: fleet2, StackStatus: 'UPDATE_ROLLBACK_COMPLETE', CreationTime: new Date(0) },
          ],
        });
      cloudFormation
        .on(ListStackResourcesCommand, { StackName: fleet2 })
        .resolves({ StackResourceSummaries: thingResources(['old-sensor']) });
      cloudFormation
        .on(DescribeStacksCommand, { StackName: fleet2 })
        .resolves(deployedStackAnswer(fleet2, {}));
      const run = await status();
      expect(run.result.orphans.stacks.map((s: { stackName: string }) => s.stackName)).toEqual([fleet2]);
      expect(run.result.orphans.things[0]).toMatchObject({
        thing: 'old-sensor',
        certificateId: null,
        cutOffNow: null,
      });
      expect(cloudFormation.commandCalls(ListStacksCommand)[1].args[0].input.NextToken).toBe('page-2');
    });

    it('the last thing decommissioned: its stack stays deployed, and status reports it with its deletion', async () => {
      iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { status: 'ACTIVE' } });
      for (const thing of ['sensor-001', 'sensor-002']) {
        const run = await runDevice(repo, [
          'decommission',
          '--env',
          'dev',
          '--thing',
          thing,
          '--out',
          repo.outDir,
        ]);
        expect(run.code).toBe(0);
      }
      const run = await status();
      expect(run.result.things).toEqual([]);
      expect(run.result.orphans.stacks).toEqual([
        expect.objectContaining({
          stackName: fleet1,
          things: ['sensor-001', 'sensor-002'],
          remove: `aws cloudformation delete-stack --region ap-northeast-1 --stack-name ${fleet1}`,
        }),
      ]);
    });

    it('--thing narrows the question: no orphan search', async () => {
      deployFleet2('ACTIVE');
      const run = await status('--thing', 'sensor-001');
      expect(run.result.orphans).toBeNull();
      expect(cloudFormation.commandCalls(ListStacksCommand)).toHaveLength(0);
    });

    it('CloudFormation failing to list is an error, never "no orphans"', async () => {
      cloudFormation.on(ListStacksCommand).rejects(
        Object.assign(new Error('User is not authorized to perform cloudformation:ListStacks'), {
          name: 'AccessDenied',
          $metadata: {},
        }),
      );
      const run = await status();
      expect(run.code).toBe(EXIT_CODES.remote);
      expect(run.result).toBeUndefined();
      expect(run.error?.message).toMatch(/ListStacks/);
    });
  });
});
