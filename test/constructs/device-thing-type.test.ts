import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { DeviceThingType } from '../../lib/constructs/device-thing-type';
import { testApp } from '../support/cdk-app';

function build(props: Partial<ConstructorParameters<typeof DeviceThingType>[2]> = {}) {
  const stack = new Stack(testApp(), 'Test');
  new DeviceThingType(stack, 'ThingType', { thingTypeName: 'KeylessSensor', ...props });
  return Template.fromStack(stack);
}

describe('DeviceThingType', () => {
  it('creates the thing type with its description and searchable attributes', () => {
    build({ description: 'Sensors', searchableAttributes: ['Owner', 'Site'] }).hasResourceProperties(
      'AWS::IoT::ThingType',
      {
        ThingTypeName: 'KeylessSensor',
        ThingTypeProperties: { ThingTypeDescription: 'Sensors', SearchableAttributes: ['Owner', 'Site'] },
      },
    );
  });

  it('leaves out what is not configured', () => {
    build().hasResourceProperties('AWS::IoT::ThingType', {
      ThingTypeProperties: { ThingTypeDescription: Match.absent(), SearchableAttributes: Match.absent() },
    });
  });

  it('rejects a bad name and more than 3 searchable attributes', () => {
    expect(() => build({ thingTypeName: 'Keyless Sensor' })).toThrow(
      'thingTypeName must be 1-128 characters from a-z A-Z 0-9 : _ -, got: Keyless Sensor',
    );
    expect(() => build({ searchableAttributes: ['a', 'b', 'c', 'd'] })).toThrow(
      'a thing type has at most 3 searchable attributes, got: a, b, c, d',
    );
  });
});
