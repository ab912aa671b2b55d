import { Annotations, type App } from 'aws-cdk-lib';
import type { EnvironmentCommon, FleetThingConfig, IotConfig, KeylessConfig } from '../config';
import type { FunctionCode } from '../constructs/keyless-function';
import { fleetStackName, stackName } from '../contract';
import {
  layoutFleet,
  UnrecordedPlacementError,
  unrecordedPlacementWarning,
  type FleetLayout,
} from '../fleet/placement';
import { shardsOf } from '../fleet/shard-plan';
import { AuditStack } from './audit-stack';
import { DataStack } from './data-stack';
import { DeploymentStack } from './deployment-stack';
import { FleetStack } from './fleet-stack';
import { FunnelStack } from './funnel-stack';
import { IotAccessStack } from './iot-access-stack';
import { KryptonAccessStack } from './krypton-access-stack';
import { NetworkStack } from './network-stack';
import { requireRetainedState } from './retained-state';

/** How to build an environment, beyond its config. */
export interface EnvironmentOptions {
  /**
   * Refuse to place a thing the shard lock does not record (throws {@link UnrecordedPlacementError}) instead of
   * placing it in memory with a warning. bin/app.ts turns it on when `CI` is set.
   * @default false
   */
  readonly requireRecordedPlacements?: boolean;
  /**
   * Where the functions get their code; infrastructure tests pass inline code to skip bundling.
   * @default - bundled from lib/functions with esbuild
   */
  readonly functionCode?: FunctionCode;
}

/** Every stack of one environment. Optional parts exist only when their config section does. */
export interface EnvironmentStacks {
  readonly data: DataStack;
  readonly network?: NetworkStack;
  readonly iotAccess?: IotAccessStack;
  /** One Fleet stack per shard in use, ascending. */
  readonly fleet: FleetStack[];
  /** Where each thing is (present with the iot section). */
  readonly fleetLayout?: FleetLayout<FleetThingConfig>;
  readonly kryptonAccess?: KryptonAccessStack;
  readonly funnel?: FunnelStack;
  readonly audit?: AuditStack;
  readonly deployment?: DeploymentStack;
}

export function createEnvironmentStacks(
  app: App,
  config: KeylessConfig,
  options: EnvironmentOptions = {},
): EnvironmentStacks {
  const env = config.envName;
  // Placements first: in CI an unrecorded one stops the synth before any stack exists.
  const fleetLayout = config.fleet && layoutFleet(config.fleet.things, config.fleet.shardLock);
  if (fleetLayout && fleetLayout.unrecorded.length > 0 && options.requireRecordedPlacements) {
    throw new UnrecordedPlacementError(env, fleetLayout.unrecorded);
  }
  // Before Data: the bucket policy names the S3 endpoint (Data → Network), while the endpoint policy names the
  // bucket by its derived name, so Network never references Data and there is no cycle.
  const network = config.closedNetwork
    ? new NetworkStack(app, stackName(env, 'Network'), {
        environment: config,
        closedNetwork: config.closedNetwork,
      })
    : undefined;
  const data = new DataStack(app, stackName(env, 'Data'), {
    environment: config,
    data: config.data,
    closedNetwork: network && {
      prefix: network.closedNetwork.prefix,
      outsideAccessRoleArns: network.closedNetwork.outsideAccessRoleArns,
      endpointId: network.s3Endpoint.endpointId,
    },
  });
  const iotAccess = config.iot
    ? new IotAccessStack(app, stackName(env, 'IotAccess'), {
        environment: config,
        iot: config.iot,
        secretsKey: data.deviceSecret.key,
        functionCode: options.functionCode,
      })
    : undefined;
  const fleet =
    config.iot && iotAccess && fleetLayout
      ? createFleetStacks(app, config, config.iot, iotAccess, fleetLayout)
      : [];
  // Names its tables and bucket from config (no references), so the dependency only orders `cdk deploy --all`.
  const kryptonAccess = config.krypton
    ? new KryptonAccessStack(app, stackName(env, 'KryptonAccess'), {
        environment: config,
        krypton: config.krypton,
        closedNetworkPrefix: config.closedNetwork?.prefix,
        functionCode: options.functionCode,
      })
    : undefined;
  kryptonAccess?.addStackDependency(data, 'devices read and write the Data stack tables and bucket');
  // Self-contained: its own user, secret, key and topic, so no dependency on the other stacks.
  const funnel = config.funnel
    ? new FunnelStack(app, stackName(env, 'Funnel'), {
        environment: config,
        funnel: config.funnel,
        functionCode: options.functionCode,
      })
    : undefined;
  // Account-level and self-contained: no references to the other stacks, and none to them.
  const audit = config.audit
    ? new AuditStack(app, stackName(env, 'Audit'), { environment: config, audit: config.audit })
    : undefined;
  const deployment = config.deployment
    ? new DeploymentStack(app, stackName(env, 'Deployment'), {
        environment: config,
        deployment: config.deployment,
      })
    : undefined;
  const stacks = [network, data, iotAccess, ...fleet, kryptonAccess, funnel, audit, deployment];
  if (config.removalPolicy === 'retain') {
    for (const stack of stacks) if (stack) requireRetainedState(stack);
  }
  return { data, network, iotAccess, fleet, fleetLayout, kryptonAccess, funnel, audit, deployment };
}

/** The things, one stack per shard of the layout: a recorded thing never changes stacks. */
function createFleetStacks(
  app: App,
  environment: EnvironmentCommon,
  iot: IotConfig,
  iotAccess: IotAccessStack,
  layout: FleetLayout<FleetThingConfig>,
): FleetStack[] {
  const byName = new Map(layout.things.map((thing) => [thing.name, thing]));
  const unrecorded = new Set(layout.unrecorded);
  const shards = shardsOf(new Map(layout.things.map((thing) => [thing.name, thing.shard])));
  return [...shards].map(([shard, names]) => {
    const stack = new FleetStack(app, fleetStackName(environment.envName, shard), {
      environment,
      iot,
      shard,
      things: names.map((name) => byName.get(name)!),
    });
    // By name, not reference: the IoT policy, the thing type and the assigner function must exist first.
    stack.addStackDependency(iotAccess, 'certificates attach the IoT policy; things get the thing type');
    const placedHere = names.filter((name) => unrecorded.has(name));
    if (placedHere.length > 0) {
      Annotations.of(stack).addWarningV2(
        'keyless:unrecordedPlacement',
        unrecordedPlacementWarning(environment.envName, placedHere),
      );
    }
    return stack;
  });
}
