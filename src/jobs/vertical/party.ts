/**
 * One party of vertical training, over a two-party Channel: what runs at each organisation. Both parties call
 * {@link runVerticalParty} with the same training settings and their own CSV; `veil vertical train` runs the two
 * in one process, `veil vertical serve` / `join` one each over mutual TLS.
 *
 * 1. `vertical.hello`: the training settings (checked equal on both sides: epochs, batch size, learning rate,
 *    L2, epsilon, delta, normalisation, test split, whether the model is revealed) and whether this party holds
 *    the label; exactly one may.
 * 2. PSI (intersection mode): each party learns its aligned rows.
 * 3. `vertical.split` from the label holder: which aligned rows are test rows (by its own row numbers) and the
 *    seed of the public batch schedule.
 * 4. With epsilon: the charge to this party's account (each organisation charges its own ledger; in one
 *    process, with one ledger, only the label holder does), after every check that can fail, before any noise.
 * 5. Secure training; the test rows' scores revealed to the label holder, which computes the accuracy; the model
 *    revealed to both only if both said so.
 */
import { ConfigError, csprng, ProtocolError, type Rng } from '../../core/index.js';
import type { SpendReceipt } from '../../ledger/index.js';
import type { Domain } from '../../ml/index.js';
import {
  ArithParty,
  accuracy,
  type Channel,
  exchangeLayouts,
  type FeatureMatrix,
  OtPair,
  otTripleSource,
  psi,
  scores,
  trainVerticalLr,
  type VerticalLrOptions,
} from '../../mpc/index.js';
import { defaultCharge, type JobContext, jobRng } from '../context.js';
import { loadParty, type PartyData, type PartySpec, readDomain } from './data.js';
import { verticalPrivacy } from './privacy.js';
import type { VerticalTrainSpec } from './spec.js';

const CONTEXT = 'vertical training';

/** The settings both parties must share, and this party's own data. */
export type VerticalPartySpec = Omit<VerticalTrainSpec, 'parties'> & { readonly party: PartySpec };

/** What one party knows at the end. */
export interface VerticalPartyOutcome {
  readonly role: 0 | 1;
  readonly name: string;
  readonly peer: string;
  readonly holdsLabel: boolean;
  readonly rows: number;
  readonly peerRows: number;
  readonly intersection: number;
  readonly trainRows: number;
  readonly testRows: number;
  /** The label holder only (null elsewhere, or without test rows). */
  readonly testAccuracy: number | null;
  readonly epsilon: number | null;
  readonly noiseMultiplier: number | null;
  readonly activation: 'taylor' | 'hard-sigmoid';
  readonly bytes: number;
  readonly model: 'secret-shared' | { readonly weights: Record<string, number>; readonly bias: number };
  readonly spend: SpendReceipt | null;
  readonly warnings: readonly string[];
  /** This party's own aligned matrices and labels: for the in-process comparison only, never sent or printed. */
  readonly local: {
    readonly data: PartyData;
    readonly train: FeatureMatrix;
    readonly test: FeatureMatrix;
    readonly trainLabels?: Uint8Array;
    readonly testLabels?: Uint8Array;
  };
  readonly options: VerticalLrOptions;
}

const matrixOf = (d: PartyData, rows: readonly number[]): FeatureMatrix => {
  const values = new Uint16Array(rows.length * d.width);
  rows.forEach((r, i) => values.set(d.features.subarray(r * d.width, (r + 1) * d.width), i * d.width));
  return { values, rows: rows.length, width: d.width, columns: d.columns, bits: d.bits, shifts: d.shifts };
};

const settingsOf = (s: VerticalPartySpec) => ({
  version: 1,
  key: s.key,
  label: s.label,
  normalise: s.normalise,
  testFromRow: s.testFromRow ?? null,
  epochs: s.epochs,
  batchSize: s.batchSize,
  learningRate: s.learningRate,
  l2: s.l2,
  epsilon: s.epsilon ?? null,
  delta: s.delta,
  revealModel: s.revealModel,
});

