import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** A credential as the emulator keeps it, secrets included (the real store keeps them too). */
export interface StoredCredential {
  credentialsId: string;
  type: string;
  description?: string;
  credentials: Record<string, string>;
  createDateTime: number;
  updateDateTime: number;
}

/** A SIM group as the emulator keeps it. */
export interface StoredGroup {
  groupId: string;
  tags: Record<string, string>;
  configuration: Record<string, Record<string, unknown>>;
}

/** What `GET /v1/sims/{id}` answers as the SIM's Arc private key: no output may ever contain it. */
export const SIM_ARC_PRIVATE_KEY_MARKER = 'ARC-PRIVATE-KEY-NEVER-SHOWN';

/** A SIM as the emulator keeps it (the Sim fields callers read). */
export interface StoredSim {
  simId: string;
  status: 'ready' | 'active' | 'inactive' | 'standby' | 'suspended' | 'terminated';
  groupId: string | null;
  /** Its IMSIs (the first is the profile's primary one); none when seeded without. */
  imsis?: string[];
  /** Its ICCID. @default the SIM ID */
  iccid?: string;
}

/** One request the emulator received. Bodies are kept only when `recordBodies` is on. */
export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly status: number;
  readonly body?: unknown;
}

/** An answer forced on requests matching a method and path. */
interface PathFailure {
  readonly method: string;
  readonly path: string | RegExp;
  readonly status: number;
  remaining: number;
}

/**
 * A body forced on successful requests matching a method and path, sent as is (so it can be empty, not JSON, or
 * JSON of the wrong shape) with the normal 2xx status: what a broken proxy or a changed API might answer.
 */
interface PathOverride {
  readonly method: string;
  readonly path: string | RegExp;
  readonly body: (normal: unknown) => string;
  remaining: number;
}

/** Fields of a credential type that the API never answers back. */
const SECRET_FIELDS = new Set(['secretAccessKey', 'externalId']);

/**
 * A local stand-in for the SORACOM API (plain HTTP on 127.0.0.1, a free port): auth with auth keys, the
 * credential store and SIM groups with `x-soracom-next-key` pagination, plus switches for the failures
 * callers must survive: 401 on `/v1/auth`, N× 429 with the rate-limit headers, any status on one method+path.
 */
export class SoracomApiEmulator {
  /** Auth keys `/v1/auth` accepts: authKeyId → authKey. */
  readonly authKeys = new Map<string, string>();
  readonly credentials = new Map<string, StoredCredential>();
  readonly groups = new Map<string, StoredGroup>();
  readonly sims = new Map<string, StoredSim>();
  /** Every request, in order (method, path, query and answer status). */
  readonly requests: LoggedRequest[] = [];
  /** Keep request bodies in {@link requests}; off by default because they carry secrets. */
  recordBodies = false;
  /** At most this many groups per `GET /v1/groups` page, whatever `limit` asks. */
  groupPageSize = 100;
  /** When true, `/v1/auth` answers 401 the way SORACOM answers a revoked or wrong auth key. */
  rejectAuth = false;
  /** When true, listed credentials answer no `credentials` fields at all (callers must not rely on them). */
  hideCredentialFields = false;
  /** The time the emulator stamps credentials with (epoch seconds). */
  now: () => number = () => Math.floor(Date.now() / 1000);

  private readonly sessions = new Map<string, string>();
  private rateLimitRemaining = 0;
  private rateLimitSeconds = 1;
  private readonly failures: PathFailure[] = [];
  private readonly overrides: PathOverride[] = [];
  private server: Server | undefined;

