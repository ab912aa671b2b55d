import { newExternalId } from '../../lib/cli/soracom-new-external-id';
import { EXTERNAL_ID, externalIdWeakness, followsAwsExternalIdRule } from '../../lib/contract';
import { runKeyless } from '../support/keyless-cli';

describe('keyless soracom new-external-id', () => {
  it('prints one fresh external id on stdout, and nothing else', async () => {
    const run = () => runKeyless(['soracom', 'new-external-id']);
    const [first, second] = [await run(), await run()];
    for (const result of [first, second]) {
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      expect(result.stdout).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    }
    expect(first.stdout).not.toBe(second.stdout);
  });

  it('makes 256 random bits in the config rule: AWS alphabet, 43 characters, never a weak one', () => {
    for (let i = 0; i < 200; i++) {
      const id = newExternalId();
      expect(id).toHaveLength(43);
      expect(followsAwsExternalIdRule(id)).toBe(true);
      expect(externalIdWeakness(id)).toBeUndefined();
    }
    expect(EXTERNAL_ID.generatedBytes * 8).toBe(256);
  });

  it('draws again when the random source gives a weak value, and stops on a broken one', () => {
    const draws = [Buffer.alloc(32, 0), Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 1))];
    expect(newExternalId(() => draws.shift() ?? Buffer.alloc(32))).toBe(
      Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 1)).toString('base64url'),
    );
    expect(() => newExternalId(() => Buffer.alloc(32, 0xff))).toThrow(
      'the random source gave 16 unusable external ids in a row: it is broken, not unlucky',
    );
  });
});
