/**
 * A config document as text, exactly as `prettier` (the repository's settings, .prettierrc) prints it after
 * `JSON.stringify(document, null, 2)`: what the CLI's edits wrote before, through a prettier child process whose
 * output outgrew Node's 1 MB pipe buffer at 10,000 things (ENOBUFS). In process, linear, and without prettier
 * installed. test/cli/config-json-format.test.ts proves the equality with prettier itself on the repository's
 * configs and on generated documents.
 *
 * Prettier's rules for a `.json` file, as they apply to that input:
 * - a non-empty object is always broken, one key per line (its `{` is followed by a line break in the input, and
 *   prettier keeps an object broken that was broken), and breaks every array around it;
 * - an array stays on one line when it fits in the print width (counting the `,` after it), unless it holds
 *   two or more arrays (or objects) that each hold two or more entries; otherwise one element per line, except
 *   an array of numbers only, which fills each line with as many as fit;
 * - strings and keys are printed as JSON.stringify writes them; numbers too, without a `+` in an exponent.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../contract';

/**
 * `printWidth` in the repository's .prettierrc.json, the one place it is set: `npm run lint` checks the config
 * files with it, so the CLI writes them with it. Read when first needed.
 */
export function repositoryPrintWidth(repoRoot: string = REPO_ROOT): number {
  const file = path.join(repoRoot, '.prettierrc.json');
  const width = (JSON.parse(fs.readFileSync(file, 'utf8')) as { printWidth?: unknown }).printWidth;
  if (typeof width !== 'number' || !Number.isInteger(width) || width < 1) {
    throw new Error(`${file}: printWidth: expected a positive whole number, got ${JSON.stringify(width)}`);
  }
  return width;
}

export function formatConfigJson(document: unknown, printWidth: number = repositoryPrintWidth()): string {
  return `${printValue(document, 0, 0, 0, printWidth)}\n`;
}

/**
 * `indent`: the indentation of the line the value is on; `column`: where the value starts; `trail`: the width of
 * what follows it on the same line (a `,`, or nothing).
 */
function printValue(value: unknown, indent: number, column: number, trail: number, width: number): string {
  if (Array.isArray(value)) return printArray(value, indent, column, trail, width);
  if (isObject(value)) {
    const entries = Object.entries(value).filter(([, v]) => isJsonValue(v));
    if (entries.length === 0) return '{}';
    const inner = ' '.repeat(indent + 2);
    const lines = entries.map(([key, v], index) => {
      const last = index === entries.length - 1;
      const prefix = `${JSON.stringify(key)}: `;
      const start = indent + 2 + textWidth(prefix);
      return `${inner}${prefix}${printValue(v, indent + 2, start, last ? 0 : 1, width)}${last ? '' : ','}`;
    });
    return `{\n${lines.join('\n')}\n${' '.repeat(indent)}}`;
  }
  return printScalar(value);
}

function printArray(
  items: readonly unknown[],
  indent: number,
  column: number,
  trail: number,
  width: number,
): string {
  if (items.length === 0) return '[]';
  const elements = items.map((item) => (isJsonValue(item) ? item : null));
  const flat = flatText(elements);
  if (flat !== undefined && !mustBreak(elements) && column + textWidth(flat) + trail <= width) return flat;
  const inner = ' '.repeat(indent + 2);
  const close = `\n${' '.repeat(indent)}]`;
  if (elements.every((item) => typeof item === 'number')) {
    // Numbers fill each line: another one goes on the line while it fits, its `,` included.
    const texts = elements.map(
      (item, index) => `${printScalar(item)}${index < elements.length - 1 ? ',' : ''}`,
    );
    let text = `[\n${inner}${texts[0]}`;
    let position = indent + 2 + textWidth(texts[0]);
    for (const next of texts.slice(1)) {
      if (position + 1 + textWidth(next) <= width) {
        text += ` ${next}`;
        position += 1 + textWidth(next);
      } else {
        text += `\n${inner}${next}`;
        position = indent + 2 + textWidth(next);
      }
    }
    return `${text}${close}`;
  }
  const lines = elements.map((item, index) => {
    const last = index === elements.length - 1;
    return `${inner}${printValue(item, indent + 2, indent + 2, last ? 0 : 1, width)}${last ? '' : ','}`;
  });
  return `[\n${lines.join('\n')}${close}`;
}

/** Two or more arrays (or objects) in a row, each with two or more entries: prettier breaks such an array. */
function mustBreak(elements: readonly unknown[]): boolean {
  if (elements.length < 2) return false;
  const kind = (item: unknown) => (Array.isArray(item) ? 'array' : isObject(item) ? 'object' : undefined);
  const first = kind(elements[0]);
  return (
    first !== undefined &&
    elements.every(
      (item) =>
        kind(item) === first && (Array.isArray(item) ? item.length : Object.keys(item as object).length) > 1,
    )
  );
}

/** The value on one line, or undefined when it cannot be (it holds a non-empty object). */
function flatText(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    const parts: string[] = [];
    for (const item of value) {
      const text = flatText(isJsonValue(item) ? item : null);
      if (text === undefined) return undefined;
      parts.push(text);
    }
    return parts.length === 0 ? '[]' : `[${parts.join(', ')}]`;
  }
  if (isObject(value)) {
    return Object.values(value).some(isJsonValue) ? undefined : '{}';
  }
  return printScalar(value);
}

function printScalar(value: unknown): string {
  if (typeof value === 'number') {
    // prettier prints 1e+21 as 1e21.
    return Number.isFinite(value) ? JSON.stringify(value).replace(/e\+/, 'e') : 'null';
  }
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  return 'null';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What JSON.stringify keeps in an object (it drops undefined, functions and symbols). */
function isJsonValue(value: unknown): boolean {
  return value !== undefined && typeof value !== 'function' && typeof value !== 'symbol';
}

/**
 * Columns a string takes, as prettier counts them: East Asian wide and fullwidth characters (and emoji) take two,
 * combining diacritics (U+0300-U+036F) none.
 */
export function textWidth(text: string): number {
  // eslint-disable-next-line no-control-regex
  if (/^[\u0000-\u007f]*$/.test(text)) return text.length;
  let width = 0;
  for (const character of text) {
    const code = character.codePointAt(0)!;
    if (code >= 0x300 && code <= 0x36f) continue;
    width += isWide(code) || /\p{Extended_Pictographic}/u.test(character) ? 2 : 1;
  }
  return width;
}

/** East Asian Wide (W) and Fullwidth (F) ranges (Unicode's EastAsianWidth.txt, the blocks configs can hold). */
function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0x303e) ||
    (code >= 0x3041 && code <= 0x33ff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0xa000 && code <= 0xa4cf) ||
    (code >= 0xa960 && code <= 0xa97f) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe10 && code <= 0xfe19) ||
    (code >= 0xfe30 && code <= 0xfe6f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1f64f) ||
    (code >= 0x1f900 && code <= 0x1f9ff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  );
}
