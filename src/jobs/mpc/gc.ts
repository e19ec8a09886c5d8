/**
 * `veil gc run`: one two-party evaluation of a Bristol Fashion circuit by garbling. The garbler holds input
 * value 0, the evaluator input value 1; both learn the output. In one process the parties talk over the
 * in-memory channel; with `processes` the evaluator is a second process and the parties talk over gRPC with
 * mutual TLS (./gc-processes.ts).
 */
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, InvalidParameterError } from '../../core/index.js';
import {
  bitsToHex,
  type Channel,
  type Circuit,
  hexToBits,
  memoryChannelPair,
  parseBristol,
  runEvaluator,
  runGarbler,
} from '../../mpc/index.js';
import { text } from '../fields.js';

/** The spec of `veil gc run`. */
export const GcRunSpecSchema = z
  .object({
    /** A Bristol Fashion circuit file with one or two input values. */
    circuit: text('a Bristol Fashion circuit file'),
    /** Input value 0 (the garbler's), a big-endian hex integer. */
    inputA: text('input value 0 as hex digits'),
    /** Input value 1 (the evaluator's); required when the circuit has two input values. */
    inputB: z.string().optional(),
    /** Wire 0 carries the most significant bit (default: the least significant). */
    msbFirst: z.boolean().default(false),
    /** Run the evaluator as a second process over mutual TLS. */
    processes: z.boolean().default(false),
  })
  .strict();
/** The parsed spec of `veil gc run`. */
export type GcRunSpec = z.output<typeof GcRunSpecSchema>;

/** What `veil gc run` prints. */
export interface GcRunResult {
  /** The output values' hex, concatenated in order. */
  readonly output: string;
  /** Each output value's hex. */
  readonly outputs: readonly string[];
  readonly andGates: number;
  /** Bytes that crossed between the parties (both directions, OT included). */
  readonly bytes: number;
  /** Wall time of the two-party run (parsing excluded). */
  readonly ms: number;
  /** `memory` (one process) or `mutual-tls` (two processes). */
  readonly transport: 'memory' | 'mutual-tls';
}

const CONTEXT = 'gc run';

/**
 * Reads and checks a circuit file for a spec field.
 * @throws {ConfigError} VEIL_CONFIG_INVALID naming `field`: unreadable, a directory, or malformed (with the line)
 */
