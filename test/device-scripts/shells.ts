import { requireTool } from '../support/test-tools';
import { DeviceFixture } from './device-fixture';

/**
 * The POSIX shells the helper must run under, as [name in the test title, command]: Debian's /bin/sh, and the
 * ash of the BusyBox images small devices ship.
 */
export const SHELLS: [string, string[]][] = [
  ['dash', ['dash']],
  ['busybox ash', ['busybox', 'sh']],
];

/**
 * The emulators and device files one test file drives the helper against: a {@link DeviceFixture} started in
 * `beforeAll` once every tool in `tools` is found (a missing one fails the file with its name, never a skip) and
 * stopped in `afterAll`. A file's own `beforeAll`, declared after this call, runs after the fixture has started.
 */
export function startedDeviceFixture(tools: readonly string[]): DeviceFixture {
  const fixture = new DeviceFixture();
  beforeAll(async () => {
    for (const tool of tools) requireTool(tool);
    await fixture.start();
  });
  afterAll(async () => {
    await fixture.stop();
  });
  return fixture;
}
