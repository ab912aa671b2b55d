import { request } from 'node:https';
import { TestPki } from '../support/test-pki';
import { CognitoIdentityEmulator } from './cognito-identity';
import { CredentialsProviderEmulator } from './credentials-provider';
import { KryptonEmulator } from './krypton';
import { FaultSwitch } from './fault-switch';

interface Answer {
  status: number;
  body: string;
}

/** One HTTPS request with Node's client; rejects on a TLS or connection failure. */
function call(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    ca: string;
    cert?: string;
    key?: string;
  },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        ca: options.ca,
        cert: options.cert,
        key: options.key,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('FaultSwitch', () => {
  test('"fail N times then succeed" applies the fault to exactly N requests', () => {
    const faults = new FaultSwitch();
    faults.set({ kind: 'status', status: 429 }, { times: 2 });
    expect([faults.take(), faults.take(), faults.take()]).toEqual([
      { kind: 'status', status: 429 },
      { kind: 'status', status: 429 },
      undefined,
    ]);
  });

  test('without times the fault is persistent until cleared', () => {
    const faults = new FaultSwitch();
    faults.set({ kind: 'drop' });
    expect([faults.take(), faults.take()]).toEqual([{ kind: 'drop' }, { kind: 'drop' }]);
    faults.clear();
    expect(faults.take()).toBeUndefined();
  });
});

describe('emulators', () => {
  const pki = new TestPki('emulators');
  const device = pki.issueClient('thing-a');
  const tls = { certPem: pki.server.certPem, keyPem: pki.server.keyPem };
  const credentialsProvider = new CredentialsProviderEmulator({ ...tls, clientCaPem: pki.ca.certPem });
  const cognito = new CognitoIdentityEmulator(tls);
  const krypton = new KryptonEmulator(tls, cognito);
  const urls = { credentialsProvider: '', cognito: '', krypton: '' };

  beforeAll(async () => {
    credentialsProvider.registerCertificate(device.fingerprint256, { things: ['thing-a'] });
    credentialsProvider.addRoleAlias({ name: 'alias-a' });
    urls.credentialsProvider = (await credentialsProvider.start()).url;
    urls.cognito = (await cognito.start()).url;
    urls.krypton = (await krypton.start()).url;
  });

  afterAll(async () => {
    await Promise.all([credentialsProvider.stop(), cognito.stop(), krypton.stop()]);
    pki.dispose();
  });

  test('credentials provider: mTLS with a registered certificate gets S3RVER credentials and is counted', async () => {
    const before = credentialsProvider.requests;
    const answer = await call(`${urls.credentialsProvider}/role-aliases/alias-a/credentials`, {
      ca: pki.ca.certPem,
      cert: device.certPem,
      key: device.keyPem,
      headers: { 'x-amzn-iot-thingname': 'thing-a' },
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({
      credentials: {
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
        sessionToken: expect.stringMatching(/^EmulatedSessionToken/),
        expiration: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      },
    });
    expect(credentialsProvider.requests - before).toBe(1);
  });

  test('credentials provider: a client without a certificate fails the TLS handshake', async () => {
    await expect(
      call(`${urls.credentialsProvider}/role-aliases/alias-a/credentials`, { ca: pki.ca.certPem }),
    ).rejects.toThrow();
  });

  test('credentials provider: a certificate from another CA fails the TLS handshake', async () => {
    const rogue = pki.issueUntrustedClient('rogue');
    await expect(
      call(`${urls.credentialsProvider}/role-aliases/alias-a/credentials`, {
        ca: pki.ca.certPem,
        cert: rogue.certPem,
        key: rogue.keyPem,
      }),
    ).rejects.toThrow();
  });

  test('Cognito: rejects a token Krypton did not issue, accepts one it did', async () => {
    const headers = {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AWSCognitoIdentityService.GetCredentialsForIdentity',
    };
    const forged = await call(`${urls.cognito}/`, {
      method: 'POST',
      ca: pki.ca.certPem,
      headers,
      body: JSON.stringify({
        IdentityId: krypton.identityId,
        Logins: { 'cognito-identity.amazonaws.com': 'forged' },
      }),
    });
    expect(forged.status).toBe(400);
    expect(JSON.parse(forged.body)).toEqual({
      __type: 'NotAuthorizedException',
      message: 'Invalid login token.',
    });

    const token = JSON.parse(
      (
        await call(`${urls.krypton}/v1/provisioning/aws/cognito/open_id_tokens`, {
          method: 'POST',
          ca: pki.ca.certPem,
        })
      ).body,
    ) as { token: string; identityId: string; region: string };
    expect(token.region).toBe('ap-northeast-1');
    const accepted = await call(`${urls.cognito}/`, {
      method: 'POST',
      ca: pki.ca.certPem,
      headers,
      body: JSON.stringify({
        IdentityId: token.identityId,
        Logins: { 'cognito-identity.amazonaws.com': token.token },
      }),
    });
    expect(accepted.status).toBe(200);
    const credentials = (JSON.parse(accepted.body) as { Credentials: Record<string, unknown> }).Credentials;
    expect(credentials).toEqual({
      AccessKeyId: 'S3RVER',
      SecretKey: 'S3RVER',
      SessionToken: expect.any(String),
      Expiration: expect.any(Number),
    });
    expect(Number.isInteger(credentials.Expiration)).toBe(true);
  });

  test('Krypton: one-hop credentials use secretKey and epoch-millisecond expiration by default', async () => {
    const answer = await call(`${urls.krypton}/v1/provisioning/aws/cognito/credentials`, {
      method: 'POST',
      ca: pki.ca.certPem,
    });
    const body = JSON.parse(answer.body) as { credentials: { secretKey: string; expiration: number } };
    expect(body.credentials.secretKey).toBe('S3RVER');
    expect(body.credentials.expiration).toBeGreaterThan(Date.now());
  });
});
