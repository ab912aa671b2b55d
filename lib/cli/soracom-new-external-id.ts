import * as crypto from 'node:crypto';
import type { Command } from 'commander';
import { EXTERNAL_ID, externalIdWeakness, followsAwsExternalIdRule } from '../contract';
import { registerSoracomGroup } from './operator-clients';

/**
 * A fresh external id for a SORACOM role (`krypton.signer.externalId`, `funnel.publisher.externalId`): 32 bytes from
 * the operating system's CSPRNG as base64url, 43 characters of AWS's alphabet. Checked against the config's own rule
 * before it is printed; the rare draw with fewer than 8 different characters is drawn again.
 */
export function newExternalId(randomBytes: (size: number) => Buffer = crypto.randomBytes): string {
  for (let attempt = 0; attempt < 16; attempt++) {
    const id = randomBytes(EXTERNAL_ID.generatedBytes).toString('base64url');
    if (followsAwsExternalIdRule(id) && externalIdWeakness(id) === undefined) return id;
  }
  throw new Error('the random source gave 16 unusable external ids in a row: it is broken, not unlucky');
}

/** `keyless soracom new-external-id`: prints one fresh external id on stdout, and nothing else. */
export function registerSoracomNewExternalIdCommand(program: Command): void {
  registerSoracomGroup(program)
    .command('new-external-id')
    .description(
      'Print a fresh random external id for a SORACOM role (krypton.signer.externalId, funnel.publisher.externalId): run it once per role',
    )
    .action(() => {
      process.stdout.write(`${newExternalId()}\n`);
    });
}
