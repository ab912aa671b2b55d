import { webcrypto } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { parseConfig, type KeylessConfigInput } from '../../lib/config';
import { LIMITS } from '../../lib/contract';

const MAX_THINGS_PER_SHARD_LIMIT = LIMITS.maxThingsPerShard;
import { x509 } from '../../lib/fleet/x509';
import { createEnvironmentStacks } from '../../lib/stacks/environment';
import { CONFIG_DIR, cdkJsonContext } from '../support/cdk-app';

/**
 * The per-stack budget — at most 450 resources, 800 KB and 200 outputs, leaving room under CloudFormation's 500,
 * 1 MB and 200 — must hold for the fullest Fleet stack the lock file accepts, filled with the largest things the
 * config accepts: 128-character names, 3 attributes with 128-character names and 800-character values, and
 * RSA-4096 CSRs (the longest PEM the loader takes).
 */
const BUDGET = {
  resources: LIMITS.fleetStackResourceBudget,
  bytes: LIMITS.fleetStackTemplateBudgetBytes,
  outputs: LIMITS.stackOutputs,
};

test(`a Fleet stack of ${MAX_THINGS_PER_SHARD_LIMIT} of the largest things stays within the budget`, async () => {
  const algorithm = {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 4096,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  };
  // One key signs every CSR: the loader checks each CSR's CN and signature, and RSA-4096 key generation is slow.
  const keys = await webcrypto.subtle.generateKey(algorithm, false, ['sign', 'verify']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-limits-'));
  const names = Array.from(
    { length: MAX_THINGS_PER_SHARD_LIMIT },
    (_, i) => `${'w'.repeat(123)}-${String(i).padStart(4, '0')}`,
  );
  for (const name of names) {
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: `CN=${name}`,
      keys: keys as never,
      signingAlgorithm: algorithm,
    });
    fs.writeFileSync(path.join(dir, `${name}.csr.pem`), csr.toString('pem'));
  }
  fs.mkdirSync(path.join(dir, 'fleet', 'dev'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'fleet', 'dev', 'shards.json'),
    JSON.stringify({ version: 1, maxThingsPerShard: MAX_THINGS_PER_SHARD_LIMIT, assignments: {} }),
  );
  const raw = JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, 'dev.json'), 'utf8')) as KeylessConfigInput;
  delete raw.krypton;
  delete raw.closedNetwork;
  delete raw.funnel;
  raw.iot!.things = names.map((name) => ({
    name,
    attributes: { Owner: 'keyless', [`${'a'.repeat(127)}1`]: 'v'.repeat(800), [`${'a'.repeat(127)}2`]: 'x'.repeat(800) },
    csrFile: path.join(dir, `${name}.csr.pem`),
  }));
  const config = parseConfig(raw, 'dev', 'config/dev.json', dir);

  const app = new App({
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] },
    outdir: path.join(dir, 'cdk.out'),
    builtinCloudFormationValidation: false,
  });
  const { fleet } = createEnvironmentStacks(app, config);
  const assembly = app.synth();
  expect(fleet.map((stack) => stack.stackName)).toEqual(['KeylessIot-dev-Fleet-1']);
  const artifact = assembly.getStackByName('KeylessIot-dev-Fleet-1');
  const template = artifact.template as { Resources: object; Outputs: object };
  const size = {
    resources: Object.keys(template.Resources).length,
    bytes: fs.statSync(path.join(assembly.directory, artifact.templateFile)).size,
    outputs: Object.keys(template.Outputs).length,
  };
  expect(size.resources).toBeLessThanOrEqual(BUDGET.resources);
  expect(size.bytes).toBeLessThanOrEqual(BUDGET.bytes);
  expect(size.outputs).toBeLessThanOrEqual(BUDGET.outputs);
});
