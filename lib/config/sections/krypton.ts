import { z } from 'zod';
import { accountId, httpsUrl, iotName, matching, oneOf } from '../rules';

/**
 * How SORACOM Krypton signs `GetOpenIdTokenForDeveloperIdentity`: with an IAM user's access key
 * (credential type `aws-credentials`) or by assuming a role (`aws-iam-role-credentials`).
 */
const signer = z.discriminatedUnion(
  'mode',
  [
    z.strictObject({ mode: z.literal('user') }),
    z.strictObject({
      mode: z.literal('role'),
      /** The SORACOM AWS account that assumes the role (shown in the SORACOM console's credential store). */
      soracomAccountId: accountId,
      /** The external id SORACOM shows for the credential; required so no one else can assume the role. */
      externalId: matching(/^[\w+=,.@:/-]{2,1224}$/, '2-1224 characters from a-z A-Z 0-9 _ + = , . @ : / -'),
    }),
  ],
  { error: 'expected mode "user" or "role"' },
);

const kryptonDevice = z.strictObject({
  /** A name for the device's bundle (the SIM's name or IMSI, say). */
  name: iotName,
  /** One hop (`credentials`) or two (`open-id-token`, then Cognito). */
  mode: oneOf(['credentials', 'open-id-token']).default('credentials'),
});

/** The Krypton flow: Cognito identity pool, authenticated role, and the principal Krypton signs with. */
export const kryptonSection = z
  .strictObject({
    /** Cognito's limit: 1-128 characters from `[\w +=,.@-]`. */
    identityPoolName: matching(
      /^[\w +=,.@-]{1,128}$/,
      '1-128 characters from a-z A-Z 0-9 _ space + = , . @ -',
    ),
    /**
     * The developer provider name. Cognito cannot change it once the pool exists: changing it here means a
     * new identity pool and new identity ids for every device. Cognito's limit: 1-128 characters from `[\w._-]`.
     */
    developerProviderName: matching(/^[\w._-]{1,128}$/, '1-128 characters from a-z A-Z 0-9 _ . -'),
    /** SORACOM coverage: `jp` (api.soracom.io) or `global` (g.api.soracom.io). */
    coverage: oneOf(['jp', 'global']).default('jp'),
    /**
     * The Krypton endpoint this environment's SIMs call, written into their bundles. Optional for coverage
     * `jp`: the default is `https://krypton.soracom.io:8036`, the endpoint SORACOM documents for SIMs
     * authenticated by their SORACOM Air session. Needed for `global`, for which no SORACOM source names an
     * endpoint: `keyless bundle` refuses to guess one (docs/device-helper.md#krypton-endpoint).
     */
    endpoint: httpsUrl
      .optional()
      .describe(
        'The Krypton endpoint written into SIM bundles. Default for coverage jp: https://krypton.soracom.io:8036 ' +
          '(documented by SORACOM for SIMs on SORACOM Air); required for global, for which SORACOM documents none.',
      ),
    signer: signer.default({ mode: 'user' }),
    /** The SORACOM credential store entry id Krypton uses. */
    credentialId: matching(/^[\w-]{1,100}$/, '1-100 characters from a-z A-Z 0-9 _ -'),
    /** SIM devices that get a Krypton bundle. */
    devices: z.array(kryptonDevice).default([]),
  })
  .superRefine((krypton, ctx) => {
    // Bundles are named after the device: two entries with one name would overwrite each other's bundle.
    const seen = new Set<string>();
    krypton.devices.forEach((device, index) => {
      if (seen.has(device.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['devices', index, 'name'],
          input: device.name,
          message: 'expected a name no other Krypton device uses',
        });
      }
      seen.add(device.name);
    });
  });

export type KryptonConfig = z.output<typeof kryptonSection>;
