import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  isQuarantineTime,
  LIFECYCLE_RULES,
  LIMITS,
  NAME_RULES,
  quarantineDenyDocuments,
  type QuarantinedPrincipal,
} from '../contract';
import { checkName } from './prop-checks';

export interface QuarantineDenyProps {
  /** The device role whose sessions the deny refuses. */
  readonly role: iam.IRole;
  /** `thing`: the X.509 role (`credentials-iot:ThingName`); `identity`: the Krypton role (Cognito `sub`). */
  readonly kind: 'thing' | 'identity';
  /** The quarantined things or identities; none makes no policy. */
  readonly principals: readonly QuarantinedPrincipal[];
}

/**
 * Refuses the sessions of quarantined devices on one device role: customer managed policies `Resource1`,
 * `Resource2`, … holding Deny statements built by {@link quarantineDenyDocuments} (an explicit Deny wins over
 * every Allow of the role, whenever and however the session was issued). Managed rather than inline: a role's
 * inline policies share 10,240 characters with its own permissions, while each managed policy has 6,144 of its
 * own, and up to {@link LIMITS.quarantineDenyPolicies} of them are used.
 */
export class QuarantineDeny extends Construct {
  /** The documents as deployed, one per managed policy (what the isolation tests evaluate). */
  public readonly documents: readonly iam.PolicyDocument[];
  public readonly policies: readonly iam.ManagedPolicy[];

  constructor(scope: Construct, id: string, props: QuarantineDenyProps) {
    super(scope, id);
    for (const principal of props.principals) {
      if (props.kind === 'thing') checkName('thing name', NAME_RULES.thingName, principal.id);
      else checkName('identity id', LIFECYCLE_RULES.cognitoIdentityId, principal.id);
      if (principal.quarantinedAt !== undefined && !isQuarantineTime(principal.quarantinedAt)) {
        throw new Error(
          `quarantinedAt of ${principal.id} must be a UTC time such as 2026-01-31T09:30:00Z, got: ${principal.quarantinedAt}`,
        );
      }
    }
    const packing = quarantineDenyDocuments(props.kind, props.principals);
    if (!packing.fits) {
      throw new Error(
        `the quarantine deny of ${props.principals.length} ${props.kind === 'thing' ? 'things' : 'identities'} needs more than ` +
          `${LIMITS.quarantineDenyPolicies} managed policies of ${LIMITS.managedPolicyChars} characters; ${packing.covered} fit`,
      );
    }
    this.documents = packing.documents.map((document) => iam.PolicyDocument.fromJson(document));
    this.policies = this.documents.map(
      (document, index) =>
        new iam.ManagedPolicy(this, `Resource${index + 1}`, {
          description: `Denies the sessions of quarantined ${props.kind === 'thing' ? 'things' : 'Krypton identities'} (keyless device quarantine), part ${index + 1}`,
          document,
          roles: [props.role],
        }),
    );
  }
}
