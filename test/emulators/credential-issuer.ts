import { randomBytes } from 'node:crypto';

/** Short-lived credentials as an emulator hands them out. */
export interface IssuedCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiresAt: Date;
}

/**
 * Mints credentials for the emulators. The key pair is always S3RVER/S3RVER because s3rver accepts no
 * other; the session token is unique per issue, so a test can tell two fetches apart and can check that no
 * secret ever reached stderr.
 */
export class CredentialIssuer {
  /** Lifetime of the next credentials, in seconds (may be changed between requests). */
  lifetimeSeconds = 3600;
  readonly issued: IssuedCredentials[] = [];

  issue(options: { expired?: boolean } = {}): IssuedCredentials {
    const lifetime = options.expired ? -60 : this.lifetimeSeconds;
    const credentials: IssuedCredentials = {
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      sessionToken: `EmulatedSessionToken${this.issued.length + 1}x${randomBytes(24).toString('base64url')}`,
      // Whole seconds, like the real services.
      expiresAt: new Date(Math.floor(Date.now() / 1000 + lifetime) * 1000),
    };
    this.issued.push(credentials);
    return credentials;
  }

  /** Every string that must never appear in a log or on stderr. */
  secrets(): string[] {
    return ['S3RVER', ...this.issued.map((c) => c.sessionToken)];
  }
}
