/**
 * The garbler/evaluator protocol over the in-memory channel: outputs equal the references, both parties learn
 * the output (or only the evaluator), and deviations (another circuit, messages out of order, wrong sizes) are
 * ProtocolErrors. The OT here is mostly an ideal correlated OT (a trusted function in the test), so these tests
 * pin the protocol's own logic; the last group runs it over the real IKNP OT extension.
 */
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { type Channel, memoryChannelPair } from '../channel.js';
import { bitsToHex, hexToBits } from './bits.js';
import { type LabelOtReceiver, type LabelOtSender, runEvaluator, runGarbler } from './protocol.js';
import { CIRCUIT_CASES, loadCircuit } from './testing/circuits.js';

function idealOt(): [LabelOtSender, LabelOtReceiver] {
  let deliver: (v: { x0: Uint8Array; delta: Uint8Array }) => void = () => {};
  const sent = new Promise<{ x0: Uint8Array; delta: Uint8Array }>((r) => {
    deliver = r;
  });
  const rng = seededRng('ideal ot');
  return [
    {
      async sendCorrelated(n, delta) {
        const x0 = new Uint8Array(16 * n);
        rng.fillBytes(x0);
        deliver({ x0, delta });
        return x0;
      },
    },
    {
      async receiveCorrelated(choices) {
        const { x0, delta } = await sent;
        const out = x0.slice();
        choices.forEach((c, i) => {
          if (c) for (let j = 0; j < 16; j++) out[16 * i + j]! ^= delta[j]!;
        });
        return out;
      },
    },
  ];
}

async function run(
  file: string,
  inputs: string[],
  msbFirst: boolean,
  revealTo: 'both' | 'evaluator' = 'both',
) {
  const c = loadCircuit(file);
  const bits = inputs.map((h, i) => hexToBits(h, c.inputWidths[i]!, `input ${i}`, { msbFirst }));
  const [toEvaluator, toGarbler] = memoryChannelPair({ peers: ['evaluator', 'garbler'] });
  const [s, r] = idealOt();
  const [g, e] = await Promise.all([
    runGarbler(
      toEvaluator,
      c,
      bits.map((b, i) => (i === 0 ? b : undefined)),
      { revealTo },
      seededRng('g'),
      s,
    ),
    runEvaluator(
      toGarbler,
      c,
      bits.map((b, i) => (i === 0 ? undefined : b)),
      { revealTo },
      seededRng('e'),
      r,
    ),
  ]);
  return { g, e, hex: e.outputs!.map((b) => bitsToHex(b, { msbFirst })) };
}

describe('runGarbler / runEvaluator', () => {
  it('evaluate every circuit to its reference, and both learn the output', async () => {
    const rng = seededRng('protocol inputs');
    for (const kase of CIRCUIT_CASES) {
      const inputs = kase.randomInputs(rng);
      const { g, e, hex } = await run(kase.file, inputs, kase.msbFirst);
      expect(hex, kase.file).toEqual(kase.reference(inputs));
      expect(g.outputs).toEqual(e.outputs);
      expect(e.andGates).toBe(kase.andGates);
      expect(e.bytes).toBeGreaterThan(kase.andGates * 32);
    }
  });

  it('with revealTo evaluator, the garbler gets no output', async () => {
    const { g, hex } = await run('adder64.txt', ['0000000000000001', '0000000000000002'], false, 'evaluator');
    expect(g.outputs).toBeUndefined();
    expect(hex).toEqual(['0000000000000003']);
  });

  it('refuses a peer holding another circuit', async () => {
    const [a, b] = memoryChannelPair({ peers: ['evaluator', 'garbler'] });
    const [s, r] = idealOt();
    const add = loadCircuit('adder64.txt');
    const sub = loadCircuit('sub64.txt');
    const results = await Promise.allSettled([
      runGarbler(a, add, [new Uint8Array(64), undefined], {}, seededRng('g'), s),
      runEvaluator(b, sub, [undefined, new Uint8Array(64)], {}, seededRng('e'), r),
    ]);
    for (const x of results) expect(x.status === 'rejected' && String(x.reason)).toMatch(/another circuit/);
  });

  it('refuses an evaluator that answers out of order, before using its bytes', async () => {
    const [a, b] = memoryChannelPair({ peers: ['evaluator', 'garbler'] });
    const [s] = idealOt();
    const c = loadCircuit('adder64.txt');
    const garbler = runGarbler(a, c, [new Uint8Array(64), undefined], {}, seededRng('g'), s);
    b.send('gc.output', new Uint8Array(64)); // skips the hello
    await expect(garbler).rejects.toThrow(/gc.output message where gc.hello was expected/);
  });

  it('refuses garbled tables of the wrong size', async () => {
    const c = loadCircuit('adder64.txt');
    const [a, b] = memoryChannelPair({ peers: ['evaluator', 'garbler'] });
    const labelsOnly = {
      receiveCorrelated: async (choices: Uint8Array) => new Uint8Array(16 * choices.length),
    };
    const evaluator = runEvaluator(b, c, [undefined, new Uint8Array(64)], {}, seededRng('e'), labelsOnly);
    const fake: Channel = a;
    const hello = await fake.recv('gc.hello');
    fake.send('gc.hello', hello);
    fake.send('gc.inputs', new Uint8Array(64 * 16));
    fake.send('gc.tables', new Uint8Array(10));
    await expect(evaluator).rejects.toThrow(/sent 10 bytes of gc.tables, expected 2016/);
  });

  it('refuses inputs of the wrong width and bad roles', async () => {
    const c = loadCircuit('adder64.txt');
    const [a] = memoryChannelPair();
    const [s] = idealOt();
    await expect(runGarbler(a, c, [new Uint8Array(63), undefined], {}, seededRng('g'), s)).rejects.toThrow(
      /input value 0 must be 64 bits/,
    );
    await expect(runGarbler(a, c, [undefined, undefined], {}, seededRng('g'), s)).rejects.toThrow(
      /every input value the garbler holds/,
    );
    await expect(
      runGarbler(a, c, [new Uint8Array(64)], { holders: ['garbler'] }, seededRng('g'), s),
    ).rejects.toThrow(/holders/);
  });
});

describe('over the real OT extension', () => {
  it('evaluates AES-128 and the 64-bit comparison, with its own IKNP session', async () => {
    const rng = seededRng('real ot');
    for (const kase of CIRCUIT_CASES.filter((k) => k.file === 'aes_128.txt' || k.file === 'compare.txt')) {
      const c = loadCircuit(kase.file);
      const inputs = kase.randomInputs(rng);
      const bits = inputs.map((h, i) => hexToBits(h, c.inputWidths[i]!, `input ${i}`));
      const [toEvaluator, toGarbler] = memoryChannelPair({ peers: ['evaluator', 'garbler'] });
      const [g, e] = await Promise.all([
        runGarbler(toEvaluator, c, [bits[0], undefined], {}, seededRng('g2')),
        runEvaluator(toGarbler, c, [undefined, bits[1]], {}, seededRng('e2')),
      ]);
      expect(e.outputs!.map((b) => bitsToHex(b))).toEqual(kase.reference(inputs));
      expect(g.outputs).toEqual(e.outputs);
      expect(g.bytes).toBe(e.bytes);
    }
  });
});
