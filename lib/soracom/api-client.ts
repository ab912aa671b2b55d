/**
 * A small client for the parts of the SORACOM API keyless-iot uses: auth, the credential store and SIM group
 * configuration. Shared by the Funnel key rotation function and the operator CLI.
 *
 * Nothing secret ever reaches an error message: errors name the status, method and path only, never a request
 * body, an auth key, an API token or a credential.
 */

/** Which SORACOM platform an operator account lives on. */
export type SoracomCoverage = 'jp' | 'global';

/** The API endpoint of a coverage (Japan or Global); accounts do not exist across coverages. */
export function soracomEndpoint(coverage: SoracomCoverage): string {
  switch (coverage) {
    case 'jp':
      return 'https://api.soracom.io';
    case 'global':
      return 'https://g.api.soracom.io';
    default:
      throw new Error(`Unknown SORACOM coverage: ${String(coverage)} (expected jp or global)`);
  }
}

/** A credential as the credential store accepts it (`POST`/`PUT /v1/credentials/{id}`). */
export type SoracomCredential =
  | {
      readonly type: 'aws-credentials';
      readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
      readonly description?: string;
    }
  | {
      readonly type: 'aws-iam-role-credentials';
      readonly credentials: { readonly roleArn: string; readonly externalId: string };
      readonly description?: string;
    };

/** A credential as the credential store lists it. The secret parts are never answered. */
export interface SoracomCredentialInfo {
  readonly credentialsId: string;
  readonly type: string;
  readonly description?: string;
  readonly createDateTime?: number;
  readonly updateDateTime?: number;
  /** Non-secret parts (such as `accessKeyId` or `roleArn`) when SORACOM answers them. */
  readonly credentials?: Readonly<Record<string, unknown>>;
}

/** A SIM group with its configuration namespaces (`SoracomFunnel`, `SoracomAir`, …). */
export interface SoracomGroup {
  readonly groupId: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly configuration?: Readonly<Record<string, Readonly<Record<string, unknown>> | undefined>>;
}

/** One `{key, value}` pair of a group configuration namespace. */
export interface SoracomConfigurationParameter {
  readonly key: string;
  readonly value: unknown;
}

/** The SORACOM API refused the auth key (HTTP 401). Retrying does not help; the operator must fix the key. */
export class SoracomAuthError extends Error {
  constructor() {
    super('SORACOM auth key rejected');
    this.name = 'SoracomAuthError';
  }
}

/** A SORACOM API call failed. The message names status, method and path, never a body or a key. */
export class SoracomApiError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    /** SORACOM's error code (such as `CRD0001`) or what was wrong with the answer; never a body. */
    readonly detail?: string,
  ) {
    super(
      status === 0
        ? `SORACOM API ${method} ${path} failed: no answer`
        : `SORACOM API ${method} ${path} failed with HTTP ${status}${detail ? ` (${detail})` : ''}`,
    );
    this.name = 'SoracomApiError';
  }
}

/** How to reach and authenticate to the SORACOM API. */
export interface SoracomLoginOptions {
  /** Base URL, such as {@link soracomEndpoint}('jp'), or a local stand-in in tests. */
  readonly endpoint: string;
  readonly authKeyId: string;
  readonly authKey: string;
  /** @default globalThis.fetch */
  readonly fetchImpl?: typeof fetch;
  /** How to wait before retrying a 429. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Retries of one request after 429 answers. @default 5 */
  readonly maxRetries?: number;
}

/** SORACOM limits requests per minute: never wait longer than that for one retry. */
const MAX_RATE_LIMIT_WAIT_MS = 60_000;
/** When a 429 carries no hint, wait this long (rate limits are counted per minute). */
const DEFAULT_RATE_LIMIT_WAIT_MS = 10_000;
/** The page size asked for when listing groups. */
const GROUP_PAGE_SIZE = 100;

interface Transport {
  readonly endpoint: string;
  readonly fetchImpl: typeof fetch;
  readonly sleep: (ms: number) => Promise<void>;
  readonly maxRetries: number;
}

/** An authenticated session with the SORACOM API (an API key + token pair). */
export class SoracomClient {
  /** `POST /v1/auth` with a SAM user's (or the root's) auth key, answering an API key and token. */
  static async login(options: SoracomLoginOptions): Promise<SoracomClient> {
    const transport: Transport = {
      endpoint: options.endpoint.replace(/\/+$/, ''),
      fetchImpl: options.fetchImpl ?? ((input, init) => fetch(input, init)),
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      maxRetries: options.maxRetries ?? 5,
    };
    const response = await send(transport, 'POST', '/v1/auth', {}, [200], {
      authKeyId: options.authKeyId,
      authKey: options.authKey,
    });
    const body = (await readJson(response, 'POST', '/v1/auth')) as { apiKey?: unknown; token?: unknown };
    if (typeof body.apiKey !== 'string' || typeof body.token !== 'string') {
      throw new SoracomApiError(response.status, 'POST', '/v1/auth', 'no apiKey/token in the answer');
    }
    return new SoracomClient(transport, body.apiKey, body.token);
  }

  private constructor(
    private readonly transport: Transport,
    private readonly apiKey: string,
    private readonly token: string,
  ) {}

  /** `POST /v1/credentials/{id}`: fails (HTTP 400) if the id exists already. */
  async createCredential(credentialsId: string, credential: SoracomCredential): Promise<void> {
    await this.call('POST', `/v1/credentials/${encodeURIComponent(credentialsId)}`, [200, 201], credential);
  }

