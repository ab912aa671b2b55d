import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { COMPLIANCE_PACKS, COMPLIANCE_RULE_PREFIXES } from '../contract';

/**
 * The cdk-nag compliance rules keyless-iot answers with an acknowledgement rather than a change, where some
 * resource has a reason. The three packs share these rule names (`<pack prefix>-<rule>`), and one reason answers
 * the rule in every pack that has it.
 */
export type ComplianceRule =
  | 'CloudWatchLogGroupEncrypted'
  | 'IAMNoInlinePolicy'
  | 'LambdaConcurrency'
  | 'LambdaDLQ'
  | 'LambdaInsideVPC'
  | 'S3BucketReplicationEnabled'
  | 'S3DefaultEncryptionKMS'
  | 'SecretsManagerRotationEnabled'
  | 'VPCDefaultSecurityGroupClosed';

/**
 * Acknowledges one compliance rule on one construct (and what it contains), with the constraint behind it, in
 * every pack an environment may gate on (lib/contract/compliance.ts). A pack without the rule ignores it.
 */
export function acknowledgeCompliance(scope: IConstruct, rule: ComplianceRule, reason: string): void {
  Validations.of(scope).acknowledge(
    ...COMPLIANCE_PACKS.map((pack) => ({ id: `${COMPLIANCE_RULE_PREFIXES[pack]}-${rule}`, reason })),
  );
}

/**
 * Why a role's own policy is inline: it is written for that one role and no other principal may ever hold it. AWS's
 * IAM guide ("Choosing between managed policies and inline policies") recommends inline policies exactly for "a
 * strict one-to-one relationship between a policy and the identity that it's applied to"; a managed policy could be
 * attached to another principal, and this one is scoped to what only this role may do.
 */
export const ONE_TO_ONE_POLICY_REASON =
  "Inline on purpose: the policy is written for this one role and must never be attached to another principal (AWS IAM guide, 'Choosing between managed policies and inline policies': inline keeps a strict one-to-one relationship); it is reviewed with the role in the same template.";
