import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { parseConfig } from '../../lib/config';
import { createEnvironmentStacks } from '../../lib/stacks/environment';
import {
  CANARY_THING,
  deletionOrder,
  INTEG_ENV,
  integConfigInput,
  IntegRefusal,
  leftoverCandidates,
  requireCallerAccount,
  requireOptIn,
  type IntegSettings,
} from '../../scripts/integ/plan';
import { nagViolations, REPO_ROOT, testApp } from '../support/cdk-app';
import { integSettingsForTests } from '../support/integ-app';

const ACCOUNT = '123456789012';

function configDirWith(files: Record<string, object>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-integ-config-'));
  for (const [name, content] of Object.entries(files))
    fs.writeFileSync(path.join(dir, name), JSON.stringify(content));
  return dir;
}

describe('requireOptIn: npm run integ refuses before any AWS call', () => {
  const noConfigs = configDirWith({});
  const refusal = (env: Record<string, string>, dir = noConfigs): string => {
    try {
      requireOptIn(env, dir);
    } catch (error) {
      expect(error).toBeInstanceOf(IntegRefusal);
      return (error as Error).message;
    }
    throw new Error('did not refuse');
  };

  it('without KEYLESS_INTEG_ACCOUNT, saying what the run does and how to opt in', () => {
    expect(refusal({ AWS_REGION: 'us-east-1' })).toContain(
      'KEYLESS_INTEG_ACCOUNT=<its 12-digit account id> npm run integ',
    );
    expect(refusal({ KEYLESS_INTEG_ACCOUNT: '', AWS_REGION: 'us-east-1' })).toContain(
      'throwaway sandbox account',
    );
  });

  it('with an account that is not 12 digits', () => {
    expect(refusal({ KEYLESS_INTEG_ACCOUNT: '12345678901x', AWS_REGION: 'us-east-1' })).toBe(
      'KEYLESS_INTEG_ACCOUNT="12345678901x" is not an account id: expected a 12-digit AWS account id',
    );
  });

  it('with the account of a production (retain) config of the repository', () => {
    const dir = configDirWith({
      'prod.json': { account: ACCOUNT, removalPolicy: 'retain' },
      'dev.json': { account: '111111111111', removalPolicy: 'destroy' },
    });
    expect(refusal({ KEYLESS_INTEG_ACCOUNT: ACCOUNT, AWS_REGION: 'us-east-1' }, dir)).toContain(
      `account ${ACCOUNT} is the account of config/prod.json (removalPolicy "retain": production)`,
    );
    expect(
      requireOptIn({ KEYLESS_INTEG_ACCOUNT: '111111111111', AWS_REGION: 'us-east-1' }, dir).account,
    ).toBe('111111111111');
  });

  it('without a region, or with one that is not a region name', () => {
    expect(refusal({ KEYLESS_INTEG_ACCOUNT: ACCOUNT })).toContain(
      'no region: set one of KEYLESS_INTEG_REGION',
    );
    expect(refusal({ KEYLESS_INTEG_ACCOUNT: ACCOUNT, KEYLESS_INTEG_REGION: 'us-east-1; rm' })).toContain(
      'is not an AWS region such as ap-northeast-1',
    );
  });

  it('takes KEYLESS_INTEG_REGION before AWS_REGION', () => {
    expect(
      requireOptIn(
        { KEYLESS_INTEG_ACCOUNT: ACCOUNT, KEYLESS_INTEG_REGION: 'eu-west-1', AWS_REGION: 'us-east-1' },
        noConfigs,
      ),
    ).toEqual({ account: ACCOUNT, region: 'eu-west-1' });
  });

  it('refuses credentials of another account than the one opted in', () => {
    const optIn = { account: ACCOUNT, region: 'us-east-1' };
    expect(() => requireCallerAccount(optIn, '999999999999')).toThrow(
      'KEYLESS_INTEG_ACCOUNT is 123456789012, but the AWS credentials in use are for account 999999999999: nothing was deployed.',
    );
    expect(() => requireCallerAccount(optIn, ACCOUNT)).not.toThrow();
  });
});

