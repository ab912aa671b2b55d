import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatConfigJson, repositoryPrintWidth } from '../../lib/cli/config-json-format';

const PRINT_WIDTH = repositoryPrintWidth();
import { CONFIG_DIR, REPO_ROOT } from '../support/cdk-app';

/**
 * The CLI writes config files with formatConfigJson instead of running prettier (whose child process broke at
 * 10,000 things). `npm run lint` runs `prettier --check` over config/, so the two must agree byte for byte: each
 * document here is printed both ways, prettier with the repository's own settings.
 */

/**
 * Each document as prettier prints it: written as `JSON.stringify(document, null, 2)` (what the CLI used to hand
 * prettier) to files that one prettier process formats with the repository's .prettierrc. (Jest cannot load
 * prettier 3 in-process: it is ESM behind a dynamic import.)
 */
function byPrettier(documents: readonly unknown[]): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-prettier-'));
  try {
    const files = documents.map((document, index) => {
      const file = path.join(dir, `${index}.json`);
      fs.writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
      return file;
    });
    // The repository's settings, found the way `prettier --check` finds them: next to the files.
    fs.copyFileSync(path.join(REPO_ROOT, '.prettierrc.json'), path.join(dir, '.prettierrc.json'));
    execFileSync(
      process.execPath,
      [require.resolve('prettier/bin/prettier.cjs'), '--write', '--log-level', 'warn', dir],
      { stdio: 'pipe', cwd: dir },
    );
    return files.map((file) => fs.readFileSync(file, 'utf8'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A small deterministic PRNG (mulberry32): the same documents on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  'sensor',
  'tokyo',
  'Owner',
  'keyless',
  'アクセス',
  '東京',
  'naïve',
  'e\u0301',
  'tab\there',
  'q"uote',
  '😀',
];

/** A random JSON document whose arrays and strings land on both sides of the print width. */
function randomDocument(next: () => number, depth = 0): unknown {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)];
  const string = () =>
    Array.from({ length: 1 + Math.floor(next() * 6) }, () => pick(WORDS)).join(pick(['-', ' ', '']));
  const scalar = (): unknown =>
    pick([
      () => string(),
      () => Math.floor(next() * 100000),
      () => next() * 1000,
      () => pick([true, false, null]),
      () => pick([1e21, -0.5, 12345678901234]),
    ])();
  const array = (): unknown[] => {
    const length = Math.floor(next() * 14);
    const kind = pick(['strings', 'numbers', 'mixed', 'nested', 'pairs']);
    return Array.from({ length }, () =>
      kind === 'strings'
        ? string()
        : kind === 'numbers'
          ? Math.floor(next() * 1e6)
          : kind === 'pairs'
            ? [string(), Math.floor(next() * 100)]
            : kind === 'nested' && depth < 4
              ? randomDocument(next, depth + 1)
              : scalar(),
    );
  };
  if (depth >= 4) return scalar();
  const keys = Math.floor(next() * 6);
  const object: Record<string, unknown> = {};
  for (let i = 0; i < keys; i += 1) {
    object[`${string()}${i}`] = pick([
      scalar,
      array,
      array,
      () => randomDocument(next, depth + 1),
      () => ({}),
    ])();
  }
  return object;
}

/** The documents, by what they exercise. */
function samples(): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const file of fs
    .readdirSync(CONFIG_DIR)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))) {
    out.push([`config/${file}`, JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, file), 'utf8'))]);
  }
  for (let length = PRINT_WIDTH - 30; length <= PRINT_WIDTH + 4; length += 1) {
    const text = 'x'.repeat(length);
    const tags = [text.slice(0, Math.floor(length / 2)), text.slice(Math.floor(length / 2))];
    out.push([
      `arrays of ${length} characters, at several depths, with and without a comma after`,
      { a: tags, b: { deeper: tags, last: tags }, c: [tags, 'x'], d: tags },
    ]);
    out.push([
      `wide characters, ${length}`,
      { wide: ['東京'.repeat(Math.floor(length / 8)), 'x'.repeat(length % 7)] },
    ]);
  }
  out.push(['numbers fill their lines', { ports: Array.from({ length: 80 }, (_, i) => i * 997) }]);
  out.push([
    'arrays of pairs break',
    {
      grid: [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      single: [[1, 2]],
      mixed: [[1, 2], 'x'],
      shortPairs: [[1], [2]],
    },
  ]);
  out.push(['empty arrays and objects', { none: [], nothing: {}, inside: [{}, [], [[]]], deep: [[[]]] }]);
  out.push(['number spellings', { floats: [0.1, -0.5, 1e21, 1e-7, 12345678901234] }]);
  const dev = JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, 'dev.json'), 'utf8'));
  dev.iot.things = Array.from({ length: 2000 }, (_, i) => ({
    name: `sensor-${String(i).padStart(5, '0')}`,
    attributes: { Owner: 'keyless', Site: i % 2 ? 'tokyo' : 'osaka' },
    ...(i % 7 === 0 ? { status: 'inactive' } : {}),
    ...(i % 11 === 0 ? { quarantined: true } : {}),
  }));
  out.push(['a config of 2,000 things, as the CLI edits leave it', dev]);
  const next = random(20);
  for (let i = 0; i < 300; i += 1) out.push([`generated document ${i}`, randomDocument(next)]);
  return out;
}

describe('formatConfigJson prints exactly what prettier prints', () => {
  const cases = samples();
  let printed: string[];
  beforeAll(() => {
    printed = byPrettier(cases.map(([, document]) => document));
  });

  it.each(cases.map(([name], index) => [name, index] as const))('%s', (_name, index) => {
    expect(formatConfigJson(cases[index][1])).toBe(printed[index]);
  });
});
