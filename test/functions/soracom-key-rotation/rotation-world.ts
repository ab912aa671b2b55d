import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  IAMClient,
  LimitExceededException,
  ListAccessKeysCommand,
  NoSuchEntityException,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { SORACOM_PRINCIPALS, type SoracomPrincipal } from '../../../lib/contract';
import { rotationDeps, type HandlerContext } from '../../../lib/functions/soracom-key-rotation';
import type { RotationDeps, RotationStrategy } from '../../../lib/functions/soracom-key-rotation/rotation';
import { ENV, readSettings } from '../../../lib/functions/soracom-key-rotation/settings';
import { SoracomApiEmulator } from '../../emulators/soracom-api';

/** What one rotated principal's function is configured with, as the stacks configure it for dev. */
export interface PrincipalFixture {
  readonly principal: SoracomPrincipal;
  readonly userName: string;
  readonly parameterName: string;
  readonly secretId: string;
  /** The credential update-in-place overwrites. */
  readonly credentialId: string;
  readonly metricNamespace: string;
  /** Shaped like an access key id (20 characters) without looking like a real one (AKIA…). */
  readonly keyIdPrefix: string;
}

export const FIXTURES: Readonly<Record<SoracomPrincipal, PrincipalFixture>> = {
  'funnel-publisher': {
    principal: 'funnel-publisher',
    userName: 'keyless-iot-dev-funnel-publisher',
    parameterName: '/keyless-iot/dev/funnel/rotation-state',
    secretId:
      'arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:keyless-iot/dev/funnel/soracom-auth-key',
    credentialId: 'keyless-dev-funnel',
    metricNamespace: 'KeylessIot/Funnel',
    keyIdPrefix: 'TESTFUNNELKEY',
  },
  'krypton-signer': {
    principal: 'krypton-signer',
    userName: 'keyless-iot-dev-krypton-signer',
    parameterName: '/keyless-iot/dev/krypton/rotation-state',
    secretId:
      'arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:keyless-iot/dev/krypton/soracom-auth-key',
    credentialId: 'keyless-dev-krypton',
    metricNamespace: 'KeylessIot/Krypton',
    keyIdPrefix: 'TESTKRYPTONKEY',
  },
};
export const PRINCIPALS = Object.keys(FIXTURES) as SoracomPrincipal[];

export const AUTH_KEY_ID = 'keyId-key-rotation';
/** The Funnel publisher's credential (the default principal's). */
export const CREDENTIAL_ID = FIXTURES['funnel-publisher'].credentialId;
export const CREDENTIAL_PREFIX = 'keyless-funnel';
export const DAY_MS = 86_400_000;

export const UPDATE_IN_PLACE: RotationStrategy = { type: 'update-in-place', credentialId: CREDENTIAL_ID };
export const NEW_CREDENTIAL: RotationStrategy = {
  type: 'new-credential',
  credentialPrefix: CREDENTIAL_PREFIX,
};

/** update-in-place on the principal's own credential. */
export function updateInPlace(principal: SoracomPrincipal): RotationStrategy {
  return { type: 'update-in-place', credentialId: FIXTURES[principal].credentialId };
}

interface FakeKey {
  status: 'Active' | 'Inactive';
  createDate: Date;
  secret: string;
  lastUsed?: Date;
}

/** Thrown by the crash injector: the run "dies" right after a step completed. */
export class Crash extends Error {}

/**
 * IAM, SSM and Secrets Manager as `aws-sdk-client-mock` fakes with state, the SORACOM stand-in over real HTTP,
 * a clock, a captured log, and a watch on the rules that must never break: no key SORACOM holds is ever
 * deactivated or deleted, and the function never touches an IAM user other than the one it rotates (the other
 * SORACOM principal's user exists in this IAM, with a key of its own).
 */