describe('the integ config', () => {
  const settings: IntegSettings = integSettingsForTests();

  it('is the template with the sandbox account, region, zones and fresh external ids, valid for the schema', () => {
    const config = parseConfig(integConfigInput(settings), INTEG_ENV, 'config/integ.json');
    expect(config).toEqual(
      expect.objectContaining({
        envName: INTEG_ENV,
        account: ACCOUNT,
        region: 'us-east-1',
        removalPolicy: 'destroy',
      }),
    );
    expect(JSON.stringify(integConfigInput(settings))).toContain(settings.externalIds.krypton);
  });

  it('keeps no external id in the repository (the runner makes them per run)', () => {
    const template = fs.readFileSync(path.join(REPO_ROOT, 'test', 'integ', 'integ.template.json'), 'utf8');
    expect(template).toContain('"externalId": "set-by-the-integ-runner-krypton"');
    expect(template).toContain('"externalId": "set-by-the-integ-runner-funnel"');
  });

  it('synthesizes the stacks the run deploys, with the canary, and no unacknowledged cdk-nag finding', () => {
    const raw = integConfigInput(settings);
    raw.iot!.things = [{ name: CANARY_THING, attributes: { Owner: 'keyless' } }];
    const app = testApp({ 'aws:cdk:bundling-stacks': [] });
    createEnvironmentStacks(app, parseConfig(raw, INTEG_ENV, 'config/integ.json'));
    const stacks = app.node.children.filter((child): child is Stack => child instanceof Stack);
    expect(stacks.map((stack) => stack.stackName).sort()).toEqual([
      'KeylessIot-integ-Data',
      'KeylessIot-integ-Fleet-1',
      'KeylessIot-integ-Funnel',
      'KeylessIot-integ-IotAccess',
      'KeylessIot-integ-KryptonAccess',
      'KeylessIot-integ-Network',
    ]);
    expect(stacks.flatMap((stack) => nagViolations(stack))).toEqual([]);
  });
});

describe('cleanup planning', () => {
  it('deletes Fleet stacks first, then the parts in reverse build order', () => {
    expect(
      deletionOrder([
        'KeylessIot-integ-Network',
        'KeylessIot-integ-Data',
        'KeylessIot-integ-Fleet-1',
        'KeylessIot-integ-KryptonAccess',
        'KeylessIot-integ-IotAccess',
        'KeylessIot-integ-Fleet-2',
      ]),
    ).toEqual([
      'KeylessIot-integ-Fleet-2',
      'KeylessIot-integ-Fleet-1',
      'KeylessIot-integ-KryptonAccess',
      'KeylessIot-integ-IotAccess',
      'KeylessIot-integ-Data',
      'KeylessIot-integ-Network',
    ]);
  });

  it('refuses to delete a stack that is not the integ environment’s', () => {
    expect(() => deletionOrder(['KeylessIot-prod-Data'])).toThrow(
      'not a stack of the integ environment: KeylessIot-prod-Data',
    );
  });

  it('deletes every stateful resource it made afterwards (retained ones outlive the stack), and nothing else', () => {
    const made = [
      { stack: 's', logicalId: 'Pool', type: 'AWS::Cognito::IdentityPool', physicalId: 'us-east-1:abc' },
      { stack: 's', logicalId: 'Logs', type: 'AWS::Logs::LogGroup', physicalId: '/aws/lambda/x' },
      { stack: 's', logicalId: 'Role', type: 'AWS::IAM::Role', physicalId: 'role' },
      { stack: 's', logicalId: 'Never', type: 'AWS::S3::Bucket', physicalId: '' },
    ];
    expect(leftoverCandidates(made).map((resource) => resource.logicalId)).toEqual(['Pool', 'Logs']);
  });
});
