/**
 * `veil vertical train` with both parties in this process (a simulation of two organisations: each party's
 * function sees only its own CSV and the channel). Steps: read and encode each party's CSV; PSI on the key
 * column (intersection mode, aligned order); the label holder splits the aligned rows into training and test
 * rows and tells the other party which is which (public); OT sessions both ways; secure training; the test
 * rows' scores revealed to the label holder, who computes the accuracy; and, for comparison only, the same
 * model trained in the clear on the joined rows (`plaintextAccuracy`), which a real deployment could not do.
 *
 * With `epsilon`, the noise multiplier is calibrated for `epochs` full-batch Gaussian steps and the ledger is
 * charged (when an account is given) after every check that can fail and before any noise is drawn.
 */
import {
  calibrateNoiseMultiplier,
  createAccountant,
  gaussianEvent,
  type PrivacyEvent,
  selfComposedEvent,
} from '../../accounting/index.js';
import { ConfigError, csprng, type Rng } from '../../core/index.js';
import type { SpendReceipt } from '../../ledger/index.js';
import {
  ArithParty,
  accuracy,
  type Channel,
  exchangeLayouts,
  type FeatureMatrix,
  memoryChannelPair,
  OtPair,
  otTripleSource,
  plainScores,
  psi,
  scores,
  trainPlainLr,
  trainVerticalLr,
  type VerticalLrOptions,
} from '../../mpc/index.js';
import { defaultCharge, type JobContext, jobRng } from '../context.js';
import { loadParty, type PartyData, readDomain } from './data.js';
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

const CONTEXT = 'vertical training';

const matrixOf = (d: PartyData, rows: readonly number[]): FeatureMatrix => {
  const values = new Uint16Array(rows.length * d.width);
  rows.forEach((r, i) => values.set(d.features.subarray(r * d.width, (r + 1) * d.width), i * d.width));
  return { values, rows: rows.length, width: d.width, columns: d.columns, bits: d.bits, shifts: d.shifts };
};

/** The privacy of a DP run: `steps` full-batch Gaussian releases with noise multiplier sigma. */
export function verticalPrivacy(
  epsilon: number,
  delta: number,
  steps: number,
): { noiseMultiplier: number; events: PrivacyEvent[]; epsilon: number } {
  const { noiseMultiplier } = calibrateNoiseMultiplier({
    targetEpsilon: epsilon,
    delta,
    sampleRate: 1,
    steps,
  });
  const events = [selfComposedEvent(gaussianEvent({ sigma: noiseMultiplier }), steps)];
  const accountant = createAccountant('rdp');
  for (const e of events) accountant.compose(e);
  return { noiseMultiplier, events, epsilon: accountant.epsilon({ delta }) };
}

interface PartyRun {
  readonly zTest?: Float64Array;
  readonly weights?: { w0: Float64Array; w1: Float64Array; bias: number };
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
  const domain = readDomain(spec.domain);
  const loaded = spec.parties.map((p) => loadParty(p, spec.key, spec.label, domain));
  const holders = loaded.filter((p) => p.labels !== undefined);
  if (holders.length !== 1)
    throw new ConfigError(
      [
        {
          path: 'label',
          value: spec.label,
          allowed: `a column of exactly one party's CSV (found in ${holders.length})`,
        },
      ],
      CONTEXT,
    );
  // party 0 holds the label
  const parties = loaded[0]!.labels ? loaded : [loaded[1]!, loaded[0]!];
  for (const p of parties)
    if (p.ids.length === 0)
      throw new ConfigError(
        [{ path: `${p.name}.file`, value: p.file, allowed: 'at least one data row' }],
        CONTEXT,
      );
  const activation = spec.epsilon === undefined ? 'taylor' : 'hard-sigmoid';
  const privacy = spec.epsilon === undefined ? null : verticalPrivacy(spec.epsilon, spec.delta, spec.epochs);
  const rng = (stream: number): Rng => (ctx.seed === undefined ? csprng() : jobRng(ctx, stream));
  const [c0, c1] = memoryChannelPair({ peers: [parties[1]!.name, parties[0]!.name] });
  const channels: [Channel, Channel] = [c0, c1];

  // PSI first: both sides learn their aligned rows; duplicates are refused by psi before anything is sent
  const aligned = await Promise.all(
    parties.map((p, role) =>
      psi(channels[role]!, {
        role: role === 0 ? 'left' : 'right',
        ids: p.ids,
        mode: 'intersection',
        normalise: spec.normalise,
        rng: rng(10 + role),
      }),
    ),
  ).catch((err) => {
    throw toConfig(err);
  });
  const rows = aligned.map((a) => (a.mode === 'intersection' ? a.rows : []));
  const intersection = aligned[0]!.intersection;
  if (intersection === 0)
    throw new ConfigError(
      [
        {
          path: 'key',
          value: spec.key,
          allowed: 'identifiers the two parties share (the intersection is empty)',
        },
      ],
      CONTEXT,
    );
  // the label holder's split, by its own row numbers; the other party learns only which aligned rows are test rows
  const isTest = rows[0]!.map((r) => spec.testFromRow !== undefined && r >= spec.testFromRow);
  const pick = (role: number, test: boolean) => rows[role]!.filter((_, i) => isTest[i] === test);
  const trainRows = pick(0, false).length;
  const testRows = pick(0, true).length;
  if (trainRows === 0)
    throw new ConfigError(
      [
        {
          path: 'testFromRow',
          value: spec.testFromRow,
          allowed: 'a row that leaves training rows in the intersection',
        },
      ],
      CONTEXT,
    );
  const train = parties.map((p, role) => matrixOf(p, pick(role, false)));
  const test = parties.map((p, role) => matrixOf(p, pick(role, true)));
  const trainLabels = Uint8Array.from(pick(0, false), (r) => parties[0]!.labels![r]!);
  const testLabels = Uint8Array.from(pick(0, true), (r) => parties[0]!.labels![r]!);