export class RotationWorld {
  readonly iamMock = mockClient(IAMClient);
  readonly ssmMock = mockClient(SSMClient);
  readonly secretsMock = mockClient(SecretsManagerClient);
  readonly soracom = new SoracomApiEmulator();
  readonly keys = new Map<string, FakeKey>();
  readonly parameters = new Map<string, string>();
  /** Every value ever written to the state parameter. */
  readonly parameterHistory: string[] = [];
  /** Every secret this world ever handed out: none may appear in a log line, a parameter or an error. */
  readonly secrets: string[] = [];
  /** Every access key id this world's IAM ever issued to the rotated user. */
  readonly issuedKeyIds = new Set<string>();
  /** The other principal's user: its one key must never be listed, changed or deleted by this function. */
  readonly otherUserKeys = new Map<string, FakeKey>();
  /** Rule breaks seen by the fakes (deactivating or deleting a key SORACOM holds, touching the other user). */
  readonly violations: string[] = [];
  readonly logLines: string[] = [];
  readonly metricLines: string[] = [];
  readonly sleeps: number[] = [];
  authKey = '';
  secretValue: string | undefined;
  clock = new Date('2026-03-01T03:00:00Z');
  strategy: RotationStrategy = UPDATE_IN_PLACE;
  fixture: PrincipalFixture = FIXTURES['funnel-publisher'];
  endpoint = '';
  private seq = 0;
  private readonly spies: jest.SpyInstance[] = [];

