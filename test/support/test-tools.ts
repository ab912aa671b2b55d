import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Real clients the device tests drive. Absolute paths where PATH holds a different version (pyenv). */
export const TOOLS = {
  /** AWS CLI v2 from Debian's awscli; the `aws` on PATH may be a v1. */
  aws: '/usr/bin/aws',
  /** The system Python, which has python3-boto3; the `python3` on PATH may be pyenv's. */
  python: '/usr/bin/python3',
  dash: 'dash',
  busybox: 'busybox',
  shellcheck: 'shellcheck',
  jq: 'jq',
  curl: 'curl',
  flock: 'flock',
  openssl: 'openssl',
} as const;

/** Absolute path of `tool` (a path or a name looked up on PATH), or undefined when it is not installed. */
export function findTool(tool: string): string | undefined {
  const candidates = tool.includes('/')
    ? [tool]
    : (process.env.PATH ?? '').split(delimiter).map((d) => join(d, tool));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Try the next directory.
    }
  }
  return undefined;
}

/**
 * Absolute path of a tool the test cannot do without. A missing tool fails the test with its name (never a
 * silent skip): `npm test` installs them through scripts/ensure-test-tools.sh.
 */
export function requireTool(tool: string): string {
  const found = findTool(tool);
  if (!found) {
    throw new Error(
      `required test tool '${tool}' is not installed: run 'sh scripts/ensure-test-tools.sh' (npm pretest)`,
    );
  }
  return found;
}
