import * as iam from 'aws-cdk-lib/aws-iam';
import { NAME_RULES } from '../contract';
import { checkName } from './prop-checks';

/** Who may assume a role that SORACOM's platform (Funnel, Krypton) uses: SORACOM's account, with your external id. */
export interface SoracomTrust {
  /** SORACOM's AWS account for the coverage (it assumes the role from there). */
  readonly soracomAccountId: string;
  /** The external id the SORACOM credential carries (`sts:ExternalId`). */
  readonly externalId: string;
}

/**
 * The trust of a role SORACOM assumes (credential type `aws-iam-role-credentials`): the SORACOM account only, and
 * only with the external id. SORACOM assumes every customer's roles from the same account, so without the external
 * id any SORACOM customer who learned the role ARN could register it in their own credential store (the confused
 * deputy); the external id is what makes the credential yours.
 */
export function soracomTrust(trust: SoracomTrust): Pick<iam.RoleProps, 'assumedBy' | 'externalIds'> {
  checkName('soracomAccountId', NAME_RULES.accountId, trust.soracomAccountId);
  checkName('externalId', NAME_RULES.externalId, trust.externalId);
  return {
    assumedBy: new iam.AccountPrincipal(trust.soracomAccountId),
    externalIds: [trust.externalId],
  };
}