async function hello(
  ch: Channel,
  spec: VerticalPartySpec,
  holdsLabel: boolean,
): Promise<{ peer: string; peerHolds: boolean }> {
  const mine = settingsOf(spec);
  ch.send(
    'vertical.hello',
    Buffer.from(JSON.stringify({ settings: mine, name: spec.party.name, holdsLabel })),
  );
  const raw = await ch.recv('vertical.hello');
  let theirs: { settings: unknown; name: unknown; holdsLabel: unknown };
  try {
    theirs = JSON.parse(Buffer.from(raw).toString());
  } catch {
    throw new ProtocolError(`${ch.peer} sent a hello that is not JSON`, {
      peer: ch.peer,
      stage: 'vertical.hello',
    });
  }
  if (JSON.stringify(theirs?.settings) !== JSON.stringify(mine))
    throw new ProtocolError(
      `the two parties' training settings differ: this party ${JSON.stringify(mine)}, ${ch.peer} ${JSON.stringify(theirs?.settings).slice(0, 400)}`,
      {
        peer: ch.peer,
        stage: 'vertical.hello',
      },
    );
  if (typeof theirs.holdsLabel !== 'boolean' || typeof theirs.name !== 'string')
    throw new ProtocolError(`${ch.peer} sent a malformed hello`, { peer: ch.peer, stage: 'vertical.hello' });
  if (theirs.holdsLabel === holdsLabel)
    throw new ConfigError(
      [
        {
          path: 'label',
          value: spec.label,
          allowed: `a column of exactly one party's CSV (found in ${holdsLabel ? 2 : 0})`,
        },
      ],
      CONTEXT,
    );
  return { peer: theirs.name.slice(0, 64), peerHolds: theirs.holdsLabel };
}

/**
 * Runs this party's side (see the file comment).
 * @throws {ConfigError} VEIL_CONFIG_INVALID for this party's bad input (files, columns, duplicates, the split), or a
 *   label in neither or both CSVs
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION when the other party's settings differ or it deviates
 * @throws {BudgetExceededError} VEIL_BUDGET_EXCEEDED when this party's account cannot pay (nothing trained)
 */
