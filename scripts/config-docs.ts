// `npm run docs:config`: writes the JSON Schema of the config (config/keyless.schema.json, named by "$schema" in
// every config file so editors validate as you type) and the configuration reference (docs/configuration.md),
// both generated from the zod schema in lib/config. `-- --check` only says whether the committed files are
// current (test/docs/config-docs.test.ts runs the same comparison in `npm test`).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { CONFIG_SCHEMA_FILE, REPO_ROOT } from '../lib/contract';
import { configSchema } from '../lib/config/schema';

export { REPO_ROOT };
/** Repository-relative paths of the two generated files. */
export const SCHEMA_FILE = CONFIG_SCHEMA_FILE;
export const REFERENCE_FILE = 'docs/configuration.md';

/** The subset of JSON Schema (draft-07) that z.toJSONSchema emits for this config. */
export interface JsonSchema {
  $schema?: string;
  title?: string;
  description?: string;
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
}

/**
 * The config's JSON Schema. Draft-07, because every editor's JSON language service understands it; input
 * types (`io: "input"`), so a field with a default is optional, as it is for the loader.
 */
export function configJsonSchema(): JsonSchema {
  const generated = z.toJSONSchema(configSchema, { target: 'draft-07', io: 'input' }) as JsonSchema;
  const { $schema, ...rest } = generated;
  const schema: JsonSchema = { $schema, title: 'keyless-iot environment configuration', ...rest };
  const undescribed = fieldsWithoutDescription(schema, '');
  if (undescribed.length > 0) {
    throw new Error(
      `config fields without a description: ${undescribed.join(', ')}: add .describe('…') next to each in lib/config`,
    );
  }
  return schema;
}

export function renderJsonSchema(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

function fieldsWithoutDescription(node: JsonSchema, at: string): string[] {
  const missing: string[] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const where = at ? `${at}.${key}` : key;
    if (!child.description) missing.push(where);
    missing.push(...fieldsWithoutDescription(child, where));
  }
  if (node.items) missing.push(...fieldsWithoutDescription(node.items, `${at}[]`));
  for (const variant of node.oneOf ?? node.anyOf ?? [])
    missing.push(...fieldsWithoutDescription(variant, at));
  return missing;
}

// ---------------------------------------------------------------------------------------------------------
// The reference: one table per section, rows in schema order.

interface Row {
  field: string;
  type: string;
  fallback: string;
  allowed: string;
  description: string;
}

const code = (text: string): string => `\`${text.replace(/\|/g, '\\|')}\``;
const json = (value: unknown): string => code(JSON.stringify(value));
/** Descriptions are plain text (editors show them as such); in a Markdown table, a few characters are syntax. */
const prose = (text: string): string =>
  text.replace(/[\\|*<>]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : `\\${c}`));

function typeOf(node: JsonSchema): string {
  if (node.const !== undefined) return `${node.type ?? typeof node.const} ${json(node.const)}`;
  if (node.oneOf || node.anyOf) return 'object, one of the variants below';
  if (node.type === 'array') return `array of ${node.items ? typeOf(node.items) : 'any'}`;
  if (node.type === 'object' && node.additionalProperties && typeof node.additionalProperties === 'object') {
    return `map of ${node.propertyNames?.type ?? 'string'} to ${typeOf(node.additionalProperties)}`;
  }
  return node.type ?? 'any';
}

function range(min: number | undefined, max: number | undefined, unit: string): string | undefined {
  const of = (n: number): string => (n === 1 && unit ? `${n}${unit.replace(/s$/, '')}` : `${n}${unit}`);
  // z.int() bounds a field to safe integers; that is not a limit worth a reader's time.
  const lo = min === undefined || min <= Number.MIN_SAFE_INTEGER ? undefined : min;
  const hi = max === undefined || max >= Number.MAX_SAFE_INTEGER ? undefined : max;
  if (lo !== undefined && hi !== undefined) return `${lo}–${hi}${unit}`;
  if (lo !== undefined) return `at least ${of(lo)}`;
  if (hi !== undefined) return `at most ${of(hi)}`;
  return undefined;
}

