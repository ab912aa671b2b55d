import { Stack } from 'aws-cdk-lib';
import * as iot from 'aws-cdk-lib/aws-iot';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { addValidators } from '../../lib/validators';
import { testApp } from '../support/cdk-app';

/**
 * cfn-guard's Control Tower rules all select resources by type, and none names an IoT type: a Fleet stack can
 * only pass them, so it is not handed to cfn-guard (whose cost per resource made synth grow ~90 ms per thing).
 */
const env = { account: '111111111111', region: 'ap-northeast-1' };

test('cfn-guard sees the templates with a type some rule names, not the ones of IoT things only', () => {
  const guard = jest.spyOn(CfnGuardValidator.prototype, 'validate');
  const app = testApp();
  const fleet = new Stack(app, 'FleetLike', { env });
  new iot.CfnThing(fleet, 'Thing', { thingName: 'sensor-001' });
  const open = new Stack(app, 'OpenBucket', { env });
  new s3.CfnBucket(open, 'Bucket', {});
  addValidators(app);

  // The bucket still fails both validators: the gate is unchanged where a rule applies.
  expect(() => app.synth()).toThrow(/Acknowledge with 'cdk-validator-cfnguard::s3_bucket_logging_enabled_check'/);
  expect(guard).toHaveBeenCalledTimes(1);
  expect(guard.mock.calls[0][0].templatePaths.map((file) => file.split('/').pop())).toEqual([
    'OpenBucket.template.json',
  ]);
  guard.mockRestore();
});

test('an app whose templates no rule applies to passes without running cfn-guard', () => {
  const guard = jest.spyOn(CfnGuardValidator.prototype, 'validate');
  const app = testApp();
  new iot.CfnThing(new Stack(app, 'FleetLike', { env }), 'Thing', { thingName: 'sensor-001' });
  addValidators(app);
  app.synth();
  expect(guard).not.toHaveBeenCalled();
  guard.mockRestore();
});
