/**
 * Garbling and evaluation with free-XOR (Kolesnikov & Schneider, ICALP 2008), point-and-permute (Beaver, Micali
 * & Rogaway 1990) and half-gates (Zahur, Rosulek & Evans, EUROCRYPT 2015): 32 bytes per AND gate, nothing for
 * XOR, INV and EQW. Labels are 128 bits (4 words); the global offset Δ has its point-and-permute bit (bit 0 of
 * word 0) set, so a wire's two labels have different colour bits.
 *
 * Security (semi-honest, ZRE15 Thm. 1 with the hash of ./hash.ts): the evaluator, holding one label per input
 * wire, the tables, the constants' active labels and the output decoding bits, learns the output and nothing
 * else about the garbler's inputs; the garbler learns nothing from garbling. Assumes π is an ideal permutation
 * (fixed-key AES), as Guo et al. 2020 prove for this hash.
 */
import { InvalidParameterError, type Rng } from '../../core/index.js';
import { type Circuit, GATE } from './circuit.js';
import { BatchHash, writeTweaked } from './hash.js';
import { scheduleOf } from './schedule.js';

/** What the garbler sends the evaluator (besides input labels). */
export interface GarbledTables {
  /** Per AND gate in schedule order: T_G (4 words) then T_E (4 words). */
  readonly tables: Int32Array;
  /** Per EQ gate in schedule order: the active label of the constant (4 words). */
  readonly constants: Int32Array;
  /** Per output wire: the colour bit of its 0-label (output bit = colour of the active label ⊕ this). */
  readonly decode: Uint8Array;
}

/** The result of garbling: what is sent, and the secrets the garbler keeps. */
export interface Garbling extends GarbledTables {
  /** Zero-labels of all input wires, 4 words each (the garbler's secret). */
  readonly inputLabels: Int32Array;
  /** The global offset Δ (the garbler's secret). */
  readonly delta: Int32Array;
}

/** Total input wires of a circuit. */
export const inputWireCount = (c: Circuit): number => c.inputWidths.reduce((s, w) => s + w, 0);
/** Total output wires of a circuit. */
export const outputWireCount = (c: Circuit): number => c.outputWidths.reduce((s, w) => s + w, 0);

/** A random Δ with its colour bit set. */
export function randomDelta(rng: Rng): Int32Array {
  const delta = new Int32Array(4);
  rng.fillBytes(new Uint8Array(delta.buffer));
  delta[0]! |= 1;
  return delta;
}

/**
 * Garbles a circuit.
 * @param options.delta the global offset (colour bit set); random by default
 * @param options.inputLabels zero-labels for the input wires (4 words each; e.g. the correlated OT's outputs
 *   for the evaluator's wires), random where not given
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a Δ without its colour bit or labels of the wrong size
 */