function limitsOf(node: JsonSchema): string[] {
  const limits: string[] = [];
  if (node.enum) limits.push(`one of ${node.enum.map((v) => json(v)).join(', ')}`);
  const bounds = [
    range(node.minimum, node.maximum, ''),
    range(node.minLength, node.maxLength, ' characters'),
    range(node.minItems, node.maxItems, ' items'),
  ];
  limits.push(...bounds.filter((b): b is string => b !== undefined));
  if (node.format) limits.push(`format ${node.format}`);
  else if (node.pattern) limits.push(`pattern ${code(node.pattern)}`);
  if (node.propertyNames) limits.push(...limitsOf(node.propertyNames).map((l) => `keys: ${l}`));
  if (node.additionalProperties && typeof node.additionalProperties === 'object') {
    limits.push(...limitsOf(node.additionalProperties).map((l) => `values: ${l}`));
  }
  if (node.type === 'array' && node.items && !node.items.properties) {
    limits.push(...limitsOf(node.items).map((l) => `each: ${l}`));
  }
  return limits;
}

function fallbackOf(node: JsonSchema, required: boolean): string {
  if (node.default !== undefined) {
    const isObject =
      typeof node.default === 'object' && node.default !== null && !Array.isArray(node.default);
    return isObject && Object.keys(node.default as object).length > 0
      ? 'the defaults below'
      : json(node.default);
  }
  return required ? '**required**' : '(absent)';
}

function rowsOf(node: JsonSchema, at: string, label = ''): Row[] {
  const rows: Row[] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const field = at ? `${at}.${key}` : key;
    rows.push({
      field: code(field) + label,
      type: typeOf(child),
      fallback: fallbackOf(child, node.required?.includes(key) ?? false),
      allowed: limitsOf(child).join('; '),
      description: prose(child.description ?? ''),
    });
    rows.push(...childRows(child, field));
  }
  return rows;
}

function childRows(node: JsonSchema, field: string): Row[] {
  if (node.properties) return rowsOf(node, field);
  if (node.items?.properties) return rowsOf(node.items, `${field}[]`);
  const variants = node.oneOf ?? node.anyOf ?? [];
  return variants.flatMap((variant) => {
    const [tag, tagSchema] =
      Object.entries(variant.properties ?? {}).find(([, p]) => p.const !== undefined) ?? [];
    const label = tag ? ` (${tag} ${json(tagSchema?.const)})` : '';
    return [
      {
        field: code(field) + label,
        type: 'variant',
        fallback: '',
        allowed: '',
        description: prose(variant.description ?? ''),
      },
      ...rowsOf(variant, field, label).filter((row) => row.field !== `${code(`${field}.${tag}`)}${label}`),
    ];
  });
}

function table(rows: Row[]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [
    line(['field', 'type', 'default', 'allowed values / limits', 'description']),
    line(['---', '---', '---', '---', '---']),
    ...rows.map((r) => line([r.field, r.type, r.fallback, r.allowed, r.description])),
  ].join('\n');
}

/** Paths of zod nodes carrying a refinement: checks (cross-field and others) that JSON Schema cannot express. */
export function refinedFields(): { field: string; across: boolean }[] {
  const found: { field: string; across: boolean }[] = [];
  const visit = (node: z.core.$ZodType, at: string): void => {
    const def = node._zod.def as unknown as Record<string, unknown>;
    const checks = (def.checks ?? []) as { _zod: { def: { check: string } } }[];
    if (checks.some((check) => check._zod.def.check === 'custom'))
      found.push({ field: at, across: def.type === 'object' });
    switch (def.type) {
      case 'optional':
      case 'default':
      case 'nullable':
        return visit(def.innerType as z.core.$ZodType, at);
      case 'pipe':
        return visit(def.in as z.core.$ZodType, at);
      case 'object':
        for (const [key, child] of Object.entries(def.shape as Record<string, z.core.$ZodType>)) {
          visit(child, at ? `${at}.${key}` : key);
        }
        return;
      case 'array':
        return visit(def.element as z.core.$ZodType, `${at}[]`);
      case 'record':
        return visit(def.valueType as z.core.$ZodType, `${at}.<key>`);
      case 'union':
        for (const option of def.options as z.core.$ZodType[]) visit(option, at);
        return;
      default:
        return;
    }
  };
  visit(configSchema, '');
  return found;
}

