import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ConfigError, type KeylessConfig } from '../config';
import { OUTPUTS, privateKeyFile, thingPrefix } from '../contract';
import type { CheckResult, VerifyClients } from '../verify/verify';
import { certificatePem, iotEndpoint } from './bundle/aws';
import { DeployedOutputs } from './deployed-outputs';
import { placedThing, type DeviceClients, type EditableConfig } from './device/context';
import { setQuarantine } from './device/quarantine';
import { RemoteServiceError, UsageError } from './exit-codes';

/**
 * `keyless verify --live --thing <canary>`: what only the real account can show. With the canary's key (on this
 * machine) and its deployed certificate, the real credentials endpoint is asked for credentials; with them the
 * canary's own prefix must be readable and another thing's not; after `device quarantine` the endpoint must
 * refuse, after `release` issue again. The quarantine is undone and the config file restored whatever happens.
 * Unlike the rest of verify it writes (UpdateThing, through the device lifecycle code): it needs the operator's
 * credentials, not the read-only verify role. Credentials are never printed.
 */

export interface LiveOptions {
  readonly editable: EditableConfig;
  readonly deviceClients: DeviceClients;
  /** Extra CA certificates the credentials endpoint may chain to (tests). @default Node's trust store */
  readonly ca?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly sleep?: (ms: number) => Promise<void>;
  /** How often to ask while a quarantine or release propagates. @default 12 (5 s apart) */
  readonly attempts?: number;
}

interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

interface EndpointAnswer {
  readonly status: number;
  readonly credentials?: Credentials;
  readonly message: string;
}

export async function liveChecks(
  config: KeylessConfig,
  clients: VerifyClients,
  thing: string,
  options: LiveOptions,
): Promise<CheckResult[]> {
  const placed = placedThing(config, thing);
  if (placed.thing.quarantined) {
    throw new UsageError(`${thing} is quarantined in ${config.configFile}: pick a canary that is not`);
  }
  const keyFile = path.join(options.editable.repoRoot, privateKeyFile(config.envName, thing));
  if (!fs.existsSync(keyFile)) {
    throw new ConfigError(
      `${privateKeyFile(config.envName, thing)} does not exist: --live needs the canary's key on this machine (keyless enroll makes it)`,
    );
  }
  const outputs = new DeployedOutputs(clients.cloudFormation, config);
  const certificateId = await outputs.certificateId(thing, placed.shard);
  if (!certificateId) {
    throw new RemoteServiceError(
      `${placed.stackName} has no certificate for ${thing}: ${placed.deployCommand}`,
    );
  }
  const certificate = await certificatePem(clients, config, certificateId, thing);
  const alias = await outputs.require(OUTPUTS.IotAccess.roleAliasName);
  const url = `https://${await iotEndpoint(clients, config, 'iot:CredentialProvider')}/role-aliases/${encodeURIComponent(alias)}/credentials`;
  const key = fs.readFileSync(keyFile, 'utf8');
  const ask = () => askEndpoint(url, thing, { cert: certificate, key, ca: options.ca });
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const attempts = options.attempts ?? 12;
  /** Asks until the answer is the awaited one (a change in AWS IoT takes a moment to reach the endpoint). */
  const askUntil = async (issued: boolean): Promise<EndpointAnswer> => {
    let answer = await ask();
    for (let i = 1; i < attempts && (answer.status === 200) !== issued; i++) {
      await sleep(5000);
      answer = await ask();
    }
    return answer;
  };
  const check = (
    subject: string,
    ok: boolean,
    fields: Partial<CheckResult> & { message: string },
  ): CheckResult => ({
    check: 'live',
    status: ok ? 'pass' : 'fail',
    subject,
    principal: `certificate of ${thing}`,
    ...fields,
  });

  const results: CheckResult[] = [];
  const first = await ask();
  results.push(
    check('credentials', first.status === 200, {
      action: 'iot:AssumeRoleWithCertificate',
      resource: url,
      expected: 'credentials (200)',
      actual: `${first.status} ${first.message}`.trim(),
      message:
        first.status === 200
          ? `the credentials endpoint issued credentials to ${thing}`
          : `the credentials endpoint refused ${thing}: ${first.status} ${first.message}`,
      fix:
        first.status === 200
          ? undefined
          : `npx keyless device status --env ${config.envName} --thing ${thing}`,
    }),
  );
  if (first.credentials) results.push(...(await prefixChecks(config, thing, first.credentials, options.env)));

  const original = fs.readFileSync(options.editable.file);
  let quarantined: EndpointAnswer | undefined;
  let released: EndpointAnswer | undefined;
  let restoreError: unknown;
  try {
    await setQuarantine(options.editable, options.deviceClients, thing, true);
    quarantined = await askUntil(false);
  } finally {
    try {
      await setQuarantine(options.editable, options.deviceClients, thing, false);
      released = await askUntil(true);
    } catch (error) {
      restoreError = error;
    }
    fs.writeFileSync(options.editable.file, original);
  }
  if (restoreError) {
    throw new RemoteServiceError(
      `${thing} could not be released after the quarantine check: run npx keyless device release --env ${config.envName} --thing ${thing}`,
      { cause: restoreError },
    );
  }
  results.push(
    check('quarantine', quarantined?.status === 403, {
      action: 'iot:AssumeRoleWithCertificate',
      resource: url,
      expected: 'refused (403) while quarantined',
      actual: `${quarantined?.status ?? '?'} ${quarantined?.message ?? ''}`.trim(),
      message:
        quarantined?.status === 403
          ? `while quarantined, the credentials endpoint refused ${thing}`
          : `while quarantined, the credentials endpoint answered ${thing} ${quarantined?.status}: the credentials provider does not apply the quarantine attribute in this account`,
      fix:
        quarantined?.status === 403
          ? undefined
          : 'treat quarantine as MQTT-only here: revoke a device whose credentials must stop (docs/threat-model.md)',
    }),
    check('release', released?.status === 200, {
      action: 'iot:AssumeRoleWithCertificate',
      resource: url,
      expected: 'credentials (200) after release',
      actual: `${released?.status ?? '?'} ${released?.message ?? ''}`.trim(),
      message:
        released?.status === 200
          ? `after release, the credentials endpoint issued credentials to ${thing} again`
          : `after release, the credentials endpoint still refused ${thing}: ${released?.status}`,
      fix:
        released?.status === 200
          ? undefined
          : `npx keyless device status --env ${config.envName} --thing ${thing}, then npx keyless device release --env ${config.envName} --thing ${thing}`,
    }),
  );
  return results;
}

