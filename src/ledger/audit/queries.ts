/**
 * Reading the audit log from the database: entries by filter, the newest head, full verification (entries paged
 * in order), RFC 6962 proofs against signed heads, and the offline export with its verification.
 */
import type { ExpressionBuilder, Kysely } from 'kysely';
import { InvalidParameterError } from '../../core/index.js';
import type { LedgerSchema } from '../store/schema.js';
import { type AuditEntry, hex, type SignedTreeHead, toEntry, toHead, unhex } from './format.js';
import { consistencyProof, inclusionProof } from './merkle.js';
import { type AuditVerification, verifyAudit } from './verify.js';

/** What {@link auditEntriesIn} can filter on. */
export interface AuditQuery {
  readonly from?: number;
  readonly limit?: number;
  /** Entries about this account or any account below it. */
  readonly account?: string;
  /**
   * One organisation's entries in a shared log: those about its account subtree, and those filed under no account
   * that name a dataset of its namespace (`dataset.register`, `dataset.access`). With `account`, both apply.
   */
  readonly org?: AuditScope;
  /** Entries naming this dataset (its lineage). */
  readonly dataset?: string;
  readonly outcome?: string;
  /** Entries of this action, or of every action under it when it ends with '.' (`budget.`). */
  readonly action?: string;
  /** Entries before this sequence number only. */
  readonly before?: number;
  /** `desc`: newest first (a timeline's order; with `before` to page back). Default `asc`. */
  readonly order?: 'asc' | 'desc';
}

/** An organisation's part of a shared audit log (as a compliance report's scope). */
export interface AuditScope {
  /** Its root account: entries about it or below it. */
  readonly account: string;
  /** The start of its datasets' names (`acme.`, as the service names them `acme.<name>`); never empty. */
  readonly datasetPrefix: string;
}

/** Audit entries of `path` and its descendants (the byte-order range ['path/', 'path0'), as for spends). */
function inAccountSubtree(path: string) {
  return (eb: ExpressionBuilder<LedgerSchema, 'audit_entries'>) =>
    eb.or([
      eb('account', '=', path),
      eb.and([eb('account', '>=', `${path}/`), eb('account', '<', `${path}0`)]),
    ]);
}

/**
 * Entries of `scope`: its account subtree's, and those under no account whose dataset label starts with its
 * prefix. The labels' range is ['acme.', 'acme/') ('/' follows '.'), so 'acme2.x' and 'acmeX.y' stay out; a job's
 * labels are joined by ', ' and the first decides (a job's datasets are all of its organisation in the service).
 * Both branches are index ranges (account, seq) and (dataset, seq).
 * @throws {InvalidParameterError} for an empty account or dataset prefix (it would take in every entry)
 */
