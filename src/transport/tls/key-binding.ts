/**
 * Binding a protocol key to a node's certified identity: the node signs a public key (its secure-aggregation
 * Ed25519 key) with the private key of its TLS certificate, and any other node holding the federation's CA
 * certificate checks that binding itself — so a coordinator that relays keys cannot substitute its own without
 * also holding a certificate of the CA for that node's name.
 *
 * Checks done: the certificate is issued and signed by the CA, is within its validity period, is a client
 * certificate and nothing more (extended key usage clientAuth, and neither serverAuth nor anyExtendedKeyUsage),
 * has exactly the expected subject CN, and its key signed the label and the public key. The EKU rule is what
 * keeps the coordinator out of the peers: its certificate must serve TLS (`veil certs` gives it serverAuth +
 * clientAuth), so it cannot bind a key as a sybil peer even though the same CA issued it. Not done here:
 * revocation (the coordinator checks the CRL at every call; a peer does not see the CRL) and chains longer than
 * CA → leaf.
 */
import { createPrivateKey, type KeyObject, sign, verify, X509Certificate } from 'node:crypto';

const LABEL = 'veil/key-binding/v1';
/** Extended key usage OIDs (RFC 5280, 4.2.1.12). */
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const ANY_EKU = '2.5.29.37.0';

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
 * The certificate must be a node's: EKU clientAuth without serverAuth or anyExtendedKeyUsage (a certificate
 * without the EKU extension is refused too, since TLS would accept it for a server).
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
  const usages = cert.keyUsage ?? [];
  if (!usages.includes(CLIENT_AUTH))
    return 'the certificate is not a client certificate (no extended key usage clientAuth)';
  if (usages.includes(SERVER_AUTH) || usages.includes(ANY_EKU))
    return "the certificate is also a server certificate (extended key usage serverAuth or any), as the coordinator's is: a peer must hold a node certificate (clientAuth only)";
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