export function garble(
  circuit: Circuit,
  rng: Rng,
  options: { delta?: Int32Array; inputLabels?: Int32Array } = {},
): Garbling {
  const delta = options.delta ?? randomDelta(rng);
  if (delta.length !== 4 || (delta[0]! & 1) !== 1)
    throw new InvalidParameterError({
      fn: 'garble',
      param: 'delta',
      value: delta,
      allowed: '4 words with bit 0 set',
    });
  const nIn = inputWireCount(circuit);
  const labels = new Int32Array(circuit.wires * 4);
  if (options.inputLabels) {
    if (options.inputLabels.length !== nIn * 4)
      throw new InvalidParameterError({
        fn: 'garble',
        param: 'inputLabels',
        value: `${options.inputLabels.length} words`,
        allowed: `${nIn * 4} words (4 per input wire)`,
      });
    labels.set(options.inputLabels);
  } else rng.fillBytes(new Uint8Array(labels.buffer, 0, nIn * 16));
  const schedule = scheduleOf(circuit);
  const { op, a, b, out } = circuit;
  const { order, starts, isAnd } = schedule;
  const tables = new Int32Array(circuit.andGates * 8);
  const constants = new Int32Array(schedule.constants * 4);
  const hash = new BatchHash(schedule.widestAnd * 4);
  const d0 = delta[0]!;
  const d1 = delta[1]!;
  const d2 = delta[2]!;
  const d3 = delta[3]!;
  let andIndex = 0;
  let constIndex = 0;
  for (let s = 0; s < isAnd.length; s++) {
    const from = starts[s]!;
    const to = starts[s + 1]!;
    if (isAnd[s] === 0) {
      for (let i = from; i < to; i++) {
        const g = order[i]!;
        const o = out[g]! * 4;
        const x = a[g]! * 4;
        const kind = op[g]!;
        if (kind === GATE.XOR) {
          const y = b[g]! * 4;
          labels[o] = labels[x]! ^ labels[y]!;
          labels[o + 1] = labels[x + 1]! ^ labels[y + 1]!;
          labels[o + 2] = labels[x + 2]! ^ labels[y + 2]!;
          labels[o + 3] = labels[x + 3]! ^ labels[y + 3]!;
        } else if (kind === GATE.INV) {
          labels[o] = labels[x]! ^ d0;
          labels[o + 1] = labels[x + 1]! ^ d1;
          labels[o + 2] = labels[x + 2]! ^ d2;
          labels[o + 3] = labels[x + 3]! ^ d3;
        } else if (kind === GATE.EQW) {
          labels.copyWithin(o, x, x + 4);
        } else {
          // EQ: a fresh zero-label; the evaluator is sent the label of the constant a[g]
          rng.fillBytes(new Uint8Array(labels.buffer, o * 4, 16));
          const c = constIndex++ * 4;
          const v = a[g]! === 1 ? -1 : 0;
          constants[c] = labels[o]! ^ (d0 & v);
          constants[c + 1] = labels[o + 1]! ^ (d1 & v);
          constants[c + 2] = labels[o + 2]! ^ (d2 & v);
          constants[c + 3] = labels[o + 3]! ^ (d3 & v);
        }
      }
      continue;
    }
    const n = to - from;
    const input = hash.input;
    for (let i = 0; i < n; i++) {
      const g = order[from + i]!;
      const t = 2 * (andIndex + i);
      writeTweaked(input, 4 * i, labels, a[g]! * 4, t, undefined);
      writeTweaked(input, 4 * i + 1, labels, a[g]! * 4, t, delta);
      writeTweaked(input, 4 * i + 2, labels, b[g]! * 4, t + 1, undefined);
      writeTweaked(input, 4 * i + 3, labels, b[g]! * 4, t + 1, delta);
    }
    hash.run(4 * n);
    const h = hash.output;
    for (let i = 0; i < n; i++) {
      const g = order[from + i]!;
      const x = a[g]! * 4;
      const y = b[g]! * 4;
      const o = out[g]! * 4;
      const k = 16 * i;
      const pa = -(labels[x]! & 1); // all ones when the colour bit is set
      const pb = -(labels[y]! & 1);
      const tab = 8 * andIndex++;
      for (let w = 0; w < 4; w++) {
        const ha0 = h[k + w]!;
        const ha1 = h[k + 4 + w]!;
        const hb0 = h[k + 8 + w]!;
        const hb1 = h[k + 12 + w]!;
        const dw = delta[w]!;
        const tg = ha0 ^ ha1 ^ (pb & dw);
        const wg0 = ha0 ^ (pa & tg);
        const te = hb0 ^ hb1 ^ labels[x + w]!;
        const we0 = hb0 ^ (pb & (te ^ labels[x + w]!));
        tables[tab + w] = tg;
        tables[tab + 4 + w] = te;
        labels[o + w] = wg0 ^ we0;
      }
    }
  }
  const nOut = outputWireCount(circuit);
  const decode = new Uint8Array(nOut);
  for (let i = 0; i < nOut; i++) decode[i] = labels[(circuit.wires - nOut + i) * 4]! & 1;
  return { tables, constants, decode, inputLabels: labels.slice(0, nIn * 4), delta };
}

/**
 * Evaluates a garbled circuit given one active label per input wire.
 * @param activeLabels 4 words per input wire, wire order
 * @returns one 0/1 byte per output wire, output values concatenated in order
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for labels or tables of the wrong size
 */