export function renderReference(): string {
  const schema = configJsonSchema();
  const top = schema.properties ?? {};
  const sectionKeys = Object.keys(top).filter((key) => top[key].type === 'object' && top[key].properties);
  const general: JsonSchema = {
    properties: Object.fromEntries(Object.entries(top).filter(([key]) => !sectionKeys.includes(key))),
    required: schema.required,
  };
  const sections = sectionKeys.map((key) => {
    const section: JsonSchema = { properties: { [key]: top[key] }, required: schema.required };
    return [`## \`${key}\``, '', table(rowsOf(section, ''))].join('\n');
  });
  return [
    '<!-- Generated by `npm run docs:config` from the zod schema in lib/config: do not edit by hand. -->',
    '',
    '# Configuration reference',
    '',
    'One JSON file per environment, `config/<env>.json`, selected with `-c env=<env>` (default `dev`);',
    '`config/*.example.json` are templates. The loader (`lib/config`) validates the whole file before any',
    'construct exists and reports every problem at once, one line each, naming the file, the field, the bad value',
    'and what is valid. Unknown keys are errors. Nothing is looked up in AWS at synth: VPC ids, route tables and',
    'availability zones are in the file.',
    '',
    `Every field below comes from the schema itself (\`.describe()\` next to each field in \`lib/config\`). The same`,
    `schema is published as JSON Schema in [\`${SCHEMA_FILE}\`](../${SCHEMA_FILE}); each config file names it`,
    'with `"$schema": "./keyless.schema.json"`, so an editor with JSON Schema support (VS Code, JetBrains IDEs)',
    'completes and checks the file as you type. After changing the schema, run `npm run docs:config`; `npm test`',
    'fails while either generated file is stale.',
    '',
    '"default" is what the loader fills in when the field is absent; **required** fields have none; (absent)',
    'means the field is optional and its absence has the meaning its description gives.',
    '',
    '## General',
    '',
    table(rowsOf(general, '')),
    '',
    ...sections.flatMap((section) => [section, '']),
    '## What the JSON Schema cannot check',
    '',
    'JSON Schema describes each value on its own. The checks below are zod refinements — rules across fields,',
    'uniqueness, counts in a map, allowed-value lists of numbers — that the JSON Schema does not carry: an editor',
    'accepts a file that breaks them, and `npm run synth` (the loader) rejects it with a message naming the field.',
    'Each rule is stated in the description of the field it concerns. Fields and sections with such a check:',
    '',
    ...refinedFields().map(({ field, across }) =>
      field
        ? `- ${code(field)}${across ? ': rules across its fields' : ''}`
        : '- the top level: rules across sections',
    ),
    '',
    "The loader also reads files the JSON Schema cannot: each thing's CSR (PEM, subject CN = the thing name, key",
    'strength, self-signature) and the shard lock `fleet/<env>/shards.json`.',
    '',
  ].join('\n');
}

/** The generated files and their current content, repository-relative. */
export function generatedFiles(): Record<string, string> {
  return { [SCHEMA_FILE]: renderJsonSchema(), [REFERENCE_FILE]: renderReference() };
}

function main(): void {
  const check = process.argv.includes('--check');
  const files = generatedFiles();
  const stale: string[] = [];
  for (const [file, content] of Object.entries(files)) {
    const target = path.join(REPO_ROOT, file);
    const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : undefined;
    if (current === content) continue;
    if (check) {
      stale.push(file);
    } else {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, content);
      console.log(`wrote ${file}`);
    }
  }
  if (stale.length > 0) {
    console.error(
      `out of date with lib/config: ${stale.join(', ')}: run npm run docs:config and commit the result`,
    );
    process.exit(1);
  }
  if (check) console.log(`${Object.keys(files).join(' and ')} are up to date`);
}

if (require.main === module) main();
