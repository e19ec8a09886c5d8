/**
 * `veil vertical train` with both parties in this process (a simulation of two organisations: each party runs
 * ./party.ts and sees only its own CSV and the channel). For comparison only, the same model is then trained in
 * the clear on the joined rows (`plaintextAccuracy`), which a real deployment could not do; `veil vertical
 * serve` / `join` run one party each.
 */
import { ConfigError } from '../../core/index.js';
import type { SpendReceipt } from '../../ledger/index.js';
import { accuracy, memoryChannelPair, plainScores, trainPlainLr } from '../../mpc/index.js';
import type { JobContext } from '../context.js';
import { readDomain } from './data.js';
import { runVerticalParty, type VerticalPartyOutcome } from './party.js';
import type { VerticalTrainSpec } from './spec.js';

/** What `veil vertical train` prints. */
export interface VerticalTrainResult {
  readonly testAccuracy: number | null;
  readonly plaintextAccuracy: number | null;
  readonly intersection: number;
  readonly trainRows: number;
  readonly testRows: number;
  /** Bytes between the parties (PSI, OT, training, scoring). */
  readonly bytes: number;
  readonly epsilon: number | null;
  readonly delta: number | null;
  readonly noiseMultiplier: number | null;
  readonly activation: 'taylor' | 'hard-sigmoid';
  readonly epochs: number;
  readonly triples: 'ot';
  readonly model: 'secret-shared' | { readonly weights: Record<string, number>; readonly bias: number };
  readonly parties: readonly {
    readonly name: string;
    readonly rows: number;
    readonly features: number;
    readonly labels: boolean;
  }[];
  readonly ms: number;
  readonly warnings: readonly string[];
  readonly spend: SpendReceipt | null;
}

/**
 * Runs the job with both parties in this process.
 * @throws {ConfigError} VEIL_CONFIG_INVALID naming the field: unreadable or malformed CSVs, missing columns,
 *   a label in neither or both CSVs, duplicate identifiers, an empty intersection or training set
 * @throws {BudgetExceededError} VEIL_BUDGET_EXCEEDED when the account cannot pay (nothing trained)
 */
export async function runVerticalTrainJob(
  spec: VerticalTrainSpec,
  ctx: JobContext,
): Promise<VerticalTrainResult> {
  const t0 = performance.now();
  const domain = readDomain(spec.domain); // read once, a bad file reported once, before either party starts
  const [a, b] = memoryChannelPair({ peers: [spec.parties[1]!.name, spec.parties[0]!.name] });
  const { parties, ...shared } = spec;
  // one ledger in a simulation: only the label holder's side charges it, once
  const run = (i: 0 | 1) =>
    runVerticalParty({ ...shared, party: parties[i]! }, i === 0 ? a : b, ctx, {
      charge: 'label-holder',
      ...(domain ? { domain } : {}),
    }).catch((err) => {
      (i === 0 ? a : b).close('failed');
      throw err;
    });
  const settled = await Promise.allSettled([run(0), run(1)]);
  a.close('done');
  // report this side's own problem first (a peer's "channel closed" is its consequence)
  const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason] : []));
  if (failures.length > 0) throw failures.find((e) => e instanceof ConfigError) ?? failures[0];
  const outcomes = settled.map((s) => (s as PromiseFulfilledResult<VerticalPartyOutcome>).value);
  const holder = outcomes.find((o) => o.role === 0)!;
  const other = outcomes.find((o) => o.role === 1)!;
  const plain = trainPlainLr(
    holder.local.train,
    other.local.train,
    holder.local.trainLabels!,
    holder.options,
  );
  const all = Uint32Array.from({ length: holder.testRows }, (_, i) => i);
  const plaintextAccuracy =
    holder.testRows > 0
      ? accuracy(plainScores(holder.local.test, other.local.test, plain, all), holder.local.testLabels!)
      : null;
  const model =
    holder.model === 'secret-shared' || other.model === 'secret-shared'
      ? 'secret-shared'
      : { weights: { ...ownWeights(holder), ...ownWeights(other) }, bias: holder.model.bias };
  return {
    testAccuracy: holder.testAccuracy,
    plaintextAccuracy,
    intersection: holder.intersection,
    trainRows: holder.trainRows,
    testRows: holder.testRows,
    bytes: holder.bytes,
    epsilon: holder.epsilon,
    delta: holder.epsilon === null ? null : spec.delta,
    noiseMultiplier: holder.noiseMultiplier,
    activation: holder.activation,
    epochs: spec.epochs,
    triples: 'ot',
    model,
    parties: [holder, other].map((o) => ({
      name: o.name,
      rows: o.rows,
      features: o.local.data.width,
      labels: o.holdsLabel,
    })),
    ms: Math.round(performance.now() - t0),
    warnings: outcomes.flatMap((o) => o.warnings),
    spend: holder.spend ?? other.spend,
  };
}

/** A party's own weights, named by its encodings (each party names only its own columns). */
function ownWeights(o: VerticalPartyOutcome): Record<string, number> {
  if (o.model === 'secret-shared') return {};
  return Object.fromEntries(Object.entries(o.model.weights).filter(([k]) => k.startsWith(`${o.name}.`)));
}
