import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  DEVICE_REFRESH_JITTER_SECONDS,
  DEVICE_REFRESH_MARGIN_MIN_SECONDS,
  DEVICE_REFRESH_MARGIN_SECONDS,
  LIMITS,
} from '../../lib/contract';

/**
 * The numbers the device helper shares with the backend have one home on each side: a named constant near the top
 * of device-scripts/bin/keyless-credentials, and lib/contract. Changing either alone fails here. The helper's name
 * rules are tied to lib/config/rules.ts by running them (test/device-scripts/keyless-credentials-config.test.ts);
 * numbers need no shell, so this runs in the unit project.
 */
const HELPER = resolve(__dirname, '../../device-scripts/bin/keyless-credentials');
const lines = readFileSync(HELPER, 'utf8').split('\n');

/** The helper's constant, under the contract's name where it has one, and the contract's value. */
const SHARED: Record<string, number> = {
  DEVICE_REFRESH_MARGIN_SECONDS,
  DEVICE_REFRESH_MARGIN_MIN_SECONDS,
  DEVICE_REFRESH_JITTER_SECONDS,
  // The longest lifetime AWS issues: the role alias's credentialDurationSeconds, within the role's MaxSessionDuration.
  MAX_LIFETIME_SECONDS: Math.max(
    LIMITS.credentialDurationSeconds.max,
    LIMITS.roleMaxSessionDurationSeconds.max,
  ),
};

test.each(Object.entries(SHARED))(
  'the helper defines %s once, with the contract’s value %d',
  (name, value) => {
    expect(lines.filter((line) => line.startsWith(`${name}=`))).toEqual([`${name}=${value}`]);
  },
);

test('the helper’s code names the shared numbers: none is written as a literal outside its definition', () => {
  // Code is the shell and the jq programs in it; comments may say a number. Other constants' definitions
  // (SKEW_TOLERANCE_SECONDS=300) are the helper's own numbers, equal only by chance.
  const code = lines
    .map((line, index) => ({ at: index + 1, text: line.replace(/\s#\s.*$/, '') }))
    .filter(({ text }) => !/^\s*#/.test(text) && !/^[A-Z][A-Z0-9_]*=[0-9]+$/.test(text));
  const literals = Object.entries(SHARED).flatMap(([name, value]) =>
    code
      .filter(({ text }) => new RegExp(`(^|[^0-9.])${value}([^0-9]|$)`).test(text))
      .map(({ at, text }) => `${name} (${value}) at line ${at}: ${text.trim()}`),
  );
  expect(literals).toEqual([]);
});

test('the margin a bundle writes into device.json is one the helper accepts', () => {
  expect(DEVICE_REFRESH_MARGIN_SECONDS).toBeGreaterThanOrEqual(DEVICE_REFRESH_MARGIN_MIN_SECONDS);
  expect(DEVICE_REFRESH_MARGIN_SECONDS).toBeLessThanOrEqual(SHARED.MAX_LIFETIME_SECONDS);
});
