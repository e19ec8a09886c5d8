/**
 * Bristol Fashion boolean circuits (the format of MP-SPDZ's and SCALE-MAMBA's circuit files,
 * https://nigelsmart.github.io/MPC-Circuits/): a strict parser and a plain evaluator, which is the oracle of the
 * garbled one. The parser checks everything the format states and refuses a file naming the line: the counts
 * of the header, each gate's input and output counts against its kind, all six kinds (XOR, AND, INV, EQ, EQW,
 * MAND), wires in range, every wire set once and only read after it is set, and every output wire set.
 * MAND gates are expanded into AND gates, so the rest of `mpc` sees five kinds.
 */
import { InvalidParameterError } from '../../core/index.js';

/** Gate kinds after parsing (MAND becomes one AND per pair). */
export const GATE = Object.freeze({ XOR: 0, AND: 1, INV: 2, EQ: 3, EQW: 4 });

/** A parsed circuit: gates in topological order as flat arrays (index g: `op[g]`, `a[g]`, `b[g]`, `out[g]`). */
export interface Circuit {
  /** The wire count W: wires are 0 .. W-1. */
  readonly wires: number;
  /** Width in wires of each input value, in order; value i starts at the sum of the widths before it. */
  readonly inputWidths: readonly number[];
  /** Width of each output value; the outputs are the last sum(outputWidths) wires, value 0 first. */
  readonly outputWidths: readonly number[];
  /** Gate kinds ({@link GATE}). */
  readonly op: Uint8Array;
  /** First input wire; for EQ the constant (0 or 1). */
  readonly a: Uint32Array;
  /** Second input wire (XOR, AND); unused (0) otherwise. */
  readonly b: Uint32Array;
  /** Output wire. */
  readonly out: Uint32Array;
  /** AND gates (what garbling costs: XOR, INV, EQ and EQW are free). */
  readonly andGates: number;
  /** Gate lines of the file (a MAND line counts once, as the header counts it). */
  readonly gateLines: number;
}

const KINDS: Readonly<Record<string, number>> = { XOR: 2, AND: 2, INV: 1, EQ: 1, EQW: 1 };

/**
 * Parses a Bristol Fashion circuit (basic or extended, i.e. with MAND gates).
 * @param text the file's contents
 * @param source how errors name the file (default `circuit`)
 * @returns the circuit, frozen
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER naming the line: bad header counts, a gate line whose
 *   counts do not match its kind, an unknown kind, a wire out of range, read before it is set or set twice, an
 *   output wire never set, or a gate count that differs from the header
 * @example
 * const aes = parseBristol(readFileSync('aes_128.txt', 'utf8'), 'aes_128.txt');
 * aes.andGates; // 6400
 */