export async function runVerticalParty(
  spec: VerticalPartySpec,
  ch: Channel,
  ctx: JobContext,
  how: {
    /** `label-holder`: only the label holder charges (one ledger for both parties, in one process). */
    readonly charge?: 'always' | 'label-holder';
    /** This party's data when the caller has already read it (checked before connecting), else read here. */
    readonly data?: PartyData;
    /** The domain file's entries when the caller has already read it. */
    readonly domain?: Domain;
  } = {},
): Promise<VerticalPartyOutcome> {
  const data = how.data ?? loadParty(spec.party, spec.key, spec.label, how.domain ?? readDomain(spec.domain));
  if (data.ids.length === 0)
    throw new ConfigError(
      [{ path: `${data.name}.file`, value: data.file, allowed: 'at least one data row' }],
      CONTEXT,
    );
  const holdsLabel = data.labels !== undefined;
  const { peer } = await hello(ch, spec, holdsLabel);
  const role: 0 | 1 = holdsLabel ? 0 : 1;
  const rng = (stream: number): Rng => (ctx.seed === undefined ? csprng() : jobRng(ctx, stream + 10 * role));
  const aligned = await psi(ch, {
    role: role === 0 ? 'left' : 'right',
    ids: data.ids,
    mode: 'intersection',
    normalise: spec.normalise,
    rng: rng(1),
  }).catch((err) => {
    ch.close('input refused');
    if (err instanceof Error && (err as { code?: string }).code === 'VEIL_INVALID_PARAMETER')
      throw new ConfigError(
        [
          {
            path: `${data.name}.key`,
            value: spec.key,
            allowed: `identifiers without duplicates (${err.message.replace(/^[a-zA-Z]+: /, '')})`,
          },
        ],
        CONTEXT,
      );
    throw err;
  });
  if (aligned.mode !== 'intersection')
    throw new ProtocolError('PSI answered in cardinality mode', { peer: ch.peer });
  const rows = aligned.rows;
  if (rows.length === 0) {
    ch.close('empty intersection');
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
  }
  // the split and the schedule's seed come from the label holder
  let isTest: Uint8Array;
  let seed: string;
  if (role === 0) {
    isTest = Uint8Array.from(rows, (r) => (spec.testFromRow !== undefined && r >= spec.testFromRow ? 1 : 0));
    const s = new Uint8Array(16);
    rng(2).fillBytes(s);
    seed = Buffer.from(s).toString('hex');
    const message = new Uint8Array(16 + isTest.length);
    message.set(s);
    message.set(isTest, 16);
    ch.send('vertical.split', message);
  } else {
    const message = await ch.recv('vertical.split');
    if (message.length !== 16 + rows.length || message.subarray(16).some((b) => b > 1))
      throw new ProtocolError(
        `${ch.peer} sent a split of ${message.length - 16} rows, expected ${rows.length}`,
        { peer: ch.peer, stage: 'vertical.split' },
      );
    seed = Buffer.from(message.subarray(0, 16)).toString('hex');
    isTest = message.slice(16);
  }
  const pick = (test: boolean) => rows.filter((_, i) => (isTest[i] === 1) === test);
  const trainIdx = pick(false);
  const testIdx = pick(true);
  if (trainIdx.length === 0) {
    ch.close('no training rows');
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
  }
  const train = matrixOf(data, trainIdx);
  const test = matrixOf(data, testIdx);
  const trainLabels = data.labels ? Uint8Array.from(trainIdx, (r) => data.labels![r]!) : undefined;
  const testLabels = data.labels ? Uint8Array.from(testIdx, (r) => data.labels![r]!) : undefined;
  const activation = spec.epsilon === undefined ? 'taylor' : 'hard-sigmoid';
  const privacy = spec.epsilon === undefined ? null : verticalPrivacy(spec.epsilon, spec.delta, spec.epochs);

  // every check that can fail has passed: charge before any noise is drawn
  let spend: SpendReceipt | null = null;
  if (privacy && spec.account !== undefined && (how.charge !== 'label-holder' || role === 0)) {
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
    scheduleSeed: seed,
    ...(privacy ? { dp: { noiseMultiplier: privacy.noiseMultiplier, steps: spec.epochs } } : {}),
    onStep: (step, steps) => {
      if (role === 0 && (step % 10 === 0 || step === steps))
        ctx.progress({
          kind: 'progress',
          stage: 'train',
          done: step,
          total: steps,
          message: `step ${step}/${steps}`,
        });
    },
  };
  const layout = await exchangeLayouts(ch, train, train.rows);
  const pair = await OtPair.setup(ch, role, { rng: rng(3) });
  const arith = new ArithParty({ ch, role, triples: otTripleSource(pair), rng: rng(4) });
  const party = {
    arith,
    pair,
    ch,
    features: train,
    peer: layout,
    rng: rng(5),
    ...(trainLabels ? { labels: trainLabels } : {}),
  };
  const model = await trainVerticalLr(party, options);
  let testAccuracy: number | null = null;
  if (testIdx.length > 0) {
    const z = await scores(
      { ...party, features: test },
      model,
      Uint32Array.from({ length: testIdx.length }, (_, i) => i),
    );
    const opened = await arith.reveal(z, 0);
    if (role === 0 && opened && testLabels) testAccuracy = accuracy(opened, testLabels);
  }
  let revealed: VerticalPartyOutcome['model'] = 'secret-shared';
  if (spec.revealModel) {
    const w0 = await arith.reveal(model.w0);
    const w1 = await arith.reveal(model.w1);
    const bias = await arith.reveal(model.bias);
    revealed = { weights: weightNames(data, peer, role, w0, w1), bias: bias[0]! };
  }
  return {
    role,
    name: data.name,
    peer,
    holdsLabel,
    rows: data.ids.length,
    peerRows: aligned.peerSize,
    intersection: aligned.intersection,
    trainRows: trainIdx.length,
    testRows: testIdx.length,
    testAccuracy,
    epsilon: privacy?.epsilon ?? null,
    noiseMultiplier: privacy?.noiseMultiplier ?? null,
    activation,
    bytes: ch.stats().bytesSent + ch.stats().bytesReceived,
    model: revealed,
    spend,
    warnings: data.warnings,
    local: {
      data,
      train,
      test,
      ...(trainLabels ? { trainLabels } : {}),
      ...(testLabels ? { testLabels } : {}),
    },
    options,
  };
}

