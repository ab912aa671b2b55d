import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  loadConfigFile,
  loadEnvironmentConfig,
  parseConfig,
  type KeylessConfigInput,
} from '../../lib/config';
import { newExternalId } from '../../lib/cli/soracom-new-external-id';
import { EXTERNAL_ID } from '../../lib/contract';
import { CONFIG_DIR, shippedConfigs } from '../support/cdk-app';
import { problemsOf } from '../support/config-problems';
import { prodExampleRaw, TEST_EXTERNAL_IDS } from '../support/prod-example';

/**
 * Issue 20, "SORACOM trust": the external id is the only barrier between another SORACOM customer and the roles
 * SORACOM assumes. A deployable config carries a secret worth the name, one per role; a template carries
 * placeholders, and an environment file still marked as a template is never deployed.
 */

const RULE =
  "expected at least 32 characters from a-z A-Z 0-9 _ + = , . @ : / - with at least 8 different characters, not a template's placeholder (replace-with…); make one with npx keyless soracom new-external-id";

/** Every problem of the prod template copied as an operator would, with the given external ids. */
function problems(
  ids: { krypton?: string; funnel?: string },
  change: (raw: KeylessConfigInput) => void = () => {},
) {
  const raw = prodExampleRaw((r) => {
    const signer = r.krypton?.signer;
    if (ids.krypton !== undefined && signer?.mode === 'role') signer.externalId = ids.krypton;
    const publisher = r.funnel?.publisher;
    if (ids.funnel !== undefined && publisher?.mode === 'role') publisher.externalId = ids.funnel;
    change(r);
  });
  return problemsOf(() => parseConfig(raw, 'prod', 'config/prod.json'));
}

const published = (() => {
  const raw = JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, 'prod.example.json'), 'utf8'));
  return {
    krypton: raw.krypton.signer.externalId as string,
    funnel: raw.funnel.publisher.externalId as string,
  };
})();