export function parseBristol(text: string, source = 'circuit'): Circuit {
  if (typeof text !== 'string')
    throw new InvalidParameterError({ fn: 'parseBristol', param: 'text', value: text, allowed: 'a string' });
  const lines = text.split('\n');
  let lineNo = 0;
  const fail = (allowed: string, value: unknown): never => {
    throw new InvalidParameterError({
      fn: 'parseBristol',
      param: `${source} line ${lineNo}`,
      value,
      allowed,
    });
  };
  const nextLine = (): string[] | undefined => {
    while (lineNo < lines.length) {
      const raw = lines[lineNo++]!;
      const trimmed = raw.trim();
      if (trimmed !== '') return trimmed.split(/\s+/);
    }
    return undefined;
  };
  const int = (token: string | undefined, what: string, min: number, max: number): number => {
    if (token === undefined || !/^\d+$/.test(token))
      return fail(`${what}: a whole number`, token ?? 'nothing');
    const v = Number(token);
    if (v < min || v > max) return fail(`${what} in ${min}..${max}`, v);
    return v;
  };

  const header = nextLine() ?? fail('"G W": the gate and wire counts', 'an empty file');
  if (header.length !== 2) fail('"G W": the gate and wire counts (2 numbers)', header.join(' '));
  const gateLines = int(header[0], 'the gate count G', 1, 2 ** 28);
  const wires = int(header[1], 'the wire count W', 1, 2 ** 30);
  const widths = (what: string): number[] => {
    const t = nextLine() ?? fail(`the ${what} line`, 'end of file');
    const n = int(t[0], `the number of ${what} values`, 0, 1024);
    if (t.length !== n + 1) fail(`${n} ${what} widths after the count`, t.join(' '));
    return t.slice(1).map((w) => int(w, `an ${what} width`, 1, wires));
  };
  const inputWidths = widths('input');
  const inputWires = inputWidths.reduce((s, w) => s + w, 0);
  if (inputWires > wires) fail(`input widths summing to at most W = ${wires}`, inputWires);
  const outputWidths = widths('output');
  const outputWires = outputWidths.reduce((s, w) => s + w, 0);
  if (outputWires > wires - inputWires)
    fail(`output widths summing to at most W - inputs = ${wires - inputWires}`, outputWires);

  const set = new Uint8Array(wires);
  set.fill(1, 0, inputWires);
  const capacity = gateLines * 2;
  let op = new Uint8Array(capacity);
  let a = new Uint32Array(capacity);
  let b = new Uint32Array(capacity);
  let out = new Uint32Array(capacity);
  let count = 0;
  let andGates = 0;
  const push = (kind: number, x: number, y: number, z: number) => {
    if (count === op.length) {
      const grow = <T extends Uint8Array | Uint32Array>(arr: T, make: (n: number) => T): T => {
        const next = make(arr.length * 2);
        next.set(arr);
        return next;
      };
      op = grow(op, (n) => new Uint8Array(n));
      a = grow(a, (n) => new Uint32Array(n));
      b = grow(b, (n) => new Uint32Array(n));
      out = grow(out, (n) => new Uint32Array(n));
    }
    op[count] = kind;
    a[count] = x;
    b[count] = y;
    out[count] = z;
    count += 1;
  };
  const readWire = (token: string | undefined) => {
    const w = int(token, 'an input wire', 0, wires - 1);
    if (set[w] !== 1)
      fail('gates that read only wires already set (topological order)', `wire ${w}, not set yet`);
    return w;
  };
  const writeWire = (token: string | undefined) => {
    const w = int(token, 'an output wire', 0, wires - 1);
    if (w < inputWires) fail(`an output wire that is not an input wire (0..${inputWires - 1})`, w);
    if (set[w] === 1) fail('each wire set by one gate only', `wire ${w}, set twice`);
    return w;
  };

  for (let g = 0; g < gateLines; g++) {
    const t = nextLine() ?? fail(`${gateLines} gate lines, as the header says`, `${g} gate lines`);
    const kind = t[t.length - 1]!;
    const kIn = int(t[0], 'the gate input count', 1, 2 ** 20);
    const kOut = int(t[1], 'the gate output count', 1, 2 ** 20);
    if (t.length !== 2 + kIn + kOut + 1)
      fail(`"k_in k_out" then ${kIn} inputs, ${kOut} outputs and the kind`, t.join(' '));
    if (kind === 'MAND') {
      if (kIn !== 2 * kOut) fail('a MAND gate with twice as many inputs as outputs', `${kIn} ${kOut}`);
      const ins = t.slice(2, 2 + kIn).map(readWire);
      const outs = t.slice(2 + kIn, 2 + kIn + kOut).map(writeWire);
      for (let i = 0; i < kOut; i++) {
        if (outs.indexOf(outs[i]!) !== i)
          fail('each wire set by one gate only', `wire ${outs[i]}, set twice`);
        push(GATE.AND, ins[i]!, ins[kOut + i]!, outs[i]!);
        andGates += 1;
      }
      for (const w of outs) set[w] = 1;
      continue;
    }
    const arity = KINDS[kind];
    if (arity === undefined) fail('a gate kind among XOR, AND, INV, EQ, EQW, MAND', kind);
    if (kIn !== arity || kOut !== 1) fail(`"${arity} 1" for a ${kind} gate`, `${kIn} ${kOut}`);
    let x: number;
    let y = 0;
    if (kind === 'EQ') {
      if (t[2] !== '0' && t[2] !== '1') fail('the constant 0 or 1 as the input of an EQ gate', t[2]);
      x = Number(t[2]);
    } else {
      x = readWire(t[2]);
      if (arity === 2) y = readWire(t[3]);
    }
    const z = writeWire(t[2 + kIn]);
    set[z] = 1;
    push(GATE[kind as keyof typeof GATE], x, y, z);
    if (kind === 'AND') andGates += 1;
  }
  const rest = nextLine();
  if (rest !== undefined) fail(`only ${gateLines} gate lines, as the header says`, rest.join(' '));
  for (let w = wires - outputWires; w < wires; w++)
    if (set[w] !== 1) {
      lineNo = lines.length;
      fail('every output wire set by a gate', `wire ${w}, never set`);
    }
  return Object.freeze({
    wires,
    inputWidths: Object.freeze(inputWidths),
    outputWidths: Object.freeze(outputWidths),
    op: op.slice(0, count),
    a: a.slice(0, count),
    b: b.slice(0, count),
    out: out.slice(0, count),
    andGates,
    gateLines,
  });
}

