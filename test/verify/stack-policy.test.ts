import {
  STATEFUL_RESOURCE_TYPES,
  statefulStackPolicy,
  type StatefulResource,
  type StatefulResourceType,
} from '../../lib/contract/stateful-resources';
import { unprotectedBy } from '../../lib/verify/stack-policy';

/** How verify reads a stack policy: is a stateful resource's replacement and deletion denied? */

const resource = (type: StatefulResourceType, logicalId = 'DeviceDataBucket1234'): StatefulResource => ({
  logicalId,
  type,
  holds: STATEFUL_RESOURCE_TYPES[type],
});
const policy = (...statements: object[]) => JSON.stringify({ Statement: statements });
const allowAll = { Effect: 'Allow', Action: 'Update:*', Principal: '*', Resource: '*' };

describe('unprotectedBy', () => {
  it.each(Object.keys(STATEFUL_RESOURCE_TYPES) as StatefulResourceType[])(
    'the stateful stack policy protects a %s',
    (type) => {
      expect(unprotectedBy(JSON.stringify(statefulStackPolicy()), resource(type))).toBeUndefined();
    },
  );

  it('reports a stack without a policy, and a policy that allows everything', () => {
    expect(unprotectedBy(undefined, resource('AWS::S3::Bucket'))).toBe('the stack has no stack policy');
    expect(unprotectedBy('', resource('AWS::S3::Bucket'))).toBe('the stack has no stack policy');
    expect(unprotectedBy(policy(allowAll), resource('AWS::S3::Bucket'))).toBe(
      'the stack policy allows Update:Replace',
    );
  });

  it('reports a deny that covers replacement but not deletion, or another type only', () => {
    const replaceOnly = policy(allowAll, {
      Effect: 'Deny',
      Action: 'Update:Replace',
      Principal: '*',
      Resource: '*',
    });
    expect(unprotectedBy(replaceOnly, resource('AWS::KMS::Key'))).toBe(
      'the stack policy allows Update:Delete',
    );
    const bucketsOnly = policy(allowAll, {
      Effect: 'Deny',
      Action: ['Update:Replace', 'Update:Delete'],
      Principal: '*',
      Resource: '*',
      Condition: { StringEquals: { ResourceType: ['AWS::S3::Bucket'] } },
    });
    expect(unprotectedBy(bucketsOnly, resource('AWS::S3::Bucket'))).toBeUndefined();
    expect(unprotectedBy(bucketsOnly, resource('AWS::Cognito::IdentityPool', 'IdentityPool'))).toBe(
      'the stack policy allows Update:Replace',
    );
  });

  it('accepts a deny by logical id, and the implicit deny of a policy that allows only other resources', () => {
    const byId = policy(allowAll, {
      Effect: 'Deny',
      Action: 'Update:*',
      Principal: '*',
      Resource: 'LogicalResourceId/IdentityPool*',
    });
    expect(unprotectedBy(byId, resource('AWS::Cognito::IdentityPool', 'IdentityPool'))).toBeUndefined();
    const others = policy({
      Effect: 'Allow',
      Action: 'Update:*',
      Principal: '*',
      Resource: 'LogicalResourceId/Other',
    });
    expect(unprotectedBy(others, resource('AWS::S3::Bucket'))).toBeUndefined();
  });

  it('does not guess: a condition it cannot read, or a document that is not a policy, is reported', () => {
    const unknown = policy(allowAll, {
      Effect: 'Deny',
      Action: 'Update:*',
      Principal: '*',
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestTag/x': 'y' } },
    });
    expect(unprotectedBy(unknown, resource('AWS::S3::Bucket'))).toBe(
      'the stack policy uses a condition this check does not understand',
    );
    expect(unprotectedBy('{not json', resource('AWS::S3::Bucket'))).toBe(
      'the stack policy is not a JSON document with statements',
    );
    expect(unprotectedBy('{"Statement":[null]}', resource('AWS::S3::Bucket'))).toBe(
      'the stack policy is not a JSON document with statements',
    );
  });
});
