import { PassThrough } from 'node:stream';
import { terminalAuthKeyPrompt } from '../../lib/cli/operator-clients';

const AUTH = { SORACOM_AUTH_KEY_ID: 'keyId-test-0001', SORACOM_AUTH_KEY: 'secret-test-auth-key-0001' };

describe('the terminal prompt', () => {
  /** A stand-in terminal: input the test types into, output that records what the operator would see. */
  function terminal() {
    const input = Object.assign(new PassThrough(), {
      isTTY: true,
      rawModes: [] as boolean[],
      setRawMode(mode: boolean) {
        input.rawModes.push(mode);
        return input;
      },
    });
    const output = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
    let shown = '';
    output.on('data', (chunk: Buffer) => (shown += chunk.toString('utf8')));
    return { input, output, shown: () => shown };
  }

  it('reads the auth key id, then the auth key with echo off', async () => {
    const tty = terminal();
    const ask = terminalAuthKeyPrompt(
      tty.input as unknown as NodeJS.ReadStream,
      tty.output as unknown as NodeJS.WriteStream,
    );
    const answer = ask!();
    tty.input.write(`${AUTH.SORACOM_AUTH_KEY_ID}\n`);
    await new Promise((resolve) => setImmediate(resolve));
    tty.input.write(`${AUTH.SORACOM_AUTH_KEY}x\u007f\r`);
    expect(await answer).toEqual({ authKeyId: AUTH.SORACOM_AUTH_KEY_ID, authKey: AUTH.SORACOM_AUTH_KEY });
    // The key is read in raw mode (nothing echoed) and the terminal is left as it was.
    expect(tty.input.rawModes.slice(-2)).toEqual([true, false]);
    expect(tty.shown()).toContain('SORACOM auth key (not shown): ');
    expect(tty.shown()).not.toContain(AUTH.SORACOM_AUTH_KEY);
  });

  it('is not offered without a terminal', () => {
    const notTty = Object.assign(new PassThrough(), { isTTY: false });
    expect(terminalAuthKeyPrompt(notTty as unknown as NodeJS.ReadStream)).toBeUndefined();
  });
});
