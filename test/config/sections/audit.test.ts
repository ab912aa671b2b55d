import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadEnvironmentConfig, type KeylessConfigInput } from '../../../lib/config';
import { CONFIG_DIR, devConfig } from '../../support/cdk-app';
import { devConfigProblems } from '../../support/config-problems';
import { prodExampleConfig } from '../../support/prod-example';

describe('audit config section', () => {
  it('is on in the production template: a daily audit mailing the security address', () => {
    expect(prodExampleConfig().audit).toEqual({
      schedule: { frequency: 'daily' },
      alarmEmails: ['iot-security@example.com'],
    });
  });

  it('is off in the dev sample, whose teardown would delete the account-wide audit configuration', () => {
    expect(devConfig().audit).toBeUndefined();
  });

  it('defaults to a daily audit and no e-mail', () => {
    expect(devConfig((raw) => (raw.audit = {})).audit).toEqual({
      schedule: { frequency: 'daily' },
      alarmEmails: [],
    });
  });

  it.each<[string, NonNullable<KeylessConfigInput['audit']>['schedule']]>([
    ['weekly', { frequency: 'weekly', dayOfWeek: 'mon' }],
    ['biweekly', { frequency: 'biweekly', dayOfWeek: 'sun' }],
    ['monthly on a day', { frequency: 'monthly', dayOfMonth: 31 }],
    ['monthly on the last day', { frequency: 'monthly', dayOfMonth: 'last' }],
  ])('accepts a %s schedule', (_name, schedule) => {
    expect(devConfig((raw) => (raw.audit = { schedule })).audit?.schedule).toEqual(schedule);
  });

  it.each<[string, unknown, string]>([
    [
      'a weekly audit without its day',
      { frequency: 'weekly' },
      'config/dev.json: audit.schedule.dayOfWeek: missing; expected one of: sun, mon, tue, wed, thu, fri, sat',
    ],
    [
      'a day of the week spelled out',
      { frequency: 'biweekly', dayOfWeek: 'Monday' },
      'config/dev.json: audit.schedule.dayOfWeek: expected one of: sun, mon, tue, wed, thu, fri, sat, got "Monday"',
    ],
    [
      'a day of the month past 31',
      { frequency: 'monthly', dayOfMonth: 32 },
      'config/dev.json: audit.schedule.dayOfMonth: expected an integer from 1 to 31, got 32',
    ],
    [
      'a day of the month as text',
      { frequency: 'monthly', dayOfMonth: 'first' },
      'config/dev.json: audit.schedule.dayOfMonth: expected an integer from 1 to 31 or "last", got "first"',
    ],
    [
      'a day with a daily audit',
      { frequency: 'daily', dayOfWeek: 'mon' },
      'config/dev.json: audit.schedule.dayOfWeek: unknown key; valid keys here: dayOfMonth, dayOfWeek, frequency',
    ],
    [
      'an hourly audit',
      { frequency: 'hourly' },
      'config/dev.json: audit.schedule.frequency: expected frequency "daily", "weekly", "biweekly" or "monthly", got {"frequency":"hourly"}',
    ],
  ])('refuses %s', (_name, schedule, message) => {
    expect(devConfigProblems((raw) => (raw.audit = { schedule } as never))).toEqual([message]);
  });

  it('refuses an address that is not one', () => {
    expect(devConfigProblems((raw) => (raw.audit = { alarmEmails: ['security'] }))).toEqual([
      'config/dev.json: audit.alarmEmails[0]: expected an e-mail address, got "security"',
    ]);
  });

  describe('one environment per account and region', () => {
    let dir: string;
    const write = (env: string, change: (raw: Record<string, unknown>) => void): void => {
      const raw = JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, 'dev.json'), 'utf8'));
      change(raw);
      fs.writeFileSync(path.join(dir, `${env}.json`), JSON.stringify(raw));
    };
    const load = (env: string) => loadEnvironmentConfig(env, dir);
    const audited = (raw: Record<string, unknown>) => (raw.audit = {});

    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-audit-'));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('refuses a second environment that audits the same account and region, naming both files', () => {
      write('dev', audited);
      write('stage', audited);
      for (const [env, other] of [
        ['dev', 'stage'],
        ['stage', 'dev'],
      ]) {
        expect(() => load(env)).toThrow(ConfigError);
        expect(() => load(env)).toThrow(
          `${path.join(dir, `${env}.json`)}: audit: ${path.join(dir, `${other}.json`)} enables the Device Defender ` +
            'audit in account 111111111111 and region ap-northeast-1 too; AWS IoT keeps one audit configuration per ' +
            'account and region, so remove the audit section from all but one of them (docs/security.md)',
        );
      }
    });

    it('lets environments audit other accounts or regions, and lets others in the account not audit', () => {
      write('dev', audited);
      write('stage', (raw) => {
        audited(raw);
        raw.region = 'eu-west-1';
      });
      write('prod', (raw) => {
        audited(raw);
        raw.account = '222222222222';
      });
      write('sandbox', () => {});
      for (const env of ['dev', 'stage', 'prod', 'sandbox']) expect(load(env).envName).toBe(env);
    });

    it('does not count templates, nor a file that cannot be deployed because it is not JSON', () => {
      write('dev', audited);
      write('prod.example', audited);
      fs.writeFileSync(path.join(dir, 'broken.json'), '{ "account": "111111111111", "audit": {} ');
      expect(load('dev').audit).toBeDefined();
    });
  });
});
