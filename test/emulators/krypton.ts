import { randomBytes } from 'node:crypto';
import { CognitoIdentityEmulator } from './cognito-identity';
import { CredentialIssuer } from './credential-issuer';
import { EmulatorAnswer, EmulatorRequest, EmulatorServer, MALFORMED_BODY } from './emulator-server';
import { Fault } from './fault-switch';

/** How the emulator writes `expiration`: Krypton has been seen answering both epoch milliseconds and ISO. */
export type KryptonExpirationFormat = 'epoch-ms' | 'iso' | 'iso-fractional';

const CREDENTIALS_PATH = '/v1/provisioning/aws/cognito/credentials';
const OPEN_ID_TOKENS_PATH = '/v1/provisioning/aws/cognito/open_id_tokens';

/**
 * SORACOM Krypton for AWS Cognito, both paths: `cognito/credentials` (one hop, credentials with `secretKey`)
 * and `cognito/open_id_tokens` (a token the linked Cognito emulator then accepts).
 */
export class KryptonEmulator extends EmulatorServer {
  readonly issuer = new CredentialIssuer();
  expirationFormat: KryptonExpirationFormat = 'epoch-ms';
  readonly identityId = 'ap-northeast-1:00000000-0000-4000-8000-000000000001';
  readonly requestsByPath = new Map<string, number>();
  /** When false, every request is refused the way Krypton refuses a SIM that is not online through Air. */
  simAuthorized = true;

  constructor(
    tls: { certPem: string; keyPem: string },
    private readonly cognito?: CognitoIdentityEmulator,
    private readonly region = 'ap-northeast-1',
  ) {
    super(tls);
  }

  protected route(request: EmulatorRequest, fault?: Fault): EmulatorAnswer {
    this.requestsByPath.set(request.path, (this.requestsByPath.get(request.path) ?? 0) + 1);
    if (
      request.method !== 'POST' ||
      (request.path !== CREDENTIALS_PATH && request.path !== OPEN_ID_TOKENS_PATH)
    ) {
      return { status: 404, body: { code: 'COM0001', message: 'Not Found' } };
    }
    if (!this.simAuthorized) {
      return {
        status: 403,
        body: { code: 'AUM0001', message: 'Unauthorized: the request did not come through SORACOM Air' },
      };
    }
    if (fault?.kind === 'malformed') return { status: 200, body: MALFORMED_BODY };
    if (request.path === OPEN_ID_TOKENS_PATH) {
      const token = `eyJraWQiOiJlbXVsYXRlZCJ9.${randomBytes(32).toString('base64url')}.sig`;
      this.cognito?.registerToken(this.identityId, token);
      return { status: 200, body: { region: this.region, token, identityId: this.identityId } };
    }
    const credentials = this.issuer.issue({ expired: fault?.kind === 'expired' });
    const ms = credentials.expiresAt.getTime();
    const expiration =
      this.expirationFormat === 'epoch-ms'
        ? ms
        : this.expirationFormat === 'iso'
          ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
          : new Date(ms + 123).toISOString();
    return {
      status: 200,
      body: {
        identityId: this.identityId,
        credentials: {
          accessKeyId: credentials.accessKeyId,
          secretKey: credentials.secretAccessKey,
          sessionToken: credentials.sessionToken,
          expiration,
        },
      },
    };
  }
}