/**
 * Checks that `inputs` fit the circuit's input values (one 0/1 byte per wire).
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER naming the value whose width is wrong
 */
export function checkInputs(fn: string, circuit: Circuit, inputs: readonly Uint8Array[]): void {
  if (inputs.length !== circuit.inputWidths.length)
    throw new InvalidParameterError({
      fn,
      param: 'inputs',
      value: `${inputs.length} values`,
      allowed: `${circuit.inputWidths.length} input values, as the circuit declares`,
    });
  inputs.forEach((bits, i) => {
    if (bits.length !== circuit.inputWidths[i])
      throw new InvalidParameterError({
        fn,
        param: `input value ${i}`,
        value: `${bits.length} bits`,
        allowed: `${circuit.inputWidths[i]} bits`,
      });
  });
}

/**
 * Evaluates the circuit in the clear, one byte per wire: the oracle of the garbled evaluation.
 * @param inputs one array of 0/1 bytes per input value, wire order
 * @returns one array of 0/1 bytes per output value, wire order
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for the wrong number or width of inputs
 */
export function evaluatePlain(circuit: Circuit, inputs: readonly Uint8Array[]): Uint8Array[] {
  checkInputs('evaluatePlain', circuit, inputs);
  const v = new Uint8Array(circuit.wires);
  let offset = 0;
  for (const bits of inputs) {
    for (let i = 0; i < bits.length; i++) v[offset + i] = bits[i]! & 1;
    offset += bits.length;
  }
  const { op, a, b, out } = circuit;
  for (let g = 0; g < op.length; g++) {
    const x = a[g]!;
    switch (op[g]) {
      case GATE.XOR:
        v[out[g]!] = v[x]! ^ v[b[g]!]!;
        break;
      case GATE.AND:
        v[out[g]!] = v[x]! & v[b[g]!]!;
        break;
      case GATE.INV:
        v[out[g]!] = v[x]! ^ 1;
        break;
      case GATE.EQ:
        v[out[g]!] = x;
        break;
      default:
        v[out[g]!] = v[x]!;
    }
  }
  return splitOutputs(circuit, v);
}

/** The output values' bits from a full wire array. */
export function splitOutputs(circuit: Circuit, wires: Uint8Array): Uint8Array[] {
  const total = circuit.outputWidths.reduce((s, w) => s + w, 0);
  let at = circuit.wires - total;
  return circuit.outputWidths.map((w) => {
    const bits = wires.slice(at, at + w);
    at += w;
    return bits;
  });
}
