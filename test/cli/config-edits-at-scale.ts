import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatConfigJson } from '../../lib/cli/config-json-format';
import { addThingsToConfigFile, setThingLifecycle } from '../../lib/cli/config-file-edits';
import { decommission } from '../../lib/cli/device/decommission';
import { loadEditableConfig } from '../../lib/cli/device/context';
import { enroll } from '../../lib/cli/enroll';
import { writeFleetPlan } from '../../lib/cli/fleet-plan';
import { recordPlacements } from '../../lib/cli/shard-lock-file';
import { parseConfig } from '../../lib/config';
import { layoutFleet } from '../../lib/fleet/placement';
import { CONFIG_DIR } from '../support/cdk-app';
import { answerAsDeployed, clientsIn } from './device/device-fixture';

/**
 * Every file edit the CLI makes, on a fleet of `count` things (issue 20: at 10,002 things `keyless enroll` failed
 * with `spawnSync … ENOBUFS`, prettier's output having outgrown Node's 1 MB pipe buffer). The edit functions run
 * directly on a generated config; enroll adds one thing (one key), not the fleet. 10,000 things run with the unit
 * tests (config-edits-at-scale.test.ts), 50,000 with the slow ones (config-edits-at-scale.e2e.test.ts).
 */
export function describeConfigEditsAt(count: number): void {
  describe(`the CLI edits a config of ${count} things`, () => {
    let root: string;
    let configDir: string;
    let file: string;
    const thing = (i: number) => `scale-${String(i).padStart(5, '0')}`;
    const validate = (raw: unknown) => void parseConfig(raw, 'dev', file, root);
    const read = () => JSON.parse(fs.readFileSync(file, 'utf8'));
    const names = (raw: { iot: { things: Array<{ name: string }> } }) => raw.iot.things.map((t) => t.name);

    beforeAll(() => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), `keyless-scale-${count}-`));
      configDir = path.join(root, 'config');
      fs.mkdirSync(configDir);
      file = path.join(configDir, 'dev.json');
      const raw = JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, 'dev.json'), 'utf8'));
      raw.iot.things = Array.from({ length: count }, (_, i) => ({
        name: thing(i),
        attributes: { Owner: 'keyless', Site: i % 2 ? 'tokyo' : 'osaka' },
      }));
      fs.writeFileSync(file, formatConfigJson(raw));
      // Every thing placed, as `fleet plan --write` leaves a committed fleet.
      const config = parseConfig(raw, 'dev', file, root);
      recordPlacements(config.fleet!, layoutFleet(config.fleet!.things, config.fleet!.shardLock));
      expect(fs.statSync(file).size).toBeGreaterThan(count * 90);
    });
    afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

    it('enroll adds one more thing: its key, CSR, config entry and shard', async () => {
      const result = await enroll({ envName: 'dev', things: ['one-more'], repoRoot: root, configDir });
      expect(result).toMatchObject({ enrolled: ['one-more'], addedToConfig: ['one-more'] });
      expect(Object.keys(result.shardLock!.placed)).toEqual(['one-more']);
      const raw = read();
      expect(names(raw)).toHaveLength(count + 1);
      expect(names(raw).at(-1)).toBe('one-more');
      // Written as prettier prints it (test/cli/config-json-format.test.ts proves that equality).
      expect(fs.readFileSync(file, 'utf8')).toBe(formatConfigJson(raw));
      expect(fs.existsSync(path.join(root, 'fleet', 'dev', 'one-more', 'private.key'))).toBe(true);
    });

    it('adds things by hand-off (addThingsToConfigFile) and `fleet plan --write` records them', () => {
      expect(addThingsToConfigFile(file, [thing(count), thing(count + 1)])).toEqual([
        thing(count),
        thing(count + 1),
      ]);
      const config = parseConfig(read(), 'dev', file, root);
      const { written } = writeFleetPlan(config);
      expect(Object.keys(written!.placed)).toEqual([thing(count), thing(count + 1)]);
    });

    it('device revoke and quarantine: one thing changes, validated first, the others stay as they were', () => {
      const before = read();
      const middle = thing(Math.floor(count / 2));
      expect(setThingLifecycle(file, middle, { status: 'revoked', quarantined: true }, { validate })).toBe(
        true,
      );
      const after = read();
      const index = names(after).indexOf(middle);
      expect(after.iot.things[index]).toMatchObject({ name: middle, status: 'revoked', quarantined: true });
      expect(after.iot.things.filter((_: unknown, i: number) => i !== index)).toEqual(
        before.iot.things.filter((_: unknown, i: number) => i !== index),
      );
      expect(fs.readFileSync(file, 'utf8')).toBe(formatConfigJson(after));
    });

    it('device decommission: the thing leaves the config and the shard lock, nobody moves', async () => {
      const gone = thing(1);
      const outDir = path.join(root, 'dist', 'bundles');
      // AWS as the device tests' stand-in answers it: the thing's Fleet stack has no certificate of it.
      answerAsDeployed();
      const editable = loadEditableConfig('dev', { repoRoot: root, configDir });
      const result = await decommission(editable, clientsIn(), gone, { outDir });
      expect(result.shardLock).toMatchObject({ released: [gone] });
      expect(names(read())).not.toContain(gone);
      expect(fs.readFileSync(file, 'utf8')).toBe(formatConfigJson(read()));
      const lock = JSON.parse(fs.readFileSync(path.join(root, 'fleet', 'dev', 'shards.json'), 'utf8'));
      expect(JSON.stringify(lock)).not.toContain(`"${gone}"`);
    });
  });
}
