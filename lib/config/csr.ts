import * as crypto from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { x509 } from '../fleet/x509';

/**
 * Checks on a device's certificate signing request before AWS IoT ever sees it. The CSR is public (it holds
 * the public key only); the private key stays on the machine that made it.
 */

/** Key types AWS IoT signs certificates for, at the strength we accept. */
const ACCEPTED_CURVES: Readonly<Record<string, string>> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};
export const ACCEPTED_KEYS = 'an RSA key of at least 2048 bits or an EC key on P-256, P-384 or P-521';

export interface CsrFacts {
  /** Every CN in the subject (a well-formed device CSR has exactly one). */
  readonly commonNames: string[];
  /** `RSA-2048`, `EC P-256`, `EC secp256k1`, `ED25519`, … */
  readonly key: string;
  readonly keyAccepted: boolean;
  /** The CSR is signed by the private key of the public key it carries (proof of possession). */
  readonly signatureValid: boolean;
}

export class MalformedCsrError extends Error {}

const PEM_CSR =
  /^\s*-----BEGIN (NEW )?CERTIFICATE REQUEST-----\r?\n[A-Za-z0-9+/=\r\n]+-----END (NEW )?CERTIFICATE REQUEST-----\s*$/;

/** Parses and checks one PEM CSR; throws MalformedCsrError when it is not one. */
export function inspectCsr(pem: string): CsrFacts {
  if (!PEM_CSR.test(pem)) throw new MalformedCsrError('no "-----BEGIN CERTIFICATE REQUEST-----" PEM block');
  let request: X509.Pkcs10CertificateRequest;
  let der: Uint8Array;
  try {
    request = new x509.Pkcs10CertificateRequest(pem);
    der = new Uint8Array(request.rawData);
  } catch (error) {
    throw new MalformedCsrError(
      `a request that cannot be parsed (${error instanceof Error ? error.message : String(error)})`,
    );
  }

  let publicKey: crypto.KeyObject;
  try {
    publicKey = crypto.createPublicKey({
      key: Buffer.from(request.publicKey.rawData),
      format: 'der',
      type: 'spki',
    });
  } catch {
    throw new MalformedCsrError('a request whose public key cannot be read');
  }
  const { key, keyAccepted } = describeKey(publicKey);
  return {
    commonNames: request.subjectName.getField('CN'),
    key,
    keyAccepted,
    signatureValid: verifySignature(der, request.signatureAlgorithm, publicKey),
  };
}

function describeKey(key: crypto.KeyObject): { key: string; keyAccepted: boolean } {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength ?? 0;
    return { key: `RSA-${bits}`, keyAccepted: bits >= 2048 };
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = details.namedCurve ?? 'unknown curve';
    const known = ACCEPTED_CURVES[curve];
    return { key: `EC ${known ?? curve}`, keyAccepted: known !== undefined };
  }
  return { key: String(key.asymmetricKeyType ?? 'unknown').toUpperCase(), keyAccepted: false };
}

/**
 * Verifies the CSR's self-signature over the exact bytes of its CertificationRequestInfo. Node's crypto is
 * synchronous, which keeps the config loader synchronous.
 */
function verifySignature(
  der: Uint8Array,
  signatureAlgorithm: X509.HashedAlgorithm,
  key: crypto.KeyObject,
): boolean {
  const algorithm = signatureAlgorithm as unknown as { name?: string; hash?: { name?: string } };
  const hash = algorithm.hash?.name?.replace('-', '').toLowerCase();
  if (!hash || !['sha256', 'sha384', 'sha512'].includes(hash)) return false;
  if (algorithm.name !== 'ECDSA' && algorithm.name !== 'RSASSA-PKCS1-v1_5') return false;
  const outer = derChildren(der, 0);
  if (outer.length !== 3) return false;
  const [info, , signatureBits] = outer;
  const tbs = der.subarray(info.start, info.end);
  // A BIT STRING's first content byte counts the unused bits: always 0 for a signature.
  const signature = der.subarray(signatureBits.contentStart + 1, signatureBits.end);
  try {
    // ECDSA signatures in X.509 are DER-encoded, which is node's default dsaEncoding.
    return crypto.verify(hash, tbs, key, signature);
  } catch {
    return false;
  }
}

interface DerElement {
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

/** The elements inside the DER SEQUENCE at `offset`. */
function derChildren(der: Uint8Array, offset: number): DerElement[] {
  const outer = derElement(der, offset);
  const children: DerElement[] = [];
  for (let at = outer.contentStart; at < outer.end;) {
    const child = derElement(der, at);
    children.push(child);
    at = child.end;
  }
  return children;
}

function derElement(der: Uint8Array, start: number): DerElement {
  let at = start + 1;
  let length = der[at++];
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > 4) throw new MalformedCsrError('unsupported DER length');
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + der[at++];
  }
  const end = at + length;
  if (end > der.length) throw new MalformedCsrError('truncated DER');
  return { start, contentStart: at, end };
}

/**
 * What is wrong with a thing's CSR, as "expected …, got …" sentences (the loader adds file and field).
 * Empty when the CSR can become the thing's certificate.
 */
export function csrProblems(pem: string, thingName: string, shownFile: string): string[] {
  let facts: CsrFacts;
  try {
    facts = inspectCsr(pem);
  } catch (error) {
    if (!(error instanceof MalformedCsrError)) throw error;
    return [`expected a PEM certificate signing request in ${shownFile}, got ${error.message}`];
  }
  const problems: string[] = [];
  if (facts.commonNames.length !== 1 || facts.commonNames[0] !== thingName) {
    problems.push(
      `expected a CSR whose subject CN is the thing name ${JSON.stringify(thingName)} in ${shownFile}, got ` +
        (facts.commonNames.length === 0
          ? 'no CN'
          : `CN ${facts.commonNames.map((cn) => JSON.stringify(cn)).join(', ')}`),
    );
  }
  if (!facts.keyAccepted) {
    problems.push(`expected ${ACCEPTED_KEYS} in ${shownFile}, got ${facts.key}`);
  }
  // An unsupported key has an unsupported signature too: one problem is enough.
  if (facts.keyAccepted && !facts.signatureValid) {
    problems.push(
      `expected a CSR signed by its own key in ${shownFile}, got a signature that does not verify`,
    );
  }
  return problems;
}
