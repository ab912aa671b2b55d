import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { NAME_RULES, outputsOf, STACK_PARTS } from '../../lib/contract';
import { REPO_ROOT } from '../support/cdk-app';

/**
 * Nothing outside lib/contract spells a stack name, a physical name, a bucket or repository path, an OutputKey or
 * a name rule: the code is read with the TypeScript parser and every string, template and regular expression
 * literal is checked (comments and prose in docs are not code, and are not checked).
 */

const SCANNED = ['bin', 'lib', 'scripts', 'bench'];
const CONTRACT = path.join('lib', 'contract') + path.sep;

function sourceFiles(dir: string): string[] {
  const absolute = path.join(REPO_ROOT, dir);
  return fs
    .readdirSync(absolute, { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.(ts|js)$/.test(file) && !file.endsWith('.d.ts'))
    .map((file) => path.join(dir, file));
}

interface Literal {
  readonly file: string;
  readonly line: number;
  readonly kind: 'text' | 'regex' | 'number';
  readonly text: string;
}

/** Every literal of a file: strings, the fixed parts of template literals, regular expressions, numbers. */
function literalsOf(file: string): Literal[] {
  const text = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: Literal[] = [];
  const add = (node: ts.Node, kind: Literal['kind'], value: string): void => {
    const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
    found.push({ file, line, kind, text: value });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return;
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'require')
      return;
    // Command names (`.command('fleet')`) are words of the CLI, not paths.
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'command'
    ) {
      return;
    }
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) add(node, 'text', node.text);
    else if (ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) {
      add(node, 'text', node.text);
    } else if (ts.isRegularExpressionLiteral(node)) add(node, 'regex', node.text);
    else if (ts.isNumericLiteral(node)) add(node, 'number', node.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const files = SCANNED.flatMap(sourceFiles).filter((file) => !file.startsWith(CONTRACT));
const literals = files.flatMap(literalsOf);
const where = (literal: Literal): string => `${literal.file}:${literal.line} ${JSON.stringify(literal.text)}`;

test('the scan reads the code it is meant to guard', () => {
  expect(files).toEqual(
    expect.arrayContaining(['bin/app.ts', 'lib/cli/bundle/build.ts', 'scripts/synth.js']),
  );
  expect(literals.length).toBeGreaterThan(1000);
});

test('no OutputKey is spelled outside the contract', () => {
  const keys = new Set(STACK_PARTS.flatMap(outputsOf).map((output) => output.key));
  expect(
    literals
      .filter((l) => l.kind === 'text' && (keys.has(l.text) || /^CertificateId/.test(l.text)))
      .map(where),
  ).toEqual([]);
});

test('no stack name, physical name or name prefix is spelled outside the contract', () => {
  const spelled = /KeylessIot|keyless-iot[-/]|\/aws\/lambda\//;
  expect(literals.filter((l) => l.kind === 'text' && spelled.test(l.text)).map(where)).toEqual([]);
});

test('no bucket prefix or repository path is spelled outside the contract', () => {
  // A literal that is, starts with, or continues with one of the contract's prefixes or file names.
  const prefixes = [
    'things/',
    'krypton/',
    'closed/',
    'device-scripts/',
    'bulk-registration/',
    'devices/',
    'device-data/',
  ];
  // File names as path segments: `path.join(…, 'csr.pem')`, or at the end of a path (not in prose about them).
  const fileNames = ['shards.json', 'csr.pem', 'private.key', 'current.json'];
  const spelled = (text: string): boolean =>
    prefixes.some((prefix) => text === prefix || text.startsWith(prefix) || text.includes(`/${prefix}`)) ||
    fileNames.some((name) => text === name || (text.endsWith(`/${name}`) && !/\s/.test(text))) ||
    // fleet/<env>/ (the data), not lib/fleet/ or test/fleet/ (the code and its tests).
    (/(^|\/)fleet\//.test(text) && !/(^|\/)(lib|test)\/fleet\//.test(text)) ||
    ['fleet', 'config', 'device-scripts'].includes(text);
  expect(literals.filter((l) => l.kind === 'text' && spelled(l.text)).map(where)).toEqual([]);
});

test('no name rule of the contract is written again as a regular expression', () => {
  const rules = new Set(Object.values(NAME_RULES).map((rule) => rule.pattern.source));
  const copies = literals.filter(
    (l) => l.kind === 'regex' && rules.has(l.text.slice(1, l.text.lastIndexOf('/'))),
  );
  expect(copies.map(where)).toEqual([]);
});

test('no AWS limit of the contract is written again as a number', () => {
  // Numbers that are limits and little else: session and credential durations, IoT and CloudFormation sizes.
  const limits = new Set(['43200', '10240', '2028', '1224', '110', '3653']);
  expect(literals.filter((l) => l.kind === 'number' && limits.has(l.text)).map(where)).toEqual([]);
});

test('in the CLI, only the deployed-outputs reader asks CloudFormation for stack outputs', () => {
  const cli = files.filter((file) => file.startsWith(`lib${path.sep}cli`) || file.startsWith('bin'));
  const readers = cli.filter((file) =>
    /\bDescribeStacks(Command)?\b|\.Outputs\b|\bOutputKey\b/.test(
      withoutComments(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8')),
    ),
  );
  expect(readers).toEqual([path.join('lib', 'cli', 'deployed-outputs.ts')]);
});

/** Code without comments, for identifier checks. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}
