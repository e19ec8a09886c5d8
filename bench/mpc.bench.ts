/**
 * `npm run -s bench -- mpc [--runs K] [--sections gc,ot,arith,psi,vertical,anchors] [--psi-sizes 10000,100000]
 *                          [--psi-process-sizes 10000,100000,1000000] [--vertical-epochs E]`
 *
 * Secure computation (issue 18), printed as one JSON object, everything in this process unless said:
 * - `gc`: garbled AES-128 (6,400 AND gates) end to end between a garbler and an evaluator over the in-memory
 *   channel (hello, IKNP OT setup with 128 base OTs, correlated OT of the evaluator's 128 input labels,
 *   garbling, tables, evaluation, output back), K runs; then garbling alone and evaluation alone of AES-128
 *   and SHA-256 (AND gates per second, free gates included in the time).
 * - `ot`: IKNP OT extension, 10^6 random, correlated (16-byte labels) and additive (Z_2^64) OTs, and the base
 *   OT set-up; Gilboa Beaver triples per second.
 * - `arith`: Beaver multiplications per second (10^6, dealer triples), a 1000 x 1000 secure matrix product
 *   (dealer matrix triple), secure comparisons per second with OT-made AND triples.
 * - `psi`: ECDH-PSI (curve25519, worker threads) for each size N (N x N, half overlapping), both parties in
 *   this process; then `veil psi serve` and `veil psi join` as two processes over mutual TLS for each size of
 *   `--psi-process-sizes` (default 10^4, 10^5; add 1000000 for the 10^6 case, about 5 minutes). The wall time
 *   runs from the joining process's start (1.5 s after the server's) to both exiting.
 * - `vertical`: vertical logistic regression on UCI Adult (the split: bank = label + columns 0-6,
 *   shop = columns 7-12, 10% of each side's rows dropped), one and two epochs, so an epoch's time and bytes
 *   are the difference; test accuracy against the same model in the clear.
 * - `anchors`: emp-wasm (malicious-secure 2PC in WebAssembly) on the same AES-128 circuit and
 *   @openmined/psi.js at 10^4 (bench/anchors/mpc-anchors.ts installs them outside the repository).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { csprng, seededRng } from '../src/core/index.js';
import {
  ephemeralPki,
  ledgerAt,
  parseSpec,
  runVeilChild,
  runVerticalTrainJob,
  VerticalTrainSpecSchema,
} from '../src/jobs/index.js';
import { loadCircuit } from '../src/mpc/garbled/testing/circuits.js';
import {
  ArithParty,
  activeLabels,
  beaverTriples,
  dealerTriples,
  evaluateGarbled,
  garble,
  hexToBits,
  lessThanZero,
  memoryChannelPair,
  OtExtensionReceiver,
  OtExtensionSender,
  OtPair,
  otTripleSource,
  psi,
  runEvaluator,
  runGarbler,
} from '../src/mpc/index.js';
import { empWasmAes, psiJs } from './anchors/mpc-anchors.js';
import { machine, summarize, type Timing } from './harness.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const runs = Number(flag('--runs', '5'));
const sections = new Set(flag('--sections', 'gc,ot,arith,psi,vertical,anchors').split(','));
const psiSizes = flag('--psi-sizes', '10000,100000').split(',').map(Number);
const psiProcessSizes = flag('--psi-process-sizes', '10000,100000').split(',').filter(Boolean).map(Number);
const verticalEpochs = Number(flag('--vertical-epochs', '1'));
const log = (s: string) => process.stderr.write(`${s}\n`);

async function timed(name: string, k: number, fn: () => Promise<unknown>): Promise<Timing> {
  await fn();
  const samples: number[] = [];
  for (let i = 0; i < k; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return summarize(name, samples);
}

async function gcSection() {
  log('gc: AES-128 end to end ...');
  const aes = loadCircuit('aes_128.txt');
  const key = hexToBits('000102030405060708090a0b0c0d0e0f', 128, 'key');
  const pt = hexToBits('00112233445566778899aabbccddeeff', 128, 'pt');
  let bytes = 0;
  const endToEnd = await timed('aes-128 end to end', runs, async () => {
    const [a, b] = memoryChannelPair();
    const [g] = await Promise.all([
      runGarbler(a, aes, [key, undefined]),
      runEvaluator(b, aes, [undefined, pt]),
    ]);
    bytes = g.bytes;
  });
  const alone = (file: string, k: number) => {
    const c = loadCircuit(file);
    const rng = csprng();
    const bits = new Uint8Array(c.inputWidths.reduce((s, w) => s + w, 0));
    let g = garble(c, rng);
    const gs: number[] = [];
    const es: number[] = [];
    for (let i = 0; i < k + 2; i++) {
      const t0 = performance.now();
      g = garble(c, rng);
      const t1 = performance.now();
      evaluateGarbled(c, g, activeLabels(g.inputLabels, g.delta, bits));
      const t2 = performance.now();
      if (i >= 2) {
        gs.push(t1 - t0);
        es.push(t2 - t1);
      }
    }
    const gt = summarize(`${file} garble`, gs);
    const et = summarize(`${file} evaluate`, es);
    return {
      andGates: c.andGates,
      garble: { ...gt, andGatesPerSecond: Math.round((c.andGates / gt.medianMs) * 1000) },
      evaluate: { ...et, andGatesPerSecond: Math.round((c.andGates / et.medianMs) * 1000) },
    };
  };
  return {
    aes128EndToEnd: {
      ...endToEnd,
      andGates: aes.andGates,
      bytes,
      andGatesPerSecond: Math.round((aes.andGates / endToEnd.medianMs) * 1000),
    },
    aes128: alone('aes_128.txt', 50),
    sha256: alone('sha256.txt', 10),
  };
}

async function otSection() {
  log('ot: IKNP extension ...');
  const n = 1_000_000;
  const [a, b] = memoryChannelPair();
  const t0 = performance.now();
  const [s, r] = await Promise.all([OtExtensionSender.setup(a), OtExtensionReceiver.setup(b)]);
  const setupMs = performance.now() - t0;
  const choices = new Uint8Array(n);
  csprng().fillBytes(choices);
  for (let i = 0; i < n; i++) choices[i]! &= 1;
  const delta = new Uint8Array(16).fill(7);
  const deltas = new BigUint64Array(n).fill(12345n);
  const rate = (t: Timing) => ({ ...t, perSecond: Math.round((n / t.medianMs) * 1000) });
  const random = rate(await timed('random OT', runs, () => Promise.all([s.random(n), r.random(choices)])));
  const correlated = rate(
    await timed('correlated OT', runs, () =>
      Promise.all([s.sendCorrelated(n, delta), r.receiveCorrelated(choices)]),
    ),
  );
  const additive = rate(
    await timed('additive OT', runs, () => Promise.all([s.sendAdditive(deltas), r.receiveAdditive(choices)])),
  );
  const bytesPerOt = (a.stats().bytesSent + b.stats().bytesSent) / s.count;
  log('ot: Gilboa triples ...');
  const [c, d] = memoryChannelPair();
  const [p0, p1] = await Promise.all([OtPair.setup(c, 0), OtPair.setup(d, 1)]);
  const m = 20_000;
  const triples = await timed('Gilboa triples', runs, () =>
    Promise.all([beaverTriples(p0, m), beaverTriples(p1, m)]),
  );
  return {
    baseOtSetupMs: Math.round(setupMs),
    random,
    correlated,
    additive,
    bytesPerOt: Math.round(bytesPerOt * 10) / 10,
    gilboaTriples: { ...triples, n: m, perSecond: Math.round((m / triples.medianMs) * 1000) },
  };
}

async function arithSection() {
  log('arith: Beaver multiplications ...');
  const pairOf = (triples: 'dealer') => {
    void triples;
    const [a, b] = memoryChannelPair();
    const [t0, t1] = dealerTriples();
    return [
      new ArithParty({ ch: a, role: 0, triples: t0 }),
      new ArithParty({ ch: b, role: 1, triples: t1 }),
    ] as const;
  };
  const n = 1_000_000;
  const [x0, x1] = pairOf('dealer');
  const values = Float64Array.from({ length: n }, (_, i) => (i % 100) / 10);
  const [s0, s1] = await Promise.all([x0.share(values), x1.input(0, n)]);
  const mul = await timed('Beaver mul 1e6', runs, () => Promise.all([x0.mul(s0, s0), x1.mul(s1, s1)]));
  log('arith: 1000 x 1000 matrix product ...');
  const k = 1000;
  const [m0, m1] = pairOf('dealer');
  const mat = Float64Array.from({ length: k * k }, (_, i) => ((i % 17) - 8) / 8);
  const [a0, a1] = await Promise.all([m0.share(mat), m1.input(0, k * k)]);
  const shape = { rows: k, inner: k, cols: k };
  const matmul = await timed('matmul 1000', Math.min(runs, 3), () =>
    Promise.all([m0.matmul(a0, a0, shape), m1.matmul(a1, a1, shape)]),
  );
  log('arith: comparisons with OT triples ...');
  const [c, d] = memoryChannelPair();
  const [p0, p1] = await Promise.all([OtPair.setup(c, 0), OtPair.setup(d, 1)]);
  const q0 = new ArithParty({ ch: c, role: 0, triples: otTripleSource(p0) });
  const q1 = new ArithParty({ ch: d, role: 1, triples: otTripleSource(p1) });
  const cn = 2000;
  const [y0, y1] = await Promise.all([
    q0.share(Float64Array.from({ length: cn }, (_, i) => i - cn / 2)),
    q1.input(0, cn),
  ]);
  const compare = await timed('lessThanZero (OT triples)', runs, () =>
    Promise.all([lessThanZero(q0, y0), lessThanZero(q1, y1)]),
  );
  return {
    beaverMul: { ...mul, n, perSecond: Math.round((n / mul.medianMs) * 1000), triples: 'dealer' },
    matmul1000: { ...matmul, triples: 'dealer' },
    lessThanZeroOt: {
      ...compare,
      n: cn,
      perSecond: Math.round((cn / compare.medianMs) * 1000),
      triples: 'ot',
    },
  };
}

async function psiSection() {
  const out = [];
  for (const size of psiSizes) {
    log(`psi: ${size} x ${size} ...`);
    const left = Array.from({ length: size }, (_, i) => `user-${i}`);
    const right = Array.from({ length: size }, (_, i) => `user-${i + size / 2}`);
    const k = size >= 100_000 ? 1 : Math.min(runs, 3);
    let bytes = 0;
    let intersection = 0;
    const t = await timed(`psi ${size}`, k, async () => {
      const [a, b] = memoryChannelPair();
      const [l] = await Promise.all([
        psi(a, { role: 'left', ids: left, mode: 'intersection', normalise: 'exact' }),
        psi(b, { role: 'right', ids: right, mode: 'intersection', normalise: 'exact' }),
      ]);
      bytes = l.bytes.sent + l.bytes.received;
      intersection = l.intersection;
    });
    if (intersection !== size / 2)
      throw new Error(`psi ${size}: intersection ${intersection}, expected ${size / 2}`);
    out.push({ size, ...t, intersection, bytes, transport: 'memory' });
  }
  return out;
}

/** `veil psi serve` and `veil psi join` as two processes over mutual TLS, N x N with half in common. */
async function psiProcessesSection() {
  const out = [];
  const pki = await ephemeralPki('left', 'right');
  const dir = mkdtempSync(join(tmpdir(), 'veil-bench-psi-'));
  try {
    for (const size of psiProcessSizes) {
      log(`psi over two processes: ${size} x ${size} ...`);
      const l = join(dir, `left-${size}.csv`);
      const r = join(dir, `right-${size}.csv`);
      writeFileSync(l, `id\n${Array.from({ length: size }, (_, i) => `user-${i}`).join('\n')}\n`);
      writeFileSync(r, `id\n${Array.from({ length: size }, (_, i) => `user-${i + size / 2}`).join('\n')}\n`);
      const port = 17000 + (size % 1000);
      const t0 = performance.now();
      const serve = runVeilChild(
        [
          'psi',
          'serve',
          '--data',
          l,
          '--key',
          'id',
          '--listen',
          `127.0.0.1:${port}`,
          '--tls-cert',
          pki.server.cert,
          '--tls-key',
          pki.server.key,
          '--tls-ca',
          pki.server.ca,
        ],
        'serve',
      );
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const joinRun = runVeilChild(
        [
          'psi',
          'join',
          '--data',
          r,
          '--key',
          'id',
          '--connect',
          `https://127.0.0.1:${port}`,
          '--tls-cert',
          pki.client.cert,
          '--tls-key',
          pki.client.key,
          '--tls-ca',
          pki.client.ca,
        ],
        'join',
      );
      const [a, b] = await Promise.all([serve.done, joinRun.done]);
      const wallMs = performance.now() - t0 - 1500;
      if (a['intersection'] !== size / 2 || b['intersection'] !== size / 2)
        throw new Error(`psi ${size}: wrong intersection`);
      out.push({
        size,
        wallMs: Math.round(wallMs),
        serveMs: a['ms'],
        joinMs: b['ms'],
        intersection: a['intersection'],
        bytes: a['bytes'],
        transport: 'mutual-tls',
      });
    }
  } finally {
    pki.remove();
  }
  return out;
}

