import { z } from 'zod';
import { BUCKET_LAYOUT, LIMITS, NAME_RULES } from '../../contract';
import { cidr, cidrRange, cidrsOverlap, flag, matching, region } from '../rules';

const retentionError = `expected one of the retention periods CloudWatch Logs allows: ${LIMITS.logRetentionDays.join(', ')} (days)`;

const availabilityZones = z
  .array(matching(NAME_RULES.availabilityZone))
  .min(1, { error: 'expected at least one availability zone' })
  .max(LIMITS.availabilityZones, {
    error: `expected at most ${LIMITS.availabilityZones} availability zones`,
  });

const importedVpc = z.strictObject({
  mode: z.literal('import'),
  vpcId: matching(NAME_RULES.vpcId),
  /** The VPC's CIDR (no lookups at synth). */
  cidr,
  /** The route tables of the GatePeer subnets: the gateway endpoint is attached to them. */
  routeTableIds: z
    .array(matching(NAME_RULES.routeTableId))
    .min(1, { error: 'expected at least one route table id' }),
  /** One subnet per availability zone, in the order of `availabilityZones` (interface endpoints go here). */
  subnetIds: z.array(matching(NAME_RULES.subnetId)).min(1, { error: 'expected at least one subnet id' }),
  availabilityZones,
});

const createdVpc = z.strictObject({
  mode: z.literal('create'),
  cidr,
  availabilityZones,
});

const roleArn = matching(NAME_RULES.roleArn);

/** The closed-network path: GatePeer VPC, S3 gateway endpoint, and the bucket side. */
export const closedNetworkSection = z
  .strictObject({
    /** The GatePeer VPC's region; must be the environment's (gateway endpoints are regional). */
    region: region.optional(),
    vpc: z.discriminatedUnion('mode', [importedVpc, createdVpc], {
      error: 'expected mode "import" or "create"',
    }),
    /** The SORACOM VPG's range (the VXLAN peer of the GatePeer, reached through Canal). */
    vpgCidr: cidr.default('100.64.0.0/16'),
    /** Objects under this prefix are reachable only through the gateway endpoint. */
    prefix: matching(NAME_RULES.keyPrefix).default(BUCKET_LAYOUT.closed),
    /**
     * Roles that may still read and write the closed prefix from outside the endpoint (processing jobs,
     * break-glass). Empty by default: only traffic through the endpoint reaches the prefix.
     */
    outsideAccessRoleArns: z.array(roleArn).default([]),
    /** The SORACOM Canal VPC peering connection, to route replies to the VPG range. */
    canalPeeringConnectionId: matching(NAME_RULES.peeringConnectionId).optional(),
    interfaceEndpoints: z
      .strictObject({
        iotCredentials: flag().default(false),
        cognitoIdentity: flag().default(false),
      })
      .default({ iotCredentials: false, cognitoIdentity: false }),
    /** Days VPC flow log records are kept. */
    flowLogRetentionDays: z
      .int({ error: retentionError })
      .refine((days) => LIMITS.logRetentionDays.includes(days), { error: retentionError })
      .default(365),
  })
  .superRefine((network, ctx) => {
    const problem = (path: (string | number)[], input: unknown, message: string): void => {
      ctx.addIssue({ code: 'custom', path, input, message });
    };
    // Zod runs this refinement even when a field failed above: judge only what is well-formed.
    const vpcCidr = network.vpc.cidr;
    const wellFormed = (block: unknown): block is string => cidr.safeParse(block).success;
    for (const [path, block] of [
      [['vpc', 'cidr'], vpcCidr],
      [['vpgCidr'], network.vpgCidr],
    ] as const) {
      if (wellFormed(block) && cidrRange(block).first !== addressOf(block)) {
        problem(
          [...path],
          block,
          `expected a network address with the host bits zero such as ${canonical(block)}`,
        );
      }
    }
    if (wellFormed(vpcCidr)) {
      const bits = Number(vpcCidr.split('/')[1]);
      const { min, max } = LIMITS.vpcPrefixLength;
      if (bits < min || bits > max) {
        problem(
          ['vpc', 'cidr'],
          vpcCidr,
          `expected a VPC CIDR block from /${min} to /${max} (the sizes AWS allows)`,
        );
      }
      if (wellFormed(network.vpgCidr) && cidrsOverlap(vpcCidr, network.vpgCidr)) {
        problem(
          ['vpc', 'cidr'],
          vpcCidr,
          `expected a CIDR that does not overlap vpgCidr ${network.vpgCidr}: the GatePeer routes the VPG range through Canal`,
        );
      }
    }
    if (network.vpc.mode === 'import') {
      const { routeTableIds, subnetIds, availabilityZones: zones } = network.vpc;
      if (Array.isArray(routeTableIds) && new Set(routeTableIds).size !== routeTableIds.length) {
        problem(['vpc', 'routeTableIds'], routeTableIds, 'expected distinct route table ids');
      }
      if (Array.isArray(subnetIds) && Array.isArray(zones) && subnetIds.length !== zones.length) {
        problem(
          ['vpc', 'subnetIds'],
          subnetIds,
          `expected one subnet id per availability zone (${zones.length}), in the order of availabilityZones`,
        );
      }
    }
  });

function addressOf(block: string): number {
  return block
    .split('/')[0]
    .split('.')
    .reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function canonical(block: string): string {
  const { first } = cidrRange(block);
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(first / 2 ** shift) % 256);
  return `${octets.join('.')}/${block.split('/')[1]}`;
}

export type ClosedNetworkConfig = z.output<typeof closedNetworkSection>;
