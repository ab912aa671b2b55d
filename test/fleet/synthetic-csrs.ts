import { webcrypto } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Real P-256 CSRs (subject CN = thing name) for large synthetic fleets, made once with @peculiar/x509 and
 * cached on disk so the bench's child processes and repeated test runs do not pay for key generation again.
 */

// @peculiar/x509 resolves its internals through tsyringe, which insists on a Reflect metadata API. It only
// stores and reads plain values, so a WeakMap-backed stand-in is enough (no reflect-metadata dependency).
installReflectMetadata();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const x509 = require('@peculiar/x509') as typeof import('@peculiar/x509');
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

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

function installReflectMetadata(): void {
  const reflect = Reflect as unknown as Record<string, unknown>;
  if (typeof reflect.getMetadata === 'function') return;
  const store = new WeakMap<object, Map<unknown, unknown>>();
  const own = (target: object): Map<unknown, unknown> => {
    let map = store.get(target);
    if (!map) store.set(target, (map = new Map()));
    return map;
  };
  reflect.defineMetadata = (key: unknown, value: unknown, target: object) => own(target).set(key, value);
  reflect.getOwnMetadata = (key: unknown, target: object) => store.get(target)?.get(key);
  reflect.getMetadata = (key: unknown, target: object): unknown => {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t)) {
      const value = store.get(t)?.get(key);
      if (value !== undefined) return value;
    }
    return undefined;
  };
}
