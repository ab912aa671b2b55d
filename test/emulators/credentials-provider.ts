import { CredentialIssuer } from './credential-issuer';
import { EmulatorAnswer, EmulatorRequest, EmulatorServer, MALFORMED_BODY } from './emulator-server';
import { Fault } from './fault-switch';

/** A role alias as the credentials provider knows it. */
export interface RoleAliasDefinition {
  readonly name: string;
  /** The alias's credentialDurationSeconds. @default 3600 */
  readonly credentialDurationSeconds?: number;
  /** The role's MaxSessionDuration. @default 3600 */
  readonly roleMaxSessionDuration?: number;
  /** Whether the role's trust policy allows credentials.iot.amazonaws.com. @default true */
  readonly roleTrustsCredentialsProvider?: boolean;
}

/** A device certificate registered in the account: the things attached to it and what its IoT policy allows. */
export interface CertificateRegistration {
  readonly things: readonly string[];
  /** Role aliases the certificate's IoT policy allows iot:AssumeRoleWithCertificate on. @default all */
  readonly allowedRoleAliases?: readonly string[];
}

/**
 * The AWS IoT credentials provider: `GET /role-aliases/<alias>/credentials` over mutual TLS with the
 * `x-amzn-iot-thingname` header, answering `{"credentials":{accessKeyId, secretAccessKey, sessionToken,
 * expiration}}` or one of the documented errors.
 */
export class CredentialsProviderEmulator extends EmulatorServer {
  readonly issuer = new CredentialIssuer();
  private readonly certificates = new Map<string, CertificateRegistration>();
  private readonly roleAliases = new Map<string, RoleAliasDefinition>();

  constructor(tls: { certPem: string; keyPem: string; clientCaPem: string }) {
    super(tls);
  }

  registerCertificate(fingerprint256: string, registration: CertificateRegistration): void {
    this.certificates.set(fingerprint256, registration);
  }

  addRoleAlias(definition: RoleAliasDefinition): void {
    this.roleAliases.set(definition.name, definition);
  }

  protected route(request: EmulatorRequest, fault?: Fault): EmulatorAnswer {
    const match = /^\/role-aliases\/([^/]+)\/credentials$/.exec(request.path);
    if (request.method !== 'GET' || !match) return { status: 404, body: { message: 'Not Found' } };
    const certificate = request.clientFingerprint256 && this.certificates.get(request.clientFingerprint256);
    if (!certificate) return { status: 403, body: { message: 'Certificate is invalid on this endpoint' } };
    const alias = this.roleAliases.get(decodeURIComponent(match[1]));
    if (!alias) return { status: 404, body: { message: 'Role alias does not exist' } };
    if (certificate.allowedRoleAliases && !certificate.allowedRoleAliases.includes(alias.name)) {
      return { status: 403, body: { message: 'Access Denied' } };
    }
    const thing = request.headers['x-amzn-iot-thingname'];
    if (typeof thing === 'string' && !certificate.things.includes(thing)) {
      return { status: 403, body: { message: 'Invalid thing name passed' } };
    }
    if (alias.roleTrustsCredentialsProvider === false) {
      return {
        status: 400,
        body: { message: 'Unable to assume the role, or the role to assume does not exist' },
      };
    }
    if ((alias.credentialDurationSeconds ?? 3600) > (alias.roleMaxSessionDuration ?? 3600)) {
      return {
        status: 400,
        body: { message: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.' },
      };
    }
    if (fault?.kind === 'malformed') return { status: 200, body: MALFORMED_BODY };
    const credentials = this.issuer.issue({ expired: fault?.kind === 'expired' });
    return {
      status: 200,
      body: {
        credentials: {
          accessKeyId: credentials.accessKeyId,
          secretAccessKey: credentials.secretAccessKey,
          sessionToken: credentials.sessionToken,
          expiration: credentials.expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        },
      },
    };
  }
}
