import * as fs from 'node:fs';
import { configFile, fleetDir, inRepository } from '../../lib/contract';
import { INTEG_ENV } from '../../scripts/integ/plan';
import { OperatorAws } from '../emulators/operator-aws';
import { REPO_ROOT } from '../support/cdk-app';
import { localAwsEnv, runTsProgram } from '../support/keyless-cli';

// `npm run integ` as the operator runs it, against a local STS: it must refuse before it deploys or writes anything.
describe('npm run integ (scripts/integ/main.ts as a process)', () => {
  const aws = new OperatorAws({
    callerArn: 'arn:aws:sts::999999999999:assumed-role/Admin/operator',
    account: '999999999999',
    stacks: {},
  });
  let awsUrl = '';
  beforeAll(async () => {
    awsUrl = await aws.start();
  });
  afterAll(() => aws.stop());

  const integ = (env: Record<string, string>) =>
    runTsProgram('scripts/integ/main.ts', [], {
      env: { ...localAwsEnv(awsUrl, ['STS', 'CLOUDFORMATION']), ...env },
    });
  const nothingWritten = (): void => {
    expect(fs.existsSync(inRepository(REPO_ROOT, configFile(INTEG_ENV)))).toBe(false);
    expect(fs.existsSync(inRepository(REPO_ROOT, fleetDir(INTEG_ENV)))).toBe(false);
  };

  it('without the opt-in: exit 2, one line, and no AWS call at all', async () => {
    aws.requests.length = 0;
    const result = await integ({ AWS_REGION: 'us-east-1' });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^\[integ \+0m0\ds\] refused: npm run integ deploys the "integ" environment/),
    ]);
    expect(aws.requests).toEqual([]);
    nothingWritten();
  });

  it('with credentials of another account than the opted-in one: exit 2 after GetCallerIdentity only', async () => {
    aws.requests.length = 0;
    const result = await integ({ KEYLESS_INTEG_ACCOUNT: '123456789012', KEYLESS_INTEG_REGION: 'us-east-1' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'refused: KEYLESS_INTEG_ACCOUNT is 123456789012, but the AWS credentials in use are for account 999999999999: nothing was deployed.',
    );
    expect(aws.requests).toEqual(['GetCallerIdentity']);
    nothingWritten();
  });
});
