import { webcrypto } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { x509 } from '../../lib/fleet/x509';

/**
 * Real P-256 CSRs (subject CN = thing name) for large synthetic fleets, made once with @peculiar/x509 and
 * cached on disk so the bench's child processes and repeated test runs do not pay for key generation again.
 */

export const CSR_CACHE_DIR = path.join(os.tmpdir(), 'keyless-synthetic-csrs');

/** `sensor-00001` … : zero-padded so sorted order is numeric order. */
export function syntheticThingNames(count: number, prefix = 'sensor'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i + 1).padStart(5, '0')}`);
}

/** The CSR file of one thing in the cache (created by `ensureCsrs`). */
export function cachedCsrFile(thingName: string): string {
  return path.join(CSR_CACHE_DIR, `${thingName}.csr.pem`);
}

/** Makes sure every thing has a cached CSR; returns them as PEM by thing name. */
export async function ensureCsrs(thingNames: readonly string[]): Promise<Map<string, string>> {
  fs.mkdirSync(CSR_CACHE_DIR, { recursive: true });
  const pems = new Map<string, string>();
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  for (const name of thingNames) {
    const file = cachedCsrFile(name);
    if (fs.existsSync(file)) {
      pems.set(name, fs.readFileSync(file, 'utf8'));
      continue;
    }
    const keys = await webcrypto.subtle.generateKey(algorithm, false, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: `CN=${name}`,
      keys: keys as unknown as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['keys'],
      signingAlgorithm: algorithm,
    });
    const pem = `${csr.toString('pem')}\n`;
    // Written to a temp name first: a concurrent run never reads half a file.
    const partial = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(partial, pem);
    fs.renameSync(partial, file);
    pems.set(name, pem);
  }
  return pems;
}