  /** Starts listening; answers the base URL (`http://127.0.0.1:<port>`). */
  async start(): Promise<string> {
    const server = createServer((req, res) => this.serve(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Back to an empty store with no switches set (auth keys stay). */
  reset(): void {
    this.credentials.clear();
    this.groups.clear();
    this.sims.clear();
    this.requests.length = 0;
    this.sessions.clear();
    this.failures.length = 0;
    this.overrides.length = 0;
    this.rateLimitRemaining = 0;
    this.rejectAuth = false;
    this.recordBodies = false;
    this.hideCredentialFields = false;
    this.groupPageSize = 100;
  }

  /** Seeds a credential as if an operator had registered it. */
  seedCredential(
    credentialsId: string,
    type: string,
    credentials: Record<string, string>,
    description?: string,
  ): void {
    const now = this.now();
    this.credentials.set(credentialsId, {
      credentialsId,
      type,
      credentials: { ...credentials },
      description,
      createDateTime: now,
      updateDateTime: now,
    });
  }

  /** Seeds a SIM group; `funnelCredentialsId` sets its `SoracomFunnel.credentialsId`. */
  seedGroup(groupId: string, funnelCredentialsId?: string): void {
    const configuration: Record<string, Record<string, unknown>> = {};
    if (funnelCredentialsId !== undefined) {
      configuration.SoracomFunnel = {
        enabled: true,
        destination: { provider: 'aws', service: 'aws-iot', resourceUrl: 'https://example.invalid/funnel/#' },
        credentialsId: funnelCredentialsId,
      };
    }
    this.groups.set(groupId, { groupId, tags: { name: groupId }, configuration });
  }

  /** Seeds a SIM, active in `groupId` unless said otherwise. */
  seedSim(
    simId: string,
    groupId: string | null = null,
    status: StoredSim['status'] = 'active',
    imsis: string[] = [],
  ): void {
    this.sims.set(simId, { simId, status, groupId, imsis });
  }

  /** The next `times` authenticated-or-not requests answer 429 with the rate-limit headers. */
  rateLimit(times: number, secondsBeforeRefresh = 1): void {
    this.rateLimitRemaining = times;
    this.rateLimitSeconds = secondsBeforeRefresh;
  }

  /** Requests matching `method` and `path` answer `status` (`times` omitted: every such request). */
  failOn(method: string, path: string | RegExp, status: number, times = Infinity): void {
    this.failures.push({ method, path, status, remaining: times });
  }

  /**
   * Successful requests matching `method` and `path` are served normally, then answered (same 2xx status)
   * with the raw text `body` makes of the normal answer's body (`times` omitted: every such request). Changes
   * are still made: only the answer is replaced.
   */
  answerOn(method: string, path: string | RegExp, body: (normal: unknown) => string, times = Infinity): void {
    this.overrides.push({ method, path, body, remaining: times });
  }

  clearFailures(): void {
    this.failures.length = 0;
    this.overrides.length = 0;
  }

  /** Every API key and token handed out since the last reset (for asserting they never leak). */
  issuedTokens(): string[] {
    return [...this.sessions.keys()].flatMap((session) => session.split('|'));
  }

  /** The requests made with `method` to `path` (exact or pattern). */
  requestsTo(method: string, path: string | RegExp): LoggedRequest[] {
    return this.requests.filter((r) => r.method === method && matches(path, r.path));
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const method = req.method ?? 'GET';
      const path = decodeURIComponent(url.pathname);
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = Symbol.for('malformed');
      }
      const answer = this.answer(method, path, url.searchParams, req.headers, body);
      this.requests.push({
        method,
        path,
        query: Object.fromEntries(url.searchParams),
        status: answer.status,
        ...(this.recordBodies ? { body } : {}),
      });
      const override =
        answer.status >= 200 && answer.status < 300
          ? this.overrides.find((o) => o.remaining > 0 && o.method === method && matches(o.path, path))
          : undefined;
      if (override) override.remaining -= 1;
      const payload = override
        ? override.body(answer.body)
        : answer.body === undefined
          ? ''
          : JSON.stringify(answer.body);
      res.writeHead(answer.status, {
        ...(payload === '' ? {} : { 'content-type': 'application/json' }),
        'content-length': Buffer.byteLength(payload),
        ...answer.headers,
      });
      res.end(payload);
    });
  }

