/**
 * Garbling against independent references: every circuit of ../shared/circuits on 50 random inputs (plus
 * published vectors), in the clear and garbled, equals node:crypto (AES-128, SHA-256) or BigInt.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { bitsToHex, hexToBits } from './bits.js';
import { type Circuit, evaluatePlain } from './circuit.js';
import { activeLabels, evaluateGarbled, garble } from './garble.js';
import { CIRCUIT_CASES, loadCircuit, SHA256_IV, sha256Block } from './testing/circuits.js';

function outputsHex(c: Circuit, flat: Uint8Array, msbFirst: boolean): string[] {
  let at = 0;
  return c.outputWidths.map((w) => {
    const v = bitsToHex(flat.subarray(at, at + w), { msbFirst });
    at += w;
    return v;
  });
}

function runGarbled(c: Circuit, inputs: readonly string[], msbFirst: boolean, seed: string): string[] {
  const bits = inputs.map((h, i) => hexToBits(h, c.inputWidths[i]!, `input ${i}`, { msbFirst }));
  const g = garble(c, seededRng(seed));
  const flat = new Uint8Array(bits.reduce((s, b) => s + b.length, 0));
  let at = 0;
  for (const b of bits) {
    flat.set(b, at);
    at += b.length;
  }
  const labels = activeLabels(g.inputLabels, g.delta, flat);
  return outputsHex(c, evaluateGarbled(c, g, labels), msbFirst);
}

function runPlain(c: Circuit, inputs: readonly string[], msbFirst: boolean): string[] {
  const bits = inputs.map((h, i) => hexToBits(h, c.inputWidths[i]!, `input ${i}`, { msbFirst }));
  return evaluatePlain(c, bits).map((b) => bitsToHex(b, { msbFirst }));
}

describe('every circuit of ../shared/circuits, garbled, equals its reference on 50 random inputs', () => {
  for (const kase of CIRCUIT_CASES) {
    it(kase.file, () => {
      const c = loadCircuit(kase.file);
      expect(c.andGates).toBe(kase.andGates);
      const rng = seededRng(`inputs ${kase.file}`);
      for (let i = 0; i < 50; i++) {
        const inputs = kase.randomInputs(rng);
        const want = kase.reference(inputs);
        expect(runPlain(c, inputs, kase.msbFirst), `${kase.file} plain ${inputs}`).toEqual(want);
        expect(
          runGarbled(c, inputs, kase.msbFirst, `${kase.file} ${i}`),
          `${kase.file} garbled ${inputs}`,
        ).toEqual(want);
      }
    });
  }
});

describe('published vectors', () => {
  it('FIPS-197 Appendix C.1 through both AES circuits', () => {
    const key = '000102030405060708090a0b0c0d0e0f';
    const pt = '00112233445566778899aabbccddeeff';
    expect(runGarbled(loadCircuit('aes_128.txt'), [key, pt], false, 'c1')).toEqual([
      '69c4e0d86a7b0430d8cdb78070b4c55a',
    ]);
    expect(runGarbled(loadCircuit('AES-non-expanded.txt'), [pt, key], true, 'c1')).toEqual([
      '69c4e0d86a7b0430d8cdb78070b4c55a',
    ]);
  });

  it('SHA-256 of two-block messages chains the second input (the FIPS 180-2 448-bit example and random ones)', () => {
    const sha = loadCircuit('sha256.txt');
    const rng = seededRng('sha two blocks');
    const messages = [Buffer.from('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')];
    for (let i = 0; i < 5; i++) {
      const m = Buffer.alloc(56 + rng.uniformInt(64));
      rng.fillBytes(m);
      messages.push(m);
    }
    for (const m of messages) {
      const padded = Buffer.alloc(128);
      m.copy(padded);
      padded[m.length] = 0x80;
      padded.writeBigUInt64BE(BigInt(m.length * 8), 120);
      const [state] = runGarbled(sha, [padded.subarray(0, 64).toString('hex'), SHA256_IV], false, 'b1');
      if (m.length === 56)
        expect(state).toBe('85e655d6417a17953363376a624cde5c76e09589cac5f811cc4b32c1f20e533a');
      const [digest] = runGarbled(sha, [padded.subarray(64).toString('hex'), state!], false, 'b2');
      expect(digest).toBe(createHash('sha256').update(m).digest('hex'));
    }
    expect(sha256Block(Buffer.from('abc'))).toMatch(/^61626380/);
  });
});

describe('labels', () => {
  it('a wrong input label gives a wrong output, not an error (the evaluator cannot tell)', () => {
    const c = loadCircuit('adder64.txt');
    const g = garble(c, seededRng('x'));
    const bits = new Uint8Array(128);
    const labels = activeLabels(g.inputLabels, g.delta, bits);
    labels[0]! ^= 1 << 7; // a label that is neither of the wire's two labels
    const out = evaluateGarbled(c, g, labels);
    expect(bitsToHex(out)).not.toBe('0000000000000000');
  });

  it('refuses labels or tables of the wrong size', () => {
    const c = loadCircuit('adder64.txt');
    const g = garble(c, seededRng('x'));
    expect(() => evaluateGarbled(c, g, new Int32Array(4))).toThrow(/activeLabels/);
    expect(() => evaluateGarbled(c, { ...g, tables: g.tables.subarray(8) }, g.inputLabels)).toThrow(/tables/);
    expect(() => garble(c, seededRng('x'), { delta: new Int32Array(4) })).toThrow(/bit 0 set/);
  });
});
