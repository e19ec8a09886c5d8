/**
 * Two-party secure function evaluation with a garbled circuit (Yao 1986; semi-honest): the garbler garbles,
 * sends the tables and the labels of its own inputs; the evaluator gets the labels of its inputs by correlated
 * oblivious transfer (the garbler's Δ is the correlation, so each OT carries one 16-byte label), evaluates,
 * and, unless told otherwise, tells the garbler the output.
 *
 * What each party learns: the output (both, or the evaluator only with `revealTo: 'evaluator'`) and the
 * circuit, nothing else about the other's inputs. The garbler's view is the OT sender's view and the output;
 * the evaluator's view is one label per wire, the tables (pseudorandom under the hash's assumption, see
 * ./garble.ts) and the OT receiver's view. Semi-honest only: a garbler that garbles another function, or an
 * evaluator that lies about the output, is not detected. A peer that sends messages out of order, of the
 * wrong size, or for another circuit is refused with a ProtocolError before its bytes are used, and nothing
 * further is sent.
 */
import { createHash } from 'node:crypto';
import { csprng, InvalidParameterError, ProtocolError, type Rng } from '../../core/index.js';
import type { Channel } from '../channel.js';
import { OtExtensionReceiver } from '../ot/extension-receiver.js';
import { OtExtensionSender } from '../ot/extension-sender.js';
import { type Circuit, checkInputs } from './circuit.js';
import {
  activeLabels,
  evaluateGarbled,
  garble,
  inputWireCount,
  outputWireCount,
  randomDelta,
} from './garble.js';
import { scheduleOf } from './schedule.js';

/** The OT sender's side that garbling needs: correlated OT of 16-byte labels with a global XOR offset. */
export interface LabelOtSender {
  /** n correlated OTs: returns the n zero-labels x0 (16 bytes each); the receiver gets x0 ⊕ c·delta. */
  sendCorrelated(n: number, delta: Uint8Array): Promise<Uint8Array>;
}

/** The OT receiver's side that evaluating needs. */
export interface LabelOtReceiver {
  /** One 16-byte label per choice bit: x0 ⊕ c·Δ. */
  receiveCorrelated(choices: Uint8Array): Promise<Uint8Array>;
}

/** Who holds each input value, and who learns the output. */
export interface GcRoles {
  /** One entry per input value of the circuit (default: value 0 the garbler's, the rest the evaluator's). */
  readonly holders?: readonly ('garbler' | 'evaluator')[];
  /** Who learns the output (default `both`). */
  readonly revealTo?: 'both' | 'evaluator';
}

/** What a party gets from a run. */
export interface GcResult {
  /** The output values' bits (wire order), or undefined for a garbler with `revealTo: 'evaluator'`. */
  readonly outputs: Uint8Array[] | undefined;
  readonly andGates: number;
  /** Bytes this party sent and received over the channel during the run (OT included). */
  readonly bytes: number;
}

const VERSION = 1;
const TABLE_CHUNK = 1 << 18; // words per gc.tables message: 1 MiB, under any transport's message limit

