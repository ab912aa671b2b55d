import * as fs from 'node:fs';

/** What the check needs to know about the environment being loaded. */
export interface AuditOwner {
  readonly account: string;
  readonly region: string;
  readonly audit?: unknown;
  /** The file it was read from, as shown to the operator. */
  readonly configFile: string;
}

/**
 * AWS IoT keeps one Device Defender audit configuration per account and region, so two environments that both
 * enable `audit` in one account and region would fight over it (CloudFormation refuses the second, or one
 * environment's teardown deletes the other's audit). Returns one problem per other environment file that enables
 * it in the same account and region.
 *
 * Another file is read only as far as this needs: a file that is not JSON, or has no string account and region,
 * cannot be deployed (its own synth fails), so it cannot hold the audit configuration and is not a conflict.
 */
export function auditOwnershipProblems(
  config: AuditOwner,
  otherFiles: readonly string[],
  show: (file: string) => string,
): string[] {
  if (config.audit === undefined) return [];
  return otherFiles.flatMap((file) => {
    const other = readLoosely(file);
    if (other?.audit === undefined || other.account !== config.account || other.region !== config.region) {
      return [];
    }
    return [
      `${config.configFile}: audit: ${show(file)} enables the Device Defender audit in account ${config.account} ` +
        `and region ${config.region} too; AWS IoT keeps one audit configuration per account and region, so ` +
        'remove the audit section from all but one of them (docs/security.md)',
    ];
  });
}

function readLoosely(file: string): { account?: unknown; region?: unknown; audit?: unknown } | undefined {
  try {
    const raw: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : undefined;
  } catch {
    return undefined;
  }
}
