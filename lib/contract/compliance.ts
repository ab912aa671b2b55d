/**
 * The cdk-nag compliance packs an environment's synth may gate on, besides AWS Solutions (always on). A
 * production environment (`removalPolicy: retain`) gates on NIST 800-53 rev 5 unless its config names its own
 * list; HIPAA Security and PCI DSS 3.2.1 are there for buyers who must show them.
 */
export const COMPLIANCE_PACKS = ['nist-800-53-r5', 'hipaa-security', 'pci-dss-3.2.1'] as const;
export type CompliancePack = (typeof COMPLIANCE_PACKS)[number];

/** The packs a production environment gates on when its config does not say. */
export const PRODUCTION_COMPLIANCE_PACKS: readonly CompliancePack[] = ['nist-800-53-r5'];

/** How cdk-nag names each pack's findings (`<prefix>-<Rule>`), and so the acknowledgements that answer them. */
export const COMPLIANCE_RULE_PREFIXES: Readonly<Record<CompliancePack, string>> = {
  'nist-800-53-r5': 'NIST.800.53.R5',
  'hipaa-security': 'HIPAA.Security',
  'pci-dss-3.2.1': 'PCI.DSS.321',
};
