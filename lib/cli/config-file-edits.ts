import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { exampleConfigFile } from '../contract';
import { ConfigurationError } from './exit-codes';

/**
 * Adds things (by name, with the attributes `iot.policy.requiredAttributes` asks for) to `iot.things` of a config
 * file that does not list them yet, keeping everything else. Written with 2-space indent, then through the
 * repository's prettier settings when prettier is installed, so `npm run lint` stays green. Returns the names it
 * added. The config layer only reads: edits like this one are the CLI's.
 */
export function addThingsToConfigFile(file: string, thingNames: readonly string[]): string[] {
  const text = fs.readFileSync(file, 'utf8');
  let raw: { iot?: { things?: { name?: unknown }[] } };
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(
      `${file}: cannot read JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (typeof raw.iot !== 'object' || raw.iot === null) {
    throw new ConfigurationError(
      `${file}: iot: missing; add the iot section (see ${exampleConfigFile('prod')}) before enrolling things`,
    );
  }
  const things = (raw.iot.things ??= []);
  const known = new Set(things.map((thing) => thing.name));
  const added = thingNames.filter((name) => !known.has(name));
  if (added.length === 0) return [];
  // A new thing carries the attributes the IoT policy requires, or it could never get credentials.
  const required =
    (raw.iot as { policy?: { requiredAttributes?: Record<string, string> } }).policy?.requiredAttributes ??
    {};
  things.push(
    ...added.map((name) =>
      Object.keys(required).length > 0 ? { name, attributes: { ...required } } : { name },
    ),
  );
  let output = `${JSON.stringify(raw, null, 2)}\n`;
  output = formatLikeTheRepository(output, file);
  const partial = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(partial, output);
  fs.renameSync(partial, file);
  return added;
}

/** Through the repository's own prettier (a child process: prettier 3 loads ESM), when it is installed. */
function formatLikeTheRepository(json: string, file: string): string {
  let prettier: string;
  try {
    prettier = require.resolve('prettier/bin/prettier.cjs');
  } catch {
    return json; // a production install without dev dependencies: plain 2-space JSON
  }
  return execFileSync(process.execPath, [prettier, '--stdin-filepath', file], {
    input: json,
    encoding: 'utf8',
  });
}