  async start(): Promise<void> {
    this.endpoint = await this.soracom.start();
    // Powertools writes INFO to stdout and WARN/ERROR to stderr: capture both.
    for (const stream of [process.stdout, process.stderr]) {
      this.spies.push(
        jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
          this.logLines.push(String(chunk));
          return true;
        }),
      );
    }
  }

  async stop(): Promise<void> {
    for (const spy of this.spies) spy.mockRestore();
    await this.soracom.stop();
    this.iamMock.restore();
    this.ssmMock.restore();
    this.secretsMock.restore();
  }

  /** A fresh world: no keys, no state, the auth key in the secret, the given strategy and principal. */
  reset(strategy: RotationStrategy, principal: SoracomPrincipal = 'funnel-publisher'): void {
    this.strategy = strategy;
    this.fixture = FIXTURES[principal];
    this.keys.clear();
    this.otherUserKeys.clear();
    this.otherUserKeys.set(`${this.otherFixture().keyIdPrefix}OTHER1`.padEnd(20, '0'), {
      status: 'Active',
      createDate: new Date('2026-01-01T00:00:00Z'),
      secret: this.secret(40),
    });
    this.parameters.clear();
    this.parameterHistory.length = 0;
    this.violations.length = 0;
    this.logLines.length = 0;
    this.metricLines.length = 0;
    this.sleeps.length = 0;
    this.clock = new Date('2026-03-01T03:00:00Z');
    this.soracom.reset();
    this.authKey = this.secret(32);
    this.soracom.authKeys.clear();
    this.soracom.authKeys.set(AUTH_KEY_ID, this.authKey);
    this.secretValue = JSON.stringify({ authKeyId: AUTH_KEY_ID, authKey: this.authKey });
    this.installFakes();
  }

  /** An access key made outside the rotation (by hand, or by an earlier run). */
  addKey(options: { status?: 'Active' | 'Inactive'; createdDaysAgo?: number; lastUsed?: Date } = {}): {
    accessKeyId: string;
    secret: string;
  } {
    const accessKeyId = this.newKeyId();
    this.issuedKeyIds.add(accessKeyId);
    const secret = this.secret(40);
    this.keys.set(accessKeyId, {
      status: options.status ?? 'Active',
      createDate: new Date(this.clock.getTime() - (options.createdDaysAgo ?? 100) * DAY_MS),
      secret,
      lastUsed: options.lastUsed,
    });
    return { accessKeyId, secret };
  }

  /** A settled world: key K is current, SORACOM holds it, the last switch was `daysAgo` days ago. */
  settled(daysAgo: number, groups: { id: string; credentialId?: string }[] = []): string {
    const { accessKeyId, secret } = this.addKey({
      createdDaysAgo: daysAgo,
      lastUsed: new Date(this.clock.getTime() - 3_600_000),
    });
    const credentialId =
      this.strategy.type === 'update-in-place' ? this.strategy.credentialId : `${CREDENTIAL_PREFIX}-251120`;
    this.soracom.seedCredential(
      credentialId,
      'aws-credentials',
      { accessKeyId, secretAccessKey: secret },
      `${SORACOM_PRINCIPALS[this.fixture.principal].credentialMarker}${accessKeyId}`,
    );
    for (const group of groups) this.soracom.seedGroup(group.id, group.credentialId ?? credentialId);
    this.writeParameter(
      JSON.stringify({
        phase: 'idle',
        currentKeyId: accessKeyId,
        soracomCredentialId: credentialId,
        switchedAt: new Date(this.clock.getTime() - daysAgo * DAY_MS).toISOString(),
      }),
    );
    return accessKeyId;
  }

  advanceDays(days: number): void {
    this.clock = new Date(this.clock.getTime() + days * DAY_MS);
  }

  /** Environment for the function, as the construct sets it. */
  env(): NodeJS.ProcessEnv {
    return {
      [ENV.principal]: this.fixture.principal,
      [ENV.userName]: this.fixture.userName,
      [ENV.authKeySecretId]: this.fixture.secretId,
      [ENV.stateParameterName]: this.fixture.parameterName,
      [ENV.coverage]: 'jp',
      [ENV.endpoint]: this.endpoint,
      [ENV.strategy]: this.strategy.type,
      ...(this.strategy.type === 'update-in-place'
        ? { [ENV.credentialId]: this.strategy.credentialId }
        : { [ENV.credentialPrefix]: this.strategy.credentialPrefix }),
      [ENV.periodDays]: '90',
      [ENV.graceDays]: '7',
      [ENV.keyPropagationSeconds]: '10',
      [ENV.metricNamespace]: this.fixture.metricNamespace,
      [ENV.environmentName]: 'dev',
      POWERTOOLS_SERVICE_NAME: SORACOM_PRINCIPALS[this.fixture.principal].logService,
    };
  }

  /** The handler's context on the mocked clients, a fixed clock, recorded sleeps and metrics. */
  context(): HandlerContext {
    return {
      iam: new IAMClient({ region: 'ap-northeast-1' }),
      ssm: new SSMClient({ region: 'ap-northeast-1' }),
      secrets: new SecretsManagerClient({ region: 'ap-northeast-1' }),
      logger: new Logger({ serviceName: SORACOM_PRINCIPALS[this.fixture.principal].logService }),
      now: () => this.clock,
      sleep: async (ms) => {
        this.sleeps.push(ms);
      },
      writeMetric: (line) => this.metricLines.push(line),
    };
  }

  /** The rotation's dependencies, optionally dying right after the `crashAfter`-th step. */
  deps(crashAfter?: number): { deps: RotationDeps; steps: string[] } {
    const settings = readSettings(this.env());
    const deps = rotationDeps(settings, this.context());
    const steps: string[] = [];
    const step = (name: string): void => {
      steps.push(name);
      if (steps.length === crashAfter) throw new Crash(`crash after step ${steps.length}: ${name}`);
    };
    const wrap = <T extends object>(target: T, prefix: string): T =>
      new Proxy(target, {
        get(object, property, receiver) {
          const value = Reflect.get(object, property, receiver);
          if (typeof value !== 'function') return value;
          return async (...args: unknown[]) => {
            const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(object, args);
            step(`${prefix}.${String(property)}`);
            return result;
          };
        },
      });
    return {
      steps,
      deps: {
        ...deps,
        keys: wrap(deps.keys, 'iam'),
        state: wrap(deps.state, 'ssm'),
        soracom: async () => {
          const client = await deps.soracom();
          step('soracom.login');
          return wrap(client, 'soracom');
        },
      },
    };
  }

  state(): Record<string, unknown> {
    const value = this.parameters.get(this.fixture.parameterName);
    return value === undefined ? {} : (JSON.parse(value) as Record<string, unknown>);
  }

  /**
   * The rotated user's access keys SORACOM can use right now: held by the configured credential
   * (update-in-place), or by the credential of any SIM group (new-credential), whatever its id looks like.
   */
  soracomHeldKeys(): string[] {
    const credentialIds =
      this.strategy.type === 'update-in-place'
        ? [this.strategy.credentialId]
        : [...this.soracom.groups.values()]
            .map((g) => g.configuration.SoracomFunnel?.credentialsId)
            .filter((id): id is string => typeof id === 'string');
    return [
      ...new Set(
        credentialIds
          .map((id) => this.soracom.credentials.get(id)?.credentials.accessKeyId)
          .filter((id): id is string => id !== undefined && this.issuedKeyIds.has(id)),
      ),
    ];
  }

  /** Every key SORACOM holds exists, is active, and SORACOM has its real secret. */
  expectSoracomWorks(): void {
    const held = this.soracomHeldKeys();
    for (const accessKeyId of held) {
      const key = this.keys.get(accessKeyId);
      expect({ accessKeyId, exists: key !== undefined, status: key?.status }).toEqual({
        accessKeyId,
        exists: true,
        status: 'Active',
      });
    }
    for (const credential of this.soracom.credentials.values()) {
      const key = this.keys.get(credential.credentials.accessKeyId);
      if (key) expect(credential.credentials.secretAccessKey === key.secret).toBe(true);
    }
    expect(this.violations).toEqual([]);
    expect([...this.otherUserKeys.values()].map((k) => k.status)).toEqual(['Active']);
  }

  /** No secret in any log line, metric, state value or SORACOM request log. */
  expectNoSecretsLeaked(extra: readonly string[] = []): void {
    const tokens = this.soracom.issuedTokens();
    const outputs = [
      ...this.logLines,
      ...this.metricLines,
      ...this.parameterHistory,
      JSON.stringify(this.soracom.requests),
    ];
    const secrets = [...this.secrets, this.authKey, ...tokens, ...extra];
    for (const output of outputs) {
      for (const secret of secrets) {
        if (output.includes(secret)) throw new Error(`a secret leaked into: ${output.slice(0, 80)}…`);
      }
    }
  }

  private installFakes(): void {
    this.iamMock.reset();
    this.ssmMock.reset();
    this.secretsMock.reset();
    const userName = this.fixture.userName;
    const parameterName = this.fixture.parameterName;
    const held = (id: string) => this.soracomHeldKeys().includes(id);
    // The function's role may touch its own user only (the template tests prove the policy): any call that
    // names another user, or the other user's key, is a rule break here, answered as IAM would deny it.
    const ownUser = (command: string, input: { UserName?: string; AccessKeyId?: string }): void => {
      if (input.UserName !== userName || this.otherUserKeys.has(input.AccessKeyId ?? '')) {
        this.violations.push(
          `${command} on user ${input.UserName ?? '(none)'} key ${input.AccessKeyId ?? '-'}`,
        );
        throw new NoSuchEntityException({ message: 'no such entity', $metadata: {} });
      }
    };
    this.iamMock.on(ListAccessKeysCommand).callsFake((input: { UserName?: string }) => {
      ownUser('ListAccessKeys', input);
      return {
        AccessKeyMetadata: [...this.keys.entries()].map(([AccessKeyId, k]) => ({
          UserName: userName,
          AccessKeyId,
          Status: k.status,
          CreateDate: k.createDate,
        })),
        IsTruncated: false,
      };
    });
    this.iamMock.on(CreateAccessKeyCommand).callsFake((input: { UserName?: string }) => {
      ownUser('CreateAccessKey', input);
      if (this.keys.size >= 2) {
        throw new LimitExceededException({
          message: 'Cannot exceed quota for AccessKeysPerUser: 2',
          $metadata: {},
        });
      }
      const { accessKeyId, secret } = this.addKey({ createdDaysAgo: 0 });
      return {
        AccessKey: {
          UserName: userName,
          AccessKeyId: accessKeyId,
          SecretAccessKey: secret,
          Status: 'Active',
          CreateDate: this.clock,
        },
      };
    });
    this.iamMock
      .on(UpdateAccessKeyCommand)
      .callsFake((input: { UserName?: string; AccessKeyId: string; Status: string }) => {
        ownUser('UpdateAccessKey', input);
        const key = this.keys.get(input.AccessKeyId);
        if (!key) throw new NoSuchEntityException({ message: 'no such key', $metadata: {} });
        if (input.Status === 'Inactive' && held(input.AccessKeyId)) {
          this.violations.push(`deactivated ${input.AccessKeyId} while SORACOM holds it`);
        }
        key.status = input.Status as 'Active' | 'Inactive';
        return {};
      });
    this.iamMock.on(DeleteAccessKeyCommand).callsFake((input: { UserName?: string; AccessKeyId: string }) => {
      ownUser('DeleteAccessKey', input);
      if (!this.keys.has(input.AccessKeyId)) {
        throw new NoSuchEntityException({ message: 'no such key', $metadata: {} });
      }
      if (held(input.AccessKeyId))
        this.violations.push(`deleted ${input.AccessKeyId} while SORACOM holds it`);
      this.keys.delete(input.AccessKeyId);
      return {};
    });
    this.iamMock.on(GetAccessKeyLastUsedCommand).callsFake((input: { AccessKeyId: string }) => {
      ownUser('GetAccessKeyLastUsed', { UserName: userName, AccessKeyId: input.AccessKeyId });
      const key = this.keys.get(input.AccessKeyId);
      if (!key) throw new NoSuchEntityException({ message: 'no such key', $metadata: {} });
      return {
        UserName: userName,
        AccessKeyLastUsed: key.lastUsed
          ? { LastUsedDate: key.lastUsed, ServiceName: 'iot', Region: 'ap-northeast-1' }
          : { ServiceName: 'N/A', Region: 'N/A' },
      };
    });
    this.ssmMock.on(GetParameterCommand, { Name: parameterName }).callsFake(() => {
      const value = this.parameters.get(parameterName);
      if (value === undefined) throw new ParameterNotFound({ message: 'not found', $metadata: {} });
      return { Parameter: { Name: parameterName, Value: value, Type: 'String' } };
    });
    this.ssmMock
      .on(PutParameterCommand, { Name: parameterName })
      .callsFake((input: { Value: string; Type: string }) => {
        if (input.Type !== 'String') throw new Error(`unexpected parameter type ${input.Type}`);
        this.writeParameter(input.Value);
        return { Version: this.parameterHistory.length };
      });
    this.secretsMock.on(GetSecretValueCommand, { SecretId: this.fixture.secretId }).callsFake(() => {
      if (this.secretValue === undefined) {
        const error = new Error(
          "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
        );
        error.name = 'ResourceNotFoundException';
        throw error;
      }
      return { SecretString: this.secretValue };
    });
  }

  private writeParameter(value: string): void {
    this.parameters.set(this.fixture.parameterName, value);
    this.parameterHistory.push(value);
  }

  private otherFixture(): PrincipalFixture {
    return Object.values(FIXTURES).find((f) => f.principal !== this.fixture.principal) as PrincipalFixture;
  }

  private newKeyId(): string {
    this.seq += 1;
    // Shaped like an access key id (20 characters) without looking like a real one (AKIA…).
    const prefix = this.fixture.keyIdPrefix;
    return `${prefix}${String(this.seq).padStart(20 - prefix.length, '0')}`;
  }

  private secret(length: number): string {
    const value = randomBytes(length).toString('base64url').slice(0, length);
    this.secrets.push(value);
    return value;
  }
}
