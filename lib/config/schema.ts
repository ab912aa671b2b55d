import { z } from 'zod';
import { FunnelCredentialIds } from '../soracom/funnel-credential-ids';
import {
  COMPLIANCE_PACKS,
  LIMITS,
  NAME_RULES,
  PRODUCTION_COMPLIANCE_PACKS,
  type CompliancePack,
} from '../contract';
import { accountId, flag, intRange, matching, oneOf, region, text } from './rules';
import { auditSection } from './sections/audit';
import { closedNetworkSection } from './sections/closed-network';
import { checkDeploymentAccount, deploymentSection } from './sections/deployment';
import { funnelSection } from './sections/funnel';
import { iotSection } from './sections/iot';
import { kryptonSection } from './sections/krypton';
import { checkExternalIds } from './sections/soracom-principal';

// Every field carries its description (`.describe`): docs/configuration.md and config/keyless.schema.json are
// generated from it (`npm run docs:config`), so the schema stays the one place a field is explained.

export const dataSection = z
  .strictObject({
    noncurrentVersionExpirationDays: intRange(LIMITS.noncurrentVersionExpirationDays)
      .default(90)
      .describe(
        'Days a replaced or deleted object version of the device bucket is kept before S3 expires it.',
      ),
    accessLogExpirationDays: intRange(LIMITS.accessLogExpirationDays)
      .default(365)
      .describe('Days the server access logs of the device bucket are kept.'),
    referenceTable: z
      .strictObject({
        partitionKey: matching(NAME_RULES.dynamoDbAttributeName)
          .default('id')
          .describe('Partition key attribute (string).'),
        sortKey: matching(NAME_RULES.dynamoDbAttributeName)
          .optional()
          .describe('Sort key attribute (string); none by default.'),
      })
      .default({ partitionKey: 'id' })
      .describe(
        'The DynamoDB table every device may read (Krypton devices scan it; it is read-only for all).',
      ),
    deviceTable: z
      .strictObject({
        partitionKey: matching(NAME_RULES.dynamoDbAttributeName)
          .default('deviceId')
          .describe(
            'Partition key attribute (string): each Krypton device may only use its own identity id here.',
          ),
        sortKey: matching(NAME_RULES.dynamoDbAttributeName)
          .default('sk')
          .describe('Sort key attribute (string).'),
      })
      .default({ partitionKey: 'deviceId', sortKey: 'sk' })
      .describe('The DynamoDB table devices write to, one partition per device identity.'),
  })
  .describe('The Data stack: the device bucket, the two tables, the device secret and its key.');

