/**
 * `npm run -s bench -- secagg [--runs K] [--max-case-seconds S] [--budget-seconds B] [--all] [--headline-only]
 *                             [--dry-run] [--protocols secagg,secagg+] [--n 100,500,1000] [--m 10000,100000]
 *                             [--dropout 0,0.1,0.3]`
 *
 * Secure aggregation (issue 5), printed as one JSON object: a full protocol run of n clients and the server in
 * one process (each case in a fresh child process), over the grid n x m x dropout for two protocols:
 *
 * - `secagg`: Bonawitz et al. 2017, the complete graph, threshold t = floor(2n/3) + 1 (so that a 30% dropout
 *   still leaves at least t survivors).
 * - `secagg+`: Bell et al. 2020, the random Harary graph and per-neighbourhood threshold that
 *   `secAggPlusParameters(n, { dropout: max(dropout, 0.1) })` picks (corruption 5%, failure 1e-6, the
 *   library's defaults): provisioned for the case's dropout rate, and never for less than 10%.
 *
 * Dropped clients (a random floor(dropout * n) of them) advertise and share keys, then stop before sending
 * their masked input: the server must rebuild their mask keys and remove the pairwise masks their surviving
 * neighbours added, the expensive case. Every case checks that the unmasked sum equals the plain sum of the
 * survivors' inputs (mod 2^32), and that no masked input equals its input in more than 1% of its words; it
 * throws otherwise.
 *
 * Per case: the server's time (every server method, `result()` included), each client's time (constructor and
 * every stage; mean over the clients that took part, mean over the survivors, max, and the slowest client's
 * stages), and each client's bytes up and down (see BENCHMARKS.md for the accounting).
 *
 * Time: simulating n clients costs about n^2 Ed25519 verifications (every client checks the whole roster) and,
 * for `secagg`, n^2 masks of m words, so the full grid takes hours. The headline case (SecAgg+, n = 1000,
 * m = 10^5, 10% dropout, about 2.5 min a run) runs first, K times (default 3). Then the grid cases run once
 * each, cheapest first, by an estimate from a cost model fitted on this machine at start-up; a case is skipped,
 * and listed in the JSON with its estimate and the reason, when its estimate exceeds S seconds (default 180) or
 * would take the whole run past B seconds (default 600, so the default run takes about 10 minutes). `--all`
 * lifts both limits; `--dry-run` prints the plan and the estimates without running anything.
 */
import { spawnSync } from 'node:child_process';
import { csprng, seededRng } from '../src/core/index.js';
import {
  agree,
  generateAgreementKeyPair,
  generateSigningKeyPair,
  hkdf,
  open,
  prgWords,
  seal,
  shareSecret,
  sign,
  verify,
} from '../src/crypto/index.js';
import {
  type AdvertiseMessage,
  COMPLETE_GRAPH,
  type ConsistencyMessage,
  SecAggClient,
  type SecAggGraph,
  SecAggServer,
  secAggPlusParameters,
} from '../src/secagg/index.js';
import { machine } from './harness.js';

const args = process.argv.slice(2);
const text = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : fallback;
};
const list = (name: string, fallback: string) => text(name, fallback).split(',').map(Number);
const log = (s: string) => process.stderr.write(`${s}\n`);

type Protocol = 'secagg' | 'secagg+';

interface Case {
  readonly protocol: Protocol;
  readonly n: number;
  readonly m: number;
  readonly dropout: number;
}

const HEADLINE: Case = { protocol: 'secagg+', n: 1000, m: 100_000, dropout: 0.1 };
/** Issue 5's targets for the headline case. */
const TARGET = { serverSeconds: 10, clientSeconds: 1, uploadOverhead: 1.05 };

/** The graph and threshold each protocol uses for n clients (see the header). */
function parameters(c: Case): { graph: SecAggGraph; threshold: number; degree: number } {
  if (c.protocol === 'secagg') {
    return { graph: COMPLETE_GRAPH, threshold: Math.floor((2 * c.n) / 3) + 1, degree: c.n - 1 };
  }
  const p = secAggPlusParameters(c.n, { dropout: Math.max(c.dropout, 0.1) });
  return {
    graph: p.graph,
    threshold: p.threshold,
    degree: p.graph.kind === 'harary' ? Math.min(p.graph.degree, c.n - 1) : c.n - 1,
  };
}

