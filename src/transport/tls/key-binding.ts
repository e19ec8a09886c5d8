/**
 * Binding a protocol key to a node's certified identity: the node signs a public key (its secure-aggregation
 * Ed25519 key) with the private key of its TLS certificate, and any other node holding the federation's CA
 * certificate checks that binding itself — so a coordinator that relays keys cannot substitute its own without
 * also holding a certificate of the CA for that node's name.
 *
 * Checks done: the certificate is issued and signed by the CA, is within its validity period, has exactly the
 * expected subject CN, and its key signed the label and the public key. Not done here: revocation (the
 * coordinator checks the CRL at every call; a peer does not see the CRL) and chains longer than CA → leaf.
 */
import { createPrivateKey, type KeyObject, sign, verify, X509Certificate } from 'node:crypto';

const LABEL = 'veil/key-binding/v1';

function message(purpose: string, publicKey: Uint8Array): Uint8Array {
  const head = new TextEncoder().encode(`${LABEL}\0${purpose}\0`);
  const out = new Uint8Array(head.length + publicKey.length);
  out.set(head);
  out.set(publicKey, head.length);
  return out;
}

/** The digest a key type signs with (EdDSA keys sign the message itself). */
function digestOf(key: KeyObject): string | null {
  const type = key.asymmetricKeyType;
  return type === 'ed25519' || type === 'ed448' ? null : 'sha256';
}

/** Signs `publicKey` for `purpose` with the certificate's private key (PEM). */
export function signKeyBinding(privateKeyPem: string, purpose: string, publicKey: Uint8Array): Uint8Array {
  const key = createPrivateKey(privateKeyPem);
  return new Uint8Array(sign(digestOf(key), message(purpose, publicKey), key));
}

/** The subject common names of a certificate. */
function commonNames(cert: X509Certificate): string[] {
  return cert.subject
    .split('\n')
    .filter((line) => line.startsWith('CN='))
    .map((line) => line.slice(3));
}

/**
 * Checks a key binding. Returns null when it holds, else the reason it does not (never throws for bad input).
 * @param certificateDer the signer's certificate (DER)
 */
export function verifyKeyBinding(options: {
  readonly caPem: string;
  readonly certificateDer: Uint8Array;
  readonly expectedName: string;
  readonly purpose: string;
  readonly publicKey: Uint8Array;
  readonly signature: Uint8Array;
  readonly nowMs?: number;
}): string | null {
  let cert: X509Certificate;
  let ca: X509Certificate;
  try {
    cert = new X509Certificate(options.certificateDer);
    ca = new X509Certificate(options.caPem);
  } catch {
    return 'the certificate does not parse';
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return 'the certificate is not issued by the CA';
  const now = options.nowMs ?? Date.now();
  if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo))
    return 'the certificate is outside its validity period';
  const names = commonNames(cert);
  if (names.length !== 1 || names[0] !== options.expectedName)
    return `the certificate names ${JSON.stringify(names)}, not "${options.expectedName}"`;
  let ok = false;
  try {
    ok = verify(
      digestOf(cert.publicKey),
      message(options.purpose, options.publicKey),
      cert.publicKey,
      options.signature,
    );
  } catch {
    ok = false;
  }
  return ok ? null : "the key is not signed by the certificate's key";
}
