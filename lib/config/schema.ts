import { z } from 'zod';
import { FunnelCredentialIds } from '../soracom/funnel-credential-ids';
import { accountId, attributeName, flag, intRange, matching, oneOf, region } from './rules';
import { closedNetworkSection } from './sections/closed-network';
import { funnelSection } from './sections/funnel';
import { iotSection } from './sections/iot';
import { kryptonSection } from './sections/krypton';

/** The Data stack: what devices write to and read from. */
export const dataSection = z.strictObject({
  /** Days a replaced or deleted object version is kept before S3 expires it. */
  noncurrentVersionExpirationDays: intRange(1, 3650, ' days').default(90),
  /** Days server access logs are kept. */
  accessLogExpirationDays: intRange(1, 3650, ' days').default(365),
  /** The table every device may read (Krypton devices scan it). */
  referenceTable: z
    .strictObject({
      partitionKey: attributeName.default('id'),
      sortKey: attributeName.optional(),
    })
    .default({ partitionKey: 'id' }),
  /** The table devices write to, one partition per device identity. */
  deviceTable: z
    .strictObject({
      partitionKey: attributeName.default('deviceId'),
      sortKey: attributeName.default('sk'),
    })
    .default({ partitionKey: 'deviceId', sortKey: 'sk' }),
});

export const configSchema = z
  .strictObject({
    /** The AWS account the environment deploys to. */
    account: accountId,
    /** The AWS region the environment deploys to. */
    region,
    /**
     * What happens to stateful resources (bucket, tables, secret, key) when their stack is deleted.
     * `retain` also turns on termination protection and deletion protection. Use `destroy` only for
     * throw-away environments.
     */
    removalPolicy: oneOf(['retain', 'destroy']).default('retain'),
    /** Extra tags on every resource (Project and Environment are always set). */
    tags: z
      .record(
        matching(/^[\w .:/=+@-]{1,128}$/, 'a tag key of 1-128 letters, digits, spaces and _ . : / = + - @'),
        matching(
          /^[\w .:/=+@-]{0,256}$/,
          'a tag value of at most 256 letters, digits, spaces and _ . : / = + - @',
        ),
      )
      .default({}),
    data: dataSection.default(dataSection.parse({})),
    iot: iotSection.optional(),
    krypton: kryptonSection.optional(),
    closedNetwork: closedNetworkSection.optional(),
    funnel: funnelSection.optional(),
    /** Unused by synthesis; lets a file say what it is for. */
    description: z.string().max(1024).optional(),
    /** Set to true in *.example.json files so they are never deployed by mistake. */
    example: flag().optional(),
  })
  .superRefine((config, ctx) => {
    const kryptonId = config.krypton?.credentialId;
    const strategy = config.funnel?.rotation.strategy;
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
  });

export type KeylessConfigInput = z.input<typeof configSchema>;
export type KeylessConfigBody = z.output<typeof configSchema>;
export type DataConfig = KeylessConfigBody['data'];