/** The graph and threshold of a case, for the record (skipped cases too). */
function parameterSummary(c: Case): { graph: string; threshold: number } {
  const p = parameters(c);
  return { graph: p.graph.kind === 'complete' ? 'complete' : `harary k=${p.degree}`, threshold: p.threshold };
}

function stats(xs: readonly number[]): { median: number; min: number; max: number; spread: number } {
  const s = [...xs].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10_000) / 10_000;
  return {
    median: r(s[Math.floor(s.length / 2)]!),
    min: r(s[0]!),
    max: r(s[s.length - 1]!),
    spread: r(s[s.length - 1]! / s[0]!),
  };
}

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Serialised sizes (see BENCHMARKS.md): keys 32 B, signatures 64 B, ids their UTF-8 length, words 4 B. */
const bytesOf = {
  advertise: (a: AdvertiseMessage) =>
    utf8(a.from) + a.encryptionKey.length + a.maskKey.length + a.signature.length,
  signature: (s: ConsistencyMessage) => utf8(s.from) + s.signature.length,
  share: (s: { x: number; y: Uint32Array }) => 4 + 4 * s.y.length,
};

interface CaseResult {
  readonly protocol: Protocol;
  readonly n: number;
  readonly m: number;
  readonly dropout: number;
  readonly graph: string;
  readonly degree: number;
  readonly threshold: number;
  readonly dropped: number;
  readonly survivors: number;
  readonly verified: true;
  readonly serverSeconds: number;
  /** Server seconds by stage (receive calls, close, and the lists it hands out; `result` apart). */
  readonly serverStages: Record<string, number>;
  readonly clientSeconds: { readonly meanAll: number; readonly meanSurvivors: number; readonly max: number };
  /** The client with the largest total time, and its seconds by stage. */
  readonly slowestClient: {
    readonly id: string;
    readonly dropped: boolean;
    readonly stages: Record<string, number>;
  };
  /** Mean seconds per survivor by stage (constructor included in `advertise`). */
  readonly clientStages: Record<string, number>;
  readonly bytesUp: { readonly meanSurvivors: number; readonly max: number };
  readonly bytesDown: { readonly meanSurvivors: number; readonly max: number };
  /** Survivors' mean upload / (4 m), and the max over survivors. */
  readonly uploadOverhead: { readonly mean: number; readonly max: number };
  readonly wallSeconds: number;
  readonly peakRssMiB: number;
}

