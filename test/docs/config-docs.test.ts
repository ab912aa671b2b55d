import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { parseConfig } from '../../lib/config';
import { generatedFiles, REFERENCE_FILE, renderReference, SCHEMA_FILE } from '../../scripts/config-docs';
import { CONFIG_DIR, REPO_ROOT } from '../support/cdk-app';

type Raw = Record<string, unknown>;

/** Every config file the project ships: the dev default and each *.example.json template. */
const SHIPPED = fs
  .readdirSync(CONFIG_DIR)
  .filter((file) => file === 'dev.json' || file.endsWith('.example.json'))
  .sort();

const readShipped = (file: string): Raw => JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, file), 'utf8'));

function committedSchemaValidator(): ValidateFunction {
  // A standard validator in strict mode: it refuses keywords it does not know, so a schema that only zod
  // understands would fail here. zod writes e-mail fields as format "email" plus a pattern; the pattern is the
  // check, and the format is declared known rather than pulling in ajv-formats for one name.
  const ajv = new Ajv({ strict: true, allErrors: true, formats: { email: true } });
  return ajv.compile(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, SCHEMA_FILE), 'utf8')));
}

const errorsOf = (validate: ValidateFunction, config: Raw): string[] =>
  validate(config) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);

describe('generated from the zod schema', () => {
  it.each(Object.keys(generatedFiles()))('%s is up to date with lib/config', (file) => {
    const committed = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
    const hint = `${file} is out of date with lib/config: run npm run docs:config and commit the result`;
    expect({ file: hint, upToDate: committed === generatedFiles()[file] }).toEqual({
      file: hint,
      upToDate: true,
    });
  });

  it('the reference has a row for every field, with type, default, limits and the description from the schema', () => {
    const reference = renderReference();
    expect(reference).toContain(
      '| `iot.roleAlias.credentialDurationSeconds` | integer | `3600` | 900–43200 | Lifetime of the credentials',
    );
    expect(reference).toContain('| `account` | string | **required** | pattern `^\\d{12}$` |');
    expect(reference).toContain(
      '| `krypton.signer.externalId` (mode `"role"`) | string | **required** | pattern `^[\\w+=,.@:/-]{2,1224}$` |',
    );
    // Refinements cannot travel in JSON Schema: the reference says which fields carry one.
    expect(reference).toContain('## What the JSON Schema cannot check');
    expect(reference).toContain('- `funnel`: rules across its fields');
    expect(reference).toContain('- `iot.things[].attributes`\n');
  });
});

describe('config/keyless.schema.json with a standard JSON Schema validator (ajv)', () => {
  const validate = committedSchemaValidator();

  it.each(SHIPPED)('names the schema in config/%s, which loads', (file) => {
    const raw = readShipped(file);
    expect(raw.$schema).toBe(`./${path.basename(SCHEMA_FILE)}`);
    expect(fs.existsSync(path.join(CONFIG_DIR, raw.$schema as string))).toBe(true);
    expect(() => parseConfig(raw, 'check', `config/${file}`)).not.toThrow();
  });

  it.each(SHIPPED)('accepts config/%s', (file) => {
    expect(errorsOf(validate, readShipped(file))).toEqual([]);
  });

  it('rejects an unknown key, at the top level and nested', () => {
    const raw = readShipped('dev.json');
    expect(errorsOf(validate, { ...raw, acount: '111111111111' })).toEqual([
      '/ must NOT have additional properties',
    ]);
    const iot = raw.iot as Raw;
    const nested = { ...raw, iot: { ...iot, roleAlias: { ...(iot.roleAlias as Raw), extra: 1 } } };
    expect(errorsOf(validate, nested)).toEqual(['/iot/roleAlias must NOT have additional properties']);
  });

  // The same values both validators judge alike, so an editor's squiggle means what synth will say.
  it.each([
    ['account', (raw: Raw) => (raw.account = '1234')],
    ['region', (raw: Raw) => (raw.region = 'tokyo')],
    ['removalPolicy', (raw: Raw) => (raw.removalPolicy = 'keep')],
    ['tag key', (raw: Raw) => (raw.tags = { 'bad{key}': 'x' })],
    [
      'credential duration',
      (raw: Raw) => ((raw.iot as { roleAlias: Raw }).roleAlias.credentialDurationSeconds = 100),
    ],
    ['signer variant', (raw: Raw) => ((raw.krypton as Raw).signer = { mode: 'role' })],
    ['VPC mode', (raw: Raw) => ((raw.closedNetwork as { vpc: Raw }).vpc.mode = 'borrow')],
    ['alarm e-mail', (raw: Raw) => ((raw.funnel as Raw).alarmEmails = ['ops at example.com'])],
    ['$schema type', (raw: Raw) => (raw.$schema = 42)],
  ])('rejects a bad %s, as the loader does', (_what, mutate) => {
    const raw = readShipped('dev.json');
    mutate(raw);
    expect(errorsOf(validate, raw)).not.toEqual([]);
    expect(() => parseConfig(raw, 'dev', 'config/dev.json')).toThrow();
  });

  it('cannot see a rule across fields: the loader alone rejects graceDays >= periodDays', () => {
    const raw = readShipped('dev.json');
    ((raw.funnel as Raw).rotation as Raw).graceDays = 90;
    expect(errorsOf(validate, raw)).toEqual([]);
    expect(() => parseConfig(raw, 'dev', 'config/dev.json')).toThrow(
      'funnel.rotation.graceDays: expected fewer days than rotation.periodDays (90)',
    );
  });
});

test(`${REFERENCE_FILE} is where the README sends readers for configuration`, () => {
  expect(fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8')).toContain(`(${REFERENCE_FILE})`);
});