  private answer(
    method: string,
    path: string,
    query: URLSearchParams,
    headers: IncomingMessage['headers'],
    body: unknown,
  ): Answer {
    if (this.rateLimitRemaining > 0) {
      this.rateLimitRemaining -= 1;
      return {
        status: 429,
        body: { code: 'COM0009', message: 'Too many requests' },
        headers: {
          'x-soracom-ratelimit-limit': '10',
          'x-soracom-ratelimit-remaining': '0',
          'x-soracom-ratelimit-seconds-before-refresh': String(this.rateLimitSeconds),
        },
      };
    }
    const failure = this.failures.find(
      (f) => f.remaining > 0 && f.method === method && matches(f.path, path),
    );
    if (failure) {
      failure.remaining -= 1;
      return error(failure.status, 'EMU0001', 'Injected failure');
    }
    if (body === Symbol.for('malformed')) return error(400, 'COM0001', 'Malformed JSON');

    if (method === 'POST' && path === '/v1/auth') return this.auth(body);
    const operator = this.sessions.get(
      `${String(headers['x-soracom-api-key'])}|${String(headers['x-soracom-token'])}`,
    );
    if (operator === undefined) return error(401, 'AUM0001', 'Invalid API key or token');

    if (method === 'GET' && path === '/v1/credentials') {
      const listed = [...this.credentials.values()].map(publicCredential);
      return {
        status: 200,
        body: this.hideCredentialFields ? listed.map((c) => ({ ...c, credentials: {} })) : listed,
      };
    }
    const credential = /^\/v1\/credentials\/([^/]+)$/.exec(path);
    if (credential) return this.credentialCall(method, credential[1], body);
    if (method === 'GET' && path === '/v1/groups') return this.listGroups(query);
    const configuration = /^\/v1\/groups\/([^/]+)\/configuration\/([^/]+)$/.exec(path);
    if (configuration && method === 'PUT')
      return this.putConfiguration(configuration[1], configuration[2], body);
    const suspend = /^\/v1\/sims\/([^/]+)\/suspend$/.exec(path);
    if (suspend && method === 'POST') return this.suspendSim(suspend[1]);
    const sim = /^\/v1\/sims\/([^/]+)$/.exec(path);
    if (sim && method === 'GET') return this.getSim(sim[1]);
    return error(404, 'COM0002', 'Not Found');
  }

  private auth(body: unknown): Answer {
    const { authKeyId, authKey } = (body ?? {}) as { authKeyId?: unknown; authKey?: unknown };
    if (
      this.rejectAuth ||
      typeof authKeyId !== 'string' ||
      typeof authKey !== 'string' ||
      this.authKeys.get(authKeyId) !== authKey
    ) {
      return error(401, 'AUM0002', 'Invalid auth key');
    }
    const apiKey = `api-${randomBytes(12).toString('hex')}`;
    const token = randomBytes(24).toString('base64url');
    const operatorId = 'OP0000000001';
    this.sessions.set(`${apiKey}|${token}`, operatorId);
    return { status: 200, body: { apiKey, operatorId, token, userName: authKeyId } };
  }

  private credentialCall(method: string, credentialsId: string, body: unknown): Answer {
    const existing = this.credentials.get(credentialsId);
    if (method === 'DELETE') {
      if (!existing) return error(404, 'CRD0001', 'Credential not found');
      this.credentials.delete(credentialsId);
      return { status: 204 };
    }
    if (method !== 'POST' && method !== 'PUT') return error(405, 'COM0003', 'Method not allowed');
    const parsed = parseCredential(body);
    if (!parsed) return error(400, 'CRD0002', 'Invalid credential');
    if (method === 'POST' && existing) return error(400, 'CRD0003', 'Credential already exists');
    if (method === 'PUT' && !existing) return error(404, 'CRD0001', 'Credential not found');
    const now = this.now();
    const stored: StoredCredential = {
      credentialsId,
      type: parsed.type,
      description: parsed.description,
      credentials: parsed.credentials,
      createDateTime: existing?.createDateTime ?? now,
      updateDateTime: now,
    };
    this.credentials.set(credentialsId, stored);
    return { status: method === 'POST' ? 201 : 200, body: publicCredential(stored) };
  }

