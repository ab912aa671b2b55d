import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import type { KeylessConfig } from '../config';
import { REPO_ROOT } from '../contract';
import type { FunctionCode } from '../constructs/keyless-function';
import { createEnvironmentStacks, type EnvironmentStacks } from '../stacks/environment';

/** What synth makes now for one environment: its stacks (constructs) and each stack's template. */
export interface SynthesizedEnvironment {
  readonly stacks: EnvironmentStacks;
  /** Template JSON by stack name, in the order the stacks were made. */
  readonly templates: ReadonlyMap<string, Record<string, unknown>>;
}

/**
 * Synthesizes an environment in process, as `cdk synth -c env=<env>` does (cdk.json's context, the same stacks),
 * into a temporary directory that is removed afterwards: verify compares what is deployed with this. The
 * validators are left out: they decide whether a template may be deployed, not what it is.
 */
export function synthesizeEnvironment(
  config: KeylessConfig,
  options: { functionCode?: FunctionCode } = {},
): SynthesizedEnvironment {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-verify-'));
  try {
    const app = new App({ context: { ...cdkJson.context, env: config.envName }, outdir });
    const stacks = createEnvironmentStacks(app, config, { functionCode: options.functionCode });
    const assembly = app.synth();
    const templates = new Map<string, Record<string, unknown>>();
    for (const child of app.node.children) {
      if (Stack.isStack(child)) {
        templates.set(
          child.stackName,
          assembly.getStackByName(child.stackName).template as Record<string, unknown>,
        );
      }
    }
    return { stacks, templates };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** JSON with object keys sorted, so two templates compare equal whatever order their keys were written in. */
export function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(
      Object.keys(v as Record<string, unknown>)
        .sort()
        .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
    );
  };
  return JSON.stringify(sort(value));
}

/** The paths (`Resources.X.Properties.Y`) where two templates differ, at most `limit` of them. */
export function templateDifferences(deployed: unknown, synthesized: unknown, limit = 5): string[] {
  const found: string[] = [];
  const walk = (a: unknown, b: unknown, at: string): void => {
    if (found.length >= limit) return;
    if (canonicalJson(a) === canonicalJson(b)) return;
    const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
    if (isObject(a) && isObject(b)) {
      const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
      for (const key of [...keys].sort()) {
        walk(
          (a as Record<string, unknown>)[key],
          (b as Record<string, unknown>)[key],
          at ? `${at}.${key}` : key,
        );
      }
      return;
    }
    found.push(at || '(the whole template)');
  };
  walk(deployed, synthesized, '');
  return found;
}
