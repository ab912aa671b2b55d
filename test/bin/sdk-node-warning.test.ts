import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKeyless } from '../support/keyless-cli';

/**
 * The AWS SDK's Node-version notice (9 lines on every command under Node < 22) is noise for an operator: the SDK is
 * pinned here. bin/keyless.js turns it off unless the operator sets the SDK's variable themselves.
 */
const sdkWarnsOnThisNode = Number(process.versions.node.split('.')[0]) < 22;

async function keylessWithoutCredentials(extraEnv: Record<string, string> = {}) {
  const home = mkdtempSync(join(tmpdir(), 'keyless-nocreds-'));
  try {
    // Node's warnings stay on: the notice is one, and the point is that bin/keyless.js turns it off itself.
    return await runKeyless(['bundle', '--env', 'dev', '--thing', 'sensor-001', '--out', home], {
      home,
      nodeWarnings: true,
      env: extraEnv,
    });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

test('a failing command prints its one cause line and no SDK notice about the Node version', async () => {
  const result = await keylessWithoutCredentials();
  // Exit 4 (docs/cli.md): AWS refused or could not be asked.
  expect(result.code).toBe(4);
  expect(result.stderr).toMatch(/^keyless: no AWS credentials found for account 111111111111: .*\n$/);
});

(sdkWarnsOnThisNode ? test : test.skip)('an operator who asks for the notice still gets it', async () => {
  const result = await keylessWithoutCredentials({
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'false',
  });
  expect(result.stderr).toContain('NodeVersionSupportWarning');
});
