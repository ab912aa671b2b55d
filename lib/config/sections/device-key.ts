import { z } from 'zod';
import { PKCS11_LABEL } from '../../contract';
import { matching, oneOf } from '../rules';

const label = matching(PKCS11_LABEL);
const absolutePath = z
  .string()
  .regex(/^\/\P{Cc}*$/u, { error: 'expected an absolute path without control characters' });

/**
 * Where an X.509 device keeps its private key: in a file `keyless enroll` made (the default), or in a PKCS#11
 * token on the device, where `keyless-credentials --make-csr` makes it and it never leaves (docs/keys-in-hardware.md).
 */
export const deviceKey = z
  .discriminatedUnion('store', [
    z
      .strictObject({
        store: oneOf(['file']).describe(
          'A key file: made by `keyless enroll` (or on the device for `--csr`).',
        ),
      })
      .describe('The key in a file on the device.'),
    z
      .strictObject({
        store: oneOf(['pkcs11']).describe(
          'A PKCS#11 token (SoftHSM2, a TPM through libtpm2-pkcs11, a secure element): the bundle carries no key.',
        ),
        token: label.describe('The token label (RFC 7512 `token=`).'),
        object: label
          .optional()
          .describe('The key label in the token (RFC 7512 `object=`). Default: the thing name.'),
        module: absolutePath
          .optional()
          .describe(
            'The PKCS#11 module on the device, e.g. /usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so. ' +
              'Default: the p11-kit proxy, which loads the modules p11-kit is configured with.',
          ),
        pinFile: absolutePath
          .optional()
          .describe(
            'A file on the device holding the user PIN, readable by the service user and nobody else. Omit it ' +
              'for a token without login.',
          ),
      })
      .describe('The key in a PKCS#11 token on the device.'),
  ])
  .describe('Where an X.509 device keeps its private key.');

export type DeviceKeyConfig = z.infer<typeof deviceKey>;
