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
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  linkSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import type { Kysely } from 'kysely';
import type { PrivacyEvent } from '../../accounting/index.js';
import { ConfigError, csprng, IntegrityError } from '../../core/index.js';
import { type KeyPair, sign, signingKeyPairFromSeed, verify } from '../../crypto/index.js';
import type { AuditEntryTable, AuditHeadTable, LedgerSchema } from '../store/schema.js';
import {
  consistencyProofFromFrontier,
  leafHash,
  nodeHash,
  subtreeStarts,
  treeHash,
  verifyConsistency,
} from './merkle.js';

/** What a caller records; the log adds the sequence number, time and hashes. */
export interface AuditRecord {
  readonly actor: string;
  /** What happened: 'account.create', 'budget.spend', 'budget.refund', 'dataset.register', 'dataset.access', 'job.complete', … */
  readonly action: string;
  readonly account?: string | null;
  /** 'name@sha256:…': a dataset's name and fingerprint, never its content. */
  readonly dataset?: string | null;
  readonly purpose?: string | null;
  readonly events?: readonly PrivacyEvent[] | null;
  /** 'granted', 'refused', 'created', 'registered', 'allowed', 'refunded', 'recorded', … */
  readonly outcome: string;
  /** Further facts (numbers, ids, reasons). Never secrets or raw records. */
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** An entry as stored. */
export interface AuditEntry {
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly account: string | null;
  readonly dataset: string | null;
  readonly purpose: string | null;
  readonly events: PrivacyEvent[] | null;
  readonly outcome: string;
  readonly detail: Record<string, unknown>;
  /** Hex SHA-256 leaf hash (RFC 6962: over 0x00 || the entry's canonical bytes). */
  readonly leafHash: string;
  readonly chainHash: string;
}

/** A signed tree head: the log's state at `size` entries. */
export interface SignedTreeHead {
  readonly size: number;
  /** Hex MTH of the first `size` leaves. */
  readonly root: string;
  /** Hex hash chain after entry size-1 (all zeros for the empty log). */
  readonly chainHash: string;
  readonly at: string;
  /** Hex, the first 16 bytes of SHA-256 of the public key. */
  readonly keyId: string;
  /** Hex Ed25519 signature of {@link treeHeadMessage}. */
  readonly signature: string;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const sha256 = (...parts: (Uint8Array | string)[]): Uint8Array => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
/** Fresh random bytes from the CSPRNG (OS randomness is drawn only through core's rng). */
const random = (n: number): Buffer => {
  const out = Buffer.alloc(n);
  csprng().fillBytes(out);
  return out;
};
const ZERO: Uint8Array = new Uint8Array(32);

/** The canonical bytes of an entry (what its leaf hash covers): a JSON array of the stored fields, in order. */
export function entryBytes(row: Omit<AuditEntryTable, 'leaf_hash' | 'chain_hash'>): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify([
      'veil-audit-v1',
      row.seq,
      row.at,
      row.actor,
      row.action,
      row.account,
      row.dataset,
      row.purpose,
      row.events,
      row.outcome,
      row.detail,
    ]),
  );
}

/** The next link of the hash chain: SHA-256(tag || previous link || leaf hash). */
function chainNext(previous: Uint8Array, leaf: Uint8Array): Uint8Array {
  return sha256('veil-audit-chain-v1', previous, leaf);
}

/** The bytes a tree head's signature covers. */
export function treeHeadMessage(head: Omit<SignedTreeHead, 'signature' | 'keyId'>): Uint8Array {
  return new TextEncoder().encode(
    `veil-audit-tree-head-v1\n${head.size}\n${head.root}\n${head.chainHash}\n${head.at}\n`,
  );
}

/** The key id of a raw Ed25519 public key. */
export function keyIdOf(publicKey: Uint8Array): string {
  return hex(sha256(publicKey).subarray(0, 16));
}

/**
 * The right edge of an RFC 6962 tree: the roots of its perfect subtrees, largest first (one per set bit of the
 * size). Appending merges equal-sized subtrees; the root folds them from the right, which is MTH's split at
 * the largest power of two.
 */
class Frontier {
  constructor(
    private size: number,
    private readonly nodes: Uint8Array[],
  ) {}

  static empty(): Frontier {
    return new Frontier(0, []);
  }

