import { z } from 'zod';
import { LIMITS, NAME_RULES } from '../contract';
import { accountId, flag, intRange, matching, oneOf, region, text } from './rules';
import { closedNetworkSection } from './sections/closed-network';
import { funnelSection } from './sections/funnel';
import { iotSection } from './sections/iot';
import { kryptonSection } from './sections/krypton';

/** The Data stack: what devices write to and read from. */
export const dataSection = z.strictObject({
  /** Days a replaced or deleted object version is kept before S3 expires it. */
  noncurrentVersionExpirationDays: intRange(LIMITS.noncurrentVersionExpirationDays).default(90),
  /** Days server access logs are kept. */
  accessLogExpirationDays: intRange(LIMITS.accessLogExpirationDays).default(365),
  /** The table every device may read (Krypton devices scan it). */
  referenceTable: z
    .strictObject({
      partitionKey: matching(NAME_RULES.dynamoDbAttributeName).default('id'),
      sortKey: matching(NAME_RULES.dynamoDbAttributeName).optional(),
    })
    .default({ partitionKey: 'id' }),
  /** The table devices write to, one partition per device identity. */
  deviceTable: z
    .strictObject({
      partitionKey: matching(NAME_RULES.dynamoDbAttributeName).default('deviceId'),
      sortKey: matching(NAME_RULES.dynamoDbAttributeName).default('sk'),
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
    tags: z.record(matching(NAME_RULES.tagKey), matching(NAME_RULES.tagValue)).default({}),
    data: dataSection.default(dataSection.parse({})),
    iot: iotSection.optional(),
    krypton: kryptonSection.optional(),
    closedNetwork: closedNetworkSection.optional(),
    funnel: funnelSection.optional(),
    /** Unused by synthesis; lets a file say what it is for. */
    description: text(LIMITS.configDescriptionLength).optional(),
    /** Set to true in *.example.json files so they are never deployed by mistake. */
    example: flag().optional(),
  })
  .superRefine((config, ctx) => {
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
