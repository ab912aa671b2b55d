import { z } from 'zod';
import { NAME_RULES } from '../../contract';
import { accountId, httpsUrl, iotName, matching, oneOf } from '../rules';

// How SORACOM Krypton signs `GetOpenIdTokenForDeveloperIdentity`: with an IAM user's access key
// (credential type `aws-credentials`) or by assuming a role (`aws-iam-role-credentials`).
const signer = z
  .discriminatedUnion(
    'mode',
    [
      z
        .strictObject({ mode: z.literal('user').describe('An IAM user whose access key SORACOM keeps.') })
        .describe(
          'An IAM user; the stack creates its access key into the Secrets Manager secret ' +
            'named by the KryptonAccess stack output SignerCredentialsSecretArn. A long-term key that nothing rotates: prefer role mode.',
        ),
      z
        .strictObject({
          mode: z.literal('role').describe("A role SORACOM's AWS account assumes."),
          soracomAccountId: accountId.describe(
            "The SORACOM AWS account that assumes the role (shown in the SORACOM console's credential store).",
          ),
          externalId: matching(NAME_RULES.externalId).describe(
            'The external id SORACOM shows for the credential; required so no one else can assume the role.',
          ),
        })
        .describe('A role SORACOM assumes with your external id: no long-term key anywhere.'),
    ],
    { error: 'expected mode "user" or "role"' },
  )
  .describe(
    'Who SORACOM Krypton signs GetOpenIdTokenForDeveloperIdentity as: {"mode":"user"} or ' +
      '{"mode":"role","soracomAccountId":…,"externalId":…}.',
  );

const kryptonDevice = z
  .strictObject({
    name: iotName.describe("A name for the device's bundle (the SIM's name or IMSI, say); unique."),
    mode: oneOf(['credentials', 'open-id-token'])
      .default('credentials')
      .describe('One hop (credentials) or two (open-id-token, then Cognito GetCredentialsForIdentity).'),
  })
  .describe('A SIM device that gets a Krypton bundle.');

export const kryptonSection = z
  .strictObject({
    identityPoolName: matching(NAME_RULES.identityPoolName).describe('The Cognito identity pool name.'),
    developerProviderName: matching(NAME_RULES.developerProviderName).describe(
      'The developer provider name Krypton uses. Cognito cannot change it once the pool exists: a new name ' +
        'means a new identity pool and new identity ids for every SIM. Choose it once.',
    ),
    coverage: oneOf(['jp', 'global'])
      .default('jp')
      .describe('SORACOM coverage: jp (api.soracom.io) or global (g.api.soracom.io).'),
    endpoint: httpsUrl
      .optional()
      .describe(
        'The Krypton endpoint written into SIM bundles. Default for coverage jp: https://krypton.soracom.io:8036 ' +
          '(documented by SORACOM for SIMs on SORACOM Air); required for global, for which SORACOM documents none.',
      ),
    signer: signer.default({ mode: 'user' }),
    credentialId: matching(NAME_RULES.soracomCredentialId).describe(
      'The SORACOM credential set id the SIM groups name (registered by npx keyless soracom register-krypton-credentials).',
    ),
    devices: z
      .array(kryptonDevice)
      .default([])
      .describe('SIM devices that get a Krypton bundle; names unique.'),
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
  })
  .describe(
    'The Krypton flow: Cognito identity pool, the per-identity device role, and the principal Krypton signs with.',
  );

export type KryptonConfig = z.output<typeof kryptonSection>;