describe('external ids of a deployable config', () => {
  it('accepts two different ids from keyless soracom new-external-id (and the test fixtures)', () => {
    expect(problems({ krypton: newExternalId(), funnel: newExternalId() })).toEqual([]);
    expect(problems({})).toEqual([]);
  });

  it("refuses the template's published placeholders, copied as they are", () => {
    expect(problems(published)).toEqual([
      `config/prod.json: krypton.signer.externalId: ${RULE}; this one is the template's placeholder, got "${published.krypton}"`,
      `config/prod.json: funnel.publisher.externalId: ${RULE}; this one is the template's placeholder, got "${published.funnel}"`,
    ]);
  });

  it('refuses any placeholder, in any letter case, however long', () => {
    const placeholder = 'Replace-With-My-Own-Value-Zq8x1Vb7Nc3Mk5Lp9';
    expect(problems({ funnel: placeholder })).toEqual([
      `config/prod.json: funnel.publisher.externalId: ${RULE}; this one is the template's placeholder, got "${placeholder}"`,
    ]);
  });

  it.each<[string, string, string]>([
    ['2 characters (what AWS accepts)', 'x9', 'has 2 characters, got a value of 2 characters'],
    ['31 characters', 'aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1d', 'has 31 characters, got a value of 31 characters'],
    [
      '40 characters of few different ones',
      'abcdefgabcdefgabcdefgabcdefgabcdefgabcde',
      'has only 7 different characters, got a value of 40 characters, starting "abcd"',
    ],
  ])('refuses %s, and never prints the id in full', (_name, id, detail) => {
    const found = problems({ krypton: id });
    expect(found).toEqual([
      `config/prod.json: krypton.signer.externalId: ${RULE}; this one ${detail} (not shown in full: it is a secret)`,
    ]);
    expect(found.join('\n')).not.toContain(id);
  });

  it('refuses an id IAM refuses, without printing it', () => {
    const id = 'has space but is otherwise long and random 9fK2q';
    const found = problems({ funnel: id });
    expect(found).toEqual([
      `config/prod.json: funnel.publisher.externalId: ${RULE}, got a value of ${id.length} characters, starting "has " (not shown in full: it is a secret)`,
    ]);
    expect(found.join('\n')).not.toContain(id);
  });

  it('an id IAM refuses gets one sentence, the IAM rule, however weak it also is', () => {
    const found = problems({ funnel: 'x y' });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      /^config\/prod\.json: funnel\.publisher\.externalId: expected at least 32 characters.*, got a value of 3 characters/,
    );
  });

  // Equivalent mutant: `typeof holder.externalId === 'string'` as `true` (soracom-principal.ts line 130): the field
  // fails first, and zod 4 runs no cross-check on a config whose fields failed.
  it('a role without an external id gets one sentence: it is missing', () => {
    const found = problems({}, (raw) => {
      delete (raw.funnel!.publisher as { externalId?: string }).externalId;
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^config\/prod\.json: funnel\.publisher\.externalId: /);
  });

  it('a config with neither Krypton nor Funnel has no external id to check', () => {
    expect(
      problems({}, (raw) => {
        delete raw.krypton;
        delete raw.funnel;
      }),
    ).toEqual([]);
  });

  it('refuses the same id for the Funnel publisher and the Krypton signer, naming the other field', () => {
    const id = newExternalId();
    const found = problems({ krypton: id, funnel: id });
    expect(found).toEqual([
      `config/prod.json: funnel.publisher.externalId: expected an external id other than krypton.signer.externalId's: each role needs its own, so one that leaks or is registered in the wrong place does not open the other, got a value of 43 characters, starting "${id.slice(0, 4)}" (not shown in full: it is a secret)`,
    ]);
    expect(found.join('\n')).not.toContain(id);
  });

  it('checks only role mode: user mode has no external id', () => {
    expect(
      problems({}, (raw) => {
        raw.krypton!.signer = { mode: 'user' };
      }),
    ).toEqual([]);
  });
});

describe('templates (example: true)', () => {
  it('ship placeholders only, and each shipped config loads', () => {
    const templates = shippedConfigs().filter((config) => config.example === true);
    expect(templates.map((c) => c.configFile)).toEqual(
      expect.arrayContaining([expect.stringMatching(/prod\.example\.json$/)]),
    );
    for (const config of templates) {
      for (const holder of [config.krypton?.signer, config.funnel?.publisher]) {
        if (holder?.mode === 'role')
          expect(holder.externalId.startsWith(EXTERNAL_ID.placeholderPrefix)).toBe(true);
      }
    }
  });

  it('refuse a real-looking external id: a template is published', () => {
    const raw = prodExampleRaw((r) => {
      r.example = true;
    });
    expect(() => parseConfig(raw, 'prod', 'config/prod.example.json')).toThrow(
      `config/prod.example.json: krypton.signer.externalId: expected a placeholder starting "replace-with" in a template (example: true): a template is published, so no real external id belongs in it, got a value of ${TEST_EXTERNAL_IDS.krypton.length} characters, starting "test" (not shown in full: it is a secret)`,
    );
  });
});

describe('an environment file still marked as a template', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-example-env-'));
    fs.copyFileSync(path.join(CONFIG_DIR, 'prod.example.json'), path.join(dir, 'prod.json'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is refused by the environment loader (synth, cdk deploy through the app, deploy-target, the CLI)', () => {
    expect(() => loadEnvironmentConfig('prod', dir)).toThrow(
      `${path.join(dir, 'prod.json')}: example: true marks a template, never deployed; set the account and your own external ids (npx keyless soracom new-external-id), then remove "example"`,
    );
  });

  it('still loads as a file, which is how the tests synthesize the templates', () => {
    expect(loadConfigFile(path.join(dir, 'prod.json'), 'prod').example).toBe(true);
  });
});
