/**
 * The Bristol Fashion parser: all six gate kinds (EQ and MAND appear in no shared circuit, so a hand-made one
 * covers them, garbled too), and every malformation refused naming its line.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { bitsToHex, hexToBits } from './bits.js';
import { evaluatePlain, parseBristol } from './circuit.js';
import { activeLabels, evaluateGarbled, garble } from './garble.js';

// inputs a (wires 0-1), b (wires 2-3); MAND sets 4 = a0 & b0 and 5 = a1 & b1; outputs are wires 6..11:
// [1, 0] then [a0, !b1, (a0 & b0) ^ (a1 & b1), a0 & !b1]
const ALL_KINDS = `7 12
2 2 2
2 2 4

4 2 0 1 2 3 4 5 MAND
1 1 1 6 EQ
1 1 0 7 EQ
1 1 0 8 EQW
1 1 3 9 INV
2 1 4 5 10 XOR
2 1 8 9 11 AND
`;

describe('parseBristol', () => {
  it('reads all six gate kinds and evaluates them, in the clear and garbled', () => {
    const c = parseBristol(ALL_KINDS);
    expect(c.andGates).toBe(3);
    expect(c.gateLines).toBe(7);
    for (let a = 0; a < 4; a++)
      for (let b = 0; b < 4; b++) {
        const inputs = [hexToBits(a.toString(16), 2, 'a'), hexToBits(b.toString(16), 2, 'b')];
        const [pair, rest] = evaluatePlain(c, inputs);
        const a0 = a & 1;
        const a1 = a >> 1;
        const b0 = b & 1;
        const b1 = b >> 1;
        expect(Array.from(pair!)).toEqual([1, 0]);
        expect(Array.from(rest!)).toEqual([a0, 1 - b1, (a0 & b0) ^ (a1 & b1), a0 & (1 - b1)]);
        const g = garble(c, seededRng(`k${a}${b}`));
        const flat = new Uint8Array([...inputs[0]!, ...inputs[1]!]);
        const out = evaluateGarbled(c, g, activeLabels(g.inputLabels, g.delta, flat));
        expect(Array.from(out)).toEqual([...pair!, ...rest!]);
      }
  });

  const bad: [string, string, RegExp][] = [
    ['empty file', '', /line 1 must be "G W"/],
    ['header with three numbers', '1 3 4\n1 1\n1 1\n1 1 0 1 INV\n', /line 1 must be "G W"/],
    [
      'more input wires than wires',
      '1 3\n2 2 2\n1 1\n1 1 0 2 INV\n',
      /line 2 must be input widths summing to at most W = 3/,
    ],
    ['wrong count for the input widths', '1 3\n2 1\n1 1\n1 1 0 2 INV\n', /line 2 must be 2 input widths/],
    [
      'gate counts that do not match the kind',
      '1 3\n1 1\n1 1\n2 1 0 2 INV\n',
      /line 4 must be "k_in k_out" then 2 inputs/,
    ],
    ['INV with two inputs', '1 4\n2 1 1\n1 1\n2 1 0 1 3 INV\n', /line 4 must be "1 1" for a INV gate/],
    [
      'an unknown gate kind',
      '1 3\n2 1 1\n1 1\n2 1 0 1 2 NAND\n',
      /must be a gate kind among XOR, AND, INV, EQ, EQW, MAND, got "NAND"/,
    ],
    [
      'a wire read before it is set',
      '2 5\n2 1 1\n1 1\n2 1 0 3 4 XOR\n2 1 0 1 3 AND\n',
      /line 4 must be gates that read only wires already set/,
    ],
    [
      'a wire set twice',
      '2 4\n2 1 1\n1 1\n2 1 0 1 2 XOR\n2 1 0 1 2 AND\n',
      /line 5 must be each wire set by one gate only/,
    ],
    [
      'a gate writing an input wire',
      '1 3\n2 1 1\n1 1\n2 1 0 1 1 XOR\n',
      /line 4 must be an output wire that is not an input wire/,
    ],
    [
      'a wire out of range',
      '1 3\n2 1 1\n1 1\n2 1 0 1 7 XOR\n',
      /line 4 must be an output wire in 0..2, got 7/,
    ],
    [
      'fewer gate lines than the header',
      '2 4\n2 1 1\n1 1\n2 1 0 1 2 XOR\n',
      /must be 2 gate lines, as the header says/,
    ],
    [
      'more gate lines than the header',
      '1 4\n2 1 1\n1 1\n2 1 0 1 3 XOR\n2 1 0 1 2 XOR\n',
      /line 5 must be only 1 gate lines/,
    ],
    [
      'an output wire never set',
      '1 5\n2 1 1\n1 2\n2 1 0 1 4 XOR\n',
      /must be every output wire set by a gate, got "wire 3, never set"/,
    ],
    ['an EQ constant that is not 0 or 1', '1 3\n2 1 1\n1 1\n1 1 2 2 EQ\n', /constant 0 or 1/],
    ['a MAND with odd inputs', '1 5\n2 1 1\n1 2\n3 2 0 1 0 3 4 MAND\n', /twice as many inputs/],
    ['a non-number', '1 x\n', /line 1 must be the wire count W: a whole number, got "x"/],
  ];
  for (const [what, text, message] of bad)
    it(`refuses ${what}, naming the line`, () => {
      expect(() => parseBristol(text, 't.txt')).toThrow(message);
    });
});

describe('hexToBits / bitsToHex', () => {
  it('wire 0 is the least significant bit by default, the most significant with msbFirst', () => {
    expect(Array.from(hexToBits('1', 4, 'x'))).toEqual([1, 0, 0, 0]);
    expect(Array.from(hexToBits('1', 4, 'x', { msbFirst: true }))).toEqual([0, 0, 0, 1]);
  });
  it('names the expected bits for hex of the wrong length', () => {
    expect(() => hexToBits('abc', 64, '--input-a')).toThrow(
      /--input-a must be 64 bits: exactly 16 hex digits, got "abc"/,
    );
    expect(() => hexToBits('zz', 8, '--input-b')).toThrow(/--input-b must be 8 bits/);
    expect(() => hexToBits('3', 1, 'x')).toThrow(/below 2\^1/);
  });
  test.prop([fc.uint8Array({ minLength: 0, maxLength: 40 }), fc.boolean()])(
    'bitsToHex inverts hexToBits',
    (bytes, msbFirst) => {
      const hex = Buffer.from(bytes).toString('hex');
      expect(bitsToHex(hexToBits(hex, bytes.length * 8, 'x', { msbFirst }), { msbFirst })).toBe(hex);
    },
  );
});
