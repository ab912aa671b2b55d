import { resolve } from 'node:path';
import { runProcess } from '../support/run-process';
import { requireTool } from '../support/test-tools';

const ROOT = resolve(__dirname, '../..');
const SCRIPTS = ['device-scripts/bin/keyless-credentials', 'scripts/ensure-test-tools.sh'];

describe('device shell scripts', () => {
  test.each(SCRIPTS)('%s is shellcheck clean as POSIX sh', async (script) => {
    const result = await runProcess(requireTool('shellcheck'), ['--shell=sh', '--severity=style', script], {
      cwd: ROOT,
    });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  test.each([
    ['dash', ['dash', '-n']],
    ['busybox ash', ['busybox', 'sh', '-n']],
  ])('keyless-credentials parses under %s', async (_name, shell) => {
    const result = await runProcess(requireTool(shell[0]), [...shell.slice(1), SCRIPTS[0]], { cwd: ROOT });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