  private listGroups(query: URLSearchParams): Answer {
    const all = [...this.groups.values()].sort((a, b) => a.groupId.localeCompare(b.groupId));
    const after = query.get('last_evaluated_key');
    const start = after === null ? 0 : all.findIndex((g) => g.groupId === after) + 1;
    const limit = Math.min(
      Number(query.get('limit') ?? this.groupPageSize) || this.groupPageSize,
      this.groupPageSize,
    );
    const page = all.slice(start, start + limit);
    const more = start + limit < all.length;
    return {
      status: 200,
      body: page,
      headers: more ? { 'x-soracom-next-key': page[page.length - 1].groupId } : {},
    };
  }

  /**
   * `GET /v1/sims/{sim_id}`: the Sim with one profile holding its IMSIs, and an Arc private key as the real answer
   * may carry one (`SIM_ARC_PRIVATE_KEY_MARKER`): callers must never show it.
   */
  private getSim(simId: string): Answer {
    const sim = this.sims.get(simId);
    if (!sim) return error(404, 'SEM0001', 'No such SIM found');
    const { imsis = [], iccid = sim.simId, ...rest } = sim;
    const subscribers = Object.fromEntries(
      imsis.map((imsi) => [imsi, { imsi, msisdn: `81${imsi.slice(-10)}`, subscription: 'plan01s' }]),
    );
    return {
      status: 200,
      body: {
        ...rest,
        operatorId: 'OP0000000001',
        tags: {},
        activeProfileId: iccid,
        profiles: {
          [iccid]: {
            iccid,
            ...(imsis.length > 0 ? { primaryImsi: imsis[0] } : {}),
            subscribers,
            arcClientPeerPrivateKey: SIM_ARC_PRIVATE_KEY_MARKER,
          },
        },
      },
    };
  }

  /** `POST /v1/sims/{sim_id}/suspend`: 404 for an unknown SIM, 400 for a terminated one (it cannot change). */
  private suspendSim(simId: string): Answer {
    const sim = this.sims.get(simId);
    if (!sim) return error(404, 'SEM0001', 'No such SIM found');
    if (sim.status === 'terminated') return error(400, 'SEM0028', 'The SIM is terminated');
    sim.status = 'suspended';
    return { status: 200, body: { ...sim, operatorId: 'OP0000000001', tags: {} } };
  }

  private putConfiguration(groupId: string, namespace: string, body: unknown): Answer {
    const group = this.groups.get(groupId);
    if (!group) return error(404, 'GRP0001', 'Group not found');
    if (
      !Array.isArray(body) ||
      !body.every((p) => typeof p === 'object' && p !== null && typeof p.key === 'string')
    ) {
      return error(400, 'GRP0002', 'Invalid configuration');
    }
    const current = { ...(group.configuration[namespace] ?? {}) };
    for (const { key, value } of body as { key: string; value: unknown }[]) current[key] = value;
    group.configuration[namespace] = current;
    return { status: 200, body: group };
  }
}

interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

function error(status: number, code: string, message: string): Answer {
  return { status, body: { code, message } };
}

function matches(pattern: string | RegExp, path: string): boolean {
  return typeof pattern === 'string' ? pattern === path : pattern.test(path);
}

function publicCredential(credential: StoredCredential): Record<string, unknown> {
  const visible = Object.fromEntries(
    Object.entries(credential.credentials).filter(([k]) => !SECRET_FIELDS.has(k)),
  );
  return { ...credential, credentials: visible };
}

function parseCredential(
  body: unknown,
): { type: string; description?: string; credentials: Record<string, string> } | undefined {
  const { type, description, credentials } = (body ?? {}) as Record<string, unknown>;
  if (typeof credentials !== 'object' || credentials === null) return undefined;
  const fields = credentials as Record<string, unknown>;
  const required =
    type === 'aws-credentials'
      ? ['accessKeyId', 'secretAccessKey']
      : type === 'aws-iam-role-credentials'
        ? ['roleArn', 'externalId']
        : undefined;
  if (!required || !required.every((k) => typeof fields[k] === 'string' && fields[k] !== ''))
    return undefined;
  return {
    type: type as string,
    description: typeof description === 'string' ? description : undefined,
    credentials: Object.fromEntries(required.map((k) => [k, fields[k] as string])),
  };
}