/** A digest of the circuit's structure, so the parties check they evaluate the same function. */
export function circuitDigest(circuit: Circuit): Buffer {
  const h = createHash('sha256');
  h.update(JSON.stringify([circuit.wires, circuit.inputWidths, circuit.outputWidths]));
  for (const arr of [circuit.op, circuit.a, circuit.b, circuit.out])
    h.update(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
  return h.digest();
}

function holdersOf(fn: string, circuit: Circuit, roles: GcRoles): readonly ('garbler' | 'evaluator')[] {
  const holders = roles.holders ?? circuit.inputWidths.map((_, i) => (i === 0 ? 'garbler' : 'evaluator'));
  if (
    holders.length !== circuit.inputWidths.length ||
    holders.some((h) => h !== 'garbler' && h !== 'evaluator')
  )
    throw new InvalidParameterError({
      fn,
      param: 'holders',
      value: holders,
      allowed: `'garbler' or 'evaluator' for each of the ${circuit.inputWidths.length} input values`,
    });
  return holders;
}

/** Wire ranges [from, to) of the input values held by `who`, and their bits from `inputs`. */
function ownWires(
  circuit: Circuit,
  holders: readonly string[],
  who: string,
  inputs: readonly (Uint8Array | undefined)[],
) {
  const ranges: [number, number][] = [];
  const bits: number[] = [];
  let at = 0;
  circuit.inputWidths.forEach((w, i) => {
    if (holders[i] === who) {
      ranges.push([at, at + w]);
      const v = inputs[i];
      if (v) for (const b of v) bits.push(b & 1);
    }
    at += w;
  });
  return { ranges, bits: Uint8Array.from(bits) };
}

function checkOwnInputs(
  fn: string,
  circuit: Circuit,
  holders: readonly string[],
  who: string,
  inputs: readonly (Uint8Array | undefined)[],
) {
  const full = circuit.inputWidths.map((w, i) => (holders[i] === who ? inputs[i] : new Uint8Array(w)));
  if (full.some((v) => v === undefined))
    throw new InvalidParameterError({
      fn,
      param: 'inputs',
      value: inputs.map((v) => v?.length),
      allowed: `bits for every input value the ${who} holds`,
    });
  checkInputs(fn, circuit, full as Uint8Array[]);
}

/** Sends this party's hello and refuses a peer with another circuit, other roles or another version. */
async function exchangeHello(
  ch: Channel,
  circuit: Circuit,
  holders: readonly string[],
  revealTo: string,
  peerRole: string,
): Promise<void> {
  const mine = Buffer.from(
    JSON.stringify({ version: VERSION, circuit: circuitDigest(circuit).toString('hex'), holders, revealTo }),
  );
  ch.send('gc.hello', mine);
  const theirs = await ch.recv('gc.hello');
  if (!Buffer.from(theirs).equals(mine))
    throw new ProtocolError(
      `the ${peerRole} runs another circuit or other roles: ${Buffer.from(theirs).toString().slice(0, 300)}`,
      {
        peer: ch.peer,
        stage: 'gc.hello',
      },
    );
}

/** A 4-byte-aligned copy of a message's bytes as 32-bit words. */
const int32Copy = (bytes: Uint8Array) =>
  new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));

/** Wires in the ranges. */
const wiresIn = (ranges: readonly [number, number][]) => ranges.reduce((s, [f, t]) => s + t - f, 0);

/** Puts consecutive 4-word labels from `words` at the wires of `ranges` in `labels`. */
function scatter(labels: Int32Array, words: Int32Array, ranges: readonly [number, number][]): void {
  let k = 0;
  for (const [from, to] of ranges) {
    labels.set(words.subarray(k, k + (to - from) * 4), from * 4);
    k += (to - from) * 4;
  }
}

/** Refuses a message that is not `n` bytes of 0 or 1. */
function checkBits(ch: Channel, tag: string, bytes: Uint8Array, n: number, what: string): void {
  if (bytes.length !== n || bytes.some((b) => b > 1))
    throw new ProtocolError(`${ch.peer} sent ${bytes.length} ${what} bytes, expected ${n} bits`, {
      peer: ch.peer,
      stage: tag,
    });
}

const bytesOf = (ch: Channel, before: ReturnType<Channel['stats']>) => {
  const now = ch.stats();
  return now.bytesSent - before.bytesSent + now.bytesReceived - before.bytesReceived;
};

/**
 * The garbler's side of a run.
 * @param inputs per input value: its bits (wire order) for values this party holds, undefined for the others
 * @param ot the correlated OT to use (default: an IKNP OT-extension session set up on `ch` after the hello,
 *   when the evaluator has inputs)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for inputs of the wrong width or bad roles
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION when the evaluator holds another circuit or roles, or deviates
 */