  append(leaf: Uint8Array): void {
    this.nodes.push(leaf);
    this.size++;
    // after adding, merge while the two rightmost subtrees have equal size: one merge per trailing 1-bit of
    // the old size, i.e. per trailing 0-bit of the new one
    for (let s = this.size; s % 2 === 0; s /= 2) {
      const right = this.nodes.pop()!;
      const left = this.nodes.pop()!;
      this.nodes.push(nodeHash(left, right));
    }
  }

  root(): Uint8Array {
    if (this.nodes.length === 0) return treeHash([]);
    let r = this.nodes[this.nodes.length - 1]!;
    for (let i = this.nodes.length - 2; i >= 0; i--) r = nodeHash(this.nodes[i]!, r);
    return r;
  }

  toJson(): string {
    return JSON.stringify(this.nodes.map(hex));
  }
}

/**
 * The ledger's signing key: an Ed25519 seed in a file (JSON, mode 0600), created on first use. Creation is
 * atomic across processes (written to a temporary file, then hard-linked into place, which fails if another
 * process won the race; the loser reads the winner's key).
 */
export class AuditSigner {
  private constructor(
    private readonly pair: KeyPair,
    /** Where the key lives; null for an in-memory ledger. */
    readonly keyFile: string | null,
  ) {}

  get publicKey(): Uint8Array {
    return this.pair.publicKey;
  }

  get keyId(): string {
    return keyIdOf(this.pair.publicKey);
  }

  /** A key that lives only as long as the process (in-memory ledgers, tests). */
  static ephemeral(): AuditSigner {
    return new AuditSigner(signingKeyPairFromSeed(random(32)), null);
  }

  /** Loads the key at `file`, creating it if there is none. */
  static loadOrCreate(file: string): AuditSigner {
    if (!existsSync(file)) {
      const tmp = `${file}.${process.pid}.${random(6).toString('hex')}.tmp`;
      const seed = random(32);
      const pair = signingKeyPairFromSeed(seed);
      writeFileSync(
        tmp,
        `${JSON.stringify({ kind: 'veil-audit-ed25519', seed: seed.toString('hex'), publicKey: hex(pair.publicKey) })}\n`,
        { mode: 0o600 },
      );
      try {
        linkSync(tmp, file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      } finally {
        unlinkSync(tmp);
      }
    }
    let parsed: { kind?: unknown; seed?: unknown };
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8')) as typeof parsed;
    } catch (err) {
      throw new ConfigError(
        [
          {
            path: 'audit key',
            value: file,
            allowed: `a readable Veil audit key file (${(err as Error).message})`,
          },
        ],
        'ledger',
      );
    }
    if (
      parsed.kind !== 'veil-audit-ed25519' ||
      typeof parsed.seed !== 'string' ||
      !/^[0-9a-f]{64}$/.test(parsed.seed)
    ) {
      throw new ConfigError(
        [{ path: 'audit key', value: file, allowed: 'a Veil audit key file (kind veil-audit-ed25519)' }],
        'ledger',
      );
    }
    try {
      chmodSync(file, 0o600);
    } catch {
      // best effort: a read-only mount keeps its mode
    }
    return new AuditSigner(signingKeyPairFromSeed(unhex(parsed.seed)), file);
  }

  signHead(head: Omit<SignedTreeHead, 'signature' | 'keyId'>): SignedTreeHead {
    return {
      ...head,
      keyId: this.keyId,
      signature: hex(sign(this.pair.privateKey, treeHeadMessage(head))),
    };
  }
}

/** A stored head row as a {@link SignedTreeHead}. */
export function toHead(row: AuditHeadTable): SignedTreeHead {
  return {
    size: row.size,
    root: row.root,
    chainHash: row.chain_hash,
    at: row.at,
    keyId: row.key_id,
    signature: row.signature,
  };
}