function inScope(scope: AuditScope) {
  const { account, datasetPrefix: prefix } = scope;
  if (account === '' || prefix === '')
    throw new InvalidParameterError({
      fn: 'auditEntriesIn',
      param: 'org',
      value: scope,
      allowed: 'a root account and a non-empty start of dataset names',
    });
  const end = `${prefix.slice(0, -1)}${String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)}`;
  return (eb: ExpressionBuilder<LedgerSchema, 'audit_entries'>) =>
    eb.or([
      inAccountSubtree(account)(eb),
      eb.and([eb('account', 'is', null), eb('dataset', '>=', prefix), eb('dataset', '<', end)]),
    ]);
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

/** Entries, oldest first, filtered by `query`. */
export async function auditEntriesIn(db: Kysely<LedgerSchema>, query: AuditQuery): Promise<AuditEntry[]> {
  let q = db
    .selectFrom('audit_entries')
    .selectAll()
    .orderBy('seq', query.order ?? 'asc');
  if (query.from !== undefined) q = q.where('seq', '>=', query.from);
  if (query.before !== undefined) q = q.where('seq', '<', query.before);
  if (query.action !== undefined) {
    const action = query.action;
    // a prefix as a byte-order range (LIKE would read '_' in action names as a wildcard)
    q = action.endsWith('.')
      ? q.where((eb) => eb.and([eb('action', '>=', action), eb('action', '<', `${action.slice(0, -1)}/`)]))
      : q.where('action', '=', action);
  }
  if (query.outcome !== undefined) q = q.where('outcome', '=', query.outcome);
  if (query.account !== undefined) q = q.where(inAccountSubtree(query.account));
  if (query.org !== undefined) q = q.where(inScope(query.org));
  if (query.dataset === undefined) {
    if (query.limit !== undefined) q = q.limit(query.limit);
    return (await q.execute()).map(toEntry);
  }
  // labels are 'name@sha256:…', several joined by ', ' for a job: narrow in SQL, then match exactly (LIKE
  // treats '_', which names may contain, as a wildcard)
  const name = query.dataset;
  q = q.where((eb) =>
    eb.or([
      eb('dataset', '>=', `${name}@`).and('dataset', '<', `${name}A`),
      eb('dataset', 'like', `%, ${name}@%`),
    ]),
  );
  const exact = (await q.execute())
    .map(toEntry)
    .filter((e) => e.dataset?.split(', ').some((label) => label.startsWith(`${name}@`)));
  return query.limit === undefined ? exact : exact.slice(0, query.limit);
}

/** Verifies the log in `db` against `trustedPublicKey` and the `witness` head kept outside it. */
export function verifyAuditIn(
  db: Kysely<LedgerSchema>,
  trustedPublicKey: Uint8Array,
  witness: SignedTreeHead | null,
): Promise<AuditVerification> {
  return verifyAudit({
    trustedPublicKey,
    witness,
    heads: async () => (await db.selectFrom('audit_heads').selectAll().orderBy('size').execute()).map(toHead),
    entries: async function* () {
      // pages in seq order, so memory stays bounded for long logs
      const page = 5000;
      for (let offset = 0; ; offset += page) {
        const rows = await db
          .selectFrom('audit_entries')
          .selectAll()
          .orderBy('seq')
          .limit(page)
          .offset(offset)
          .execute();
        yield* rows;
        if (rows.length < page) return;
      }
    },
  });
}

/** An RFC 6962 inclusion proof of entry `seq` in the log at its newest signed head. */
export async function inclusionProofIn(
  db: Kysely<LedgerSchema>,
  seq: number,
): Promise<{ seq: number; leafHash: string; head: SignedTreeHead; proof: string[] }> {
  const head = await latestHead(db);
  if (!head || !Number.isSafeInteger(seq) || seq < 0 || seq >= head.size) {
    throw new InvalidParameterError({
      fn: 'Ledger.inclusionProof',
      param: 'seq',
      value: seq,
      allowed: `an entry number in [0, ${head?.size ?? 0})`,
    });
  }
  const leaves = await leafHashes(db, head.size);
  return { seq, leafHash: hex(leaves[seq]!), head, proof: inclusionProof(seq, leaves).map(hex) };
}

/** An RFC 6962 consistency proof from the head of size `oldSize` to the newest head. */
export async function consistencyProofIn(
  db: Kysely<LedgerSchema>,
  oldSize: number,
): Promise<{ oldHead: SignedTreeHead; head: SignedTreeHead; proof: string[] }> {
  const head = await latestHead(db);
  const old = await db.selectFrom('audit_heads').selectAll().where('size', '=', oldSize).executeTakeFirst();
  if (!head || !old || oldSize > head.size) {
    throw new InvalidParameterError({
      fn: 'Ledger.consistencyProof',
      param: 'oldSize',
      value: oldSize,
      allowed: `the size of a signed head, in [1, ${head?.size ?? 0}]`,
    });
  }
  const leaves = await leafHashes(db, head.size);
  return { oldHead: toHead(old), head, proof: consistencyProof(oldSize, leaves).map(hex) };
}

/** An exported audit log (`veil audit export`): verify it with {@link verifyAuditExport}. */
export interface AuditExport {
  readonly format: 'veil-audit-export-v1';
  readonly exportedAt: string;
  readonly publicKey: string;
  readonly keyId: string;
  readonly heads: readonly SignedTreeHead[];
  readonly entries: readonly LedgerSchema['audit_entries'][];
}

/** Everything an outside auditor needs to verify the log offline: entries as stored, signed heads, public key. */
export async function exportAuditIn(
  db: Kysely<LedgerSchema>,
  key: { publicKey: Uint8Array; keyId: string },
  exportedAt: string,
): Promise<AuditExport> {
  const entries = await db.selectFrom('audit_entries').selectAll().orderBy('seq').execute();
  const heads = await db.selectFrom('audit_heads').selectAll().orderBy('size').execute();
  return {
    format: 'veil-audit-export-v1',
    exportedAt,
    publicKey: hex(key.publicKey),
    keyId: key.keyId,
    heads: heads.map(toHead),
    entries,
  };
}

/**
 * Verifies an exported log. Trusting the export's own public key shows only that it is internally consistent;
 * pass the key you obtained from the ledger's owner (and a head you kept, as `witness`) to show more.
 */
export async function verifyAuditExport(
  bundle: AuditExport,
  options: { trustedPublicKey?: string; witness?: SignedTreeHead | null } = {},
): Promise<AuditVerification> {
  if (
    bundle?.format !== 'veil-audit-export-v1' ||
    !Array.isArray(bundle.entries) ||
    !Array.isArray(bundle.heads)
  ) {
    throw new InvalidParameterError({
      fn: 'verifyAuditExport',
      param: 'bundle',
      value: bundle?.format,
      allowed: "a 'veil-audit-export-v1' export (veil audit export)",
    });
  }
  return verifyAudit({
    trustedPublicKey: unhex(options.trustedPublicKey ?? bundle.publicKey),
    witness: options.witness ?? null,
    heads: async () => bundle.heads,
    entries: async function* () {
      yield* bundle.entries;
    },
  });
}