/** Weight names: this party's by its encodings, the other party's by position (its columns are its own). */
function weightNames(
  data: PartyData,
  peer: string,
  role: 0 | 1,
  w0: Float64Array,
  w1: Float64Array,
): Record<string, number> {
  const out: Record<string, number> = {};
  const mine = role === 0 ? w0 : w1;
  const theirs = role === 0 ? w1 : w0;
  let at = 0;
  for (const e of data.encodings)
    for (let k = 0; k < e.width; k++)
      out[e.kind === 'one-hot' ? `${data.name}.${e.column}[${k}]` : `${data.name}.${e.column}`] = mine[at++]!;
  theirs.forEach((w, j) => {
    out[`${peer}.feature${j}`] = w;
  });
  return out;
}

/** Where one party of `veil vertical serve` / `join` listens or connects, and its TLS files. */
export interface VerticalNetwork {
  readonly listen?: string;
  readonly connect?: string;
  readonly tls: { readonly cert: string; readonly key: string; readonly ca: string };
  /** The longest wait for the other party's next message, in ms (default 10 minutes). */
  readonly timeoutMs?: number;
}

/**
 * `veil vertical serve` (with `listen`) or `veil vertical join` (with `connect`): this party's side over mutual
 * TLS; the other organisation runs the other command with the same training settings.
 * @param listening called with the URL and port once the server listens
 * @throws {ConfigError} VEIL_CONFIG_INVALID for neither or both of listen and connect, or a bad address
 */
export async function runVerticalPartyOverNetwork(
  spec: VerticalPartySpec,
  net: VerticalNetwork,
  ctx: JobContext,
  listening?: (url: string, port: number) => void,
): Promise<VerticalPartyOutcome> {
  if ((net.listen === undefined) === (net.connect === undefined))
    throw new ConfigError(
      [
        {
          path: 'listen',
          value: net.listen,
          allowed: 'exactly one of --listen (serve) and --connect (join)',
        },
      ],
      CONTEXT,
    );
  // this party's own input errors first, before the network; read once
  const data = loadParty(spec.party, spec.key, spec.label, readDomain(spec.domain));
  const { joinOnce, parseListen, serveOnce } = await import('../mpc/two-party.js');
  const protocol = 'veil.vertical-lr.v1';
  const timeoutMs = net.timeoutMs ?? 600_000;
  const body = (ch: Channel) =>
    runVerticalParty(spec, ch, ctx, { data }).catch((err) => {
      ch.close('failed');
      throw err;
    });
  if (net.listen !== undefined)
    return serveOnce(
      {
        listen: parseListen(net.listen),
        tls: net.tls,
        protocol,
        timeoutMs,
        ...(listening ? { listening } : {}),
      },
      body,
    );
  if (!/^https:\/\/[^/]+$/.test(net.connect!))
    throw new ConfigError(
      [{ path: 'connect', value: net.connect, allowed: "the serving party's URL, https://HOST:PORT" }],
      CONTEXT,
    );
  return joinOnce({ url: net.connect!, tls: net.tls, protocol, timeoutMs }, body);
}
