import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * CSR files made with the openssl CLI for config and stack tests: a good one, a weak key, a wrong CN, a broken
 * signature. Written into a directory the test owns.
 */
export function opensslCsr(dir: string, name: string, subjectCn: string, keyOptions: string[]): string {
  const keyFile = path.join(dir, `${name}.key`);
  const csrFile = path.join(dir, `${name}.csr.pem`);
  execFileSync('openssl', ['genpkey', ...keyOptions, '-out', keyFile], { stdio: 'pipe' });
  execFileSync('openssl', ['req', '-new', '-key', keyFile, '-subj', `/CN=${subjectCn}`, '-out', csrFile], {
    stdio: 'pipe',
  });
  return csrFile;
}

export const EC_P256 = ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'];
export const RSA_1024 = ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'];
export const EC_SECP256K1 = ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp256k1'];

/** A copy of a CSR whose signature no longer matches (the last byte of the signature flipped). */
export function tamperedCsr(dir: string, csrFile: string): string {
  const pem = fs.readFileSync(csrFile, 'utf8');
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s/g, ''), 'base64');
  der[der.length - 1] ^= 0x01;
  const body = der.toString('base64').replace(/(.{64})/g, '$1\n');
  const file = path.join(dir, `tampered-${path.basename(csrFile)}`);
  fs.writeFileSync(file, `-----BEGIN CERTIFICATE REQUEST-----\n${body}\n-----END CERTIFICATE REQUEST-----\n`);
  return file;
}
