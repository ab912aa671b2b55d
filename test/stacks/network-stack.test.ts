import * as path from 'node:path';
import { Stack, type CfnResource } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { loadConfigFile, type KeylessConfig } from '../../lib/config';
import { CLOSED_PREFIX_ACTIONS } from '../../lib/constructs/closed-network-bucket-policy';
import { CredentialsProviderRole } from '../../lib/constructs/credentials-provider-role';
import { createEnvironmentStacks } from '../../lib/stacks/environment';
import { CONFIG_DIR, devConfig, nagViolations, testApp } from '../support/cdk-app';
import { evaluatePolicies, flattenIntrinsics, type PolicyDocumentJson } from '../support/policy-evaluator';
import { bundledFunctionCode } from '../support/function-bundles';

const ACCOUNT = '111111111111';
const BUCKET = `keyless-iot-dev-${ACCOUNT}-ap-northeast-1`;
const ENDPOINT = 'vpce-0123456789abcdef0';

function environment(config: KeylessConfig) {
  const app = testApp();
  const stacks = createEnvironmentStacks(app, config, { functionCode: bundledFunctionCode() });
  const assembly = app.synth();
  return { app, stacks, assembly, network: stacks.network!, data: stacks.data };
}

const logicalIdOf = (stack: Stack, construct: IConstruct): string =>
  stack.resolve((construct.node.defaultChild as CfnResource).logicalId) as string;

