import type { KeylessConfigInput } from '../../../lib/config';
import { devConfig } from '../../support/cdk-app';
import { devConfigProblems } from '../../support/config-problems';

type ClosedNetworkInput = NonNullable<KeylessConfigInput['closedNetwork']>;

const IMPORTED: ClosedNetworkInput['vpc'] = {
  mode: 'import',
  vpcId: 'vpc-0123456789abcdef0',
  cidr: '10.30.0.0/16',
  routeTableIds: ['rtb-0123456789abcdef0'],
  subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
  availabilityZones: ['ap-northeast-1a', 'ap-northeast-1c'],
};

/** The dev config with its closedNetwork section changed (import mode when `vpc` is given). */
function closedNetwork(change: (network: ClosedNetworkInput) => void) {
  return (raw: KeylessConfigInput): void => change(raw.closedNetwork!);
}

const problems = (change: (network: ClosedNetworkInput) => void): string[] =>
  devConfigProblems(closedNetwork(change));

describe('closedNetwork config', () => {
  it('fills in the defaults', () => {
    const config = devConfig(
      closedNetwork((network) => {
        delete network.vpgCidr;
        delete network.prefix;
        delete network.interfaceEndpoints;
      }),
    );
    expect(config.closedNetwork).toEqual(
      expect.objectContaining({
        vpgCidr: '100.64.0.0/16',
        prefix: 'closed/',
        outsideAccessRoleArns: [],
        interfaceEndpoints: { iotCredentials: false, cognitoIdentity: false },
        flowLogRetentionDays: 365,
      }),
    );
  });

  it("accepts a region that is the environment's own, and a config with no closed network", () => {
    expect(problems((network) => (network.region = 'ap-northeast-1'))).toEqual([]);
    expect(devConfig((raw) => delete raw.closedNetwork).closedNetwork).toBeUndefined();
  });

  it('accepts an imported VPC named by ids', () => {
    const config = devConfig(closedNetwork((network) => (network.vpc = IMPORTED)));
    expect(config.closedNetwork?.vpc).toEqual(IMPORTED);
  });

  it.each<[string, (network: ClosedNetworkInput) => void, string]>([
    [
      'region other than the environment',
      (network) => (network.region = 'us-west-2'),
      `config/dev.json: closedNetwork.region: expected ap-northeast-1 (the device bucket's region): S3 gateway endpoints only reach buckets in their own region, got "us-west-2"`,
    ],
    [
      'VPC CIDR that is not a CIDR',
      (network) => (network.vpc.cidr = '10.20.0.0'),
      'config/dev.json: closedNetwork.vpc.cidr: expected an IPv4 CIDR block such as 10.0.0.0/16, got "10.20.0.0"',
    ],
    [
      'VPC CIDR with host bits set',
      (network) => (network.vpc.cidr = '10.20.1.0/16'),
      'config/dev.json: closedNetwork.vpc.cidr: expected a network address with the host bits zero such as 10.20.0.0/16, got "10.20.1.0/16"',
    ],
    [
      'VPC CIDR larger than AWS allows',
      (network) => (network.vpc.cidr = '10.0.0.0/8'),
      'config/dev.json: closedNetwork.vpc.cidr: expected a VPC CIDR block from /16 to /28 (the sizes AWS allows), got "10.0.0.0/8"',
    ],
    [
      'VPC CIDR overlapping the VPG range',
      (network) => (network.vpc.cidr = '100.64.16.0/20'),
      'config/dev.json: closedNetwork.vpc.cidr: expected a CIDR that does not overlap vpgCidr 100.64.0.0/16: the GatePeer routes the VPG range through Canal, got "100.64.16.0/20"',
    ],
    [
      'VPG CIDR with host bits set',
      (network) => (network.vpgCidr = '100.64.0.1/16'),
      'config/dev.json: closedNetwork.vpgCidr: expected a network address with the host bits zero such as 100.64.0.0/16, got "100.64.0.1/16"',
    ],
    [
      'VPC mode',
      (network) => (network.vpc = { mode: 'lookup' } as never),
      'config/dev.json: closedNetwork.vpc.mode: expected mode "import" or "create", got {"mode":"lookup"}',
    ],
    [
      'VPC id',
      (network) => (network.vpc = { ...IMPORTED, vpcId: 'vpc-XYZ' }),
      'config/dev.json: closedNetwork.vpc.vpcId: expected a VPC id such as vpc-0123456789abcdef0, got "vpc-XYZ"',
    ],
    [
      'route table id',
      (network) => (network.vpc = { ...IMPORTED, routeTableIds: ['rt-0123456789abcdef0'] }),
      'config/dev.json: closedNetwork.vpc.routeTableIds[0]: expected a route table id such as rtb-0123456789abcdef0, got "rt-0123456789abcdef0"',
    ],
    [
      'empty route table list',
      (network) => (network.vpc = { ...IMPORTED, routeTableIds: [] }),
      'config/dev.json: closedNetwork.vpc.routeTableIds: expected at least one route table id, got []',
    ],
    [
      'repeated route table id',
      (network) =>
        (network.vpc = { ...IMPORTED, routeTableIds: ['rtb-0123456789abcdef0', 'rtb-0123456789abcdef0'] }),
      'config/dev.json: closedNetwork.vpc.routeTableIds: expected distinct route table ids, got ["rtb-0123456789abcdef0","rtb-0123456789abcdef0"]',
    ],
    [
      'subnet id',
      (network) => (network.vpc = { ...IMPORTED, subnetIds: ['sn-1', 'subnet-0fedcba9876543210'] }),
      'config/dev.json: closedNetwork.vpc.subnetIds[0]: expected a subnet id such as subnet-0123456789abcdef0, got "sn-1"',
    ],
    [
      'subnet count that does not match the zones',
      (network) => (network.vpc = { ...IMPORTED, subnetIds: ['subnet-0123456789abcdef0'] }),
      'config/dev.json: closedNetwork.vpc.subnetIds: expected one subnet id per availability zone (2), in the order of availabilityZones, got ["subnet-0123456789abcdef0"]',
    ],
    [
      'availability zone',
      (network) => (network.vpc.availabilityZones = ['tokyo-a']),
      'config/dev.json: closedNetwork.vpc.availabilityZones[0]: expected an availability zone name such as ap-northeast-1a, got "tokyo-a"',
    ],
    [
      'peering connection id',
      (network) => (network.canalPeeringConnectionId = 'pcx-123'),
      'config/dev.json: closedNetwork.canalPeeringConnectionId: expected a peering connection id such as pcx-0123456789abcdef0, got "pcx-123"',
    ],
    [
      'prefix without a trailing slash',
      (network) => (network.prefix = 'closed'),
      'config/dev.json: closedNetwork.prefix: expected an S3 key prefix ending in / such as closed/, got "closed"',
    ],
    [
      'outside-access role that is not a role ARN',
      (network) => (network.outsideAccessRoleArns = ['arn:aws:iam::111111111111:user/alice']),
      'config/dev.json: closedNetwork.outsideAccessRoleArns[0]: expected an IAM role ARN such as arn:aws:iam::111111111111:role/data-processing, got "arn:aws:iam::111111111111:user/alice"',
    ],
    [
      'flow log retention CloudWatch Logs does not offer',
      (network) => (network.flowLogRetentionDays = 2),
      'config/dev.json: closedNetwork.flowLogRetentionDays: expected one of the retention periods CloudWatch Logs allows: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (days), got 2',
    ],
  ])('rejects a bad %s', (_rule, change, message) => {
    expect(() => devConfig(closedNetwork(change))).toThrow(message);
    expect(problems(change)).toEqual([message]);
  });

  it('reports every closedNetwork problem at once', () => {
    expect(
      problems((network) => {
        network.vpc = { ...IMPORTED, cidr: '10.30.0.0', subnetIds: ['subnet-0123456789abcdef0'] };
        network.vpgCidr = '100.64.0.1/16';
      }),
    ).toEqual([
      'config/dev.json: closedNetwork.vpc.cidr: expected an IPv4 CIDR block such as 10.0.0.0/16, got "10.30.0.0"',
      'config/dev.json: closedNetwork.vpgCidr: expected a network address with the host bits zero such as 100.64.0.0/16, got "100.64.0.1/16"',
      'config/dev.json: closedNetwork.vpc.subnetIds: expected one subnet id per availability zone (2), in the order of availabilityZones, got ["subnet-0123456789abcdef0"]',
    ]);
  });
});