/** The newest signed head in the database, or null for an empty log. */
export async function latestHead(db: Kysely<LedgerSchema>): Promise<SignedTreeHead | null> {
  const row = await db
    .selectFrom('audit_heads')
    .selectAll()
    .orderBy('size', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? toHead(row) : null;
}

/** What a refused append failed: `details.check` of its {@link IntegrityError} (code VEIL_INTEGRITY_FAILED). */
export type AuditCheck =
  /** the newest stored head is not signed by the log's key (forged, altered, or another key) */
  | 'audit-head-signature'
  /** the newest head's stored frontier is malformed or does not give its signed root */
  | 'audit-head-frontier'
  /** the entries do not end where the newest head says (entries past it, or fewer, or another chain hash) */
  | 'audit-log-end'
  /** the log does not extend the witness head kept outside the database (truncated, rewritten, or another log) */
  | 'audit-witness';

function refuse(
  fn: string,
  check: AuditCheck,
  message: string,
  details: Record<string, unknown> = {},
): never {
  throw new IntegrityError(`${fn}: ${message}`, { check, ...details });
}

const HEX32 = /^[0-9a-f]{64}$/;

/** What a user who replaced the database on purpose should do (a truncated log is refused otherwise). */
const REPLACED_HINT =
  ' (if you replaced the database on purpose, move its witness file, <database>.audit-head.json, away first: docs/ledger.md)';

/** Whether `head` names `publicKey` and carries its valid Ed25519 signature. */
function signedBy(head: SignedTreeHead, publicKey: Uint8Array): boolean {
  return (
    head.keyId === keyIdOf(publicKey) &&
    typeof head.signature === 'string' &&
    /^[0-9a-f]{128}$/.test(head.signature) &&
    verify(publicKey, treeHeadMessage(head), unhex(head.signature))
  );
}

/** The nodes of a stored frontier: one 32-byte hex hash per set bit of `size`, or null when it is not that. */
function frontierNodes(size: number, json: string): Uint8Array[] | null {
  let nodes: unknown;
  try {
    nodes = JSON.parse(json);
  } catch {
    return null;
  }
  const wellFormed =
    Array.isArray(nodes) &&
    nodes.length === subtreeStarts(size).length &&
    nodes.every((n) => typeof n === 'string' && HEX32.test(n));
  return wellFormed ? (nodes as string[]).map(unhex) : null;
}

/**
 * The newest stored head, checked before anything is signed on top of it: its signature under the log's key
 * (which covers size, root, chain hash and time), and its stored, unsigned frontier against its signed root (one
 * node per set bit of the size, so no other frontier folds to that root without a hash collision). Returns the
 * frontier to extend. @throws {IntegrityError} 'audit-head-signature', 'audit-head-frontier'
 */
function checkedNewestHead(row: AuditHeadTable, publicKey: Uint8Array): Frontier {
  const fn = 'appendAudit';
  const head = toHead(row);
  if (!signedBy(head, publicKey)) {
    refuse(
      fn,
      'audit-head-signature',
      `the newest tree head (size ${row.size}) is not signed by the log key ${keyIdOf(publicKey)}: forged or ` +
        `altered in the database, nothing was written, got key ${JSON.stringify(row.key_id)} and a signature that does not verify`,
      { size: row.size, keyId: row.key_id },
    );
  }
  const nodes = frontierNodes(row.size, row.frontier);
  const frontier = nodes ? new Frontier(row.size, nodes) : null;
  const root = frontier ? hex(frontier.root()) : null;
  if (frontier === null || root !== row.root) {
    refuse(
      fn,
      'audit-head-frontier',
      `the stored frontier of the newest tree head (size ${row.size}) does not give its signed root ${row.root}: ` +
        `altered in the database, nothing was written, got ${root === null ? 'a malformed frontier' : `root ${root}`}`,
      { size: row.size },
    );
  }
  return frontier;
}

/**
 * The entries must end where the newest head says: entry size-1 is the last, with the chain hash the head signed
 * (none at all for an empty log). @throws {IntegrityError} 'audit-log-end'
 */
async function checkLogEnd(trx: Kysely<LedgerSchema>, newest: AuditHeadTable | undefined): Promise<void> {
  const end = await trx
    .selectFrom('audit_entries')
    .select(['seq', 'chain_hash'])
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  const size = newest?.size ?? 0;
  if ((end?.seq ?? -1) !== size - 1) {
    refuse(
      'appendAudit',
      'audit-log-end',
      `the newest signed tree head covers ${size} entries, so the last entry should be ${size - 1}: entries were ` +
        `added or removed without a head, nothing was written, got ${end ? `entry ${end.seq}` : 'no entries'}`,
      { size, lastSeq: end?.seq ?? null },
    );
  }
  if (end && end.chain_hash !== newest?.chain_hash) {
    refuse(
      'appendAudit',
      'audit-log-end',
      `entry ${end.seq} does not carry the chain hash the tree head of size ${size} signed: edited, nothing was ` +
        `written, got ${JSON.stringify(end.chain_hash)}`,
      { size },
    );
  }
}

/** A consistency proof from the head of `oldSize` to a newer one (RFC 6962, raw hashes). */
export interface ConsistencyStep {
  readonly oldSize: number;
  readonly proof: readonly Uint8Array[];
}

/**
 * Proves, from the database, that `head` extends `witness` (the head kept outside the database), and checks the
 * proof against both signed roots: built from the stored frontier at the witness's size and the leaf hashes after
 * it, so a forged row only makes the check fail. Returns the step for {@link writeWitness}; with no witness, a step
 * from size 0 (nothing to prove). Call it inside the write transaction, so a failure writes nothing.
 * @throws {IntegrityError} 'audit-witness': the witness is not signed by `publicKey`, is larger than `head` (the log
 * was truncated), or `head` does not extend it (history rewritten, or another log signed with the same key)
 */
export async function witnessStep(
  db: Kysely<LedgerSchema>,
  witness: SignedTreeHead | null,
  head: SignedTreeHead,
  publicKey: Uint8Array,
): Promise<ConsistencyStep> {
  const fn = 'witnessStep';
  if (witness === null) return { oldSize: 0, proof: [] };
  const details = { witnessSize: witness.size, size: head.size };
  if (!signedBy(witness, publicKey)) {
    refuse(
      fn,
      'audit-witness',
      `the witness head is not signed by the log key ${keyIdOf(publicKey)}, got key ${JSON.stringify(witness.keyId)}`,
      details,
    );
  }
  if (witness.size > head.size) {
    refuse(
      fn,
      'audit-witness',
      `the log was truncated: the witness head kept outside the database covers ${witness.size} entries, ` +
        `got a newest signed tree head of size ${head.size}${REPLACED_HINT}`,
      details,
    );
  }
  if (witness.size === head.size) {
    if (witness.root !== head.root || witness.chainHash !== head.chainHash) {
      refuse(
        fn,
        'audit-witness',
        `the tree head of size ${head.size} differs from the witness head of that size: a fork, got root ${head.root}`,
        details,
      );
    }
    return { oldSize: witness.size, proof: [] };
  }
  const proof = await proofFromDatabase(db, witness.size, head.size);
  if (
    proof === null ||
    !verifyConsistency(witness.size, head.size, proof, unhex(witness.root), unhex(head.root))
  ) {
    refuse(
      fn,
      'audit-witness',
      `the log does not extend the witness head: no consistency proof from size ${witness.size} to ${head.size} ` +
        `checks against their signed roots, got ${proof === null ? 'no frontier or leaves to build one' : 'a proof that fails'}`,
      details,
    );
  }
  return { oldSize: witness.size, proof };
}

/** A consistency proof from `oldSize` to `size` from the stored frontier and leaf hashes; null if they are missing. */
async function proofFromDatabase(
  db: Kysely<LedgerSchema>,
  oldSize: number,
  size: number,
): Promise<Uint8Array[] | null> {
  const row = await db
    .selectFrom('audit_heads')
    .select(['size', 'frontier'])
    .where('size', '=', oldSize)
    .executeTakeFirst();
  const nodes = row ? frontierNodes(row.size, row.frontier) : null;
  const added = await db
    .selectFrom('audit_entries')
    .select(['leaf_hash'])
    .where('seq', '>=', oldSize)
    .where('seq', '<', size)
    .orderBy('seq')
    .execute();
  if (nodes === null || added.length !== size - oldSize || !added.every((r) => HEX32.test(r.leaf_hash)))
    return null;
  return consistencyProofFromFrontier(
    oldSize,
    nodes,
    added.map((r) => unhex(r.leaf_hash)),
  );
}

/**
 * Appends `record` inside the caller's write transaction `trx` (which serialises writers, so the sequence
 * number is the log's size) and signs the new tree head. Returns the new head. Before it signs, it checks the
 * newest stored head (see {@link checkedNewestHead}), that the entries end where that head says, and, given the
 * `witness` head kept outside the database, that the log extends it ({@link witnessStep}); the new head is then
 * computed only from what was signed before plus the new entry.
 * @throws {IntegrityError} any of those checks failed (`details.check`, an {@link AuditCheck}); nothing is written
 */
export async function appendAudit(
  trx: Kysely<LedgerSchema>,
  signer: AuditSigner,
  record: AuditRecord,
  at: string,
  witness: SignedTreeHead | null = null,
): Promise<SignedTreeHead> {
  const last = await trx
    .selectFrom('audit_heads')
    .selectAll()
    .orderBy('size', 'desc')
    .limit(1)
    .executeTakeFirst();
  const size = last?.size ?? 0;
  const frontier = last ? checkedNewestHead(last, signer.publicKey) : Frontier.empty();
  await checkLogEnd(trx, last);
  if (witness !== null) {
    if (!last) {
      refuse(
        'appendAudit',
        'audit-witness',
        `the log was truncated: the witness head kept outside the database covers ${witness.size} entries, got an empty log${REPLACED_HINT}`,
        { witnessSize: witness.size, size: 0 },
      );
    }
    await witnessStep(trx, witness, toHead(last), signer.publicKey);
  }
  const previousChain = last ? unhex(last.chain_hash) : ZERO;
  const row = {
    seq: size,
    at,
    actor: record.actor,
    action: record.action,
    account: record.account ?? null,
    dataset: record.dataset ?? null,
    purpose: record.purpose ?? null,
    events: record.events ? JSON.stringify(record.events) : null,
    outcome: record.outcome,
    detail: JSON.stringify(record.detail ?? {}),
  };
  const leaf = leafHash(entryBytes(row));
  const chain = chainNext(previousChain, leaf);
  frontier.append(leaf);
  await trx
    .insertInto('audit_entries')
    .values({ ...row, leaf_hash: hex(leaf), chain_hash: hex(chain) })
    .execute();
  const head = signer.signHead({ size: size + 1, root: hex(frontier.root()), chainHash: hex(chain), at });
  await trx
    .insertInto('audit_heads')
    .values({
      size: head.size,
      root: head.root,
      chain_hash: head.chainHash,
      frontier: frontier.toJson(),
      at: head.at,
      key_id: head.keyId,
      signature: head.signature,
    })
    .execute();
  if (size === 0 || last?.key_id !== signer.keyId) {
    const known = await trx
      .selectFrom('audit_keys')
      .select('key_id')
      .where('key_id', '=', signer.keyId)
      .executeTakeFirst();
    if (!known) {
      await trx
        .insertInto('audit_keys')
        .values({ key_id: signer.keyId, public_key: hex(signer.publicKey), created_at: at })
        .execute();
    }
  }
  return head;
}

/** An entry row as parsed for callers. */
export function toEntry(row: AuditEntryTable): AuditEntry {
  return {
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    action: row.action,
    account: row.account,
    dataset: row.dataset,
    purpose: row.purpose,
    events: row.events === null ? null : (JSON.parse(row.events) as PrivacyEvent[]),
    outcome: row.outcome,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
    leafHash: row.leaf_hash,
    chainHash: row.chain_hash,
  };
}

/** The outcome of verifying a log. */
export interface AuditVerification {
  readonly ok: boolean;
  /** Entries read. */
  readonly size: number;
  /** The newest signed head that verified, or null. */
  readonly head: SignedTreeHead | null;
  /** The first entry found bad (edited, missing, out of order, not covered by a signed head), or null. */
  readonly firstBad: { readonly seq: number; readonly reason: string } | null;
  /** Every problem found, in order (capped at 50). */
  readonly problems: readonly string[];
}

/** Where verification reads from: entries in `seq` order (pages are fine), every head, the trusted key. */
export interface AuditSource {
  entries(): AsyncIterable<AuditEntryTable>;
  heads(): Promise<readonly SignedTreeHead[]>;
  /** The raw public key heads must be signed with (from the key file or given by the auditor). */
  readonly trustedPublicKey: Uint8Array;
  /** A head kept outside the database (the witness file or an auditor's copy), if any. */
  readonly witness?: SignedTreeHead | null;
}

/** The sizes in 1..newest that have no head (each append signs one, so there is none in an intact log), as ranges. */
function missingHeadSizes(sortedHeads: readonly SignedTreeHead[]): [number, number][] {
  const gaps: [number, number][] = [];
  let expected = 1;
  for (const h of sortedHeads) {
    if (h.size > expected) gaps.push([expected, h.size - 1]);
    expected = Math.max(expected, h.size + 1);
  }
  return gaps;
}

/**
 * Verifies everything: each entry's leaf hash, the dense numbering, the hash chain, every signed head's root and
 * chain against the entries and its signature under the trusted key, that there is a head for every size up to
 * the newest (no head deleted), that the newest head covers every entry, and that no witness head is larger than
 * the log or disagrees with it. Each head matching the entries read so far makes consecutive heads consistent.
 * Names the first bad entry.
 */
export async function verifyAudit(source: AuditSource): Promise<AuditVerification> {
  const problems: string[] = [];
  let firstBad: { seq: number; reason: string } | null = null;
  const bad = (seq: number, reason: string) => {
    if (problems.length < 50) problems.push(`entry ${seq}: ${reason}`);
    if (firstBad === null || seq < firstBad.seq) firstBad = { seq, reason };
  };
  const general = (reason: string) => {
    if (problems.length < 50) problems.push(reason);
  };
  const trustedId = keyIdOf(source.trustedPublicKey);
  const heads = [...(await source.heads())].sort((a, b) => a.size - b.size);
  const headAt = new Map<number, SignedTreeHead>();
  const checkSignature = (h: SignedTreeHead, what: string): boolean => {
    if (h.keyId !== trustedId) {
      general(`${what} of size ${h.size} is signed by key ${h.keyId}, not the trusted key ${trustedId}`);
      return false;
    }
    if (!signedBy(h, source.trustedPublicKey)) {
      general(`${what} of size ${h.size}: its signature does not verify (forged or altered)`);
      return false;
    }
    return true;
  };
  for (const h of heads) {
    if (checkSignature(h, 'tree head')) headAt.set(h.size, h);
  }
  for (const [from, to] of missingHeadSizes(heads)) {
    // deleted heads can hide a rewrite: the heads left, and a head signed on top of a fixed-up row, still match
    bad(
      from - 1,
      `${from === to ? `the signed tree head of size ${from} is` : `the signed tree heads of sizes ${from}..${to} are`} ` +
        `missing (every append signs one): deleted, which can hide rewritten entries ${from - 1}..${to - 1}`,
    );
  }
  const witness = source.witness ?? null;
  const witnessOk = witness !== null && checkSignature(witness, 'witness head');

  const frontier = Frontier.empty();
  let chain: Uint8Array = ZERO;
  let read = 0; // rows read (the Merkle tree's size)
  let next = 0; // the sequence number expected next
  let lastGood: SignedTreeHead | null = null;
  let headMismatches = 0;
  for await (const row of source.entries()) {
    if (row.seq !== next) {
      bad(
        next,
        row.seq > next
          ? `missing (the next entry is ${row.seq}): deleted`
          : `out of order (found ${row.seq})`,
      );
    }
    next = row.seq + 1;
    const leaf = leafHash(entryBytes(row));
    if (hex(leaf) !== row.leaf_hash) bad(row.seq, 'its content does not match its leaf hash: edited');
    chain = chainNext(chain, leaf);
    if (hex(chain) !== row.chain_hash) {
      bad(row.seq, 'the hash chain breaks here: edited, reordered, or an entry before it removed');
      chain = unhex(row.chain_hash); // resynchronise so that one break is reported once
    }
    frontier.append(leaf);
    read++;
    const h = headAt.get(read);
    if (h) {
      if (h.root !== hex(frontier.root()) || h.chainHash !== hex(chain)) {
        // every later head fails too: report the first, where the change is, once
        if (headMismatches++ === 0) {
          const from = lastGood?.size ?? 0;
          bad(
            from,
            `the signed tree head of size ${read} does not match entries ${from}..${read - 1}: ` +
              (from === read - 1 ? 'this entry was changed' : 'one of them was changed'),
          );
        }
      } else if (headMismatches === 0) {
        lastGood = h;
      }
    }
    if (witnessOk && witness.size === read && witness.root !== hex(frontier.root())) {
      general(`the witness head of size ${read} does not match the log: history was rewritten`);
      if (firstBad === null) firstBad = { seq: 0, reason: 'history rewritten since the witness head' };
    }
  }
  const newest = heads.at(-1);
  const truncatedAt = (size: number, what: string) => {
    general(`log truncated: ${what} covers ${size} entries but the log has ${read}`);
    if (firstBad === null || firstBad.seq > next) {
      firstBad = { seq: next, reason: `truncated: entries ${next}..${size - 1} are gone` };
    }
  };
  if (newest && newest.size > next) truncatedAt(newest.size, 'a signed tree head');
  if (witnessOk && witness.size > next)
    truncatedAt(witness.size, 'the witness head (kept outside the database)');
  const covered = lastGood?.size ?? 0;
  if (read > covered && headMismatches === 0) {
    bad(covered, `entries ${covered}..${read - 1} are not covered by a valid signed tree head`);
  }
  return { ok: problems.length === 0, size: read, head: lastGood, firstBad, problems };
}

/** Reads a witness head file; null when there is none. @throws {IntegrityError} for an unreadable one */
export function readWitness(file: string): SignedTreeHead | null {
  if (!existsSync(file)) return null;
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as SignedTreeHead;
    if (!Number.isSafeInteger(h.size) || typeof h.root !== 'string' || typeof h.signature !== 'string') {
      throw new Error('not a signed tree head');
    }
    return h;
  } catch (err) {
    throw new IntegrityError(`the audit witness file ${file} is unreadable: ${(err as Error).message}`, {
      file,
      check: 'audit-witness',
    });
  }
}