export function loadCircuitFile(path: string, field = 'circuit'): Circuit {
  const issue = (allowed: string) => new ConfigError([{ path: field, value: path, allowed }], CONTEXT);
  let textOf: string;
  try {
    if (statSync(path).isDirectory()) throw issue('a Bristol Fashion circuit file, not a directory');
    textOf = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw issue(
      `a readable Bristol Fashion circuit file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  try {
    return parseBristol(textOf, path.split(/[\\/]/).pop());
  } catch (err) {
    if (err instanceof InvalidParameterError)
      throw issue(`a well-formed Bristol Fashion circuit: ${err.message.replace(/^parseBristol: /, '')}`);
    throw err;
  }
}

/** A hex input value as wire bits, a wrong length refused under the spec field that holds it. */
function inputBits(field: string, value: string, width: number, msbFirst: boolean): Uint8Array {
  try {
    return hexToBits(value, width, field, { msbFirst });
  } catch (err) {
    if (err instanceof InvalidParameterError)
      throw new ConfigError([{ path: field, value, allowed: String(err.details.allowed) }], CONTEXT);
    throw err;
  }
}

/** Refuses a circuit with other than one or two input values (the CLI's parties hold one each). */
function checkTwoInputs(circuit: Circuit, file: string): void {
  const n = circuit.inputWidths.length;
  if (n < 1 || n > 2)
    throw new ConfigError(
      [{ path: 'circuit', value: file, allowed: `a circuit with 1 or 2 input values (this one has ${n})` }],
      CONTEXT,
    );
}

/** The two inputs' wire bits, each checked against its width. */
export function gcInputs(spec: GcRunSpec, circuit: Circuit): [Uint8Array, Uint8Array | undefined] {
  checkTwoInputs(circuit, spec.circuit);
  const n = circuit.inputWidths.length;
  const a = inputBits('inputA', spec.inputA, circuit.inputWidths[0]!, spec.msbFirst);
  if (n === 1) {
    if (spec.inputB !== undefined)
      throw new ConfigError(
        [{ path: 'inputB', value: spec.inputB, allowed: 'absent: this circuit has one input value' }],
        CONTEXT,
      );
    return [a, undefined];
  }
  if (spec.inputB === undefined)
    throw new ConfigError(
      [
        {
          path: 'inputB',
          value: undefined,
          allowed: `${circuit.inputWidths[1]} bits as hex: the circuit has two input values`,
        },
      ],
      CONTEXT,
    );
  return [a, inputBits('inputB', spec.inputB, circuit.inputWidths[1]!, spec.msbFirst)];
}

/** The result of a run from the evaluator's outputs. */
export function gcResult(
  spec: { readonly msbFirst: boolean },
  outputs: readonly Uint8Array[],
  andGates: number,
  bytes: number,
  ms: number,
  transport: GcRunResult['transport'],
): GcRunResult {
  const hex = outputs.map((b) => bitsToHex(b, { msbFirst: spec.msbFirst }));
  return { output: hex.join(''), outputs: hex, andGates, bytes, ms: Math.round(ms * 10) / 10, transport };
}

/** Both parties in this process over the in-memory channel. */
export async function runGcInProcess(spec: GcRunSpec, circuit: Circuit): Promise<GcRunResult> {
  const [a, b] = gcInputs(spec, circuit);
  const [toEvaluator, toGarbler]: [Channel, Channel] = memoryChannelPair({ peers: ['evaluator', 'garbler'] });
  const t0 = performance.now();
  const [garbler, evaluator] = await Promise.all([
    runGarbler(toEvaluator, circuit, [a, undefined]),
    runEvaluator(toGarbler, circuit, [undefined, b]),
  ]).finally(() => toEvaluator.close('run over'));
  const ms = performance.now() - t0;
  if (!evaluator.outputs || !garbler.outputs) throw new Error('gc run: both parties learn the output');
  return gcResult(spec, evaluator.outputs, circuit.andGates, garbler.bytes, ms, 'memory');
}

/** The spec of one party of `veil gc garble` / `veil gc evaluate` (two organisations, two machines). */
export const GcPartySpecSchema = z
  .object({
    circuit: text('a Bristol Fashion circuit file'),
    /** This party's input value (value 0 for the garbler, value 1 for the evaluator), hex. */
    input: z.string().optional(),
    msbFirst: z.boolean().default(false),
    /** The garbler: HOST:PORT to listen on. */
    listen: z.string().optional(),
    /** The evaluator: the garbler's URL, https://HOST:PORT. */
    connect: z.string().optional(),
    cert: text('a PEM certificate file'),
    key: text('a PEM private key file'),
    ca: text('the PEM CA certificate the peer chains to'),
    timeoutMs: z.number().int().positive().default(120_000),
  })
  .strict();
/** The parsed spec of one gc party. */
export type GcPartySpec = z.output<typeof GcPartySpecSchema>;

const PROTOCOL = 'veil.gc.v1';

/** Input bits of one party from its hex, checked against its input value's width. */
function partyInput(spec: GcPartySpec, circuit: Circuit, value: 0 | 1): Uint8Array | undefined {
  const width = circuit.inputWidths[value];
  if (width === undefined) {
    if (spec.input !== undefined)
      throw new ConfigError(
        [
          {
            path: 'input',
            value: spec.input,
            allowed: `absent: the circuit has ${circuit.inputWidths.length} input value(s)`,
          },
        ],
        CONTEXT,
      );
    return undefined;
  }
  if (spec.input === undefined)
    throw new ConfigError([{ path: 'input', value: undefined, allowed: `${width} bits as hex` }], CONTEXT);
  return inputBits('input', spec.input, width, spec.msbFirst);
}

/**
 * `veil gc garble`: serves one evaluation as the garbler (input value 0) on `listen`.
 * @param listening called with the server's URL and port once it listens
 * @param loaded the circuit when the caller has already read `spec.circuit`
 */
export async function runGcGarblerJob(
  spec: GcPartySpec,
  listening?: (url: string, port: number) => void,
  loaded?: Circuit,
): Promise<GcRunResult> {
  const circuit = loaded ?? loadCircuitFile(spec.circuit);
  checkTwoInputs(circuit, spec.circuit);
  const bits = partyInput(spec, circuit, 0);
  if (spec.listen === undefined)
    throw new ConfigError([{ path: 'listen', value: undefined, allowed: 'HOST:PORT to listen on' }], CONTEXT);
  const { parseListen, serveOnce } = await import('./two-party.js');
  const listen = parseListen(spec.listen);
  let t0 = 0;
  const r = await serveOnce(
    { listen, tls: spec, protocol: PROTOCOL, timeoutMs: spec.timeoutMs, ...(listening ? { listening } : {}) },
    (ch) => {
      t0 = performance.now();
      return runGarbler(ch, circuit, [bits, undefined]);
    },
  );
  return gcResult(spec, r.outputs!, circuit.andGates, r.bytes, performance.now() - t0, 'mutual-tls');
}

/** `veil gc evaluate`: joins the garbler at `connect` as the evaluator (input value 1, when the circuit has one). */
export async function runGcEvaluatorJob(spec: GcPartySpec, loaded?: Circuit): Promise<GcRunResult> {
  const circuit = loaded ?? loadCircuitFile(spec.circuit);
  checkTwoInputs(circuit, spec.circuit);
  const bits = partyInput(spec, circuit, 1);
  if (spec.connect === undefined || !/^https:\/\/[^/]+$/.test(spec.connect))
    throw new ConfigError(
      [{ path: 'connect', value: spec.connect, allowed: "the garbler's URL, https://HOST:PORT" }],
      CONTEXT,
    );
  const { joinOnce } = await import('./two-party.js');
  const t0 = performance.now();
  const r = await joinOnce(
    { url: spec.connect, tls: spec, protocol: PROTOCOL, timeoutMs: spec.timeoutMs },
    (ch) => runEvaluator(ch, circuit, [undefined, bits]),
  );
  return gcResult(spec, r.outputs!, circuit.andGates, r.bytes, performance.now() - t0, 'mutual-tls');
}
