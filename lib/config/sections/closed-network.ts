import { z } from 'zod';
import { BUCKET_LAYOUT, LIMITS, NAME_RULES } from '../../contract';
import { cidr, cidrRange, cidrsOverlap, flag, matching, region } from '../rules';

const retentionError = `expected one of the retention periods CloudWatch Logs allows: ${LIMITS.logRetentionDays.join(', ')} (days)`;

const availabilityZones = z
  .array(matching(NAME_RULES.availabilityZone))
  .min(1, { error: 'expected at least one availability zone' })
  .max(LIMITS.availabilityZones, {
    error: `expected at most ${LIMITS.availabilityZones} availability zones`,
  })
  .describe('The availability zones of the GatePeer subnets (in the file, so synth never looks them up).');

const importedVpc = z
  .strictObject({
    mode: z.literal('import').describe('Use an existing VPC, named by id.'),
    vpcId: matching(NAME_RULES.vpcId).describe('The VPC id.'),
    cidr: cidr.describe(
      "The VPC's CIDR (in the file: no lookups at synth); /16 to /28, a network address, not overlapping vpgCidr.",
    ),
    routeTableIds: z
      .array(matching(NAME_RULES.routeTableId))
      .min(1, { error: 'expected at least one route table id' })
      .describe(
        'The route tables of the GatePeer subnets, distinct: the gateway endpoint is attached to them.',
      ),
    subnetIds: z
      .array(matching(NAME_RULES.subnetId))
      .min(1, { error: 'expected at least one subnet id' })
      .describe(
        'One subnet per availability zone, in the order of availabilityZones (interface endpoints go here).',
      ),
    availabilityZones,
  })
  .describe('An existing VPC, imported by id.');

const createdVpc = z
  .strictObject({
    mode: z.literal('create').describe('Create the VPC.'),
    cidr: cidr.describe("The new VPC's CIDR: /16 to /28, a network address, not overlapping vpgCidr."),
    availabilityZones,
  })
  .describe('A new VPC: one isolated subnet per zone, no NAT gateway, no internet gateway.');

// IAM role ARNs (a `*` may stand for a generated suffix, as in AWSReservedSSO_Admin_*).
const roleArn = matching(NAME_RULES.roleArn);

export const closedNetworkSection = z
  .strictObject({
    region: region
      .optional()
      .describe(
        "The GatePeer VPC's region (default: the environment's region); must equal region: S3 gateway " +
          'endpoints reach buckets in their own region only.',
      ),
    vpc: z
      .discriminatedUnion('mode', [importedVpc, createdVpc], {
        error: 'expected mode "import" or "create"',
      })
      .describe('The GatePeer VPC: {"mode":"create",…} or {"mode":"import",…}.'),
    vpgCidr: cidr
      .default('100.64.0.0/16')
      .describe(
        "The SORACOM VPG's range: the VXLAN peer of the GatePeer and the destination of the Canal routes. " +
          'A network address (host bits zero).',
      ),
    prefix: matching(NAME_RULES.keyPrefix)
      .default(BUCKET_LAYOUT.closed)
      .describe('Key prefix of the device bucket reachable only through the gateway endpoint.'),
    outsideAccessRoleArns: z
      .array(roleArn)
      .default([])
      .describe(
        'IAM role ARNs still allowed on the closed prefix from outside the endpoint (processing jobs, ' +
          'break-glass); a * may stand for a generated suffix (AWSReservedSSO_Admin_*). Empty by default: only ' +
          'traffic through the endpoint reaches the prefix.',
      ),
    canalPeeringConnectionId: matching(NAME_RULES.peeringConnectionId)
      .optional()
      .describe(
        'The SORACOM Canal VPC peering connection: vpgCidr is routed through it from every GatePeer route table.',
      ),
    interfaceEndpoints: z
      .strictObject({
        iotCredentials: flag()
          .default(false)
          .describe(
            'An interface endpoint for the AWS IoT credentials provider (no private DNS: devices need a private ' +
              'hosted zone record or their own DNS for it).',
          ),
        cognitoIdentity: flag()
          .default(false)
          .describe('An interface endpoint for Cognito identity (private DNS).'),
      })
      .default({ iotCredentials: false, cognitoIdentity: false })
      .describe('Interface endpoints for the credential exchange, inside the GatePeer VPC.'),
    flowLogRetentionDays: z
      .int({ error: retentionError })
      .refine((days) => LIMITS.logRetentionDays.includes(days), { error: retentionError })
      .default(365)
      .describe(
        `Days VPC flow log records are kept: one of CloudWatch Logs' retention periods (${LIMITS.logRetentionDays.join(', ')}).`,
      ),
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
  })
  .describe(
    'The closed-network path (SORACOM Canal/Gate): GatePeer VPC, S3 gateway endpoint, and the bucket side.',
  );

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
