import { z } from 'zod';
import { cidr, cidrsOverlap, flag, intRange, matching, region } from '../rules';

const availabilityZones = z
  .array(matching(/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/, 'an availability zone name such as ap-northeast-1a'))
  .min(1, { error: 'expected at least one availability zone' })
  .max(3, { error: 'expected at most 3 availability zones' });

const importedVpc = z.strictObject({
  mode: z.literal('import'),
  vpcId: matching(/^vpc-[0-9a-f]{8}([0-9a-f]{9})?$/, 'a VPC id such as vpc-0123456789abcdef0'),
  /** The VPC's CIDR (no lookups at synth). */
  cidr,
  /** The route tables of the GatePeer subnets: the gateway endpoint is attached to them. */
  routeTableIds: z
    .array(matching(/^rtb-[0-9a-f]{8}([0-9a-f]{9})?$/, 'a route table id such as rtb-0123456789abcdef0'))
    .min(1, { error: 'expected at least one route table id' }),
  subnetIds: z
    .array(matching(/^subnet-[0-9a-f]{8}([0-9a-f]{9})?$/, 'a subnet id such as subnet-0123456789abcdef0'))
    .min(1, { error: 'expected at least one subnet id' }),
  availabilityZones,
});

const createdVpc = z.strictObject({
  mode: z.literal('create'),
  cidr,
  availabilityZones,
});

/** The closed-network path: GatePeer VPC, S3 gateway endpoint, and the bucket side. */
export const closedNetworkSection = z
  .strictObject({
    /** The GatePeer VPC's region; must be the environment's (gateway endpoints are regional). */
    region: region.optional(),
    vpc: z.discriminatedUnion('mode', [importedVpc, createdVpc], {
      error: 'expected mode "import" or "create"',
    }),
    /** The SORACOM VPG's device subnet. */
    vpgCidr: cidr.default('100.64.0.0/16'),
    /** Objects under this prefix are reachable only through the gateway endpoint. */
    prefix: matching(/^[\w.-]+(\/[\w.-]+)*\/$/, 'an S3 key prefix ending in / such as closed/').default(
      'closed/',
    ),
    /** The SORACOM Canal VPC peering connection, to route replies to the VPG range. */
    canalPeeringConnectionId: matching(
      /^pcx-[0-9a-f]{8}([0-9a-f]{9})?$/,
      'a peering connection id such as pcx-0123456789abcdef0',
    ).optional(),
    interfaceEndpoints: z
      .strictObject({
        iotCredentials: flag().default(false),
        cognitoIdentity: flag().default(false),
      })
      .default({ iotCredentials: false, cognitoIdentity: false }),
    flowLogRetentionDays: intRange(1, 3653, ' days').default(365),
  })
  .superRefine((network, ctx) => {
    if (cidrsOverlap(network.vpc.cidr, network.vpgCidr)) {
      ctx.addIssue({
        code: 'custom',
        path: ['vpc', 'cidr'],
        input: network.vpc.cidr,
        message: `expected a CIDR that does not overlap vpgCidr ${network.vpgCidr}: the GatePeer routes the VPG range through Canal`,
      });
    }
  });

export type ClosedNetworkConfig = z.output<typeof closedNetworkSection>;