/** One full protocol run; the timed parts are the client and server methods only. */
function runCase(c: Case, seed: string): CaseResult {
  const wall0 = performance.now();
  const { graph, threshold, degree } = parameters(c);
  const session = `bench/${seed}`;
  const ids = Array.from({ length: c.n }, (_, i) => `c${String(i).padStart(4, '0')}`);
  const keys = ids.map(() => generateSigningKeyPair());
  const peers = new Map(ids.map((id, i) => [id, keys[i]!.publicKey]));
  const data = seededRng(`secagg-bench/${seed}`);
  // floor(dropout * n) clients, uniformly at random, drop after sharing keys
  const order = ids.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = data.uniformInt(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const drops = new Set(order.slice(0, Math.floor(c.dropout * c.n)));

  const clientMs = new Float64Array(c.n);
  const up = new Float64Array(c.n);
  const down = new Float64Array(c.n);
  const stageMs: Record<string, number> = {};
  const STAGES = ['advertise', 'share-keys', 'masked-input', 'consistency', 'unmask'];
  const perClientStage = new Float64Array(c.n * STAGES.length);
  const serverStages: Record<string, number> = {};
  let serverMs = 0;
  const onClient = <T>(i: number, stage: string, f: () => T): T => {
    const t0 = performance.now();
    const out = f();
    const dt = performance.now() - t0;
    clientMs[i]! += dt;
    perClientStage[i * STAGES.length + STAGES.indexOf(stage)]! += dt;
    if (!drops.has(i)) stageMs[stage] = (stageMs[stage] ?? 0) + dt;
    return out;
  };
  const onServer = <T>(stage: string, f: () => T): T => {
    const t0 = performance.now();
    const out = f();
    const dt = performance.now() - t0;
    serverMs += dt;
    serverStages[stage] = (serverStages[stage] ?? 0) + dt;
    return out;
  };

  const rng = csprng();
  const server = onServer(
    'advertise',
    () => new SecAggServer({ session, threshold, graph, length: c.m, clients: peers }),
  );
  const clients = ids.map((id, i) =>
    onClient(
      i,
      'advertise',
      () => new SecAggClient({ id, session, threshold, graph, signingKey: keys[i]!.privateKey, peers, rng }),
    ),
  );

  // Stage 0: advertise keys
  ids.forEach((_, i) => {
    const a = onClient(i, 'advertise', () => clients[i]!.advertise());
    up[i]! += bytesOf.advertise(a);
    onServer('advertise', () => server.receiveAdvertise(a));
  });
  onServer('advertise', () => server.close());
  const roster = onServer('advertise', () => server.roster());
  const rosterBytes = roster.reduce((s, a) => s + bytesOf.advertise(a), 0);

  // Stage 1: share keys (everyone, the clients that will drop included)
  ids.forEach((id, i) => {
    down[i]! += rosterBytes;
    const msg = onClient(i, 'share-keys', () => clients[i]!.shareKeys(roster));
    up[i]! += utf8(id) + msg.shares.reduce((s, x) => s + utf8(x.to) + x.ciphertext.length, 0);
    onServer('share-keys', () => server.receiveShareKeys(msg));
  });
  onServer('share-keys', () => server.close());

  // Stage 2: masked input (the dropped clients stop here)
  const expected = new Uint32Array(c.m);
  const input = new Uint32Array(c.m);
  const inputBytes = new Uint8Array(input.buffer);
  ids.forEach((id, i) => {
    if (drops.has(i)) return;
    data.fillBytes(inputBytes);
    for (let j = 0; j < c.m; j++) expected[j] = (expected[j]! + input[j]!) >>> 0;
    const incoming = onServer('masked-input', () => server.sharesFor(id));
    down[i]! += incoming.reduce((s, x) => s + utf8(x.from) + x.ciphertext.length, 0);
    const msg = onClient(i, 'masked-input', () => clients[i]!.maskedInput(incoming, input));
    // a mask that left the input readable (zero, or a broken PRG) would still sum correctly: refuse it here
    let same = 0;
    for (let j = 0; j < c.m; j++) if (msg.masked[j] === input[j]) same++;
    if (same > 0.01 * c.m + 10)
      throw new Error(`${label(c)}: the masked input of ${id} equals its input in ${same} words`);
    up[i]! += utf8(id) + 4 * msg.masked.length;
    onServer('masked-input', () => server.receiveMaskedInput(msg));
  });
  onServer('masked-input', () => server.close());

  // Stage 3: consistency check
  const survivors = onServer('consistency', () => server.survivors());
  const survivorBytes = survivors.reduce((s, id) => s + utf8(id), 0);
  ids.forEach((_, i) => {
    if (drops.has(i)) return;
    down[i]! += survivorBytes;
    const sig = onClient(i, 'consistency', () => clients[i]!.consistency(survivors));
    up[i]! += bytesOf.signature(sig);
    onServer('consistency', () => server.receiveConsistency(sig));
  });
  onServer('consistency', () => server.close());

  // Stage 4: unmasking
  const signatures = onServer('unmask', () => server.consistencySignatures());
  const signatureBytes = signatures.reduce((s, x) => s + bytesOf.signature(x), 0);
  ids.forEach((id, i) => {
    if (drops.has(i)) return;
    down[i]! += survivorBytes + signatureBytes;
    const msg = onClient(i, 'unmask', () => clients[i]!.unmask(survivors, signatures));
    up[i]! +=
      utf8(id) +
      msg.maskKeyShares.reduce((s, x) => s + utf8(x.of) + bytesOf.share(x.share), 0) +
      msg.selfMaskShares.reduce((s, x) => s + utf8(x.of) + bytesOf.share(x.share), 0);
    onServer('unmask', () => server.receiveUnmask(msg));
  });
  onServer('unmask', () => server.close());
  const result = onServer('result', () => server.result());

  // The bench is worthless if the sum is wrong: check it against the plain sum of the survivors' inputs.
  const alive = ids.filter((_, i) => !drops.has(i));
  if (result.survivors.length !== alive.length || result.survivors.some((id, i) => id !== alive[i])) {
    throw new Error(`${c.protocol} n=${c.n}: the server's survivors are not the clients that sent inputs`);
  }
  for (let j = 0; j < c.m; j++) {
    if (result.sum[j] !== expected[j]) {
      throw new Error(
        `${c.protocol} n=${c.n} m=${c.m}: unmasked sum differs from the plain sum at word ${j}`,
      );
    }
  }

  const live = ids.map((_, i) => i).filter((i) => !drops.has(i));
  let slow = 0;
  for (let i = 1; i < c.n; i++) if (clientMs[i]! > clientMs[slow]!) slow = i;
  const upLive = live.map((i) => up[i]!);
  const downLive = live.map((i) => down[i]!);
  const s = (ms: number) => round(ms / 1000);
  return {
    ...c,
    graph: graph.kind === 'complete' ? 'complete' : `harary k=${degree}`,
    degree,
    threshold,
    dropped: drops.size,
    survivors: alive.length,
    verified: true,
    serverSeconds: s(serverMs),
    serverStages: Object.fromEntries(Object.entries(serverStages).map(([k, v]) => [k, s(v)])),
    clientSeconds: {
      meanAll: s(mean([...clientMs])),
      meanSurvivors: s(mean(live.map((i) => clientMs[i]!))),
      max: s(clientMs[slow]!),
    },
    slowestClient: {
      id: ids[slow]!,
      dropped: drops.has(slow),
      stages: Object.fromEntries(STAGES.map((st, k) => [st, s(perClientStage[slow * STAGES.length + k]!)])),
    },
    clientStages: Object.fromEntries(Object.entries(stageMs).map(([k, v]) => [k, s(v / live.length)])),
    bytesUp: { meanSurvivors: Math.round(mean(upLive)), max: Math.max(...upLive) },
    bytesDown: { meanSurvivors: Math.round(mean(downLive)), max: Math.max(...downLive) },
    uploadOverhead: { mean: round(mean(upLive) / (4 * c.m)), max: round(Math.max(...upLive) / (4 * c.m)) },
    wallSeconds: s(performance.now() - wall0),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

/** Seconds per unit of the operations that dominate a case, measured on this machine at start-up. */
interface CostModel {
  /** One Ed25519 verification. */
  readonly verify: number;
  /** One X25519 agreement plus the HKDF, AEAD and bookkeeping that go with a pair of clients. */
  readonly pair: number;
  /** One mask word: AES-CTR keystream plus the add (applyMask), per word. */
  readonly maskWord: number;
  /** One step of Shamir's Horner loop (a modular multiply-add), per chunk, point and coefficient. */
  readonly shamirStep: number;
  /**
   * What a roster entry costs a client beyond its signature check (framing, key import, bookkeeping) plus the
   * set-up the model leaves out, fitted on a small SecAgg+ run (n = 200) where the n^2 roster term dominates.
   */
  readonly rosterExtra: number;
}

/** Seconds per call of `fn`, the best of three batches of `reps` calls after one untimed batch (JIT warm-up). */
function perCall(reps: number, fn: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let batch = 0; batch < 4; batch++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    if (batch > 0) best = Math.min(best, (performance.now() - t0) / 1000 / reps);
  }
  return best;
}

function calibrate(): CostModel {
  const keys = generateSigningKeyPair();
  const msg = new Uint8Array(200);
  const sig = sign(keys.privateKey, msg);
  const a = generateAgreementKeyPair();
  const b = generateAgreementKeyPair();
  const seed = new Uint8Array(32).fill(7);
  const nonce = new Uint8Array(12);
  const m = 100_000;
  const acc = new Uint32Array(m);
  const rng = csprng();
  const cost = {
    verify: perCall(200, () => verify(keys.publicKey, msg, sig)),
    pair: perCall(200, () => {
      const key = hkdf(agree(a.privateKey, b.publicKey), seed, 'calibrate');
      open(key, nonce, seal(key, nonce, new Uint8Array(92)));
    }),
    // the same work as applyMask (src/secagg/common.ts), which the secagg index does not export
    maskWord:
      perCall(50, () => {
        const w = prgWords(seed, m);
        for (let i = 0; i < m; i++) acc[i] = (acc[i]! + w[i]!) >>> 0;
      }) / m,
    shamirStep: perCall(2, () => shareSecret(seed, 100, 200, rng)) / (11 * 200 * 100),
    rosterExtra: 0,
  };
  const fit: Case = { protocol: 'secagg+', n: 200, m: 1000, dropout: 0.1 };
  runCase({ ...fit, n: 30 }, 'calibrate/warm-up');
  const r = runCase(fit, 'calibrate');
  return { ...cost, rosterExtra: Math.max(0, (r.wallSeconds - estimate(fit, cost)) / (fit.n * fit.n)) };
}

/** Estimated wall seconds of one case under `cost` (what the child spends in clients and server). */
function estimate(c: Case, cost: CostModel): number {
  const { degree, threshold } = parameters(c);
  const dropped = Math.floor(c.dropout * c.n);
  const alive = c.n - dropped;
  const scope = Math.min(degree + 1, alive);
  // every client verifies the whole roster; survivors verify their neighbourhood's consistency signatures
  const verifies = c.n * c.n + alive * scope + c.n + alive;
  // three agreements per pair (share key both ways, mask seed); the server one per dropped-survivor pair
  const pairs = 3 * c.n * degree + (dropped * degree * alive) / c.n;
  // clients: self mask and a mask per neighbour; server: survivors' self masks and dropped-survivor pairs
  const words = c.m * (alive * (degree + 2) + (dropped * degree * alive) / c.n);
  const shamir = 11 * threshold * (2 * c.n * (degree + 1) + c.n);
  return (
    c.n * c.n * cost.rosterExtra +
    verifies * cost.verify +
    pairs * cost.pair +
    words * cost.maskWord +
    shamir * cost.shamirStep
  );
}

function child(c: Case, seed: string): CaseResult {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', import.meta.filename, '--child-case', JSON.stringify({ ...c, seed })],
    { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 },
  );
  if (r.status !== 0) throw new Error(`case ${JSON.stringify(c)} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as CaseResult;
}

const label = (c: Case) => `${c.protocol} n=${c.n} m=${c.m} dropout=${c.dropout}`;

function summary(r: CaseResult, est: number): string {
  return `server ${r.serverSeconds} s, client ${r.clientSeconds.meanSurvivors} s (max ${r.clientSeconds.max}), up x${r.uploadOverhead.mean}, wall ${r.wallSeconds} s (estimated ${Math.round(est)} s)`;
}

function main(): Record<string, unknown> {
  const t0 = performance.now();
  const runs = Number(text('--runs', '3'));
  const maxCaseSeconds = Number(text('--max-case-seconds', '180'));
  const budgetSeconds = Number(text('--budget-seconds', '600'));
  const all = args.includes('--all');
  const protocols = text('--protocols', 'secagg,secagg+').split(',') as Protocol[];
  const cost = calibrate();
  log(
    `cost model: verify ${(cost.verify * 1e6).toFixed(0)} us (+${(cost.rosterExtra * 1e6).toFixed(0)} us per roster entry), pair ${(cost.pair * 1e6).toFixed(0)} us, ${(cost.maskWord * 1e9).toFixed(2)} ns/mask word, ${(cost.shamirStep * 1e9).toFixed(1)} ns/Shamir step`,
  );
  const same = (a: Case, b: Case) =>
    a.protocol === b.protocol && a.n === b.n && a.m === b.m && a.dropout === b.dropout;

  // the headline case first, always, repeated
  const headEstimate = estimate(HEADLINE, cost);
  const head: CaseResult[] = [];
  for (let k = 0; k < (args.includes('--dry-run') ? 0 : runs); k++) {
    const r = child(HEADLINE, `${label(HEADLINE)}/${k}`);
    log(`headline run ${k + 1}/${runs}: ${summary(r, headEstimate)}`);
    head.push(r);
  }

  // then the grid, cheapest first, each case once, within the per-case limit and the run's budget
  const grid: Case[] = [];
  if (!args.includes('--headline-only')) {
    for (const protocol of protocols)
      for (const n of list('--n', '100,500,1000'))
        for (const m of list('--m', '10000,100000'))
          for (const dropout of list('--dropout', '0,0.1,0.3')) {
            const c = { protocol, n, m, dropout };
            if (!(runs > 0 && same(c, HEADLINE))) grid.push(c);
          }
  }
  const planned = grid.map((c) => ({ c, est: estimate(c, cost) })).sort((a, b) => a.est - b.est);
  const cases: Record<string, unknown>[] = [];
  if (args.includes('--dry-run')) {
    return {
      bench: 'secagg',
      costModel: cost,
      headlineEstimatedSeconds: Math.round(headEstimate),
      planned: planned.map(({ c, est }) => ({
        ...c,
        ...parameterSummary(c),
        estimatedSeconds: Math.round(est),
      })),
    };
  }
  for (const { c, est } of planned) {
    const elapsed = (performance.now() - t0) / 1000;
    const reason = all
      ? null
      : est > maxCaseSeconds
        ? `estimated ${Math.round(est)} s on this machine, over --max-case-seconds ${maxCaseSeconds}`
        : elapsed + est > budgetSeconds
          ? `estimated ${Math.round(est)} s, past --budget-seconds ${budgetSeconds} (${Math.round(elapsed)} s spent)`
          : null;
    if (reason) {
      log(`${label(c)}: skipped (${reason})`);
      cases.push({ ...c, ...parameterSummary(c), skipped: reason, estimatedSeconds: Math.round(est) });
      continue;
    }
    const r = child(c, `${label(c)}/0`);
    log(`${label(c)}: ${summary(r, est)}`);
    cases.push({ ...r, runs: 1, estimatedSeconds: Math.round(est) });
  }
  const order = (x: Record<string, unknown>) =>
    `${x.protocol}/${String(x.n).padStart(5, '0')}/${String(x.m).padStart(7, '0')}/${x.dropout}`;
  cases.sort((a, b) => (order(a) < order(b) ? -1 : 1));

  const headline =
    head.length === 0
      ? null
      : {
          ...HEADLINE,
          graph: head[0]!.graph,
          threshold: head[0]!.threshold,
          runs,
          estimatedSeconds: Math.round(headEstimate),
          serverSeconds: stats(head.map((r) => r.serverSeconds)),
          clientSecondsMeanSurvivors: stats(head.map((r) => r.clientSeconds.meanSurvivors)),
          clientSecondsMax: stats(head.map((r) => r.clientSeconds.max)),
          bytesUp: head[0]!.bytesUp,
          bytesDown: head[0]!.bytesDown,
          uploadOverhead: head[0]!.uploadOverhead,
          wallSeconds: stats(head.map((r) => r.wallSeconds)),
          peakRssMiB: stats(head.map((r) => r.peakRssMiB)),
          targets: {
            server: {
              limitSeconds: TARGET.serverSeconds,
              met: head.every((r) => r.serverSeconds <= TARGET.serverSeconds),
            },
            client: {
              limitSeconds: TARGET.clientSeconds,
              met: head.every((r) => r.clientSeconds.meanSurvivors <= TARGET.clientSeconds),
            },
            upload: {
              limit: `${TARGET.uploadOverhead} x 4m plus key material`,
              met: head.every((r) => r.uploadOverhead.max <= TARGET.uploadOverhead),
            },
          },
          all: head,
        };
  return {
    bench: 'secagg',
    machine: machine(),
    costModel: cost,
    limits: all ? 'none (--all)' : { maxCaseSeconds, budgetSeconds },
    headline,
    cases,
    totalSeconds: Math.round((performance.now() - t0) / 1000),
  };
}

const childAt = args.indexOf('--child-case');
if (childAt >= 0) {
  const { seed, ...c } = JSON.parse(args[childAt + 1]!) as Case & { seed: string };
  // warm the JIT on a small run of the same protocol, so the first timed client does not pay for compilation
  runCase({ ...c, n: Math.min(c.n, 30), m: Math.min(c.m, 1000) }, `${seed}/warm-up`);
  process.stdout.write(`${JSON.stringify(runCase(c, seed))}\n`);
} else {
  process.stdout.write(`${JSON.stringify(main(), null, 2)}\n`);
}
