/**
 * A small client for the parts of the SORACOM API keyless-iot uses: auth, the credential store and SIM group
 * configuration. Shared by the Funnel key rotation function and the operator CLI.
 *
 * Every 2xx answer is checked against the shape SORACOM's API spec documents (soracom/soracom-cli,
 * `generators/assets/soracom-api.en.yaml`; operation ids named at each call): an answer that is not that shape
 * is an error, never read as "nothing there". Callers act on what SORACOM holds, so a broken or truncated
 * answer must stop them rather than shrink what they believe exists.
 *
 * Nothing secret ever reaches an error message: errors name the status, method and path only, never a request
 * body, an auth key, an API token, a credential or a value from an answer.
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

/** A SIM as `POST /v1/sims/{sim_id}/suspend` answers it: the fields keyless reads. */
export interface SoracomSim {
  readonly simId: string;
  /** `ready`, `active`, `inactive`, `standby`, `suspended` or `terminated` (the Sim schema's enum). */
  readonly status: string;
  readonly groupId?: string;
}

/**
 * A SIM as `GET /v1/sims/{sim_id}` answers it, reduced to what names it: every IMSI and ICCID of its profiles.
 * The rest of the answer is never kept (it can hold an Arc WireGuard private key, `arcClientPeerPrivateKey`).
 */
