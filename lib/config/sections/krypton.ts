import { z } from 'zod';
import { LIFECYCLE_RULES, NAME_RULES } from '../../contract';
import { flag, httpsUrl, iotName, matching, oneOf, quarantineDenyFits, quarantineTime } from '../rules';
import {
  alarmEmails,
  checkRotationTiming,
  refuseRotationInRoleMode,
  rotationTimingFields,
  soracomRoleFields,
} from './soracom-principal';

// How SORACOM Krypton signs `GetOpenIdTokenForDeveloperIdentity`: with an IAM user's access key
// (credential type `aws-credentials`) or by assuming a role (`aws-iam-role-credentials`).
const signer = z
  .discriminatedUnion(
    'mode',
    [
      z
        .strictObject({
          mode: z
            .literal('user')
            .describe('An IAM user whose access key SORACOM keeps and krypton.rotation rotates.'),
          keepLegacyAccessKey: flag()
            .default(false)
            .describe(
              'Only for upgrading an environment deployed when CloudFormation made the signer key: true keeps that ' +
                'user, key and secret in the stack until the first rotation has put a new key into SORACOM ' +
                '(npx keyless soracom register-krypton-credentials), so the upgrade cannot cut Krypton off. ' +
                'Remove it, and deploy again, after that.',
            ),
        })
        .describe(
          'An IAM user; krypton.rotation makes its keys, writes each into the SORACOM credential ' +
            'krypton.credentialId and retires the old one. CloudFormation makes no key.',
        ),
      z
        .strictObject(soracomRoleFields)
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

const quarantinedIdentity = z
  .strictObject({
    identityId: matching(LIFECYCLE_RULES.cognitoIdentityId).describe(
      "The SIM's Cognito identity id (its krypton/<id>/ prefix and device-table partition key).",
    ),
    quarantinedAt: quarantineTime.describe(
      'When it was quarantined (UTC, `YYYY-MM-DDThh:mm:ssZ`), for the record: the deny covers every session of ' +
        'the identity, whenever issued.',
    ),
  })
  .describe('One quarantined Krypton identity.');

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
    signer: signer.default({ mode: 'user', keepLegacyAccessKey: false }),
    credentialId: matching(NAME_RULES.soracomCredentialId).describe(
      'The SORACOM credential set id the SIM groups name (registered by npx keyless soracom register-krypton-credentials).',
    ),
    devices: z
      .array(kryptonDevice)
      .default([])
      .describe('SIM devices that get a Krypton bundle; names unique.'),
    quarantinedIdentities: z
      .array(quarantinedIdentity)
      .default([])
      .describe(
        'Krypton identities cut off: the device role denies every session of each (`cognito-identity.amazonaws.com:sub`), ' +
          'those issued before and any Krypton hands out later, from the deploy of the KryptonAccess stack until ' +
          'the deploy that follows its release. Written by `npx keyless device quarantine --identity-id` / `release`. ' +
          'Unique.',
      ),
    rotation: z
      .strictObject(rotationTimingFields)
      .optional()
      .describe(
        'When the signer access key rotates (signer mode user; 90 and 7 days when left out). It is written ' +
          'into krypton.credentialId in place. Refused with signer mode role.',
      ),
    alarmEmails,
  })
  .superRefine((krypton, ctx) => {
    if (krypton.signer.mode === 'role') refuseRotationInRoleMode(krypton, ctx, 'signer');
    else if (krypton.rotation !== undefined) checkRotationTiming(krypton.rotation, ctx, ['rotation']);
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
    const quarantined = new Set<string>();
    krypton.quarantinedIdentities.forEach((entry, index) => {
      if (quarantined.has(entry.identityId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['quarantinedIdentities', index, 'identityId'],
          input: entry.identityId,
          message: 'expected an identity id listed once',
        });
      }
      quarantined.add(entry.identityId);
    });
    const refusal = quarantineDenyFits(
      'identity',
      krypton.quarantinedIdentities.map((entry) => ({
        id: entry.identityId,
        quarantinedAt: entry.quarantinedAt,
      })),
    );
    if (refusal !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['quarantinedIdentities'],
        input: `${krypton.quarantinedIdentities.length} quarantined`,
        message: refusal,
      });
    }
  })
  .describe(
    'The Krypton flow: Cognito identity pool, the per-identity device role, and the principal Krypton signs with.',
  );

export type KryptonConfig = z.output<typeof kryptonSection>;

const kryptonRotation = z.strictObject(rotationTimingFields);

/** The signer key rotation's timing when krypton.rotation is left out (signer mode user). */
export function kryptonRotationDefaults(): z.output<typeof kryptonRotation> {
  return kryptonRotation.parse({});
}