/**
 * The witness to keep once `head` is committed, in place of `current`: `head` when it is larger and `step` is a
 * consistency proof from `current` to it that checks against both signed roots; `current` when it is as large
 * and agrees, or larger, or when `step` starts from another size (a racing writer moved the witness after the
 * proof was made: it is never replaced unproven); `head` when there is no witness yet.
 * @throws {IntegrityError} 'audit-witness': `head` is not signed by `publicKey`, has the witness's size but
 * another root (a fork), or the proof does not check (`head` does not extend the witness)
 */
export function nextWitness(
  current: SignedTreeHead | null,
  head: SignedTreeHead,
  step: ConsistencyStep,
  publicKey: Uint8Array,
): SignedTreeHead {
  const fn = 'nextWitness';
  const details = { witnessSize: current?.size ?? 0, size: head.size };
  if (!signedBy(head, publicKey)) {
    refuse(
      fn,
      'audit-witness',
      `the new head (size ${head.size}) is not signed by the log key ${keyIdOf(publicKey)}, got key ` +
        `${JSON.stringify(head.keyId)} and a signature that does not verify`,
      details,
    );
  }
  if (current === null) return head;
  if (current.size === head.size && (current.root !== head.root || current.chainHash !== head.chainHash)) {
    refuse(
      fn,
      'audit-witness',
      `a fork: the new head of size ${head.size} differs from the witness head, got root ${head.root}`,
      details,
    );
  }
  if (current.size >= head.size || step.oldSize !== current.size) return current;
  if (!verifyConsistency(current.size, head.size, step.proof, unhex(current.root), unhex(head.root))) {
    refuse(
      fn,
      'audit-witness',
      `the new head (size ${head.size}) does not extend the witness head (size ${current.size}), got a consistency proof that does not check`,
      details,
    );
  }
  return head;
}

/**
 * Records `head` in the witness file when {@link nextWitness} allows (write to a temporary file, then rename, so a
 * reader never sees half a file). Racing writers may leave an older head; that only weakens the truncation check
 * to that head, never makes a good log fail.
 * @throws {IntegrityError} the witness file is unreadable, or `head` may not replace it (see {@link nextWitness})
 */
export function writeWitness(
  file: string,
  head: SignedTreeHead,
  step: ConsistencyStep,
  publicKey: Uint8Array,
): void {
  const current = readWitness(file);
  if (nextWitness(current, head, step, publicKey) === current) return;
  const tmp = `${file}.${process.pid}.${random(6).toString('hex')}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(head)}\n`);
  renameSync(tmp, file);
}

/** Hex leaf hashes of the first `size` entries, for proofs. */
export async function leafHashes(db: Kysely<LedgerSchema>, size: number): Promise<Uint8Array[]> {
  const rows = await db
    .selectFrom('audit_entries')
    .select(['leaf_hash'])
    .where('seq', '<', size)
    .orderBy('seq')
    .execute();
  return rows.map((r) => unhex(r.leaf_hash));
}

export { hex as toHex, unhex as fromHex };