  // every check has passed: charge before any noise is drawn
  let spend: SpendReceipt | null = null;
  if (privacy && spec.account !== undefined) {
    const account = spec.account;
    spend = await ctx.ledger.use((ledger) =>
      (ctx.pay ?? defaultCharge)(ledger, {
        account,
        events: privacy.events,
        purpose: spec.purpose ?? 'vertical training',
      }),
    );
    ctx.progress({
      kind: 'ledger',
      message: `charged ${account}: epsilon ${privacy.epsilon} at delta ${spec.delta}`,
    });
  }

  const options: VerticalLrOptions = {
    epochs: spec.epochs,
    batchSize: spec.batchSize,
    learningRate: spec.learningRate,
    l2: spec.l2,
    activation,
    scheduleSeed: Buffer.from(Uint32Array.from({ length: 4 }, () => rng(20).nextUint32()).buffer).toString(
      'hex',
    ),
    ...(privacy ? { dp: { noiseMultiplier: privacy.noiseMultiplier, steps: spec.epochs } } : {}),
    onStep: (step, steps) => {
      if (step % 10 === 0 || step === steps)
        ctx.progress({
          kind: 'progress',
          stage: 'train',
          done: step,
          total: steps,
          message: `step ${step}/${steps}`,
        });
    },
  };
  const runs: PartyRun[] = await Promise.all(
    [0, 1].map(async (role): Promise<PartyRun> => {
      const ch = channels[role]!;
      const r = role as 0 | 1;
      const peer = await exchangeLayouts(ch, train[role]!, train[role]!.rows);
      const pair = await OtPair.setup(ch, r, { rng: rng(30 + role) });
      const arith = new ArithParty({ ch, role: r, triples: otTripleSource(pair), rng: rng(40 + role) });
      const party = {
        arith,
        pair,
        ch,
        features: train[role]!,
        peer,
        rng: rng(50 + role),
        ...(role === 0 ? { labels: trainLabels } : {}),
      };
      const model = await trainVerticalLr(party, options);
      let zTest: Float64Array | undefined;
      if (testRows > 0) {
        const testParty = { ...party, features: test[role]!, peer: { ...peer } };
        const z = await scores(
          testParty,
          model,
          Uint32Array.from({ length: testRows }, (_, i) => i),
        );
        zTest = await arith.reveal(z, 0);
      }
      if (!spec.revealModel) return zTest ? { zTest } : {};
      const [w0, w1, bias] = [
        await arith.reveal(model.w0),
        await arith.reveal(model.w1),
        await arith.reveal(model.bias),
      ];
      return { ...(zTest ? { zTest } : {}), weights: { w0: w0!, w1: w1!, bias: bias![0]! } };
    }),
  );
  const bytes = c0.stats().bytesSent + c1.stats().bytesSent;
  c0.close('done');
  const testAccuracy = runs[0]!.zTest ? accuracy(runs[0]!.zTest, testLabels) : null;
  const plain = trainPlainLr(train[0]!, train[1]!, trainLabels, options);
  const all = Uint32Array.from({ length: testRows }, (_, i) => i);
  const plaintextAccuracy =
    testRows > 0 ? accuracy(plainScores(test[0]!, test[1]!, plain, all), testLabels) : null;
  const weights = runs[0]!.weights;
  return {
    testAccuracy,
    plaintextAccuracy,
    intersection,
    trainRows,
    testRows,
    bytes,
    epsilon: privacy?.epsilon ?? null,
    delta: privacy ? spec.delta : null,
    noiseMultiplier: privacy?.noiseMultiplier ?? null,
    activation,
    epochs: spec.epochs,
    triples: 'ot',
    model: weights ? { weights: namedWeights(parties, weights), bias: weights.bias } : 'secret-shared',
    parties: parties.map((p, role) => ({
      name: p.name,
      rows: p.ids.length,
      features: p.width,
      labels: role === 0,
    })),
    ms: Math.round(performance.now() - t0),
    warnings: parties.flatMap((p) => p.warnings),
    spend,
  };
}

function namedWeights(
  parties: PartyData[],
  w: { w0: Float64Array; w1: Float64Array },
): Record<string, number> {
  const out: Record<string, number> = {};
  parties.forEach((p, role) => {
    const values = role === 0 ? w.w0 : w.w1;
    let at = 0;
    for (const e of p.encodings)
      for (let k = 0; k < e.width; k++)
        out[e.kind === 'one-hot' ? `${p.name}.${e.column}[${k}]` : `${p.name}.${e.column}`] = values[at++]!;
  });
  return out;
}

/** PSI's refusals of a party's identifiers (duplicates) become config errors naming the key. */
function toConfig(err: unknown): unknown {
  if (err instanceof Error && 'code' in err && (err as { code: string }).code === 'VEIL_INVALID_PARAMETER')
    return new ConfigError(
      [{ path: 'key', value: undefined, allowed: `identifiers without duplicates (${err.message})` }],
      CONTEXT,
    );
  return err;
}
