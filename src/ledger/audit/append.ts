/**
 * Appending to the audit log: one entry and a newly signed tree head, in the caller's write transaction, after
 * checking that what the new head is signed on top of is what was signed before (log.ts describes the design).
 */
import type { Kysely } from 'kysely';
import type { AuditHeadTable, LedgerSchema } from '../store/schema.js';
import {
  type AuditRecord,
  chainNext,
  entryBytes,
  hex,
  keyIdOf,
  REPLACED_HINT,
  refuse,
  type SignedTreeHead,
  signedBy,
  toHead,
  unhex,
  ZERO,
} from './format.js';
import { Frontier, frontierNodes } from './frontier.js';
import { leafHash } from './merkle.js';
import type { AuditSigner } from './signer.js';
import { witnessStep } from './witness.js';

/**
 * The newest stored head, checked before anything is signed on top of it: its signature under the log's key
 * (which covers size, root, chain hash and time), and its stored, unsigned frontier against its signed root (one
 * node per set bit of the size, so no other frontier folds to that root without a hash collision). Returns the
 * frontier to extend. @throws {IntegrityError} 'audit-head-signature', 'audit-head-frontier'
 */
function checkedNewestHead(row: AuditHeadTable, publicKey: Uint8Array): Frontier {
  const fn = 'openAppend';
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
      'openAppend',
      'audit-log-end',
      `the newest signed tree head covers ${size} entries, so the last entry should be ${size - 1}: entries were ` +
        `added or removed without a head, nothing was written, got ${end ? `entry ${end.seq}` : 'no entries'}`,
      { size, lastSeq: end?.seq ?? null },
    );
  }
  if (end && end.chain_hash !== newest?.chain_hash) {
    refuse(
      'openAppend',
      'audit-log-end',
      `entry ${end.seq} does not carry the chain hash the tree head of size ${size} signed: edited, nothing was ` +
        `written, got ${JSON.stringify(end.chain_hash)}`,
      { size },
    );
  }
}

/** Appends entries to the log inside one write transaction, each with a newly signed tree head. */
export interface AuditAppender {
  /** The newest signed head when the appender was opened, checked; null for an empty log. */
  readonly checkedHead: SignedTreeHead | null;
  /** Appends `record` at time `at` and signs the new tree head, which it returns. */
  append(record: AuditRecord, at: string): Promise<SignedTreeHead>;
}

/**
 * Checks the log inside the caller's write transaction `trx` (which serialises writers, so the sequence number is
 * the log's size) before anything is written or signed: the newest stored head (see {@link checkedNewestHead}), that
 * the entries end where that head says, and, given the `witness` head kept outside the database, that the log
 * extends it ({@link witnessStep}). Returns the appender, which computes each new head only from what was signed
 * before plus the new entries.
 * @throws {IntegrityError} any of those checks failed (`details.check`, an {@link AuditCheck}); nothing is written
 */
export async function openAppend(
  trx: Kysely<LedgerSchema>,
  signer: AuditSigner,
  witness: SignedTreeHead | null = null,
): Promise<AuditAppender> {
  const last = await trx
    .selectFrom('audit_heads')
    .selectAll()
    .orderBy('size', 'desc')
    .limit(1)
    .executeTakeFirst();
  let size = last?.size ?? 0;
  const frontier = last ? checkedNewestHead(last, signer.publicKey) : Frontier.empty();
  await checkLogEnd(trx, last);
  if (witness !== null) {
    if (!last) {
      refuse(
        'openAppend',
        'audit-witness',
        `the log was truncated: the witness head kept outside the database covers ${witness.size} entries, got an empty log${REPLACED_HINT}`,
        { witnessSize: witness.size, size: 0 },
      );
    }
    await witnessStep(trx, witness, toHead(last), signer.publicKey);
  }
  let chain = last ? unhex(last.chain_hash) : ZERO;
  let keyKnown = size > 0 && last?.key_id === signer.keyId;
  return {
    checkedHead: last ? toHead(last) : null,
    async append(record, at) {
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
      chain = chainNext(chain, leaf);
      frontier.append(leaf);
      await trx
        .insertInto('audit_entries')
        .values({ ...row, leaf_hash: hex(leaf), chain_hash: hex(chain) })
        .execute();
      size++;
      const head = signer.signHead({ size, root: hex(frontier.root()), chainHash: hex(chain), at });
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
      if (!keyKnown) {
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
        keyKnown = true;
      }
      return head;
    },
  };
}
