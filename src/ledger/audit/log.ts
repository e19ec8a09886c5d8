/**
 * The tamper-evident audit log (ARCHITECTURE: ledger). Every entry is a leaf of an RFC 6962 Merkle tree and a
 * link of a hash chain; after every append the writer signs a tree head (size, root, chain hash, time) with the
 * ledger's Ed25519 key, in the same transaction as the entry. So:
 * - editing an entry breaks its leaf hash, or (if the attacker recomputes the hashes) the signed root at its size;
 * - deleting or reordering entries breaks the dense numbering, the chain and the roots;
 * - truncating the log leaves a signed head larger than the log, or (if heads are deleted too) a witness head,
 *   kept outside the database, larger than the log;
 * - a forged head fails its signature under the trusted public key;
 * - deleting heads leaves a gap in their sizes (every append signs one), which verification reports.
 * Before it signs, the writer checks the newest stored head (its signature, that its stored frontier gives its
 * signed root, that the entries end where it says) and that it extends the witness head (a consistency proof), so
 * it never signs on top of state that someone without the key fixed up; the witness moves forward only along a
 * checked consistency proof.
 * The private key lives in a file beside the database (mode 0600), never in it: someone who can write the
 * database but not read the key cannot forge heads. Someone who holds both can rewrite history; publish heads
 * (`veil audit export`) to a party who keeps them to detect that too.
 *
 * Entries hold who, what, when, the dataset's name and fingerprint, the purpose, the privacy events and the
 * outcome, never secrets or raw records.
 *
 * This file is the log's face; the parts live beside it: format.ts (records, entries, heads, their bytes and
 * hashes), frontier.ts (the tree's right edge), signer.ts (the key), append.ts (appending and signing a head),
 * witness.ts (the head kept outside the database), verify.ts (verification) and queries.ts (reads and proofs).
 */

export { type AuditAppender, openAppend } from './append.js';
export {
  type AuditCheck,
  type AuditEntry,
  type AuditRecord,
  entryBytes,
  hex as toHex,
  keyIdOf,
  type SignedTreeHead,
  toEntry,
  toHead,
  treeHeadMessage,
  unhex as fromHex,
} from './format.js';
export { latestHead, leafHashes } from './queries.js';
export { AuditSigner } from './signer.js';
export { type AuditSource, type AuditVerification, verifyAudit } from './verify.js';
export { type ConsistencyStep, nextWitness, readWitness, witnessStep, writeWitness } from './witness.js';