describe('NetworkStack', () => {
  describe('with a created VPC (config/dev.json)', () => {
    const { network, data, assembly } = environment(devConfig());
    const template = Template.fromStack(network);
    const routeTables = Object.keys(template.findResources('AWS::EC2::RouteTable')).map((id) => ({
      Ref: id,
    }));

    it('is named for the environment and needs no lookups to synthesize', () => {
      expect(network.stackName).toBe('KeylessIot-dev-Network');
      expect(assembly.manifest.missing ?? []).toEqual([]);
      template.resourceCountIs('AWS::EC2::VPC', 1);
      template.resourceCountIs('AWS::EC2::NatGateway', 0);
    });

    it('puts the S3 gateway endpoint on every GatePeer route table, limited to the device bucket', () => {
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Gateway',
        ServiceName: 'com.amazonaws.ap-northeast-1.s3',
        RouteTableIds: routeTables,
        PolicyDocument: {
          Statement: [
            Match.objectLike({
              Effect: 'Allow',
              Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
            }),
          ],
        },
      });
    });

    it('routes the VPG range through Canal, admits VXLAN from it, and logs flows', () => {
      template.resourceCountIs('AWS::EC2::Route', routeTables.length);
      template.hasResourceProperties('AWS::EC2::Route', {
        DestinationCidrBlock: '100.64.0.0/16',
        VpcPeeringConnectionId: 'pcx-0123456789abcdef0',
      });
      template.hasResourceProperties('AWS::EC2::SecurityGroup', {
        SecurityGroupIngress: [
          Match.objectLike({ CidrIp: '100.64.0.0/16', IpProtocol: 'udp', FromPort: 4789 }),
        ],
      });
      template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL' });
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: '/keyless-iot/dev/gatepeer-vpc-flow-logs',
        RetentionInDays: 365,
      });
    });

    it('creates the interface endpoints the config asks for', () => {
      template.resourceCountIs('AWS::EC2::VPCEndpoint', 3);
      for (const service of ['iot.credentials', 'cognito-identity']) {
        template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
          ServiceName: `com.amazonaws.ap-northeast-1.${service}`,
          VpcEndpointType: 'Interface',
        });
      }
    });

    it('outputs the endpoint id, the VPC id and the route table ids', () => {
      template.hasOutput('GatewayEndpointId', { Value: { Ref: logicalIdOf(network, network.s3Endpoint) } });
      template.hasOutput('VpcId', { Value: { Ref: logicalIdOf(network, network.gatePeer.vpc) } });
      template.hasOutput('RouteTableIds', { Value: { 'Fn::Join': [',', routeTables] } });
    });

    it('depends on nothing in the Data stack, while the Data stack depends on it (no cycle)', () => {
      expect(network.dependencies).toEqual([]);
      expect(data.dependencies).toContain(network);
      expect(JSON.stringify(template.toJSON())).not.toContain('Fn::ImportValue');
    });

    it('gives the device bucket one bucket policy, holding the closed-prefix statement with the endpoint id', () => {
      const dataTemplate = Template.fromStack(data);
      const bucketId = logicalIdOf(data, data.deviceData.bucket);
      const policies = dataTemplate.findResources('AWS::S3::BucketPolicy', {
        Properties: { Bucket: { Ref: bucketId } },
      });
      expect(Object.keys(policies)).toHaveLength(1);
      dataTemplate.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucketId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Sid: 'ClosedPrefixOnlyThroughTheGatewayEndpoint',
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: [...CLOSED_PREFIX_ACTIONS].sort(),
              Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/closed/*']] },
              Condition: {
                StringNotEquals: {
                  'aws:SourceVpce': { 'Fn::ImportValue': Match.stringLikeRegexp('^KeylessIot-dev-Network:') },
                },
              },
            },
          ]),
        },
      });
    });

    it('leaves X.509 devices alone: things/A/x is theirs with or without the endpoint, closed/x is not', () => {
      const dataTemplate = Template.fromStack(data);
      const bucketId = logicalIdOf(data, data.deviceData.bucket);
      const [policy] = Object.values(
        dataTemplate.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: bucketId } } }),
      );
      const bucketPolicy = flattenIntrinsics<PolicyDocumentJson>(
        withImportsReplaced(policy.Properties.PolicyDocument, ENDPOINT),
        { [`${bucketId}.Arn`]: `arn:aws:s3:::${BUCKET}` },
      );
      // The X.509 role (IotAccess stack) together with the bucket policy, as S3 evaluates them for that role.
      const role = data.node.root.node.findAll().find((c) => c instanceof CredentialsProviderRole);
      if (!(role instanceof CredentialsProviderRole)) throw new Error('the dev config has no X.509 role');
      const rolePolicy = flattenIntrinsics<PolicyDocumentJson>(
        Stack.of(role).resolve(role.document.toJSON()),
      );
      const roleArn = `arn:aws:sts::${ACCOUNT}:assumed-role/keyless-device/A`;
      const put = (key: string, context: Record<string, string> = {}) =>
        evaluatePolicies([rolePolicy, bucketPolicy], {
          action: 's3:PutObject',
          resource: `arn:aws:s3:::${BUCKET}/${key}`,
          principal: { AWS: roleArn },
          context: {
            'credentials-iot:ThingName': 'A',
            'aws:SecureTransport': 'true',
            's3:TlsVersion': '1.3',
            'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:role/keyless-device`,
            ...context,
          },
        });
      expect(put('things/A/x')).toBe('allow');
      expect(put('things/A/x', { 'aws:SourceVpce': ENDPOINT })).toBe('allow');
      expect(put('closed/x')).toBe('deny');
      expect(put('closed/x', { 'aws:SourceVpce': ENDPOINT })).toBe('implicit-deny');
    });

    it('has no unacknowledged cdk-nag findings', () => {
      expect(nagViolations(network)).toEqual([]);
    });
  });

  describe('with an imported VPC (config/prod.example.json)', () => {
    const config = loadConfigFile(path.join(CONFIG_DIR, 'prod.example.json'), 'prod');
    const { network, assembly } = environment(config);
    const template = Template.fromStack(network);
    const imported = config.closedNetwork!.vpc;
    if (imported.mode !== 'import') throw new Error('prod.example.json is expected to import its VPC');

    it('creates no VPC and attaches everything to the configured ids, without lookups', () => {
      expect(assembly.manifest.missing ?? []).toEqual([]);
      template.resourceCountIs('AWS::EC2::VPC', 0);
      template.resourceCountIs('AWS::EC2::Subnet', 0);
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcId: imported.vpcId,
        RouteTableIds: imported.routeTableIds,
      });
      for (const routeTableId of imported.routeTableIds) {
        template.hasResourceProperties('AWS::EC2::Route', {
          RouteTableId: routeTableId,
          DestinationCidrBlock: '100.64.0.0/16',
          VpcPeeringConnectionId: config.closedNetwork!.canalPeeringConnectionId,
        });
      }
      template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceId: imported.vpcId });
      template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
    });

    it('outputs the configured VPC and route table ids', () => {
      template.hasOutput('VpcId', { Value: imported.vpcId });
      template.hasOutput('RouteTableIds', { Value: imported.routeTableIds.join(',') });
      template.hasOutput('GatewayEndpointId', { Value: { Ref: logicalIdOf(network, network.s3Endpoint) } });
    });

    it('has no unacknowledged cdk-nag findings', () => {
      expect(nagViolations(network)).toEqual([]);
    });
  });

  it('is absent without a closedNetwork section, and the bucket policy has no closed-prefix statement', () => {
    const { stacks, data } = environment(devConfig((raw) => delete raw.closedNetwork));
    expect(stacks.network).toBeUndefined();
    expect(JSON.stringify(Template.fromStack(data).toJSON())).not.toContain('aws:SourceVpce');
  });
});

/** Cross-stack imports become the value the producing stack would export. */
function withImportsReplaced(value: unknown, replacement: string): unknown {
  if (Array.isArray(value)) return value.map((v) => withImportsReplaced(v, replacement));
  if (value === null || typeof value !== 'object') return value;
  if ('Fn::ImportValue' in value) return replacement;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withImportsReplaced(v, replacement)]));
}
