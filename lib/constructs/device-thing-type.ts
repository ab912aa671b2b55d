import * as iot from 'aws-cdk-lib/aws-iot';
import { Construct } from 'constructs';
import { LIMITS, NAME_RULES } from '../contract';
import { checkName } from './prop-checks';

export interface DeviceThingTypeProps {
  readonly thingTypeName: string;
  /** @default - none */
  readonly description?: string;
  /**
   * Attributes that can be searched in the fleet index (at most 3, an AWS IoT limit).
   * @default - none
   */
  readonly searchableAttributes?: string[];
}

/** The thing type every device thing has; the IoT policy can require it before handing out credentials. */
export class DeviceThingType extends Construct {
  public readonly thingType: iot.CfnThingType;
  public readonly thingTypeName: string;

  constructor(scope: Construct, id: string, props: DeviceThingTypeProps) {
    super(scope, id);
    checkName('thingTypeName', NAME_RULES.thingTypeName, props.thingTypeName);
    const searchable = props.searchableAttributes ?? [];
    if (searchable.length > LIMITS.searchableAttributes) {
      throw new Error(
        `a thing type has at most ${LIMITS.searchableAttributes} searchable attributes, got: ${searchable.join(', ')}`,
      );
    }
    this.thingType = new iot.CfnThingType(this, 'Resource', {
      thingTypeName: props.thingTypeName,
      thingTypeProperties: {
        thingTypeDescription: props.description,
        searchableAttributes: searchable.length > 0 ? searchable : undefined,
      },
    });
    this.thingTypeName = props.thingTypeName;
  }
}