export const configSchema = z
  .strictObject({
    $schema: z
      .string()
      .optional()
      .describe(
        'The JSON Schema editors validate this file against (./keyless.schema.json); ignored by synth.',
      ),
    account: accountId.describe('The 12-digit AWS account the environment deploys to.'),
    region: region.describe('The AWS region the environment deploys to, e.g. ap-northeast-1.'),
    removalPolicy: oneOf(['retain', 'destroy'])
      .default('retain')
      .describe(
        'What happens to stateful resources (bucket, tables, secret, key) when their stack is deleted. `retain` ' +
          'keeps them and turns on termination protection and table deletion protection; `destroy` deletes them ' +
          '(emptying the buckets first): only for throw-away environments.',
      ),
    compliancePacks: z
      .array(oneOf(COMPLIANCE_PACKS))
      .refine((packs) => new Set(packs).size === packs.length, 'expected each pack once')
      .optional()
      .describe(
        'cdk-nag compliance packs that gate synth next to AWS Solutions: every finding must be fixed or ' +
          'acknowledged next to its resource. Default: `["nist-800-53-r5"]` when removalPolicy is `retain` ' +
          '(production), none otherwise; `[]` turns the gate off. Add `hipaa-security` or `pci-dss-3.2.1` when you ' +
          'must show them (docs/security.md).',
      ),
    tags: z
      .record(matching(NAME_RULES.tagKey), matching(NAME_RULES.tagValue))
      .default({})
      .describe('Extra tags on every resource (Project and Environment are always set).'),
    data: dataSection.default(dataSection.parse({})),
    iot: iotSection.optional(),
    krypton: kryptonSection.optional(),
    closedNetwork: closedNetworkSection.optional(),
    funnel: funnelSection.optional(),
    audit: auditSection.optional(),
    deployment: deploymentSection.optional(),
    description: text(LIMITS.configDescriptionLength)
      .optional()
      .describe('What the file is for; unused by synth.'),
    example: flag()
      .optional()
      .describe(
        'Marks a template (config/*.example.json): its external ids must be placeholders, and an environment ' +
          'file (config/<env>.json) that carries the flag is refused by synth, cdk deploy and the CLI. Remove it ' +
          'when you copy a template, once you have set the account and your own external ids.',
      ),
  })
  .superRefine((config, ctx) => {
    const kryptonId = config.krypton?.credentialId;
    const strategy = config.funnel?.rotation?.strategy;
    // The Funnel rotation overwrites its credential (update-in-place) or takes every id of its shape for its own
    // (new-credential): neither may ever be the credential Krypton signs with. SORACOM does not document whether
    // credential ids are case-sensitive, so letter case does not make two ids different here.
    if (kryptonId !== undefined && strategy?.type === 'update-in-place') {
      if (strategy.credentialId.toLowerCase() === kryptonId.toLowerCase()) {
        ctx.addIssue({
          code: 'custom',
          path: ['funnel', 'rotation', 'strategy', 'credentialId'],
          input: strategy.credentialId,
          message:
            `expected a SORACOM credential id other than krypton.credentialId (${kryptonId}, in any letter case): ` +
            'the rotation would overwrite the credential Krypton signs with',
        });
      }
    }
    if (kryptonId !== undefined && strategy?.type === 'new-credential') {
      const ids = new FunnelCredentialIds(strategy.credentialPrefix);
      if (ids.couldCreate(kryptonId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['funnel', 'rotation', 'strategy', 'credentialPrefix'],
          input: strategy.credentialPrefix,
          message:
            `expected a prefix whose credential ids (${ids.shape}) can never be krypton.credentialId ` +
            `(${kryptonId}, in any letter case): the rotation would take the credential Krypton signs with for one of its own`,
        });
      }
    }
    // Role mode registers its role credential at publisher.credentialId: overwriting Krypton's would hand Krypton
    // a role that may only publish, and leave the signer without a credential (issue 15).
    const funnelPublisher = config.funnel?.publisher;
    if (kryptonId !== undefined && funnelPublisher?.mode === 'role') {
      if (funnelPublisher.credentialId.toLowerCase() === kryptonId.toLowerCase()) {
        ctx.addIssue({
          code: 'custom',
          path: ['funnel', 'publisher', 'credentialId'],
          input: funnelPublisher.credentialId,
          message:
            `expected a SORACOM credential id other than krypton.credentialId (${kryptonId}, in any letter case): ` +
            'registering the Funnel role would overwrite the credential Krypton signs with',
        });
      }
    }
    // Gateway endpoints serve their own region only: a closed network in another region cannot reach the bucket.
    const endpointRegion = config.closedNetwork?.region;
    if (endpointRegion !== undefined && endpointRegion !== config.region) {
      ctx.addIssue({
        code: 'custom',
        path: ['closedNetwork', 'region'],
        input: endpointRegion,
        message: `expected ${config.region} (the device bucket's region): S3 gateway endpoints only reach buckets in their own region`,
      });
    }
  })
  .superRefine(checkDeploymentAccount)
  .superRefine(checkExternalIds)
  .describe(
    'The configuration of one keyless-iot environment: config/<env>.json, selected with -c env=<env>.',
  );

export type KeylessConfigInput = z.input<typeof configSchema>;
export type KeylessConfigBody = z.output<typeof configSchema>;
export type DataConfig = KeylessConfigBody['data'];

/** The compliance packs an environment's synth gates on: its own list, else NIST 800-53 rev 5 in production. */
export function compliancePacksOf(config: KeylessConfigBody): readonly CompliancePack[] {
  return config.compliancePacks ?? (config.removalPolicy === 'retain' ? PRODUCTION_COMPLIANCE_PACKS : []);
}
