import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from './test-tools';

/** A certificate and its private key, as files and as PEM text. */
export interface IssuedCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** SHA-256 fingerprint in Node's `AA:BB:…` form, as `getPeerCertificate().fingerprint256` reports it. */
  readonly fingerprint256: string;
}

/**
 * A throw-away certificate authority made with the openssl CLI: a server certificate for 127.0.0.1 and
 * client (device) certificates, the way AWS IoT signs a device's CSR. Call `dispose()` in afterAll.
 */
export class TestPki {
  readonly dir: string;
  readonly ca: IssuedCertificate;
  readonly server: IssuedCertificate;
  private serial = 1;
  private readonly backdated: boolean;

  /**
   * @param options.backdated sign with a start date a day back (needs Debian `faketime`): certificates then
   *   stay valid for a device clock set hours back, as AWS's long-lived ones do. @default false
   */
  constructor(name = 'keyless-test', options: { backdated?: boolean } = {}) {
    this.backdated = options.backdated ?? false;
    this.dir = mkdtempSync(join(tmpdir(), `${name}-pki-`));
    this.ca = this.selfSigned('ca', `/CN=${name} test CA`);
    this.server = this.issue('server', '/CN=127.0.0.1', {
      extensions: 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth',
    });
  }

  /** A device certificate signed by this CA. */
  issueClient(name: string): IssuedCertificate {
    return this.issue(`client-${name}`, `/CN=${name}`, { extensions: 'extendedKeyUsage=clientAuth' });
  }

  /**
   * A device certificate for a CSR made elsewhere (in a PKCS#11 token, say), as AWS IoT signs one: the private
   * key stays wherever the CSR was signed, so the result has no key file.
   */
  issueForCsr(name: string, csrPem: string): Omit<IssuedCertificate, 'keyFile' | 'keyPem'> {
    const csrFile = join(this.dir, `csr-${name}.csr`);
    const extFile = join(this.dir, `csr-${name}.ext`);
    const certFile = join(this.dir, `csr-${name}.pem`);
    writeFileSync(csrFile, csrPem);
    writeFileSync(extFile, 'extendedKeyUsage=clientAuth\n');
    this.sign([
      'x509', '-req', '-in', csrFile, '-CA', this.ca.certFile, '-CAkey', this.ca.keyFile,
      '-set_serial', String(++this.serial), '-days', '3', '-extfile', extFile, '-out', certFile,
    ]); // prettier-ignore
    const certPem = readFileSync(certFile, 'utf8');
    return { certFile, certPem, fingerprint256: new X509Certificate(certPem).fingerprint256 };
  }

  /** A certificate from a CA the servers do not trust: for "unknown certificate" cases. */
  issueUntrustedClient(name: string): IssuedCertificate {
    const other = new TestPki(`${name}-rogue`);
    const cert = other.issueClient(name);
    // Keep the files: copy them next to ours before the other PKI is removed.
    const copy = this.write(`rogue-${name}`, cert.certPem, cert.keyPem);
    other.dispose();
    return copy;
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private selfSigned(base: string, subject: string): IssuedCertificate {
    const keyFile = join(this.dir, `${base}.key`);
    const certFile = join(this.dir, `${base}.pem`);
    this.openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile]);
    this.sign([
      'req', '-x509', '-new', '-key', keyFile, '-subj', subject, '-days', '3',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      '-out', certFile,
    ]); // prettier-ignore
    return this.describe(certFile, keyFile);
  }

  private issue(base: string, subject: string, options: { extensions: string }): IssuedCertificate {
    const keyFile = join(this.dir, `${base}.key`);
    const csrFile = join(this.dir, `${base}.csr`);
    const extFile = join(this.dir, `${base}.ext`);
    const certFile = join(this.dir, `${base}.pem`);
    writeFileSync(extFile, `${options.extensions}\n`);
    this.openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile]);
    this.openssl(['req', '-new', '-key', keyFile, '-subj', subject, '-out', csrFile]);
    this.sign([
      'x509', '-req', '-in', csrFile, '-CA', this.ca.certFile, '-CAkey', this.ca.keyFile,
      '-set_serial', String(++this.serial), '-days', '3', '-extfile', extFile, '-out', certFile,
    ]); // prettier-ignore
    return this.describe(certFile, keyFile);
  }

  private write(base: string, certPem: string, keyPem: string): IssuedCertificate {
    const certFile = join(this.dir, `${base}.pem`);
    const keyFile = join(this.dir, `${base}.key`);
    writeFileSync(certFile, certPem);
    writeFileSync(keyFile, keyPem, { mode: 0o600 });
    return this.describe(certFile, keyFile);
  }

  private describe(certFile: string, keyFile: string): IssuedCertificate {
    const certPem = readFileSync(certFile, 'utf8');
    return {
      certFile,
      keyFile,
      certPem,
      keyPem: readFileSync(keyFile, 'utf8'),
      fingerprint256: new X509Certificate(certPem).fingerprint256,
    };
  }

  private openssl(args: string[]): void {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  }

  /**
   * Signs for three days; backdated, from yesterday. OpenSSL 3.0's `x509 -req` has no start-date option, so
   * libfaketime (Debian `faketime`) moves the clock of that one openssl run.
   */
  private sign(args: string[]): void {
    if (!this.backdated) {
      this.openssl(args);
      return;
    }
    execFileSync(requireTool('faketime'), ['-f', '-1d', 'openssl', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  }
}