/** With the canary's credentials: its own prefix is readable, another thing's is not. */
async function prefixChecks(
  config: KeylessConfig,
  thing: string,
  credentials: Credentials,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CheckResult[]> {
  const s3 = new S3Client({
    region: config.region,
    credentials,
    maxAttempts: 2,
    forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3),
  });
  const other = `${thing}-other`;
  const list = async (prefix: string): Promise<string> => {
    try {
      await s3.send(
        new ListObjectsV2Command({ Bucket: config.names.deviceBucket, Prefix: prefix, MaxKeys: 1 }),
      );
      return 'allowed';
    } catch (error) {
      const name = (error as { name?: string }).name ?? '';
      if (
        name === 'AccessDenied' ||
        (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 403
      ) {
        return 'denied';
      }
      return `failed (${name || String(error)})`;
    }
  };
  return Promise.all(
    [
      [thingPrefix(thing), 'allowed'],
      [thingPrefix(other), 'denied'],
    ].map(async ([prefix, expected]) => {
      const actual = await list(prefix);
      return {
        check: 'live' as const,
        status: actual === expected ? ('pass' as const) : ('fail' as const),
        subject: `list ${prefix}`,
        principal: `credentials issued to ${thing}`,
        action: 's3:ListBucket',
        resource: `s3://${config.names.deviceBucket}/${prefix}`,
        expected,
        actual,
        message: `with ${thing}'s credentials, listing ${prefix} is ${actual}, expected ${expected}`,
        fix:
          actual === expected
            ? undefined
            : `npx keyless verify --env ${config.envName} (without --live) names the policy that differs`,
      };
    }),
  );
}

/** One GET to the credentials endpoint over mutual TLS; the answer's secrets stay in memory. */
function askEndpoint(
  url: string,
  thing: string,
  tls: { cert: string; key: string; ca?: string },
): Promise<EndpointAnswer> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      url,
      {
        cert: tls.cert,
        key: tls.key,
        ...(tls.ca ? { ca: tls.ca } : {}),
        headers: { 'x-amzn-iot-thingname': thing },
        timeout: 15000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > 65536) request.destroy(new Error('the credentials endpoint answered more than 64 KiB'));
          else chunks.push(chunk);
        });
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          let body: { message?: unknown; credentials?: Record<string, unknown> } = {};
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            // An answer that is not JSON is reported by its status alone.
          }
          const c = body.credentials;
          const credentials =
            status === 200 &&
            c &&
            typeof c.accessKeyId === 'string' &&
            typeof c.secretAccessKey === 'string' &&
            typeof c.sessionToken === 'string'
              ? {
                  accessKeyId: c.accessKeyId,
                  secretAccessKey: c.secretAccessKey,
                  sessionToken: c.sessionToken,
                }
              : undefined;
          const message = typeof body.message === 'string' ? body.message.slice(0, 200) : '';
          resolve({ status: status === 200 && !credentials ? 502 : status, credentials, message });
        });
      },
    );
    request.on('timeout', () =>
      request.destroy(new Error('the credentials endpoint did not answer in 15 s')),
    );
    request.on('error', (error) =>
      reject(new RemoteServiceError(`cannot reach the credentials endpoint: ${error.message}`)),
    );
  });
}
