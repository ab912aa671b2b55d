import { EXIT_CODES } from '../../lib/cli/exit-codes';
import { documentation, proseLines, readRepoFile } from './documentation';

/**
 * One exit-code table per program, in the one place that program is documented, and equal to the codes the
 * program has: copies of a table drift (the helper's existed three times, and had), so every other page links.
 */

/** A Markdown table whose first column is an exit code, with the heading it sits under. */
interface ExitCodeTable {
  readonly file: string;
  readonly heading: string;
  readonly line: number;
  readonly codes: string[];
}

const cells = (row: string): string[] =>
  row
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((cell) => cell.trim());

/** Every table, outside code blocks, whose first header cell is `exit`, `code` or `exit code`. */
function exitCodeTables(text: string, file: string): ExitCodeTable[] {
  const lines = proseLines(text);
  const tables: ExitCodeTable[] = [];
  let heading = '';
  lines.forEach(({ line, text }, i) => {
    const title = /^#{1,6}\s+(.*)$/.exec(text);
    if (title) heading = title[1].trim();
    const next = lines[i + 1];
    const startsTable =
      text.trimStart().startsWith('|') &&
      next !== undefined &&
      next.line === line + 1 &&
      /^\s*\|\s*:?-{3,}/.test(next.text) &&
      (i === 0 || !lines[i - 1].text.trimStart().startsWith('|'));
    if (!startsTable || !/^(exit|code|exit code)$/i.test(cells(text)[0])) return;
    const codes: string[] = [];
    for (let j = i + 2; j < lines.length && lines[j].text.trimStart().startsWith('|'); j++) {
      codes.push(cells(lines[j].text)[0]);
    }
    tables.push({ file, heading, line, codes });
  });
  return tables;
}

const tables = documentation().flatMap((file) => exitCodeTables(readRepoFile(file), file));

/**
 * The codes a POSIX sh program exits with, as its code spells them: `exit N`, `fail N` (both programs' failure
 * function), `step <name> fail N` (the helper's --check) and `<name>_code=N` (a code kept for a later `fail`).
 * Exits above 128 are the signal traps, documented as one `128+N` row.
 */
function shellExitCodes(file: string): string[] {
  const code = readRepoFile(file)
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n');
  const numbers = [
    ...code.matchAll(/\b(?:exit|fail)\s+(\d+)\b/g),
    ...code.matchAll(/\b[a-z0-9_]+_code=(\d+)\b/g),
  ].map((match) => Number(match[1]));
  const codes = new Set(numbers.map((n) => (n > 128 ? '128+N' : String(n))));
  return [...codes].sort();
}

/** Where each program's table lives: the file and the heading it sits under. */
const HOMES = [
  { program: 'keyless (the operator CLI)', file: 'docs/cli.md', heading: 'Exit codes' },
  {
    program: 'keyless-credentials (the device helper)',
    file: 'docs/device-helper.md',
    heading: 'Exit codes',
  },
  { program: 'install.sh', file: 'docs/device-helper.md', heading: 'Install, and update as root' },
] as const;

const tableAt = (file: string, heading: string): ExitCodeTable | undefined =>
  tables.find((table) => table.file === file && table.heading === heading);

test('each program has exactly one exit-code table, in its home; every other page links to it', () => {
  const where = (table: { file: string; heading: string }): string =>
    `${table.file} under "${table.heading}"`;
  expect(tables.map(where).sort()).toEqual(HOMES.map(where).sort());
});

test("the CLI's table has a row for each code in lib/cli/exit-codes.ts, and no other", () => {
  const expected = [...new Set(Object.values(EXIT_CODES).map(String))].sort();
  expect(tableAt('docs/cli.md', 'Exit codes')?.codes.sort()).toEqual(expected);
});

test("the device helper's table has a row for each code device-scripts/bin/keyless-credentials exits with, and no other", () => {
  const codes = shellExitCodes('device-scripts/bin/keyless-credentials');
  // Guard the reader itself: a helper whose codes it no longer finds would make an empty table pass.
  expect(codes).toEqual(expect.arrayContaining(['0', '2', '3', '4', '5', '6', '7']));
  expect(tableAt('docs/device-helper.md', 'Exit codes')?.codes.sort()).toEqual(codes);
});

test("install.sh's table has a row for each code device-scripts/install.sh exits with, and no other", () => {
  const codes = shellExitCodes('device-scripts/install.sh');
  expect(codes).toEqual(expect.arrayContaining(['0', '1']));
  expect(tableAt('docs/device-helper.md', 'Install, and update as root')?.codes.sort()).toEqual(codes);
});

describe('the table reader', () => {
  it('finds exit-code tables outside code blocks, by their first header cell, with the heading above them', () => {
    const text = [
      '## Exit codes',
      '| exit | meaning |',
      '|---|---|',
      '| 0 | done |',
      '| 128+N | killed |',
      '',
      '```',
      '| code | in a code block |',
      '|---|---|',
      '| 9 | ignored |',
      '```',
      '## Causes',
      '| cause | exit |',
      '|---|---|',
      '| a wrong PIN | 4 |',
    ].join('\n');
    expect(exitCodeTables(text, 'page.md')).toEqual([
      { file: 'page.md', heading: 'Exit codes', line: 2, codes: ['0', '128+N'] },
    ]);
  });
});