export interface SoracomSimIdentity {
  readonly simId: string;
  readonly status: string;
  readonly groupId?: string;
  /** Every IMSI of every profile: `primaryImsi` and the keys and `imsi` of `subscribers`. */
  readonly imsis: readonly string[];
  /** Every profile's ICCID. */
  readonly iccids: readonly string[];
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

/**
 * A 2xx answer whose body is not what SORACOM's API spec documents for the operation: not JSON, empty, not a
 * list where a list is documented, an element without its id, a field of another type. The message names the
 * operation and what was wrong (field paths, never values).
 */
export class SoracomAnswerError extends SoracomApiError {
  constructor(
    status: number,
    method: string,
    path: string,
    /** The operation id in SORACOM's API spec (`listCredentials`, `listGroups`, …). */
    readonly operationId: string,
    readonly problem: string,
  ) {
    super(status, method, path, problem);
    this.message = `SORACOM API ${method} ${path} answered HTTP ${status} but not as documented for ${operationId}: ${problem}`;
    this.name = 'SoracomAnswerError';
  }
}

/**
 * The endpoint the auth key and credentials may be sent to: https, or plain http to a loopback address (local
 * stand-ins in tests). Returns it without a trailing slash; `source` names where it came from in the error.
 */
export function checkedSoracomEndpoint(endpoint: string, source = 'the SORACOM API endpoint'): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(`${source} is not a URL: expected https://… such as https://api.soracom.io`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    // Only the scheme and host: a URL may carry a user name and password.
    throw new Error(
      `${source} must be https:// (it receives the SORACOM auth key and AWS credentials), got ${url.protocol}//${url.host}; ` +
        'plain http is accepted only for a local test server on http://127.0.0.1, http://localhost or http://[::1]',
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new Error(`${source} must not carry a user name or password, got ${url.protocol}//${url.host}`);
  }
  return endpoint.replace(/\/+$/, '');
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
      endpoint: checkedSoracomEndpoint(options.endpoint),
      fetchImpl: options.fetchImpl ?? ((input, init) => fetch(input, init)),
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      maxRetries: options.maxRetries ?? 5,
    };
    const response = await send(transport, 'POST', '/v1/auth', {}, [200], {
      authKeyId: options.authKeyId,
      authKey: options.authKey,
    });
    // operationId auth: AuthResponse {apiKey, operatorId, token, …}.
    const answer = new Answer(response, 'POST', '/v1/auth', 'auth');
    const body = answer.object(await answer.json(), '(answer)');
    const apiKey = answer.nonEmptyString(body.apiKey, 'apiKey');
    const token = answer.nonEmptyString(body.token, 'token');
    return new SoracomClient(transport, apiKey, token);
  }

  private constructor(
    private readonly transport: Transport,
    private readonly apiKey: string,
    private readonly token: string,
  ) {}

  /**
   * `POST /v1/credentials/{id}` (operationId createCredential, answers the CredentialsModel): fails (HTTP 400)
   * if the id exists already.
   */
  async createCredential(credentialsId: string, credential: SoracomCredential): Promise<void> {
    const path = `/v1/credentials/${encodeURIComponent(credentialsId)}`;
    const response = await this.call('POST', path, [200, 201], credential);
    await checkWrittenCredential(new Answer(response, 'POST', path, 'createCredential'), credentialsId);
  }

  /**
   * `PUT /v1/credentials/{id}` (operationId updateCredential, answers the CredentialsModel): replaces the
   * credential in place; every group using the id follows.
   */
  async updateCredential(credentialsId: string, credential: SoracomCredential): Promise<void> {
    const path = `/v1/credentials/${encodeURIComponent(credentialsId)}`;
    const response = await this.call('PUT', path, [200], credential);
    await checkWrittenCredential(new Answer(response, 'PUT', path, 'updateCredential'), credentialsId);
  }

  /**
   * `GET /v1/credentials` (operationId listCredentials): every credential of the operator, without secrets.
   * Documented as an array of CredentialsModel, each with a string `credentialsId`; anything else throws
   * {@link SoracomAnswerError}, an empty body on 200 included.
   */
  async listCredentials(): Promise<SoracomCredentialInfo[]> {
    const response = await this.call('GET', '/v1/credentials', [200]);
    const answer = new Answer(response, 'GET', '/v1/credentials', 'listCredentials');
    const list = answer.list(await answer.json());
    const seen = new Set<string>();
    return list.map((element, index) => {
      const credential = parseCredentialInfo(answer, element, `[${index}]`);
      if (seen.has(credential.credentialsId)) {
        answer.fail(`[${index}].credentialsId repeats an id listed before (ids are unique)`);
      }
      seen.add(credential.credentialsId);
      return credential;
    });
  }

  /** One credential by id, or undefined when the store has none with that id. */
  async getCredential(credentialsId: string): Promise<SoracomCredentialInfo | undefined> {
    return (await this.listCredentials()).find((c) => c.credentialsId === credentialsId);
  }

  /** `DELETE /v1/credentials/{id}`. */
  async deleteCredential(credentialsId: string): Promise<void> {
    await this.call('DELETE', `/v1/credentials/${encodeURIComponent(credentialsId)}`, [200, 204]);
  }

  /**
   * `GET /v1/groups` (operationId listGroups), every page (`x-soracom-next-key` → `last_evaluated_key`).
   * Each page is documented as an array of Group: a `groupId` string and a `configuration` object whose
   * namespaces are objects; anything else throws {@link SoracomAnswerError}, an empty body on 200 included.
   */
  async listGroups(): Promise<SoracomGroup[]> {
    const groups: SoracomGroup[] = [];
    const groupIds = new Set<string>();
    let nextKey: string | undefined;
    const seen = new Set<string>();
    do {
      const query = new URLSearchParams({ limit: String(GROUP_PAGE_SIZE) });
      if (nextKey !== undefined) query.set('last_evaluated_key', nextKey);
      const response = await this.call('GET', '/v1/groups', [200], undefined, query);
      const answer = new Answer(response, 'GET', '/v1/groups', 'listGroups');
      answer.list(await answer.json()).forEach((element, index) => {
        const group = parseGroup(answer, element, `[${index}]`);
        if (groupIds.has(group.groupId)) {
          answer.fail(`[${index}].groupId repeats a group listed before (ids are unique)`);
        }
        groupIds.add(group.groupId);
        groups.push(group);
      });
      nextKey = response.headers.get('x-soracom-next-key') ?? undefined;
      // A key answered twice would loop forever; SORACOM never does that, a broken proxy might.
      if (nextKey !== undefined) {
        if (seen.has(nextKey)) throw new SoracomApiError(200, 'GET', '/v1/groups', 'pagination loop');
        seen.add(nextKey);
      }
    } while (nextKey);
    return groups;
  }

  /**
   * `PUT /v1/groups/{id}/configuration/{namespace}` (operationId putConfigurationParameters, answers the
   * Group): sets (merges) the given keys of one namespace.
   */
  async putGroupConfiguration(
    groupId: string,
    namespace: string,
    parameters: readonly SoracomConfigurationParameter[],
  ): Promise<void> {
    const path = `/v1/groups/${encodeURIComponent(groupId)}/configuration/${encodeURIComponent(namespace)}`;
    const response = await this.call('PUT', path, [200], parameters);
    const answer = new Answer(response, 'PUT', path, 'putConfigurationParameters');
    const group = parseGroup(answer, await answer.json(), '(answer)');
    if (group.groupId !== groupId) answer.fail('groupId is not the group the call changed');
  }

  /**
   * `POST /v1/sims/{sim_id}/suspend` (operationId suspendSim, SAM permission `Sim:suspendSim`): changes the SIM's
   * status to "suspended" and answers the Sim. The answer must be that SIM, suspended: anything else throws
   * {@link SoracomAnswerError}, so a caller never reports a SIM suspended that SORACOM did not suspend.
   */
  async suspendSim(simId: string): Promise<SoracomSim> {
    const path = `/v1/sims/${encodeURIComponent(simId)}/suspend`;
    const response = await this.call('POST', path, [200]);
    const answer = new Answer(response, 'POST', path, 'suspendSim');
    const body = answer.object(await answer.json(), '(answer)');
    const sim: SoracomSim = {
      simId: answer.nonEmptyString(body.simId, 'simId'),
      status: answer.nonEmptyString(body.status, 'status'),
      // A SIM in no group may answer null: that is no group, not a broken answer.
      groupId: body.groupId === null ? undefined : answer.optionalString(body.groupId, 'groupId'),
    };
    if (sim.simId !== simId) answer.fail('simId is not the SIM the call suspended');
    if (sim.status !== 'suspended') answer.fail(`status is ${JSON.stringify(sim.status)}, not "suspended"`);
    return sim;
  }

  /**
   * `GET /v1/sims/{sim_id}` (operationId getSim, SAM permission `Sim:getSim`): the SIM's id, status, group and the
   * IMSIs and ICCIDs of its profiles (`profiles.<iccid>.primaryImsi`, `.subscribers.<imsi>.imsi`). The answer must
   * be that SIM, and every name read must be a string of digits: anything else throws {@link SoracomAnswerError},
   * so a caller never compares against names SORACOM did not give.
   */
  async getSim(simId: string): Promise<SoracomSimIdentity> {
    const path = `/v1/sims/${encodeURIComponent(simId)}`;
    const response = await this.call('GET', path, [200]);
    const answer = new Answer(response, 'GET', path, 'getSim');
    const body = answer.object(await answer.json(), '(answer)');
    const digits = (value: unknown, where: string): string => {
      const text = answer.nonEmptyString(value, where);
      if (!/^\d{1,32}$/.test(text)) answer.fail(`${where} is not a string of digits`);
      return text;
    };
    const imsis = new Set<string>();
    const iccids = new Set<string>();
    const profiles =
      answer.optionalObject(body.profiles === null ? undefined : body.profiles, 'profiles') ?? {};
    for (const [key, value] of Object.entries(profiles)) {
      const profile = answer.object(value, `profiles.${key}`);
      iccids.add(digits(profile.iccid ?? key, `profiles.${key}.iccid`));
      if (profile.primaryImsi !== undefined && profile.primaryImsi !== null)
        imsis.add(digits(profile.primaryImsi, `profiles.${key}.primaryImsi`));
      const subscribers =
        answer.optionalObject(
          profile.subscribers === null ? undefined : profile.subscribers,
          `profiles.${key}.subscribers`,
        ) ?? {};
      for (const [imsiKey, subscriber] of Object.entries(subscribers)) {
        const entry = answer.object(subscriber, `profiles.${key}.subscribers.${imsiKey}`);
        imsis.add(digits(entry.imsi ?? imsiKey, `profiles.${key}.subscribers.${imsiKey}.imsi`));
      }
    }
    const sim: SoracomSimIdentity = {
      simId: answer.nonEmptyString(body.simId, 'simId'),
      status: answer.nonEmptyString(body.status, 'status'),
      groupId: body.groupId === null ? undefined : answer.optionalString(body.groupId, 'groupId'),
      imsis: [...imsis].sort(),
      iccids: [...iccids].sort(),
    };
    if (sim.simId !== simId) answer.fail('simId is not the SIM asked for');
    return sim;
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
        // Following a redirect would send the auth key (the login's body) or the API key and token to wherever
        // Location points, past checkedSoracomEndpoint; a 3xx is refused below.
        redirect: 'manual',
      });
    } catch {
      // The cause may quote the request; only say where it went.
      throw new SoracomApiError(0, method, path);
    }
    if (expected.includes(response.status)) return response;
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw new SoracomApiError(
        response.status,
        method,
        path,
        'no redirect is followed: the request goes to the configured endpoint only',
      );
    }
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

