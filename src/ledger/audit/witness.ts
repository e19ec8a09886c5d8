/**
 * The witness: a copy of the newest signed tree head kept outside the database, so that a truncated or rewritten
 * log is caught even when its heads were deleted too. Inside the write transaction, {@link witnessStep} proves
 * that the log extends the witness; after the commit, {@link writeWitness} moves the witness forward, only along
 * that checked proof.
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { IntegrityError, readJsonFile, writeJsonFileAtomic } from '../../core/index.js';
import type { LedgerSchema } from '../store/schema.js';
import { HEX32, keyIdOf, REPLACED_HINT, refuse, type SignedTreeHead, signedBy, unhex } from './format.js';
import { frontierNodes } from './frontier.js';
import { consistencyProofFromFrontier, verifyConsistency } from './merkle.js';

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

/** What a witness file must hold to be read at all; the signature and the root are checked where it is used. */
const WitnessSchema = z.looseObject({ size: z.int(), root: z.string(), signature: z.string() });

/** Reads a witness head file; null when there is none. @throws {IntegrityError} for an unreadable one */
export function readWitness(file: string): SignedTreeHead | null {
  const head = readJsonFile(file, {
    what: 'a signed tree head',
    schema: WitnessSchema,
    onError: (problem) =>
      new IntegrityError(
        `the audit witness file ${file} is unreadable: ${problem.kind === 'invalid' ? 'not a signed tree head' : problem.message}`,
        { file, check: 'audit-witness' },
      ),
  });
  return head as SignedTreeHead | null;
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
  // Not flushed (fsync: false): it is rewritten after every commit, and an fsync there would cost each spend
  // about as much as the commit's own flush.
  writeJsonFileAtomic(file, head, { mode: 0o644, fsync: false });
}
