/**
 * Hybrid training's synthetic part: the synthetic CSV encoded with the training data's encoder, and its
 * provenance (whose privacy loss it carries). The rows are a differentially private release (`veil synth`), so
 * training on them without noise is post-processing; what it cost was paid when it was generated, on the same
 * records, and composes with the training's own loss.
 *
 * Where that cost comes from, in order:
 * 1. the ledger: the `veil synth` job whose output CSV has this file's SHA-256 (its lineage entry), and the
 *    events of the spend that job was charged (or the rho it recorded when it charged no account);
 * 2. the spec's `synthetic.privacy` (epsilon, delta), declared by the user, when the ledger has no record;
 * 3. otherwise the job is refused: an unknown release cannot be composed.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createAccountant, type PrivacyEvent } from '../../accounting/index.js';
import { ConfigError, InvalidParameterError } from '../../core/index.js';
import type { Ledger } from '../../ledger/index.js';
import { type Dataset, encodeCsv } from '../../ml/index.js';
import { findSynthRelease, type SynthRelease } from '../synth/provenance.js';
import type { LoadedData } from './data.js';
import type { TrainSpec } from './spec.js';

const CONTEXT = 'training spec';

/** Whose privacy loss the synthetic rows carry. */
export type SyntheticProvenance =
  | SynthRelease
  | {
      readonly source: 'declared';
      readonly epsilon: number;
      readonly delta: number;
    };

/** The synthetic rows of a hybrid run and their provenance. */
export interface SyntheticInput {
  readonly dataset: Dataset;
  readonly hash: string;
  readonly provenance: SyntheticProvenance;
}

/**
 * Reads the spec's synthetic CSV with the training data's encoder and finds its provenance. Everything here is
 * checked before the training's spend.
 * @throws {ConfigError} at `synthetic.path` (missing, unreadable, other columns, a category the encoder does not
 *   know) or `synthetic.privacy` (no provenance)
 */
export async function loadSynthetic(
  spec: TrainSpec,
  data: LoadedData,
  ledger: Ledger | null,
): Promise<SyntheticInput | null> {
  const s = spec.synthetic;
  if (s === undefined) return null;
  const refuse = (allowed: string, path = 'synthetic.path', value: unknown = s.path): never => {
    throw new ConfigError([{ path, value, allowed }], CONTEXT);
  };
  if (data.encoder === null) return refuse('used with CSV training data');
  let bytes: Buffer;
  try {
    if (statSync(s.path).isDirectory()) refuse('a synthetic CSV file (it is a directory)');
    bytes = readFileSync(s.path);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    return refuse(`a readable synthetic CSV file (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  let dataset: Dataset;
  try {
    dataset = encodeCsv({ encoder: data.encoder, path: s.path }).dataset;
  } catch (err) {
    if (err instanceof ConfigError || err instanceof InvalidParameterError)
      return refuse(`a CSV with the training data's columns and categories (${err.message})`);
    throw err;
  }
  if (dataset.numExamples === 0) refuse('a synthetic CSV with at least one row');
  const hash = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const recorded = ledger ? await findSynthRelease(ledger, hash) : null;
  if (recorded) return { dataset, hash, provenance: recorded };
  if (s.privacy)
    return {
      dataset,
      hash,
      provenance: { source: 'declared', epsilon: s.privacy.epsilon, delta: s.privacy.delta },
    };
  return refuse(
    `the synthetic data's privacy: ${ledger ? 'the ledger has no veil synth job that wrote this file' : 'this run uses no ledger'} (${hash.slice(0, 19)}…), so declare its epsilon and delta (--synthetic-epsilon, --synthetic-delta; config synthetic.privacy)`,
    'synthetic.privacy',
    undefined,
  );
}

/**
 * The privacy loss of the synthetic data and the training together, on the same records: the events composed by
 * the training's accountant at the training's delta (ledger provenance), or basic composition of the declared
 * (epsilon, delta) with the training's (declared provenance, which has no events to compose).
 */
export function composedPrivacy(
  provenance: SyntheticProvenance,
  training: {
    readonly events: readonly PrivacyEvent[];
    readonly epsilon: number | null;
    readonly delta: number;
  },
  accountant: 'rdp' | 'pld',
): { readonly epsilon: number; readonly delta: number; readonly how: string } | null {
  if (training.epsilon === null) return null;
  if (provenance.source === 'declared')
    return {
      epsilon: provenance.epsilon + training.epsilon,
      delta: provenance.delta + training.delta,
      how: 'basic composition of the declared synthetic (epsilon, delta) and the training (epsilon, delta)',
    };
  const acc = createAccountant(accountant);
  for (const e of [...provenance.events, ...training.events]) acc.compose(e);
  return {
    epsilon: acc.epsilon({ delta: training.delta }),
    delta: training.delta,
    how: `the synthetic data's ledger events and the training's, composed by the ${accountant} accountant`,
  };
}

/** What the summary says about the synthetic part of a hybrid run. */
export function syntheticSummary(
  input: SyntheticInput,
  spec: NonNullable<TrainSpec['synthetic']>,
  pretrainAccuracy: number | null,
): Record<string, unknown> {
  const p = input.provenance;
  return {
    file: resolve(spec.path),
    hash: input.hash,
    rows: input.dataset.numExamples,
    epochs: spec.epochs,
    testAccuracyAfterPretraining: pretrainAccuracy,
    provenance:
      p.source === 'declared'
        ? { source: 'declared', epsilon: p.epsilon, delta: p.delta }
        : {
            source: 'ledger',
            auditEntry: p.auditEntry,
            method: p.method,
            spend: p.spend,
            events: p.events,
            fingerprint: p.fingerprint,
          },
  };
}