  /** `PUT /v1/credentials/{id}`: replaces the credential in place; every group using the id follows. */
  async updateCredential(credentialsId: string, credential: SoracomCredential): Promise<void> {
    await this.call('PUT', `/v1/credentials/${encodeURIComponent(credentialsId)}`, [200], credential);
  }

  /** `GET /v1/credentials`: every credential of the operator, without secrets. */
  async listCredentials(): Promise<SoracomCredentialInfo[]> {
    const response = await this.call('GET', '/v1/credentials', [200]);
    const body = await readJson(response, 'GET', '/v1/credentials');
    return Array.isArray(body) ? (body as SoracomCredentialInfo[]) : [];
  }

  /** One credential by id, or undefined when the store has none with that id. */
  async getCredential(credentialsId: string): Promise<SoracomCredentialInfo | undefined> {
    return (await this.listCredentials()).find((c) => c.credentialsId === credentialsId);
  }

  /** `DELETE /v1/credentials/{id}`. */
  async deleteCredential(credentialsId: string): Promise<void> {
    await this.call('DELETE', `/v1/credentials/${encodeURIComponent(credentialsId)}`, [200, 204]);
  }

  /** `GET /v1/groups`, every page (`x-soracom-next-key` → `last_evaluated_key`). */
  async listGroups(): Promise<SoracomGroup[]> {
    const groups: SoracomGroup[] = [];
    let nextKey: string | undefined;
    const seen = new Set<string>();
    do {
      const query = new URLSearchParams({ limit: String(GROUP_PAGE_SIZE) });
      if (nextKey !== undefined) query.set('last_evaluated_key', nextKey);
      const response = await this.call('GET', '/v1/groups', [200], undefined, query);
      const page = await readJson(response, 'GET', '/v1/groups');
      if (Array.isArray(page)) groups.push(...(page as SoracomGroup[]));
      nextKey = response.headers.get('x-soracom-next-key') ?? undefined;
      // A key answered twice would loop forever; SORACOM never does that, a broken proxy might.
      if (nextKey !== undefined) {
        if (seen.has(nextKey)) throw new SoracomApiError(200, 'GET', '/v1/groups', 'pagination loop');
        seen.add(nextKey);
      }
    } while (nextKey);
    return groups;
  }

  /** `PUT /v1/groups/{id}/configuration/{namespace}`: sets (merges) the given keys of one namespace. */
  async putGroupConfiguration(
    groupId: string,
    namespace: string,
    parameters: readonly SoracomConfigurationParameter[],
  ): Promise<void> {
    const path = `/v1/groups/${encodeURIComponent(groupId)}/configuration/${encodeURIComponent(namespace)}`;
    await this.call('PUT', path, [200], parameters);
  }

  private call(
    method: string,
    path: string,
    expected: readonly number[],
    body?: unknown,
    query?: URLSearchParams,
  ): Promise<Response> {
    return send(
      this.transport,
      method,
      path,
      { 'X-Soracom-API-Key': this.apiKey, 'X-Soracom-Token': this.token },
      expected,
      body,
      query,
    );
  }
}

async function send(
  transport: Transport,
  method: string,
  path: string,
  headers: Record<string, string>,
  expected: readonly number[],
  body?: unknown,
  query?: URLSearchParams,
): Promise<Response> {
  const url = `${transport.endpoint}${path}${query ? `?${query.toString()}` : ''}`;
  for (let attempt = 0; ; attempt += 1) {
    let response: Response;
    try {
      response = await transport.fetchImpl(url, {
        method,
        headers: {
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      // The cause may quote the request; only say where it went.
      throw new SoracomApiError(0, method, path);
    }
    if (expected.includes(response.status)) return response;
    if (response.status === 429 && attempt < transport.maxRetries) {
      await response.body?.cancel();
      await transport.sleep(rateLimitWaitMs(response.headers));
      continue;
    }
    const code = await errorCode(response);
    if (response.status === 401) throw new SoracomAuthError();
    throw new SoracomApiError(response.status, method, path, code);
  }
}

/**
 * How long a 429 asks us to wait: `X-Soracom-Ratelimit-Seconds-Before-Refresh` (documented), then
 * `X-Soracom-Ratelimit-Reset` (seconds, or an epoch time), then `Retry-After`; bounded to one minute.
 */
export function rateLimitWaitMs(headers: Headers, now: number = Date.now()): number {
  const seconds = (name: string): number | undefined => {
    const raw = headers.get(name);
    if (raw === null || raw.trim() === '') return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) return undefined;
    // Large values are an epoch time (seconds or milliseconds), not a duration.
    if (value > 1e12) return (value - now) / 1000;
    if (value > 1e9) return value - now / 1000;
    return value;
  };
  const wait =
    seconds('x-soracom-ratelimit-seconds-before-refresh') ??
    seconds('x-soracom-ratelimit-reset') ??
    seconds('retry-after');
  const ms = wait === undefined ? DEFAULT_RATE_LIMIT_WAIT_MS : Math.ceil(wait * 1000);
  return Math.min(Math.max(ms, 0), MAX_RATE_LIMIT_WAIT_MS);
}

async function readJson(response: Response, method: string, path: string): Promise<unknown> {
  const text = await response.text();
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new SoracomApiError(response.status, method, path, 'answer is not JSON');
  }
}

/** SORACOM's error code from an error answer (`{"code":"…","message":"…"}`), if it has a plain one. */
async function errorCode(response: Response): Promise<string | undefined> {
  try {
    const body = (await response.json()) as { code?: unknown };
    return typeof body.code === 'string' && /^[A-Z]{2,5}\d{3,5}$/.test(body.code) ? body.code : undefined;
  } catch {
    return undefined;
  }
}
