/**
 * Verifying the audit log from any source (the database, an export): every entry, the chain, every signed head,
 * their coverage, and the witness head kept outside the database.
 */
import type { AuditEntryTable } from '../store/schema.js';
import { chainNext, entryBytes, hex, keyIdOf, type SignedTreeHead, signedBy, unhex, ZERO } from './format.js';
import { Frontier } from './frontier.js';
import { leafHash } from './merkle.js';

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