/** One 2xx answer being checked against its documented shape; every failure names the operation. */
class Answer {
  constructor(
    private readonly response: Response,
    private readonly method: string,
    private readonly path: string,
    private readonly operationId: string,
  ) {}

  fail(problem: string): never {
    throw new SoracomAnswerError(this.response.status, this.method, this.path, this.operationId, problem);
  }

  /** The body as JSON; an empty body is an error (every operation read here documents one). */
  async json(): Promise<unknown> {
    const text = await this.response.text();
    if (text.trim() === '') this.fail('the answer is empty');
    try {
      return JSON.parse(text);
    } catch {
      return this.fail('the answer is not JSON');
    }
  }

  list(value: unknown): unknown[] {
    if (!Array.isArray(value)) this.fail(`the answer is ${kindOf(value)}, not a list`);
    return value;
  }

  object(value: unknown, where: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(`${where} is ${kindOf(value)}, not an object`);
    }
    return value as Record<string, unknown>;
  }

  nonEmptyString(value: unknown, where: string): string {
    if (value === undefined) this.fail(`${where} is missing`);
    if (typeof value !== 'string' || value === '')
      this.fail(`${where} is ${kindOf(value)}, not a non-empty string`);
    return value;
  }

  /** An optional field: absent is fine, present must be a string. */
  optionalString(value: unknown, where: string): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string') this.fail(`${where} is ${kindOf(value)}, not a string`);
    return value;
  }

  /**
   * Free text that only informs (a description): null is read as absent. It never widens what a caller
   * believes: a credential without the rotation's marker is one that "does not say which key it holds".
   */
  optionalText(value: unknown, where: string): string | undefined {
    return value === null ? undefined : this.optionalString(value, where);
  }

  /** An optional field: absent is fine, present must be an object. */
  optionalObject(value: unknown, where: string): Record<string, unknown> | undefined {
    return value === undefined ? undefined : this.object(value, where);
  }
}

