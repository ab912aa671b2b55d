import { Token } from 'aws-cdk-lib';
import * as iot from 'aws-cdk-lib/aws-iot';
import { Construct } from 'constructs';

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
    if (!Token.isUnresolved(props.thingTypeName) && !/^[a-zA-Z0-9:_-]{1,128}$/.test(props.thingTypeName)) {
      throw new Error(
        `thingTypeName must be 1-128 characters from a-z A-Z 0-9 : _ -, got: ${props.thingTypeName}`,
      );
    }
    const searchable = props.searchableAttributes ?? [];
    if (searchable.length > 3) {
      throw new Error(`a thing type has at most 3 searchable attributes, got: ${searchable.join(', ')}`);
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
