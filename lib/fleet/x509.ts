import { webcrypto } from 'node:crypto';

/**
 * @peculiar/x509 on Node's WebCrypto, loaded once for the config loader (CSR checks) and `keyless enroll`
 * (keys and CSRs).
 *
 * The library resolves its internals through tsyringe, which refuses to load without a Reflect metadata API.
 * tsyringe only stores and reads plain values with it, so a WeakMap-backed stand-in is enough and spares a
 * `reflect-metadata` dependency. An existing polyfill is left alone.
 */
installReflectMetadata();
// Required after the stand-in is in place: an import would be hoisted above it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const library = require('@peculiar/x509') as typeof import('@peculiar/x509');
library.cryptoProvider.set(webcrypto as unknown as Parameters<typeof library.cryptoProvider.set>[0]);

export const x509 = library;

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
  reflect.hasOwnMetadata = (key: unknown, target: object) => store.get(target)?.has(key) ?? false;
  reflect.getOwnMetadata = (key: unknown, target: object) => store.get(target)?.get(key);
  reflect.getMetadata = (key: unknown, target: object): unknown => {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t)) {
      const value = store.get(t)?.get(key);
      if (value !== undefined) return value;
    }
    return undefined;
  };
}
