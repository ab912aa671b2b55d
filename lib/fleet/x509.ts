// @peculiar/x509 resolves its internals through tsyringe, which needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as library from '@peculiar/x509';

/**
 * @peculiar/x509 on Node's WebCrypto, set up once for the config loader (CSR checks) and `keyless enroll`
 * (keys and CSRs). Import it from here, not from the package, so the provider is always set.
 */
library.cryptoProvider.set(webcrypto as unknown as Parameters<typeof library.cryptoProvider.set>[0]);

export const x509 = library;