export function evaluateGarbled(
  circuit: Circuit,
  garbled: GarbledTables,
  activeLabels: Int32Array,
): Uint8Array {
  const schedule = scheduleOf(circuit);
  const nIn = inputWireCount(circuit);
  const nOut = outputWireCount(circuit);
  const expect = (param: string, got: number, want: number) => {
    if (got !== want)
      throw new InvalidParameterError({
        fn: 'evaluateGarbled',
        param,
        value: `${got} words`,
        allowed: `${want}`,
      });
  };
  expect('activeLabels', activeLabels.length, nIn * 4);
  expect('tables', garbled.tables.length, circuit.andGates * 8);
  expect('constants', garbled.constants.length, schedule.constants * 4);
  expect('decode', garbled.decode.length, nOut);
  const labels = new Int32Array(circuit.wires * 4);
  labels.set(activeLabels);
  const { op, a, b, out } = circuit;
  const { order, starts, isAnd } = schedule;
  const { tables, constants } = garbled;
  const hash = new BatchHash(schedule.widestAnd * 2);
  let andIndex = 0;
  let constIndex = 0;
  for (let s = 0; s < isAnd.length; s++) {
    const from = starts[s]!;
    const to = starts[s + 1]!;
    if (isAnd[s] === 0) {
      for (let i = from; i < to; i++) {
        const g = order[i]!;
        const o = out[g]! * 4;
        const x = a[g]! * 4;
        const kind = op[g]!;
        if (kind === GATE.XOR) {
          const y = b[g]! * 4;
          labels[o] = labels[x]! ^ labels[y]!;
          labels[o + 1] = labels[x + 1]! ^ labels[y + 1]!;
          labels[o + 2] = labels[x + 2]! ^ labels[y + 2]!;
          labels[o + 3] = labels[x + 3]! ^ labels[y + 3]!;
        } else if (kind === GATE.EQ) {
          labels.set(constants.subarray(constIndex * 4, constIndex * 4 + 4), o);
          constIndex += 1;
        } else labels.copyWithin(o, x, x + 4); // INV and EQW: the garbler flipped the meaning, not the label
      }
      continue;
    }
    const n = to - from;
    const input = hash.input;
    for (let i = 0; i < n; i++) {
      const g = order[from + i]!;
      const t = 2 * (andIndex + i);
      writeTweaked(input, 2 * i, labels, a[g]! * 4, t, undefined);
      writeTweaked(input, 2 * i + 1, labels, b[g]! * 4, t + 1, undefined);
    }
    hash.run(2 * n);
    const h = hash.output;
    for (let i = 0; i < n; i++) {
      const g = order[from + i]!;
      const x = a[g]! * 4;
      const y = b[g]! * 4;
      const o = out[g]! * 4;
      const k = 8 * i;
      const sa = -(labels[x]! & 1);
      const sb = -(labels[y]! & 1);
      const tab = 8 * andIndex++;
      for (let w = 0; w < 4; w++) {
        const wg = h[k + w]! ^ (sa & tables[tab + w]!);
        const we = h[k + 4 + w]! ^ (sb & (tables[tab + 4 + w]! ^ labels[x + w]!));
        labels[o + w] = wg ^ we;
      }
    }
  }
  const result = new Uint8Array(nOut);
  const decode = garbled.decode;
  for (let i = 0; i < nOut; i++) result[i] = (labels[(circuit.wires - nOut + i) * 4]! & 1) ^ decode[i]!;
  return result;
}

/**
 * The active labels for known input bits: zero-label ⊕ bit·Δ (the garbler's own inputs, and tests).
 * @param zeroLabels 4 words per wire
 * @param bits one 0/1 byte per wire
 */
export function activeLabels(zeroLabels: Int32Array, delta: Int32Array, bits: Uint8Array): Int32Array {
  const result = new Int32Array(bits.length * 4);
  for (let i = 0; i < bits.length; i++) {
    const m = -(bits[i]! & 1);
    for (let w = 0; w < 4; w++) result[4 * i + w] = zeroLabels[4 * i + w]! ^ (delta[w]! & m);
  }
  return result;
}
