import { Annotations, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { EnvironmentCommon, FleetThingConfig, IotConfig } from '../config';
import { deployedCertificateStatus, fleetStackPart } from '../contract';
import { FleetThing } from '../constructs/fleet-thing';
import { ThingTypeAssignment } from '../constructs/thing-type-assigner';
import type { Placed } from '../fleet/placement';
import { emitCertificateIdOutput } from './stack-outputs';
import { keylessStackProps } from './stack-props';

export interface FleetStackProps {
  /** The environment's name, account, region, tags, protection and the thing-type assigner's derived name. */
  readonly environment: EnvironmentCommon;
  /** The `iot` section: the IoT policy each certificate attaches and the thing type each thing gets. */
  readonly iot: IotConfig;
  /** The shard this stack holds (1-based): `KeylessIot-<env>-Fleet-<shard>`. */
  readonly shard: number;
  /** The things placed on this shard. */
  readonly things: readonly Placed<FleetThingConfig>[];
}

/**
 * One shard of the fleet: each thing, its certificate (from its CSR) and the attachments to the thing and the
 * IoT policy, with one output per certificate for the bundle command. Everything of a thing is named after
 * the thing alone, so adding, removing or reordering other things never touches it.
 */
export class FleetStack extends Stack {
  public readonly things: ReadonlyMap<string, FleetThing>;

  constructor(scope: Construct, id: string, props: FleetStackProps) {
    const { environment, iot, shard } = props;
    super(
      scope,
      id,
      keylessStackProps(environment, fleetStackPart(shard), `device things and certificates, shard ${shard}`),
    );

    // A container keeps thing names apart from the stack's own children (outputs, the type assignment).
    const container = new Construct(this, 'Things');
    const things = new Map<string, FleetThing>();
    for (const thing of props.things) {
      const device = new FleetThing(container, thing.name, {
        thingName: thing.name,
        attributes: thing.attributes,
        csrPem: thing.csrPem,
        certificateStatus: deployedCertificateStatus(thing),
        quarantined: thing.quarantined,
        // By name from config: the policy's stack deploys first (see createEnvironmentStacks).
        policyName: iot.policy.name,
      });
      things.set(thing.name, device);
      if (device.certificate) {
        emitCertificateIdOutput(this, thing.name, device.certificate.attrId);
      } else {
        Annotations.of(device).addWarningV2(
          'keyless:thing-without-csr',
          `Thing ${thing.name} has no CSR at ${thing.csrFile}: it gets its thing but no certificate. ` +
            `Run \`npx keyless enroll --env ${environment.envName} --thing ${thing.name}\` (or --csr FILE) and synth again.`,
        );
      }
    }
    this.things = things;

    if (things.size > 0) {
      const assignment = new ThingTypeAssignment(this, 'ThingTypeAssignment', {
        // The IotAccess stack's function, by name (this stack deploys after it).
        functionName: environment.names.thingTypeAssignerFunction,
        thingTypeName: iot.thingType.name,
        thingNames: [...things.keys()],
      });
      for (const device of things.values()) assignment.node.addDependency(device.thing);
    }
  }
}
