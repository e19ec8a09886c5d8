/**
 * The tamper-evident audit log's jobs: show entries (or one entry with its inclusion proof), verify the ledger's
 * log or an export of it, export it for an auditor.
 */
import { writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensureDirectory } from '../../core/index.js';
import {
  type AuditEntry,
  type AuditExport,
  type AuditVerification,
  type Ledger,
  type LedgerVerification,
  type SignedTreeHead,
  verifyAuditExport,
} from '../../ledger/index.js';
import { type LedgerJobContext, MUST_EXIST } from './budget.js';
import { checkOutFile, writeOutFile } from './out-file.js';
import type { AuditExportSpec, AuditShowSpec, AuditVerifySpec } from './spec.js';

/** An entry's inclusion proof in the newest signed tree head. */
export type InclusionProof = Awaited<ReturnType<Ledger['inclusionProof']>>;

/** What `audit show` found: one entry (null: the log has no entry of that number), or a page of entries. */
export type AuditShowResult =
  | { readonly kind: 'entry'; readonly entry: AuditEntry | null; readonly proof: InclusionProof | null }
  | { readonly kind: 'entries'; readonly entries: AuditEntry[]; readonly head: SignedTreeHead | null };

/** Entries oldest first (filtered by account subtree or dataset), or the spec's one entry and its proof. */
export function runAuditShow(spec: AuditShowSpec, ctx: LedgerJobContext): Promise<AuditShowResult> {
  const { entry: seq } = spec;
  return ctx.ledger.use(async (l) => {
    if (seq !== undefined) {
      const [entry] = await l.auditEntries({ from: seq, limit: 1 });
      if (entry?.seq !== seq) return { kind: 'entry', entry: null, proof: null };
      return { kind: 'entry', entry, proof: spec.proof ? await l.inclusionProof(seq) : null };
    }
    const entries = await l.auditEntries({
      from: spec.from,
      limit: spec.limit,
      ...(spec.account === undefined ? {} : { account: spec.account }),
      ...(spec.dataset === undefined ? {} : { dataset: spec.dataset }),
    });
    return { kind: 'entries', entries, head: await l.auditHead() };
  }, MUST_EXIST);
}

/**
 * Verifies entries, hash chain, signed tree heads (and a witness's head) of the ledger's log or of an export;
 * an export without a trusted key is checked against its own key (consistent, not proof of who signed it).
 */
export function runAuditVerify(
  spec: AuditVerifySpec,
  ctx: LedgerJobContext,
): Promise<AuditVerification | LedgerVerification> {
  const key = spec.trustedPublicKey === undefined ? {} : { trustedPublicKey: spec.trustedPublicKey };
  const { source } = spec;
  if (source.kind === 'export')
    return verifyAuditExport(source.bundle, { ...key, witness: source.witness ?? null });
  return ctx.ledger.use((l) => l.verifyAudit(key), MUST_EXIST);
}

/**
 * Writes entries, signed heads and the public key to `spec.out` (one line of JSON), and returns them.
 * @throws {ConfigError} at `out` when the file exists and `force` is not set
 */
export async function runAuditExport(spec: AuditExportSpec, ctx: LedgerJobContext): Promise<AuditExport> {
  checkOutFile(spec.out, spec.force, 'audit export');
  const bundle = await ctx.ledger.use((l) => l.exportAudit(), MUST_EXIST);
  await writeOutFile(spec.out, 'audit export', () => {
    ensureDirectory(dirname(spec.out));
    writeFileSync(spec.out, `${JSON.stringify(bundle)}\n`);
  });
  return bundle;
}