export async function runGarbler(
  ch: Channel,
  circuit: Circuit,
  inputs: readonly (Uint8Array | undefined)[],
  roles: GcRoles = {},
  rng: Rng = csprng(),
  ot?: LabelOtSender,
): Promise<GcResult> {
  const holders = holdersOf('runGarbler', circuit, roles);
  checkOwnInputs('runGarbler', circuit, holders, 'garbler', inputs);
  const revealTo = roles.revealTo ?? 'both';
  const before = ch.stats();
  await exchangeHello(ch, circuit, holders, revealTo, 'evaluator');
  const delta = randomDelta(rng);
  const nIn = inputWireCount(circuit);
  const labels = new Int32Array(nIn * 4);
  rng.fillBytes(new Uint8Array(labels.buffer));
  const evaluatorWires = ownWires(circuit, holders, 'evaluator', []);
  const count = wiresIn(evaluatorWires.ranges);
  if (count > 0) {
    const sender = ot ?? (await OtExtensionSender.setup(ch, { rng, tag: 'gc.ot' }));
    const x0 = await sender.sendCorrelated(count, new Uint8Array(delta.buffer.slice(0)));
    scatter(labels, int32Copy(x0), evaluatorWires.ranges);
  }
  const g = garble(circuit, rng, { delta, inputLabels: labels });
  const own = ownWires(circuit, holders, 'garbler', inputs);
  const ownZero = new Int32Array(own.bits.length * 4);
  let k = 0;
  for (const [from, to] of own.ranges) {
    ownZero.set(g.inputLabels.subarray(from * 4, to * 4), k);
    k += (to - from) * 4;
  }
  ch.send('gc.inputs', new Uint8Array(activeLabels(ownZero, delta, own.bits).buffer));
  for (let at = 0; at < g.tables.length || at === 0; at += TABLE_CHUNK)
    ch.send(
      'gc.tables',
      new Uint8Array(g.tables.buffer, at * 4, Math.min(TABLE_CHUNK, g.tables.length - at) * 4),
    );
  ch.send('gc.constants', new Uint8Array(g.constants.buffer));
  ch.send('gc.decode', g.decode);
  let outputs: Uint8Array[] | undefined;
  if (revealTo === 'both') {
    const flat = await ch.recv('gc.output');
    checkBits(ch, 'gc.output', flat, outputWireCount(circuit), 'output');
    outputs = split(circuit, flat);
  }
  return { outputs, andGates: circuit.andGates, bytes: bytesOf(ch, before) };
}

/**
 * The evaluator's side of a run.
 * @param inputs per input value: its bits for values this party holds, undefined for the others
 * @param ot the correlated OT to use (default: an IKNP OT-extension session on `ch`, as the garbler's)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for inputs of the wrong width or bad roles
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION when the garbler holds another circuit or roles, or sends
 *   messages of the wrong size or out of order
 */
export async function runEvaluator(
  ch: Channel,
  circuit: Circuit,
  inputs: readonly (Uint8Array | undefined)[],
  roles: GcRoles = {},
  rng: Rng = csprng(),
  ot?: LabelOtReceiver,
): Promise<GcResult> {
  const holders = holdersOf('runEvaluator', circuit, roles);
  checkOwnInputs('runEvaluator', circuit, holders, 'evaluator', inputs);
  const revealTo = roles.revealTo ?? 'both';
  const before = ch.stats();
  await exchangeHello(ch, circuit, holders, revealTo, 'garbler');
  const nIn = inputWireCount(circuit);
  const labels = new Int32Array(nIn * 4);
  const own = ownWires(circuit, holders, 'evaluator', inputs);
  if (own.bits.length > 0) {
    const receiver = ot ?? (await OtExtensionReceiver.setup(ch, { rng, tag: 'gc.ot' }));
    const got = await receiver.receiveCorrelated(own.bits);
    scatter(labels, int32Copy(got), own.ranges);
  }
  const garblerWires = ownWires(circuit, holders, 'garbler', []);
  scatter(labels, await recvWords(ch, 'gc.inputs', wiresIn(garblerWires.ranges) * 4), garblerWires.ranges);
  const tables = new Int32Array(circuit.andGates * 8);
  for (let at = 0; at < tables.length || at === 0; at += TABLE_CHUNK)
    tables.set(await recvWords(ch, 'gc.tables', Math.min(TABLE_CHUNK, tables.length - at)), at);
  const constants = await recvWords(ch, 'gc.constants', scheduleOf(circuit).constants * 4);
  const decode = await ch.recv('gc.decode');
  checkBits(ch, 'gc.decode', decode, outputWireCount(circuit), 'decoding');
  const flat = evaluateGarbled(circuit, { tables, constants, decode }, labels);
  if (revealTo === 'both') ch.send('gc.output', flat);
  return { outputs: split(circuit, flat), andGates: circuit.andGates, bytes: bytesOf(ch, before) };
}

async function recvWords(ch: Channel, tag: string, words: number): Promise<Int32Array> {
  const bytes = await ch.recv(tag);
  if (bytes.byteLength !== words * 4)
    throw new ProtocolError(`${ch.peer} sent ${bytes.byteLength} bytes of ${tag}, expected ${words * 4}`, {
      peer: ch.peer,
      stage: tag,
    });
  return int32Copy(bytes);
}

function split(circuit: Circuit, flat: Uint8Array): Uint8Array[] {
  let at = 0;
  return circuit.outputWidths.map((w) => {
    const v = flat.slice(at, at + w);
    at += w;
    return v;
  });
}
