import {
  DeleteIdentitiesCommand,
  DescribeIdentityCommand,
  LookupDeveloperIdentityCommand,
  ResourceNotFoundException,
  UnlinkDeveloperIdentityCommand,
} from '@aws-sdk/client-cognito-identity';
import { BatchWriteItemCommand, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import {
  deletePartition,
  describeOffboarding,
  describePlan,
  offboardSim,
  ownershipOf,
} from '../../../lib/cli/device/offboard-sim';
import { EXIT_CODES } from '../../../lib/cli/exit-codes';
import { devConfig } from '../../support/cdk-app';
import { SIM_ARC_PRIVATE_KEY_MARKER, SoracomApiEmulator } from '../../emulators/soracom-api';
import {
  answerAsDeployed,
  clientsIn,
  cognito,
  deviceRepo,
  dynamoDb,
  runDevice,
  sts,
  type DeviceRepo,
} from './device-fixture';

const IDENTITY = 'ap-northeast-1:7c1d9e2a-0000-4000-8000-00000000c0de';
const POOL = 'ap-northeast-1:0b7f2c3e-1111-2222-3333-444455556666';
const SIM = '8981100000000000001';
/** The SIM's IMSI, and the developer user identifier Krypton linked to its identity (which carries it). */
const IMSI = '440100000000001';
const DEVELOPER_USER_ID = `imsi-${IMSI}`;
const AUTH = {
  SORACOM_AUTH_KEY_ID: 'keyId-test-offboard',
  SORACOM_AUTH_KEY: 'secret-test-auth-key-offboard',
};
const TABLE = devConfig().names.deviceTable;

const soracom = new SoracomApiEmulator();
let soracomUrl = '';
beforeAll(async () => {
  soracomUrl = await soracom.start();
});
afterAll(() => soracom.stop());

let repo: DeviceRepo;
/** The partition as the table holds it: sort keys still there. */
let partition: string[];
beforeEach(() => {
  repo = deviceRepo();
  answerAsDeployed();
  soracom.reset();
  soracom.authKeys.set(AUTH.SORACOM_AUTH_KEY_ID, AUTH.SORACOM_AUTH_KEY);
  soracom.seedSim(SIM, 'group-krypton', 'active', [IMSI]);
  cognito
    .on(LookupDeveloperIdentityCommand)
    .resolves({ IdentityId: IDENTITY, DeveloperUserIdentifierList: [DEVELOPER_USER_ID] });
  cognito.on(DescribeIdentityCommand).resolves({
    IdentityId: IDENTITY,
    Logins: ['keyless.dev.krypton'],
    CreationDate: new Date('2026-01-02T03:04:05Z'),
    LastModifiedDate: new Date('2026-03-04T05:06:07Z'),
  });
  cognito.on(UnlinkDeveloperIdentityCommand).resolves({});
  cognito.on(DeleteIdentitiesCommand).resolves({ UnprocessedIdentityIds: [] });
  // 30 items, answered in pages of 20 as Query would with a limit: the command must follow LastEvaluatedKey.
  partition = Array.from({ length: 30 }, (_, i) => `reading#${String(i).padStart(3, '0')}`);
  dynamoDb
    .on(QueryCommand)
    .callsFake((input: { Select?: string; ExclusiveStartKey?: Record<string, AttributeValue> }) => {
      if (input.Select === 'COUNT') return { Count: partition.length, ScannedCount: partition.length };
      const start = input.ExclusiveStartKey ? partition.indexOf(input.ExclusiveStartKey.sk.S!) + 1 : 0;
      const page = partition.slice(start, start + 20);
      const last = page.at(-1);
      return {
        Items: page.map((sk) => ({ deviceId: { S: IDENTITY }, sk: { S: sk } })),
        LastEvaluatedKey:
          start + 20 < partition.length && last ? { deviceId: { S: IDENTITY }, sk: { S: last } } : undefined,
      };
    });
  dynamoDb.on(BatchWriteItemCommand).resolves({ UnprocessedItems: {} });
});
afterEach(() => repo.remove());

const offboard = (...args: string[]) =>
  runDevice(repo, ['offboard-sim', '--env', 'dev', '--identity-id', IDENTITY, ...args], {
    env: { ...AUTH, SORACOM_API_ENDPOINT: soracomUrl },
    sleep: async () => {},
  });

/** Everything a run wrote, where a secret must never appear. */
const everything = (run: { stdout: string; stderr: string; error?: Error }) =>
  `${run.stdout}${run.stderr}${run.error?.message ?? ''}`;

describe('keyless device offboard-sim', () => {
  it('suspends the SIM, unlinks and deletes its identity, and deletes its partition, in that order', async () => {
    // What SORACOM had done when Cognito was first changed, and what Cognito had done when DynamoDB was.
    const seen: string[] = [];
    cognito.on(UnlinkDeveloperIdentityCommand).callsFake(() => {
      seen.push(`cognito: SIM ${soracom.sims.get(SIM)?.status}`);
      return {};
    });
    dynamoDb.on(BatchWriteItemCommand).callsFake(() => {
      seen.push(`dynamodb: identity deleted ${cognito.commandCalls(DeleteIdentitiesCommand).length}`);
      return { UnprocessedItems: {} };
    });
    const run = await offboard('--sim-id', SIM, '--yes', '--json');
    expect([...new Set(seen)]).toEqual(['cognito: SIM suspended', 'dynamodb: identity deleted 1']);

    expect(run.code).toBe(0);
    expect(soracom.sims.get(SIM)?.status).toBe('suspended');
    expect(cognito.commandCalls(UnlinkDeveloperIdentityCommand).map((c) => c.args[0].input)).toEqual([
      {
        IdentityId: IDENTITY,
        IdentityPoolId: POOL,
        DeveloperProviderName: 'keyless.dev.krypton',
        DeveloperUserIdentifier: DEVELOPER_USER_ID,
      },
    ]);
    expect(cognito.commandCalls(DeleteIdentitiesCommand)[0].args[0].input).toEqual({
      IdentityIdsToDelete: [IDENTITY],
    });
    // Keys only, strongly consistent, every page; deletes in batches of at most 25.
    const queries = dynamoDb
      .commandCalls(QueryCommand)
      .map((c) => c.args[0].input)
      .filter((q) => q.Select !== 'COUNT');
    expect(queries).toHaveLength(2);
    expect(queries[0]).toMatchObject({
      TableName: TABLE,
      ConsistentRead: true,
      ProjectionExpression: '#pk, #sk',
    });
    const deleted = dynamoDb
      .commandCalls(BatchWriteItemCommand)
      .flatMap((c) => c.args[0].input.RequestItems![TABLE].map((r) => r.DeleteRequest!.Key!.sk.S));
    expect(deleted).toEqual(partition);
    expect(
      dynamoDb
        .commandCalls(BatchWriteItemCommand)
        .every((c) => c.args[0].input.RequestItems![TABLE].length <= 25),
    ).toBe(true);

    expect(JSON.parse(run.stdout)).toEqual({
      env: 'dev',
      identityId: IDENTITY,
      identityPoolId: POOL,
      dryRun: false,
      plan: {
        sim: { simId: SIM, status: 'active', imsis: [IMSI], iccids: [SIM] },
        identityExists: true,
        developerUserIdentifiers: [DEVELOPER_USER_ID],
        logins: ['keyless.dev.krypton'],
        identityCreated: '2026-01-02T03:04:05.000Z',
        identityLastModified: '2026-03-04T05:06:07.000Z',
        partitionItems: 30,
        ownership: {
          verdict: 'verified',
          reason: `developer user identifier "${DEVELOPER_USER_ID}" names the SIM's IMSI ${IMSI}`,
        },
      },
      sim: { simId: SIM, status: 'suspended' },
      unlinked: [DEVELOPER_USER_ID],
      identityDeleted: true,
      table: TABLE,
      itemsDeleted: 30,
      bucketPrefixes: [`krypton/${IDENTITY}/`, `closed/${IDENTITY}/`],
    });
    expect(everything(run)).not.toContain(AUTH.SORACOM_AUTH_KEY);
    expect(everything(run)).not.toContain(SIM_ARC_PRIVATE_KEY_MARKER);
  });

  it('without --sim-id: says plainly that the SIM gets a new identity until SORACOM suspends it', async () => {
    const run = await offboard('--yes', '--allow-unverified-identity');
    expect(run.code).toBe(0);
    expect(soracom.requests).toHaveLength(0);
    expect(run.stdout).toMatch(
      /SORACOM was not asked \(no --sim-id\)\. .*Krypton gets it a NEW Cognito identity/,
    );
  });

  it('retries items DynamoDB leaves unprocessed, with backoff, until none are left', async () => {
    let first = true;
    dynamoDb.on(BatchWriteItemCommand).callsFake((input: { RequestItems: Record<string, unknown[]> }) => {
      if (first) {
        first = false;
        return { UnprocessedItems: { [TABLE]: input.RequestItems[TABLE].slice(0, 3) } };
      }
      return { UnprocessedItems: {} };
    });
    const run = await offboard('--sim-id', SIM, '--yes', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).itemsDeleted).toBe(30);
    expect(dynamoDb.commandCalls(BatchWriteItemCommand)[1].args[0].input.RequestItems![TABLE]).toHaveLength(
      3,
    );
  });

  it('--keep-data keeps the partition; an identity already gone is reported and the rest goes on', async () => {
    cognito
      .on(LookupDeveloperIdentityCommand)
      .rejects(new ResourceNotFoundException({ message: 'no identity', $metadata: {} }));
    const run = await offboard('--keep-data', '--yes', '--allow-unverified-identity');
    expect(run.code).toBe(0);
    expect(cognito.commandCalls(DeleteIdentitiesCommand)).toHaveLength(0);
    expect(dynamoDb.calls()).toHaveLength(0);
    expect(run.stdout).toContain(`Identity ${IDENTITY} was already gone`);
    expect(run.stdout).toContain('was kept (--keep-data)');
  });

  it('stops before Cognito changes when SORACOM does not know the SIM, or cannot suspend it', async () => {
    const unknown = await offboard('--sim-id', '8981100000000000999', '--yes');
    expect(unknown.code).toBe(EXIT_CODES.remote);
    expect(cognito.calls()).toHaveLength(0);
    expect(dynamoDb.calls()).toHaveLength(0);
    expect(everything(unknown)).not.toContain(AUTH.SORACOM_AUTH_KEY);

    soracom.failOn('POST', `/v1/sims/${SIM}/suspend`, 400);
    const refused = await offboard('--sim-id', SIM, '--yes');
    expect(refused.code).toBe(EXIT_CODES.remote);
    expect(cognito.commandCalls(UnlinkDeveloperIdentityCommand)).toHaveLength(0);
    expect(cognito.commandCalls(DeleteIdentitiesCommand)).toHaveLength(0);
    expect(dynamoDb.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
  });

  it('a bad SORACOM auth key is a clear error that does not print the key', async () => {
    const run = await runDevice(
      repo,
      ['offboard-sim', '--env', 'dev', '--identity-id', IDENTITY, '--sim-id', SIM, '--yes'],
      {
        env: { ...AUTH, SORACOM_AUTH_KEY: 'wrong-secret-key-value', SORACOM_API_ENDPOINT: soracomUrl },
      },
    );
    expect(run.code).toBe(EXIT_CODES.remote);
    expect(everything(run)).not.toContain('wrong-secret-key-value');
    expect(soracom.sims.get(SIM)?.status).toBe('active');
    expect(cognito.calls()).toHaveLength(0);
  });

  it('refuses what it cannot read before any call: bad ids, another region, plain http, another account', async () => {
    const refused = async (args: string[], env: NodeJS.ProcessEnv, message: RegExp, code: number) => {
      const run = await runDevice(repo, ['offboard-sim', '--env', 'dev', '--yes', ...args], { env });
      expect({ code: run.code, message: run.error?.message }).toEqual({
        code,
        message: expect.stringMatching(message),
      });
    };
    await refused(
      ['--identity-id', 'ap-northeast-1:../../x'],
      {},
      /--identity-id must be a Cognito identity id/,
      2,
    );
    await refused(
      ['--identity-id', 'us-east-1:7c1d9e2a-0000-4000-8000-00000000c0de'],
      {},
      /is an identity of us-east-1, but environment dev is in ap-northeast-1/,
      2,
    );
    await refused(
      ['--identity-id', IDENTITY, '--sim-id', '89/../groups'],
      AUTH,
      /--sim-id must be a SORACOM SIM ID/,
      2,
    );
    await refused(
      ['--identity-id', IDENTITY, '--sim-id', SIM],
      { ...AUTH, SORACOM_API_ENDPOINT: 'http://soracom.example' },
      /must be https:\/\//,
      2,
    );
    expect(soracom.requests).toHaveLength(0);
    sts.on(GetCallerIdentityCommand).resolves({ Account: '222222222222' });
    await refused(['--identity-id', IDENTITY], {}, /account 222222222222/, 4);
    expect(cognito.calls()).toHaveLength(0);
    expect(dynamoDb.calls()).toHaveLength(0);
  });

  it('a DynamoDB answer without the keys stops the deletion: a key it cannot read is an item it cannot delete', async () => {
    dynamoDb
      .on(QueryCommand)
      .callsFake((input: { Select?: string }) =>
        input.Select === 'COUNT' ? { Count: 1 } : { Items: [{ deviceId: { S: IDENTITY } }] },
      );
    const run = await offboard('--sim-id', SIM, '--yes');
    expect(run.code).toBe(EXIT_CODES.remote);
    expect(run.error?.message).toMatch(/without its key .*stopped after deleting 0/);
    expect(dynamoDb.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
  });

  it('Cognito answering another identity stops everything', async () => {
    cognito.on(LookupDeveloperIdentityCommand).resolves({
      IdentityId: 'ap-northeast-1:00000000-0000-0000-0000-000000000000',
      DeveloperUserIdentifierList: ['x'],
    });
    const run = await offboard('--sim-id', SIM, '--yes');
    expect(run.code).toBe(EXIT_CODES.remote);
    expect(cognito.commandCalls(UnlinkDeveloperIdentityCommand)).toHaveLength(0);
    expect(cognito.commandCalls(DeleteIdentitiesCommand)).toHaveLength(0);
    expect(dynamoDb.calls()).toHaveLength(0);
  });

  /** Nothing was changed anywhere: the SIM, Cognito, DynamoDB. */
  const expectNothingChanged = () => {
    expect(soracom.sims.get(SIM)?.status).toBe('active');
    expect(cognito.commandCalls(UnlinkDeveloperIdentityCommand)).toHaveLength(0);
    expect(cognito.commandCalls(DeleteIdentitiesCommand)).toHaveLength(0);
    expect(dynamoDb.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
    expect(soracom.requests.filter((r) => r.method !== 'GET' && r.path !== '/v1/auth')).toEqual([]);
  };

  it('--dry-run shows what would go (developer user ids, item count, the SIM) and changes nothing', async () => {
    const run = await offboard('--sim-id', SIM, '--dry-run', '--json');
    expect(run.code).toBe(0);
    expectNothingChanged();
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({
      dryRun: true,
      sim: null,
      unlinked: [],
      identityDeleted: false,
      itemsDeleted: null,
      plan: {
        developerUserIdentifiers: [DEVELOPER_USER_ID],
        partitionItems: 30,
        ownership: { verdict: 'verified' },
      },
    });
    expect(run.stderr).toContain(`developer user identifier(s) "${DEVELOPER_USER_ID}"`);
    expect(run.stderr).toContain(`Partition ${IDENTITY} of ${TABLE}: 30 item(s) will be deleted.`);
    expect(run.stderr).toContain(`SIM ${SIM} (active; IMSI ${IMSI}; ICCID ${SIM}): will be suspended.`);
    expect(run.stderr).toMatch(/Dry run: nothing changed\./);
    expect(everything(run)).not.toContain(SIM_ARC_PRIVATE_KEY_MARKER);
  });

  it('refuses an identity whose developer user id names another SIM, whatever the flags (exit 2)', async () => {
    cognito
      .on(LookupDeveloperIdentityCommand)
      .resolves({ IdentityId: IDENTITY, DeveloperUserIdentifierList: ['imsi-440100000000999'] });
    const run = await offboard('--sim-id', SIM, '--yes', '--allow-unverified-identity');
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(run.error?.message).toMatch(
      new RegExp(
        `identity ${IDENTITY} is not SIM ${SIM}'s: .*"imsi-440100000000999" name a SIM, but none of SIM ${SIM}'s numbers \\(IMSI ${IMSI}`,
      ),
    );
    expectNothingChanged();
  });

  it('refuses when it cannot tell (no --sim-id, or identifiers without a SIM number) unless --allow-unverified-identity', async () => {
    const withoutSim = await offboard('--yes');
    expect(withoutSim.code).toBe(EXIT_CODES.usage);
    expect(withoutSim.error?.message).toMatch(
      /cannot tell that identity .* belongs to the SIM: no --sim-id, so nothing links the identity to a SIM\. Nothing changed\. .*--allow-unverified-identity/,
    );
    expectNothingChanged();

    cognito
      .on(LookupDeveloperIdentityCommand)
      .resolves({ IdentityId: IDENTITY, DeveloperUserIdentifierList: ['device-abc'] });
    const opaque = await offboard('--sim-id', SIM, '--yes');
    expect(opaque.code).toBe(EXIT_CODES.usage);
    expect(opaque.error?.message).toMatch(/carry no IMSI, ICCID or SIM ID to compare/);
    expectNothingChanged();

    const allowed = await offboard('--sim-id', SIM, '--yes', '--allow-unverified-identity');
    expect(allowed.code).toBe(0);
    expect(soracom.sims.get(SIM)?.status).toBe('suspended');
    expect(cognito.commandCalls(DeleteIdentitiesCommand)).toHaveLength(1);
  });

  it('not on a terminal and no --yes: refused before any call (exit 2)', async () => {
    const run = await offboard('--sim-id', SIM);
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(run.error?.message).toMatch(
      /not on a terminal, so nothing can be confirmed\. .*--dry-run, then run again with --yes/,
    );
    expect(soracom.requests).toHaveLength(0);
    expect(cognito.calls()).toHaveLength(0);
    expect(dynamoDb.calls()).toHaveLength(0);
  });

  it('on a terminal it asks after showing the plan: anything but "yes" changes nothing', async () => {
    const questions: string[] = [];
    const ask = (answer: boolean) => async (question: string) => {
      questions.push(question);
      return answer;
    };
    const declined = await runDevice(
      repo,
      ['offboard-sim', '--env', 'dev', '--identity-id', IDENTITY, '--sim-id', SIM],
      { env: { ...AUTH, SORACOM_API_ENDPOINT: soracomUrl }, confirm: ask(false), sleep: async () => {} },
    );
    expect(declined.code).toBe(EXIT_CODES.usage);
    expect(declined.error?.message).toBe('not confirmed: nothing changed');
    expect(questions[0]).toContain(
      `Suspend SIM ${SIM}, delete identity ${IDENTITY} and 30 item(s) of its partition?`,
    );
    expect(declined.stderr).toContain(`developer user identifier(s) "${DEVELOPER_USER_ID}"`);
    expectNothingChanged();

    const confirmed = await runDevice(
      repo,
      ['offboard-sim', '--env', 'dev', '--identity-id', IDENTITY, '--sim-id', SIM],
      { env: { ...AUTH, SORACOM_API_ENDPOINT: soracomUrl }, confirm: ask(true), sleep: async () => {} },
    );
    expect(confirmed.code).toBe(0);
    expect(soracom.sims.get(SIM)?.status).toBe('suspended');
  });

  it('a SIM already suspended is not suspended again; the AWS half goes on', async () => {
    soracom.seedSim(SIM, 'group-krypton', 'suspended', [IMSI]);
    const run = await offboard('--sim-id', SIM, '--yes', '--json');
    expect(run.code).toBe(0);
    expect(soracom.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/suspend'))).toEqual([]);
    expect(JSON.parse(run.stdout).sim).toEqual({ simId: SIM, status: 'suspended' });
    expect(run.stderr).toContain('already suspended, left so.');
    expect(cognito.commandCalls(DeleteIdentitiesCommand)).toHaveLength(1);
  });
});

describe("ownershipOf: whether an identity is the SIM's", () => {
  const sim = {
    simId: 'SIMID0001',
    imsis: ['440100000000001', '295050000000001'],
    iccids: ['8981100000000000001'],
  };
  const verdict = (identifiers: string[], exists = true) =>
    ownershipOf({ exists, identifiers }, sim, IDENTITY).verdict;

  it.each([
    [['440100000000001'], 'verified'],
    [['imsi:295050000000001'], 'verified'],
    [['iccid-8981100000000000001'], 'verified'],
    [['SIMID0001'], 'verified'],
    [['other-440100000000999', 'imsi-440100000000001'], 'verified'],
    [['imsi-440100000000999'], 'mismatch'],
    [['8981100000000000999'], 'mismatch'],
    // A part of an IMSI is not the IMSI: only whole runs of digits count.
    [['4401000000000011'], 'mismatch'],
    [['device-abc'], 'unverifiable'],
    [['op-1234567890123'], 'unverifiable'],
    [[], 'unverifiable'],
  ])('%j → %s', (identifiers, expected) => {
    expect(verdict(identifiers)).toBe(expected);
  });

  it('an identity that does not exist, or no SIM to compare with, cannot be told', () => {
    expect(verdict(['440100000000001'], false)).toBe('unverifiable');
    expect(ownershipOf({ exists: true, identifiers: ['440100000000001'] }, undefined, IDENTITY).verdict).toBe(
      'unverifiable',
    );
  });
});

/*
 * Mutants of lib/cli/device/offboard-sim.ts left alive (`npm run test:mutation -- device-offboard-sim`), each equivalent:
 * - L160 `options.simId !== undefined && ...` as `true`: `follows` tests String(undefined), which the SIM ID rule accepts.
 * - L355 `nextToken !== undefined` and L490 `if (startKey)` (partitionPages) as `true`: without a token the loop ends
 *   this turn and the set of seen tokens is never read again.
 * - L378 and L504 (inOperatorWords) `error instanceof RemoteServiceError` as `false`: describeAwsError returns an
 *   error it does not recognise unchanged.
 * - L562 the ', ' between unprocessed ids: one identity is deleted per call, so Cognito names at most one.
 * - L613 `i <= keys.length`: the extra batch is empty, and writeAll sends nothing for it.
 * - L455 `typeof page.Count !== 'number'` as `false`: `!Number.isInteger` already refuses every non-number.
 */
describe('deletePartition: every item goes, in batches DynamoDB accepts, and a stuck answer stops it', () => {
  const target = { table: 'T', partitionKey: 'pk', sortKey: 'sk', value: IDENTITY };
  const item = (i: number) => ({ pk: { S: IDENTITY }, sk: { S: `r#${i}` } });
  /** A DynamoDB that answers Query from `pages` and BatchWriteItem from `write`; records every call. */
  const fakeDynamoDb = (
    pages: { Items?: Record<string, AttributeValue>[]; LastEvaluatedKey?: Record<string, AttributeValue> }[],
    write: (requests: unknown[]) => Record<string, unknown[]> = () => ({}),
  ) => {
    const batches: number[] = [];
    let page = 0;
    const send = async (command: unknown) => {
      if (command instanceof QueryCommand) return pages[page++];
      const requests = (command as BatchWriteItemCommand).input.RequestItems!.T;
      batches.push(requests.length);
      return { UnprocessedItems: write(requests) };
    };
    return { clients: { dynamoDb: { send } } as never, batches };
  };

  // A fake clock, not a measured one: what is pinned is that nothing is sent again before the backoff has passed, and
  // that the wait ends (a sleep that never resolved would hang the command).
  it('without an injected sleep, unprocessed items are sent again once the backoff has passed, not before', async () => {
    jest.useFakeTimers();
    const random = jest.spyOn(Math, 'random').mockReturnValue(0);
    try {
      let writes = 0;
      // The first write leaves the item unprocessed, the second deletes it.
      const { clients, batches } = fakeDynamoDb([{ Items: [item(0)] }], (requests) => {
        writes += 1;
        const unprocessed: Record<string, unknown[]> = writes === 1 ? { T: requests } : {};
        return unprocessed;
      });
      const deleting = deletePartition(clients, devConfig(), target);
      await jest.advanceTimersByTimeAsync(24);
      expect(batches).toEqual([1]);
      await jest.advanceTimersByTimeAsync(1);
      expect(batches).toEqual([1, 1]);
      await expect(deleting).resolves.toBe(1);
    } finally {
      random.mockRestore();
      jest.useRealTimers();
    }
  });

  it('deletes 60 items of one page in batches of 25, 25 and 10, and returns 60', async () => {
    const { clients, batches } = fakeDynamoDb([{ Items: Array.from({ length: 60 }, (_, i) => item(i)) }]);
    await expect(deletePartition(clients, devConfig(), target)).resolves.toBe(60);
    expect(batches).toEqual([25, 25, 10]);
  });

  it('a batch DynamoDB keeps leaving unprocessed stops after maxAttempts, backing off 25-50 ms then doubling', async () => {
    const slept: number[] = [];
    const { clients, batches } = fakeDynamoDb([{ Items: [item(0), item(1)] }], (requests) => ({
      T: requests,
    }));
    const random = jest.spyOn(Math, 'random');
    try {
      random.mockReturnValue(0);
      await expect(
        deletePartition(clients, devConfig(), {
          ...target,
          maxAttempts: 3,
          sleep: async (ms) => {
            slept.push(ms);
          },
        }),
      ).rejects.toThrow(
        `DynamoDB left 2 item(s) of partition ${IDENTITY} unprocessed after 3 attempts (throttled): run the command again`,
      );
      expect(batches).toEqual([2, 2, 2]);
      // Half the backoff (50 ms, then 100 ms) plus a random share of the other half.
      expect(slept).toEqual([25, 50]);
      random.mockReturnValue(1);
      slept.length = 0;
      await expect(
        deletePartition(fakeDynamoDb([{ Items: [item(0)] }], (r) => ({ T: r })).clients, devConfig(), {
          ...target,
          maxAttempts: 3,
          sleep: async (ms) => {
            slept.push(ms);
          },
        }),
      ).rejects.toThrow('after 3 attempts');
      expect(slept).toEqual([50, 100]);
    } finally {
      random.mockRestore();
    }
  });

  it('gives up after 8 attempts when no maxAttempts is given', async () => {
    const { clients, batches } = fakeDynamoDb([{ Items: [item(0)] }], (requests) => ({ T: requests }));
    await expect(deletePartition(clients, devConfig(), { ...target, sleep: async () => {} })).rejects.toThrow(
      'after 8 attempts',
    );
    expect(batches).toHaveLength(8);
  });

  it('a page token DynamoDB repeats stops it instead of deleting forever', async () => {
    const again = { pk: { S: IDENTITY }, sk: { S: 'r#0' } };
    const { clients } = fakeDynamoDb([
      { Items: [item(0)], LastEvaluatedKey: again },
      { Items: [item(0)], LastEvaluatedKey: again },
      { Items: [] },
    ]);
    await expect(deletePartition(clients, devConfig(), target)).rejects.toThrow(
      `DynamoDB repeated a page of partition ${IDENTITY}`,
    );
  });

  it('an item of another partition stops it: it deletes only the identity it was given', async () => {
    const { clients, batches } = fakeDynamoDb([
      { Items: [{ pk: { S: 'ap-northeast-1:other' }, sk: { S: 'r#0' } }] },
    ]);
    await expect(deletePartition(clients, devConfig(), target)).rejects.toThrow(
      `DynamoDB answered item 0 of partition ${IDENTITY} in T without its key (pk, sk): stopped after deleting 0`,
    );
    expect(batches).toEqual([]);
  });
});

describe('describePlan and describeOffboarding: the lines an operator acts on', () => {
  const plan = {
    sim: { simId: SIM, status: 'active', imsis: [IMSI], iccids: [] },
    identityExists: true,
    developerUserIdentifiers: [DEVELOPER_USER_ID],
    logins: [],
    identityCreated: null,
    identityLastModified: null,
    partitionItems: 3,
    ownership: { verdict: 'verified' as const, reason: 'r' },
  };

  it('says what will go, with "none" and "unknown" where Cognito or SORACOM told nothing', () => {
    expect(describePlan(plan, IDENTITY, POOL, 'T')).toEqual([
      `SIM ${SIM} (active; IMSI ${IMSI}; ICCID none): will be suspended.`,
      `Identity ${IDENTITY} of pool ${POOL}: developer user identifier(s) "${DEVELOPER_USER_ID}"; logins none; created unknown, last modified unknown: will be unlinked and deleted.`,
      `Partition ${IDENTITY} of T: 3 item(s) will be deleted.`,
      'Ownership: verified (r).',
    ]);
    expect(
      describePlan(
        {
          ...plan,
          sim: { simId: SIM, status: 'suspended', imsis: [], iccids: [SIM] },
          identityExists: false,
          partitionItems: null,
        },
        IDENTITY,
        POOL,
        'T',
      ).slice(0, 3),
    ).toEqual([
      `SIM ${SIM} (suspended; IMSI none; ICCID ${SIM}): already suspended, left so.`,
      `Identity ${IDENTITY} does not exist in pool ${POOL} (already deleted, or mistyped).`,
      `Partition ${IDENTITY} of T: kept (--keep-data).`,
    ]);
    expect(describePlan({ ...plan, sim: null }, IDENTITY, POOL, 'T')[0]).toBe(
      'No --sim-id: SORACOM is neither asked nor changed.',
    );
  });

  const result = {
    env: 'dev',
    identityId: IDENTITY,
    identityPoolId: POOL,
    plan,
    table: 'T',
    bucketPrefixes: ['krypton/a/', 'closed/a/'],
    dryRun: false,
    sim: null,
    unlinked: [DEVELOPER_USER_ID],
    identityDeleted: true,
    itemsDeleted: 3,
  };

  it('after a run without --sim-id, names the suspend command for the coverage, and how to delete the objects', () => {
    const lines = describeOffboarding(result, { coverage: 'jp' } as never, 'b');
    expect(lines).toEqual([
      'SORACOM was not asked (no --sim-id). Until the SIM is suspended or leaves its Krypton SIM group, Krypton gets it a NEW Cognito identity at its next request: ' +
        'suspend it now (User Console → SIM → Suspend, or `soracom sims suspend --sim-id <id> --coverage-type jp`).',
      `Identity ${IDENTITY} is unlinked from 1 developer user id(s) and deleted from pool ${POOL}: Cognito issues it nothing more. Credentials issued before stay valid until they expire (at most an hour).`,
      `3 item(s) of partition ${IDENTITY} deleted from T.`,
      'Objects it uploaded stay in s3://b/ under krypton/a/ and closed/a/; to delete them: ' +
        'aws s3 rm --recursive s3://b/krypton/a/ ; aws s3 rm --recursive s3://b/closed/a/ ' +
        '(the bucket keeps noncurrent versions for data.noncurrentVersionExpirationDays).',
    ]);
    expect(describeOffboarding(result, { coverage: 'g' } as never, 'b')[0]).toContain('--coverage-type g`');
  });

  it('after a run with nothing to delete, and after a dry run, says what is left', () => {
    expect(
      describeOffboarding(
        {
          ...result,
          sim: { simId: SIM, status: 'suspended' },
          identityDeleted: false,
          itemsDeleted: null,
        },
        { coverage: 'g' } as never,
        'b',
      ).slice(0, 3),
    ).toEqual([
      `SIM ${SIM} is suspended at SORACOM: it cannot open a data session to ask Krypton again.`,
      `Identity ${IDENTITY} was already gone from pool ${POOL}.`,
      `Partition ${IDENTITY} of T was kept (--keep-data).`,
    ]);
    expect(describeOffboarding({ ...result, dryRun: true }, { coverage: 'g' } as never, 'b')).toEqual([
      'Dry run: nothing changed. Ownership verified: the command would go ahead (after --yes or a confirmation).',
      'Objects it uploaded are under s3://b/krypton/a/ and s3://b/closed/a/ (never deleted by this command).',
    ]);
  });
});

describe('keyless device offboard-sim: what each answer leaves, and what the operator reads', () => {
  /** Nothing was deleted in Cognito or DynamoDB. */
  const expectNothingDeleted = () => {
    expect(cognito.commandCalls(UnlinkDeveloperIdentityCommand)).toHaveLength(0);
    expect(cognito.commandCalls(DeleteIdentitiesCommand)).toHaveLength(0);
    expect(dynamoDb.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
  };

  it('reports each step as it is done, on stderr', async () => {
    const run = await offboard('--sim-id', SIM, '--yes');
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`SORACOM: SIM ${SIM} is suspended.`);
    expect(run.stderr).toContain(
      `Cognito: identity ${IDENTITY} unlinked (1 developer user id(s)) and deleted.`,
    );
    expect(run.stderr).toContain(`DynamoDB: 30 item(s) deleted from partition ${IDENTITY} of ${TABLE}.`);

    cognito
      .on(LookupDeveloperIdentityCommand)
      .rejects(new ResourceNotFoundException({ message: 'no identity', $metadata: {} }));
    const gone = await offboard('--yes', '--allow-unverified-identity');
    expect(gone.stderr).toContain(`Cognito: identity ${IDENTITY} does not exist (already deleted).`);
    expect(gone.stderr).not.toContain('SORACOM:');
  });

  it('asks about exactly what will go: no SIM and no items when there is no --sim-id and --keep-data', async () => {
    const questions: string[] = [];
    const run = await runDevice(
      repo,
      [
        'offboard-sim',
        '--env',
        'dev',
        '--identity-id',
        IDENTITY,
        '--keep-data',
        '--allow-unverified-identity',
      ],
      {
        env: {},
        confirm: async (question: string) => {
          questions.push(question);
          return false;
        },
      },
    );
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(questions).toEqual([`Suspend no SIM, delete identity ${IDENTITY}? Type "yes" to go ahead: `]);
  });

  it('an identity that cannot be tied to --sim-id is refused naming that SIM', async () => {
    cognito
      .on(LookupDeveloperIdentityCommand)
      .resolves({ IdentityId: IDENTITY, DeveloperUserIdentifierList: [] });
    const run = await offboard('--sim-id', SIM, '--yes');
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(run.error?.message).toBe(
      `cannot tell that identity ${IDENTITY} belongs to SIM ${SIM}: identity ${IDENTITY} has no developer user identifier, so Cognito names no SIM for it. ` +
        'Nothing changed. If you are sure of --identity-id, run again with --allow-unverified-identity',
    );
    expectNothingDeleted();
  });

  it('reads every page of developer user ids, and a page token Cognito repeats stops everything', async () => {
    cognito
      .on(LookupDeveloperIdentityCommand)
      .callsFake((input: { NextToken?: string }) =>
        input.NextToken === undefined
          ? { IdentityId: IDENTITY, DeveloperUserIdentifierList: [DEVELOPER_USER_ID], NextToken: 't1' }
          : { IdentityId: IDENTITY, DeveloperUserIdentifierList: ['second-page'], NextToken: '' },
      );
    const run = await offboard('--sim-id', SIM, '--yes', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).unlinked).toEqual([DEVELOPER_USER_ID, 'second-page']);
    expect(
      cognito.commandCalls(LookupDeveloperIdentityCommand).map((c) => c.args[0].input.NextToken),
    ).toEqual([undefined, 't1']);

    cognito.resetHistory();
    dynamoDb.resetHistory();
    cognito.on(LookupDeveloperIdentityCommand).resolves({
      IdentityId: IDENTITY,
      DeveloperUserIdentifierList: [DEVELOPER_USER_ID],
      NextToken: 'same',
    });
    const looping = await offboard('--sim-id', SIM, '--yes');
    expect(looping.code).toBe(EXIT_CODES.remote);
    expect(looping.error?.message).toBe('Cognito LookupDeveloperIdentity repeated a page token');
    expect(cognito.commandCalls(LookupDeveloperIdentityCommand)).toHaveLength(2);
    expectNothingDeleted();
  });

  it('Cognito answering or describing another identity stops everything, saying so', async () => {
    const other = 'ap-northeast-1:00000000-0000-0000-0000-000000000000';
    cognito
      .on(LookupDeveloperIdentityCommand)
      .resolves({ IdentityId: other, DeveloperUserIdentifierList: [] });
    const looked = await offboard('--sim-id', SIM, '--yes');
    expect(looked.error?.message).toBe(
      `Cognito answered identity ${other} when asked about ${IDENTITY}: nothing unlinked or deleted`,
    );

    cognito
      .on(LookupDeveloperIdentityCommand)
      .resolves({ IdentityId: IDENTITY, DeveloperUserIdentifierList: [DEVELOPER_USER_ID] });
    cognito.on(DescribeIdentityCommand).resolves({ IdentityId: other });
    const described = await offboard('--sim-id', SIM, '--yes');
    expect(described.code).toBe(EXIT_CODES.remote);
    expect(described.error?.message).toBe(
      `Cognito described identity ${other} when asked about ${IDENTITY}: nothing changed`,
    );
    expect(soracom.sims.get(SIM)?.status).toBe('active');
    expectNothingDeleted();
  });

  it('an identity Cognito describes without dates or logins is shown as such; its plan still goes ahead', async () => {
    cognito.on(DescribeIdentityCommand).resolves({});
    const run = await offboard('--sim-id', SIM, '--yes', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).plan).toMatchObject({
      identityExists: true,
      logins: [],
      identityCreated: null,
      identityLastModified: null,
    });
  });

  it('another Cognito error while reading stops everything with the AWS error, not as "already deleted"', async () => {
    cognito
      .on(LookupDeveloperIdentityCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const run = await offboard('--sim-id', SIM, '--yes');
    expect(run.code).not.toBe(0);
    expect(soracom.sims.get(SIM)?.status).toBe('active');
    expectNothingDeleted();
  });

  it('Cognito leaving the identity undeleted stops before the partition, and says to run again', async () => {
    cognito
      .on(DeleteIdentitiesCommand)
      .resolves({ UnprocessedIdentityIds: [{ IdentityId: IDENTITY, ErrorCode: 'InternalServerError' }] });
    const run = await offboard('--sim-id', SIM, '--yes');
    expect(run.code).toBe(EXIT_CODES.remote);
    expect(run.error?.message).toBe(
      `Cognito did not delete identity ${IDENTITY} (InternalServerError): run the command again`,
    );
    expect(dynamoDb.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
  });

  it('counts every page of the partition, and a count DynamoDB does not give stops before anything changes', async () => {
    dynamoDb
      .on(QueryCommand)
      .callsFake((input: { Select?: string; ExclusiveStartKey?: unknown }) =>
        input.ExclusiveStartKey
          ? { Count: 5 }
          : { Count: 7, LastEvaluatedKey: { deviceId: { S: IDENTITY }, sk: { S: 'x' } } },
      );
    const dry = await offboard('--sim-id', SIM, '--dry-run', '--json');
    expect(JSON.parse(dry.stdout).plan.partitionItems).toBe(12);

    dynamoDb
      .on(QueryCommand)
      .resolves({ Count: 7, LastEvaluatedKey: { deviceId: { S: IDENTITY }, sk: { S: 'x' } } });
    const looping = await offboard('--sim-id', SIM, '--yes');
    expect(looping.error?.message).toBe(`DynamoDB repeated a page of partition ${IDENTITY}`);

    for (const Count of [undefined, -1, 1.5]) {
      dynamoDb.on(QueryCommand).resolves({ Count });
      const run = await offboard('--sim-id', SIM, '--yes');
      expect(run.code).toBe(EXIT_CODES.remote);
      expect(run.error?.message).toBe(
        `DynamoDB answered no item count for partition ${IDENTITY} of ${TABLE}: nothing changed`,
      );
    }
    expect(soracom.sims.get(SIM)?.status).toBe('active');
    expectNothingDeleted();
  });
});

describe('keyless device offboard-sim: the rarer answers', () => {
  // A fake clock, not a measured one (the CLI injects no sleep, so this default is the one operators get): no retry
  // before the asked wait has passed, and the wait ends.
  it('without an injected sleep, a rate-limited SORACOM login is retried once the asked wait has passed', async () => {
    jest.useFakeTimers();
    try {
      const sent: string[] = [];
      const fetchImpl: typeof fetch = async (input) => {
        const path = new URL(String(input)).pathname;
        sent.push(path);
        if (path === '/v1/auth' && sent.length === 1) {
          return new Response(null, {
            status: 429,
            headers: { 'x-soracom-ratelimit-seconds-before-refresh': '2' },
          });
        }
        if (path === '/v1/auth') return new Response(JSON.stringify({ apiKey: 'api-k', token: 'token-t' }));
        return new Response(
          JSON.stringify({
            simId: SIM,
            status: 'active',
            profiles: { [SIM]: { iccid: SIM, primaryImsi: IMSI } },
          }),
        );
      };
      const notes: string[] = [];
      const running = offboardSim(
        devConfig(),
        clientsIn(),
        { identityId: IDENTITY, simId: SIM, dryRun: true },
        {
          env: { ...AUTH, SORACOM_API_ENDPOINT: 'https://api.soracom.io' },
          note: (l) => notes.push(l),
          fetchImpl,
        },
      );
      await jest.advanceTimersByTimeAsync(1_999);
      expect(sent).toEqual(['/v1/auth']);
      await jest.advanceTimersByTimeAsync(1);
      await expect(running).resolves.toMatchObject({
        dryRun: true,
        plan: { ownership: { verdict: 'verified' } },
      });
      expect(sent).toEqual(['/v1/auth', '/v1/auth', `/v1/sims/${SIM}`]);
      expect(notes).toContain('SORACOM API rate limit reached: waiting 2 s before retrying');
    } finally {
      jest.useRealTimers();
    }
  });

  it('SORACOM rate-limiting the login is waited out, saying how long, through the injected sleep', async () => {
    soracom.rateLimit(1, 2);
    const slept: number[] = [];
    const run = await runDevice(
      repo,
      ['offboard-sim', '--env', 'dev', '--identity-id', IDENTITY, '--sim-id', SIM, '--yes'],
      {
        env: { ...AUTH, SORACOM_API_ENDPOINT: soracomUrl },
        sleep: async (ms: number) => {
          slept.push(ms);
        },
      },
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('SORACOM API rate limit reached: waiting 2 s before retrying');
    expect(slept[0]).toBeGreaterThan(1000);
  });

  it('an environment without a krypton section is a config error before anything is read', async () => {
    const config = { ...devConfig(), krypton: undefined };
    await expect(offboardSim(config, {} as never, { identityId: IDENTITY }, {} as never)).rejects.toThrow(
      `environment dev has no krypton section in ${config.configFile}`,
    );
  });

  it('an environment without a closed network names only the Krypton prefix as left to clean up', async () => {
    const config = { ...devConfig(), closedNetwork: undefined };
    const result = await offboardSim(
      config,
      clientsIn(),
      { identityId: IDENTITY, dryRun: true, allowUnverifiedIdentity: true },
      { env: {}, note: () => {} },
    );
    // A prefix the environment never writes to would send the operator looking for data that cannot exist.
    expect(result.bucketPrefixes).toEqual([`krypton/${IDENTITY}/`]);
  });

  it('an undeleted identity without an error code still says so', async () => {
    cognito.on(DeleteIdentitiesCommand).resolves({ UnprocessedIdentityIds: [{ IdentityId: IDENTITY }] });
    const run = await offboard('--sim-id', SIM, '--yes');
    expect(run.error?.message).toBe(
      `Cognito did not delete identity ${IDENTITY} (no error code): run the command again`,
    );
  });

  it('a mismatch names every number of the SIM, and "none" where it has none', () => {
    expect(
      ownershipOf(
        { exists: true, identifiers: ['imsi-440100000000999'] },
        { simId: 'S1', imsis: [], iccids: [] },
        IDENTITY,
      ),
    ).toEqual({
      verdict: 'mismatch',
      reason:
        'its developer user identifier(s) "imsi-440100000000999" name a SIM, but none of SIM S1\'s numbers (IMSI none; ICCID none)',
    });
  });
});

describe('keyless device offboard-sim: exact words and boundaries', () => {
  it('without a SORACOM auth key it names the two permissions the SAM user needs', async () => {
    const run = await runDevice(
      repo,
      ['offboard-sim', '--env', 'dev', '--identity-id', IDENTITY, '--sim-id', SIM, '--yes'],
      { env: { SORACOM_API_ENDPOINT: soracomUrl } },
    );
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(run.error?.message).toContain(
      'a SAM user allowed to read and suspend SIMs (Sim:getSim and Sim:suspendSim)',
    );
  });

  it('a plain-http SORACOM endpoint is refused naming the variable, and ignored without --sim-id', async () => {
    const env = { SORACOM_API_ENDPOINT: 'http://soracom.example' };
    const refused = await runDevice(
      repo,
      ['offboard-sim', '--env', 'dev', '--identity-id', IDENTITY, '--sim-id', SIM, '--yes'],
      { env: { ...AUTH, ...env } },
    );
    expect(refused.error?.message).toContain('SORACOM_API_ENDPOINT');
    const ignored = await runDevice(
      repo,
      ['offboard-sim', '--env', 'dev', '--identity-id', IDENTITY, '--yes', '--allow-unverified-identity'],
      { env, sleep: async () => {} },
    );
    expect(ignored.code).toBe(0);
  });

  it('a terminated SIM is left so, like a suspended one', async () => {
    soracom.seedSim(SIM, 'group-krypton', 'terminated', [IMSI]);
    const run = await offboard('--sim-id', SIM, '--yes', '--json');
    expect(run.code).toBe(0);
    expect(soracom.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/suspend'))).toEqual([]);
    expect(JSON.parse(run.stdout).sim).toEqual({ simId: SIM, status: 'terminated' });
  });

  it('an empty partition is counted as 0 items, not refused', async () => {
    dynamoDb.on(QueryCommand).resolves({ Count: 0, Items: [] });
    const run = await offboard('--sim-id', SIM, '--dry-run', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).plan.partitionItems).toBe(0);
  });

  it('25 items are one batch, not one batch and an empty one', async () => {
    const batches: number[] = [];
    const send = async (command: unknown) => {
      if (command instanceof QueryCommand)
        return {
          Items: Array.from({ length: 25 }, (_, i) => ({ pk: { S: IDENTITY }, sk: { S: `r#${i}` } })),
        };
      batches.push((command as BatchWriteItemCommand).input.RequestItems!.T.length);
      return { UnprocessedItems: {} };
    };
    await deletePartition({ dynamoDb: { send } } as never, devConfig(), {
      table: 'T',
      partitionKey: 'pk',
      sortKey: 'sk',
      value: IDENTITY,
    });
    expect(batches).toEqual([25]);
  });

  const sim = {
    simId: 'SIMID0001',
    imsis: ['440100000000001', '295050000000001'],
    iccids: ['8981100000000000001', '8981100000000000002'],
  };
  it('ownership reasons say which number matched, or what is missing', () => {
    expect(ownershipOf({ exists: false, identifiers: [] }, sim, IDENTITY).reason).toBe(
      `identity ${IDENTITY} does not exist in the pool, so Cognito names no SIM for it`,
    );
    expect(ownershipOf({ exists: true, identifiers: ['SIMID0001'] }, sim, IDENTITY).reason).toBe(
      `developer user identifier "SIMID0001" names the SIM's SIM ID SIMID0001`,
    );
    expect(ownershipOf({ exists: true, identifiers: ['a', 'b'] }, sim, IDENTITY).reason).toBe(
      'its developer user identifier(s) "a", "b" carry no IMSI, ICCID or SIM ID to compare',
    );
    expect(
      ownershipOf({ exists: true, identifiers: ['imsi-440100000000999', 'x-44010000000099'] }, sim, IDENTITY)
        .reason,
    ).toBe(
      'its developer user identifier(s) "imsi-440100000000999", "x-44010000000099" name a SIM, but none of SIM SIMID0001\'s numbers ' +
        '(IMSI 440100000000001, 295050000000001; ICCID 8981100000000000001, 8981100000000000002)',
    );
    // 14 digits is the shortest run read as a SIM number.
    expect(ownershipOf({ exists: true, identifiers: ['x-44010000000099'] }, sim, IDENTITY).verdict).toBe(
      'mismatch',
    );
  });

  it('the plan lists every number, identifier and login, separated by commas, and "none" for no identifier', () => {
    const lines = describePlan(
      {
        sim: { ...sim, status: 'active' },
        identityExists: true,
        developerUserIdentifiers: [],
        logins: ['a', 'b'],
        identityCreated: 'c',
        identityLastModified: 'm',
        partitionItems: 0,
        ownership: { verdict: 'unverifiable', reason: 'r' },
      },
      IDENTITY,
      POOL,
      'T',
    );
    expect(lines.slice(0, 2)).toEqual([
      'SIM SIMID0001 (active; IMSI 440100000000001, 295050000000001; ICCID 8981100000000000001, 8981100000000000002): will be suspended.',
      `Identity ${IDENTITY} of pool ${POOL}: developer user identifier(s) none; logins a, b; created c, last modified m: will be unlinked and deleted.`,
    ]);
    expect(
      describePlan(
        {
          sim: null,
          identityExists: true,
          developerUserIdentifiers: ['u1', 'u2'],
          logins: [],
          identityCreated: null,
          identityLastModified: null,
          partitionItems: 0,
          ownership: { verdict: 'unverifiable', reason: 'r' },
        },
        IDENTITY,
        POOL,
        'T',
      )[1],
    ).toContain('developer user identifier(s) "u1", "u2"; logins none;');
  });
});

describe('keyless device offboard-sim: what Cognito leaves out', () => {
  it('an identity already gone is planned as gone: no identifiers, logins or dates', async () => {
    cognito
      .on(LookupDeveloperIdentityCommand)
      .rejects(new ResourceNotFoundException({ message: 'no identity', $metadata: {} }));
    const run = await offboard('--sim-id', SIM, '--dry-run', '--json', '--allow-unverified-identity');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).plan).toMatchObject({
      identityExists: false,
      developerUserIdentifiers: [],
      logins: [],
      identityCreated: null,
      identityLastModified: null,
    });
  });

  it('answers without an IdentityId or an identifier list are read as about the identity asked, with none', async () => {
    cognito.on(LookupDeveloperIdentityCommand).resolves({});
    const run = await offboard('--sim-id', SIM, '--dry-run', '--json', '--allow-unverified-identity');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).plan).toMatchObject({ identityExists: true, developerUserIdentifiers: [] });
    expect(cognito.commandCalls(DescribeIdentityCommand).map((c) => c.args[0].input)).toEqual([
      { IdentityId: IDENTITY },
    ]);
  });
});

describe('keyless device offboard-sim: the queries asked, and answers that leave fields out', () => {
  it('counts and reads the partition by its key, strongly consistent', async () => {
    const run = await offboard('--sim-id', SIM, '--yes');
    expect(run.code).toBe(0);
    const [count, ...reads] = dynamoDb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    const byKey = {
      TableName: TABLE,
      KeyConditionExpression: '#pk = :id',
      ExpressionAttributeValues: { ':id': { S: IDENTITY } },
      ConsistentRead: true,
    };
    expect(count).toEqual({ ...byKey, ExpressionAttributeNames: { '#pk': 'deviceId' }, Select: 'COUNT' });
    expect(reads[0]).toEqual({
      ...byKey,
      ExpressionAttributeNames: { '#pk': 'deviceId', '#sk': 'sk' },
      ProjectionExpression: '#pk, #sk',
    });
  });

  it('an identity already gone leaves nothing unlinked; a delete answer without a list is a success', async () => {
    cognito.on(DeleteIdentitiesCommand).resolves({});
    const deleted = await offboard('--sim-id', SIM, '--yes', '--json');
    expect(deleted.code).toBe(0);
    expect(JSON.parse(deleted.stdout).identityDeleted).toBe(true);

    cognito
      .on(LookupDeveloperIdentityCommand)
      .rejects(new ResourceNotFoundException({ message: 'no identity', $metadata: {} }));
    const gone = await offboard('--sim-id', SIM, '--yes', '--json', '--allow-unverified-identity');
    expect(gone.code).toBe(0);
    expect(JSON.parse(gone.stdout)).toMatchObject({ unlinked: [], identityDeleted: false });
  });

  it('deletePartition: a page without Items or UnprocessedItems is empty, and an item without its partition key stops it', async () => {
    const send = async (command: unknown) => (command instanceof QueryCommand ? (answers.shift() ?? {}) : {});
    const answers: unknown[] = [{}, { Items: [{ pk: { S: IDENTITY }, sk: { S: 'a' } }] }];
    const target = { table: 'T', partitionKey: 'pk', sortKey: 'sk', value: IDENTITY };
    await expect(deletePartition({ dynamoDb: { send } } as never, devConfig(), target)).resolves.toBe(0);
    await expect(deletePartition({ dynamoDb: { send } } as never, devConfig(), target)).resolves.toBe(1);
    answers.push({ Items: [{ sk: { S: 'a' } }] });
    await expect(deletePartition({ dynamoDb: { send } } as never, devConfig(), target)).rejects.toThrow(
      `DynamoDB answered item 0 of partition ${IDENTITY} in T without its key (pk, sk): stopped after deleting 0`,
    );
  });
});

describe('keyless device offboard-sim: AWS errors are described, at every step', () => {
  const expired = () => Object.assign(new Error('token expired'), { name: 'ExpiredTokenException' });
  const message = 'the AWS credentials have expired: refresh them (e.g. `aws sso login`) and try again';

  it('while reading the identity, counting, deleting the identity or deleting the partition', async () => {
    cognito.on(LookupDeveloperIdentityCommand).rejects(expired());
    expect((await offboard('--sim-id', SIM, '--yes')).error?.message).toBe(message);
    expect(soracom.sims.get(SIM)?.status).toBe('active');

    cognito
      .on(LookupDeveloperIdentityCommand)
      .resolves({ IdentityId: IDENTITY, DeveloperUserIdentifierList: [DEVELOPER_USER_ID] });
    dynamoDb.on(QueryCommand).rejects(expired());
    expect((await offboard('--sim-id', SIM, '--yes')).error?.message).toBe(message);

    dynamoDb.on(QueryCommand).resolves({ Count: 0, Items: [] });
    cognito.on(DeleteIdentitiesCommand).rejects(expired());
    expect((await offboard('--sim-id', SIM, '--yes')).error?.message).toBe(message);

    cognito.on(DeleteIdentitiesCommand).resolves({ UnprocessedIdentityIds: [] });
    dynamoDb
      .on(QueryCommand)
      .callsFake((input: { Select?: string }) =>
        input.Select === 'COUNT' ? { Count: 1 } : { Items: [{ deviceId: { S: IDENTITY }, sk: { S: 'a' } }] },
      );
    dynamoDb.on(BatchWriteItemCommand).rejects(expired());
    expect((await offboard('--sim-id', SIM, '--yes')).error?.message).toBe(message);
  });
});
