import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The device helper (and install.sh) reads top-down, as acme.sh, dehydrated and Google's shell style guide lay a program out: the
 * header comment, the constants, every function, and `main "$@"` as the last line, so a reader finds the path a
 * call takes in `main` and each step in a function of its own. The helper is read as it is written (shfmt's
 * layout, which shellcheck and prettier-minded review keep): a function opens with `name() {` and, unless it is a
 * one-liner, closes with a `}` alone at the start of a line; a constant is an upper-case `NAME=value` whose value
 * runs no command (a single-quoted value may span lines: the jq programs).
 */
const DEVICE_SCRIPTS = resolve(__dirname, '../../device-scripts');
const MAX_FUNCTION_LINES = 110;

/** Each script, with functions it is known to have (so a reading that finds nothing cannot pass). */
const SCRIPTS: [string, { known: string[]; atLeast: number }][] = [
  [
    'bin/keyless-credentials',
    { known: ['fail', 'enter_cache_dir', 'load_config', 'request', 'run_check'], atLeast: 50 },
  ],
  ['install.sh', { known: ['say', 'fail', 'put', 'check_sums', 'install_config'], atLeast: 15 }],
];

interface ShellFunction {
  readonly name: string;
  /** 1-based line of `name() {`. */
  readonly line: number;
  /** Lines between the opening and the closing brace (0 for a one-liner). */
  readonly bodyLines: number;
}

interface Layout {
  readonly functions: ShellFunction[];
  /** 1-based lines of the constants, in order. */
  readonly constants: number[];
  /** Anything at the top level that is neither a comment, a constant nor a function, with its line. */
  readonly code: string[];
  readonly lastLine: string;
}

function layoutOf(text: string): Layout {
  const lines = text.split('\n');
  let last = lines.length - 1;
  while (last >= 0 && lines[last].trim() === '') last -= 1;
  const functions: ShellFunction[] = [];
  const constants: number[] = [];
  const code: string[] = [];
  const quotes = (line: string): number => line.split("'").length - 1;
  let i = 0;
  while (i < last) {
    const line = lines[i];
    const opening = /^([A-Za-z_][A-Za-z0-9_]*)\(\) \{(.*)$/.exec(line);
    if (line.trim() === '' || /^\s*#/.test(line)) {
      i += 1;
    } else if (opening) {
      const rest = opening[2].replace(/(^|\s)#.*$/, '').trim();
      let end = i;
      if (!rest.endsWith('}')) {
        end = i + 1;
        while (end < last && lines[end] !== '}') end += 1;
      }
      functions.push({ name: opening[1], line: i + 1, bodyLines: Math.max(0, end - i - 1) });
      i = end + 1;
    } else if (/^[A-Z][A-Z0-9_]*=/.test(line) && !/\$\(|`/.test(line)) {
      constants.push(i + 1);
      let end = i;
      if (quotes(line) % 2 === 1) {
        end = i + 1;
        while (end < last && quotes(lines[end]) % 2 === 0) end += 1;
      }
      i = end + 1;
    } else {
      code.push(`${i + 1}: ${line}`);
      i += 1;
    }
  }
  return { functions, constants, code, lastLine: last >= 0 ? lines[last] : '' };
}

describe.each(SCRIPTS)('device-scripts/%s reads top-down', (script, { known, atLeast }) => {
  const layout = layoutOf(readFileSync(resolve(DEVICE_SCRIPTS, script), 'utf8'));

  test('its last line is main "$@", and main is a function of the file', () => {
    expect(layout.lastLine).toBe('main "$@"');
    expect(layout.functions.map((f) => f.name)).toContain('main');
  });

  test('before it there are only comments, constants and function definitions', () => {
    expect(layout.code).toEqual([]);
  });

  test('the constants come first, every function after them', () => {
    const firstFunction = Math.min(...layout.functions.map((f) => f.line));
    expect(layout.constants.filter((line) => line > firstFunction)).toEqual([]);
  });

  test(`no function is longer than ${MAX_FUNCTION_LINES} lines`, () => {
    expect(
      layout.functions
        .filter((f) => f.bodyLines > MAX_FUNCTION_LINES)
        .map((f) => `${f.name}: ${f.bodyLines}`),
    ).toEqual([]);
  });

  test('the reading holds: it finds the functions the script is known to have, each once', () => {
    const names = layout.functions.map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(known));
    expect(names.filter((name, index) => names.indexOf(name) !== index)).toEqual([]);
    expect(layout.functions.length).toBeGreaterThanOrEqual(atLeast);
  });
});

describe('the layout reader', () => {
  test('tells constants, functions and top-level code apart', () => {
    const layout = layoutOf(
      [
        '#!/bin/sh',
        'A=1',
        "PROGRAM='",
        'a',
        "'",
        'one() { :; }',
        'two() { # a comment',
        '  :',
        '  :',
        '}',
        'x=1',
        'B=$(date)',
        'main "$@"',
        '',
      ].join('\n'),
    );
    expect(layout.constants).toEqual([2, 3]);
    expect(layout.functions).toEqual([
      { name: 'one', line: 6, bodyLines: 0 },
      { name: 'two', line: 7, bodyLines: 2 },
    ]);
    expect(layout.code).toEqual(['11: x=1', '12: B=$(date)']);
    expect(layout.lastLine).toBe('main "$@"');
  });
});
