import type { App } from 'aws-cdk-lib';
import type { KeylessConfig } from '../config';
import { fleetStackName } from '../fleet/outputs';
import { shardsOf } from '../fleet/shard-plan';
import { DataStack } from './data-stack';
import { FleetStack } from './fleet-stack';
import { FunnelStack } from './funnel-stack';
import { IotAccessStack, thingTypeAssignerName } from './iot-access-stack';
import { KryptonAccessStack } from './krypton-access-stack';
import { NetworkStack } from './network-stack';

/** Every stack of one environment. Optional parts exist only when their config section does. */
export interface EnvironmentStacks {
  readonly data: DataStack;
  readonly network?: NetworkStack;
  readonly iotAccess?: IotAccessStack;
  /** One Fleet stack per shard in use, ascending. */
  readonly fleet: FleetStack[];
  readonly kryptonAccess?: KryptonAccessStack;
  readonly funnel?: FunnelStack;
}

export function createEnvironmentStacks(app: App, config: KeylessConfig): EnvironmentStacks {
  const prefix = config.names.stackPrefix;
  // Before Data: the bucket policy names the S3 endpoint (Data → Network), while the endpoint policy names the
  // bucket by its derived name, so Network never references Data and there is no cycle.
  const network = config.closedNetwork ? new NetworkStack(app, `${prefix}-Network`, { config }) : undefined;
  const data = new DataStack(app, `${prefix}-Data`, {
    config,
    closedNetwork: network && { endpointId: network.s3Endpoint.endpointId },
  });
  const iotAccess = config.iot
    ? new IotAccessStack(app, `${prefix}-IotAccess`, { config, secretsKey: data.deviceSecret.key })
    : undefined;
  const fleet = iotAccess ? createFleetStacks(app, config, iotAccess) : [];
  // Names its tables and bucket from config (no references), so the dependency only orders `cdk deploy --all`.
  const kryptonAccess = config.krypton
    ? new KryptonAccessStack(app, `${prefix}-KryptonAccess`, { config })
    : undefined;
  kryptonAccess?.addStackDependency(data, 'devices read and write the Data stack tables and bucket');
  // Self-contained: its own user, secret, key and topic, so no dependency on the other stacks.
  const funnel = config.funnel ? new FunnelStack(app, `${prefix}-Funnel`, { config }) : undefined;
  return { data, network, iotAccess, fleet, kryptonAccess, funnel };
}

/** The things, one stack per shard recorded in `fleet/<env>/shards.json`: a thing never changes stacks. */
function createFleetStacks(app: App, config: KeylessConfig, iotAccess: IotAccessStack): FleetStack[] {
  const things = config.fleet?.things ?? [];
  const byName = new Map(things.map((thing) => [thing.name, thing]));
  const shards = shardsOf(new Map(things.map((thing) => [thing.name, thing.shard])));
  return [...shards].map(([shard, names]) => {
    const stack = new FleetStack(app, fleetStackName(config.envName, shard), {
      config,
      shard,
      things: names.map((name) => byName.get(name)!),
      thingTypeAssignerName: thingTypeAssignerName(config),
    });
    // By name, not reference: the IoT policy, the thing type and the assigner function must exist first.
    stack.addStackDependency(iotAccess, 'certificates attach the IoT policy; things get the thing type');
    return stack;
  });
}