/** What a value is, for messages: its JSON kind, never its content. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (value === undefined) return 'missing';
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * One CredentialsModel. The fields the callers read must have their documented types: `credentialsId` (string,
 * required), `type` (string), `description` (string, or null read as absent: it is free text), `credentials`
 * (object; its secret parts are never answered). Any other field present with another type — null included —
 * is an error, not "absent".
 */
function parseCredentialInfo(answer: Answer, value: unknown, where: string): SoracomCredentialInfo {
  const element = answer.object(value, where);
  const credentialsId = answer.nonEmptyString(element.credentialsId, `${where}.credentialsId`);
  const type = answer.optionalString(element.type, `${where}.type`);
  const description = answer.optionalText(element.description, `${where}.description`);
  const credentials = answer.optionalObject(element.credentials, `${where}.credentials`);
  const accessKeyId = credentials?.accessKeyId;
  if (accessKeyId !== undefined) answer.optionalString(accessKeyId, `${where}.credentials.accessKeyId`);
  const rest: Record<string, unknown> = { ...element };
  delete rest.description;
  return {
    ...(rest as Partial<SoracomCredentialInfo>),
    credentialsId,
    type: type ?? '',
    ...(description === undefined ? {} : { description }),
    ...(credentials === undefined ? {} : { credentials }),
  };
}

/**
 * One Group: `groupId` (string, required) and `configuration`, an object of namespaces that are each an
 * object (GroupConfiguration); `SoracomFunnel.credentialsId`, when present, is a string.
 */
function parseGroup(answer: Answer, value: unknown, where: string): SoracomGroup {
  const element = answer.object(value, where);
  const groupId = answer.nonEmptyString(element.groupId, `${where}.groupId`);
  const configuration = answer.optionalObject(element.configuration, `${where}.configuration`);
  for (const [namespace, parameters] of Object.entries(configuration ?? {})) {
    answer.object(parameters, `${where}.configuration.${namespace}`);
  }
  const funnel = configuration?.SoracomFunnel as Record<string, unknown> | undefined;
  if (funnel !== undefined) {
    answer.optionalString(funnel.credentialsId, `${where}.configuration.SoracomFunnel.credentialsId`);
  }
  return { ...(element as Partial<SoracomGroup>), groupId } as SoracomGroup;
}

/** A create or update answers the CredentialsModel of the credential it wrote. */
async function checkWrittenCredential(answer: Answer, credentialsId: string): Promise<void> {
  const written = parseCredentialInfo(answer, await answer.json(), '(answer)');
  if (written.credentialsId !== credentialsId) answer.fail('credentialsId is not the credential written');
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
