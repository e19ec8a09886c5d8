/**
 * Where a synthetic CSV came from, by its hash: the `veil synth` job of the ledger whose output it is (its lineage
 * entry records the output's SHA-256) and the privacy that job spent. Hybrid training composes it with its own;
 * a federation node finds the samples it generated before a crash.
 */
import type { PrivacyEvent } from '../../accounting/index.js';
import type { Ledger } from '../../ledger/index.js';

/** A `veil synth` release found in the ledger. */
export interface SynthRelease {
  readonly source: 'ledger';
  /** The audit entry of the `veil synth` job that wrote the file. */
  readonly auditEntry: number;
  readonly method: string | null;
  /** The spend the synth job was charged (null when it charged no account: its recorded rho is used). */
  readonly spend: { readonly id: number; readonly account: string } | null;
  readonly events: readonly PrivacyEvent[];
  /** The fingerprint of the data the synthetic rows were generated from, as the job recorded it. */
  readonly fingerprint: string | null;
}

/** The `veil synth` lineage entry whose output is the file with `hash`, and the privacy its job spent. */
export async function findSynthRelease(ledger: Ledger, hash: string): Promise<SynthRelease | null> {
  const entries = await ledger.auditEntries({ outcome: 'recorded' });
  const entry = entries
    .reverse()
    .find(
      (e) =>
        e.action === 'job.complete' &&
        String(e.detail['job'] ?? '').startsWith('veil synth ') &&
        (e.detail['out'] as { hash?: unknown } | undefined)?.hash === hash,
    );
  if (!entry) return null;
  const d = entry.detail;
  const spendIds = Array.isArray(d['spendIds']) ? (d['spendIds'] as number[]) : [];
  const fingerprint = (d['data'] as { fingerprint?: unknown } | undefined)?.fingerprint;
  const base = {
    source: 'ledger' as const,
    auditEntry: entry.seq,
    method: typeof d['method'] === 'string' ? d['method'] : null,
    fingerprint: typeof fingerprint === 'string' ? fingerprint : null,
  };
  if (spendIds.length > 0 && entry.account !== null) {
    const spend = (await ledger.spends(entry.account)).find((x) => x.id === spendIds[0]);
    if (spend && spend.status === 'granted')
      return { ...base, spend: { id: spend.id, account: spend.account }, events: spend.events };
  }
  const rho = d['rho'];
  if (typeof rho === 'number' && rho > 0)
    return { ...base, spend: null, events: [{ kind: 'zcdp', rho, mechanism: base.method ?? 'synth' }] };
  return null;
}