async function verticalSection() {
  log('vertical: Adult ...');
  const adult = join(import.meta.dirname, '..', '..', 'shared', 'datasets', 'adult');
  const dir = mkdtempSync(join(tmpdir(), 'veil-bench-vertical-'));
  const lines = readFileSync(join(adult, 'adult.csv'), 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const rng = seededRng('vertical bench split');
  const rows = lines.slice(1).map((l) => l.split(','));
  const keepA = rows.map(() => rng.uniform() >= 0.1);
  const keepB = rows.map(() => rng.uniform() >= 0.1);
  const write = (file: string, cols: number[], keep: boolean[]) =>
    writeFileSync(
      file,
      [
        ['id', ...cols.map((c) => header[c])].join(','),
        ...rows.flatMap((r, i) => (keep[i] ? [[i, ...cols.map((c) => r[c])].join(',')] : [])),
      ].join('\n'),
    );
  write(join(dir, 'bank.csv'), [0, 1, 2, 3, 4, 5, 6, 13], keepA);
  write(join(dir, 'shop.csv'), [7, 8, 9, 10, 11, 12], keepB);
  const testFromRow = keepA.slice(0, 32561).filter(Boolean).length;
  const run = (epochs: number) =>
    runVerticalTrainJob(
      parseSpec(
        VerticalTrainSpecSchema,
        {
          parties: [
            { name: 'bank', file: join(dir, 'bank.csv'), columns: header.slice(0, 7) },
            { name: 'shop', file: join(dir, 'shop.csv'), columns: header.slice(7, 13) },
          ],
          key: 'id',
          label: header[13],
          domain: join(adult, 'adult-domain.json'),
          testFromRow,
          epochs,
        },
        'bench',
      ),
      { ledger: ledgerAt(`sqlite:${join(dir, 'veil.db')}`), principal: 'bench', progress: () => {} },
    );
  const one = await run(verticalEpochs);
  const two = await run(verticalEpochs + 1);
  return {
    intersection: one.intersection,
    trainRows: one.trainRows,
    testRows: one.testRows,
    epochs: [verticalEpochs, verticalEpochs + 1],
    ms: [one.ms, two.ms],
    bytes: [one.bytes, two.bytes],
    epochMs: two.ms - one.ms,
    epochBytes: two.bytes - one.bytes,
    testAccuracy: [one.testAccuracy, two.testAccuracy],
    plaintextAccuracy: [one.plaintextAccuracy, two.plaintextAccuracy],
  };
}

const result: Record<string, unknown> = { bench: 'mpc', machine: machine(), runs };
if (sections.has('gc')) result['gc'] = await gcSection();
if (sections.has('ot')) result['ot'] = await otSection();
if (sections.has('arith')) result['arith'] = await arithSection();
if (sections.has('psi')) result['psi'] = await psiSection();
if (sections.has('psi') && psiProcessSizes.length > 0) result['psiProcesses'] = await psiProcessesSection();
if (sections.has('vertical')) result['vertical'] = await verticalSection();
if (sections.has('anchors')) {
  log('anchors: emp-wasm, psi.js ...');
  result['anchors'] = {
    empWasm: await empWasmAes({ runs: Math.min(runs, 3), modes: ['2pc'] }),
    psiJs: await psiJs({ sizes: [10_000], runs: 1 }),
  };
}
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
