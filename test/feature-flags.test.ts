import * as fs from 'node:fs';
import * as path from 'node:path';
import { cdkJsonContext, REPO_ROOT } from './support/cdk-app';

/** aws-cdk-lib's own list of the feature flags a new project gets, with their recommended values. */
const RECOMMENDED: Record<string, unknown> = JSON.parse(
  fs.readFileSync(
    path.join(path.dirname(require.resolve('aws-cdk-lib/package.json')), 'recommended-feature-flags.json'),
    'utf8',
  ),
);

/** Where a flag kept off its recommended value is explained, one table row per flag. */
const DECISION = 'docs/decisions/0006-cdk-feature-flags.md';

function documentedDeviations(): Map<string, string> {
  const text = fs.readFileSync(path.join(REPO_ROOT, DECISION), 'utf8');
  const rows = [...text.matchAll(/^\| `(@aws-cdk[^`]+)` \| `([^`]+)` \| (.+) \|$/gm)];
  return new Map(rows.map(([, flag, value, why]) => [flag, `${value} ${why}`]));
}

describe('cdk.json feature flags', () => {
  const context = cdkJsonContext();
  const deviations = documentedDeviations();

  it('sets every flag aws-cdk-lib recommends, so synth prints no "feature flags are not configured"', () => {
    expect(Object.keys(RECOMMENDED).filter((flag) => !(flag in context))).toEqual([]);
  });

  it.each(Object.keys(RECOMMENDED))(
    '%s: the recommended value, or a documented reason for another',
    (flag) => {
      if (JSON.stringify(context[flag]) === JSON.stringify(RECOMMENDED[flag])) {
        expect(deviations.has(flag)).toBe(false);
      } else {
        // The decision record names the flag, the value we keep, and why.
        expect(deviations.get(flag)).toMatch(
          new RegExp(`^${JSON.stringify(context[flag]).replace(/[[\]]/g, '\\$&')} `),
        );
      }
    },
  );
});
