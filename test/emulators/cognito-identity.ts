import { CredentialIssuer } from './credential-issuer';
import { EmulatorAnswer, EmulatorRequest, EmulatorServer, MALFORMED_BODY } from './emulator-server';
import { Fault } from './fault-switch';

const TARGET = 'AWSCognitoIdentityService.GetCredentialsForIdentity';

function awsJsonError(type: string, message: string): EmulatorAnswer {
  return { status: 400, body: { __type: type, message } };
}

/**
 * Amazon Cognito identity, `GetCredentialsForIdentity` only: unsigned `POST /` in the JSON 1.1 protocol,
 * accepting the OpenID tokens the Krypton emulator registered. Answers `Expiration` in epoch seconds.
 */
export class CognitoIdentityEmulator extends EmulatorServer {
  readonly issuer = new CredentialIssuer();
  private readonly tokens = new Map<string, string>();

  constructor(tls: { certPem: string; keyPem: string }) {
    super(tls);
  }

  /** Makes `token` a valid login for `identityId` (what GetOpenIdTokenForDeveloperIdentity does). */
  registerToken(identityId: string, token: string): void {
    this.tokens.set(token, identityId);
  }

  protected route(request: EmulatorRequest, fault?: Fault): EmulatorAnswer {
    if (request.method !== 'POST' || request.path !== '/')
      return { status: 404, body: { message: 'Not Found' } };
    if (request.headers['x-amz-target'] !== TARGET) {
      return awsJsonError(
        'UnknownOperationException',
        `unknown target ${String(request.headers['x-amz-target'])}`,
      );
    }
    if (request.headers['content-type'] !== 'application/x-amz-json-1.1') {
      return awsJsonError('SerializationException', 'expected Content-Type application/x-amz-json-1.1');
    }
    let input: { IdentityId?: unknown; Logins?: Record<string, unknown> };
    try {
      input = JSON.parse(request.body) as typeof input;
    } catch {
      return awsJsonError('SerializationException', 'body is not JSON');
    }
    const token = input.Logins?.['cognito-identity.amazonaws.com'];
    if (typeof input.IdentityId !== 'string' || typeof token !== 'string') {
      return awsJsonError('InvalidParameterException', 'IdentityId and Logins are required');
    }
    if (this.tokens.get(token) !== input.IdentityId) {
      return awsJsonError('NotAuthorizedException', 'Invalid login token.');
    }
    if (fault?.kind === 'malformed') return { status: 200, body: MALFORMED_BODY };
    const credentials = this.issuer.issue({ expired: fault?.kind === 'expired' });
    return {
      status: 200,
      body: {
        IdentityId: input.IdentityId,
        Credentials: {
          AccessKeyId: credentials.accessKeyId,
          SecretKey: credentials.secretAccessKey,
          SessionToken: credentials.sessionToken,
          Expiration: credentials.expiresAt.getTime() / 1000,
        },
      },
    };
  }
}
