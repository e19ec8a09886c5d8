/**
 * `node --import tsx bench/anchors/mpc-anchors.ts [--runs K] [--psi-sizes 10000,100000]
 *                                                 [--psi-modes intersection,cardinality] [--emp-modes 2pc,mpc]
 *                                                 [--skip-emp] [--skip-psi]`
 *
 * Third-party anchors for Veil's secure two-party computation, run on this machine and printed as one JSON
 * object (progress on stderr). The packages are not Veil dependencies: {@link ensureAnchors} installs them at
 * bench time into a cache folder outside the repository (`$VEIL_ANCHORS_DIR`, default
 * `~/.cache/veil-bench-anchors`), only when missing. `bench/mpc.bench.ts` calls {@link empWasmAes} and
 * {@link psiJs} to print them beside Veil's own numbers.
 *
 * ## emp-wasm 0.3.2: AES-128 in malicious-secure 2PC ({@link empWasmAes})
 *
 * emp-wasm is emp-toolkit's authenticated garbling (emp-ag2pc, Wang-Ranellucci-Katz 2017, and the N-party
 * emp-agmpc) compiled to WebAssembly. **It is secure against a malicious adversary**, so per AND gate it does
 * much more work and sends much more data than a semi-honest half-gates garbler (Veil's protocols are
 * semi-honest): it first builds authenticated AND triples (a function-dependent preprocessing phase with OT
 * extension and IT-MACs), then garbles and evaluates an authenticated garbled circuit. A fair reading is
 * "what a malicious-secure WebAssembly 2PC costs", not "a faster or slower implementation of the same thing".
 *
 * - Circuit: `../shared/circuits/aes_128.txt` (Bristol Fashion, 6,400 AND, 28,176 XOR, 2,087 INV), its header
 *   rewritten to the original Bristol format that emp-wasm parses. Party 0 (emp's ALICE) holds the key,
 *   party 1 (BOB) the plaintext; both learn the ciphertext. Wire j of a value is bit j of the 16 bytes read
 *   as one big-endian integer (see the circuits' README). The ciphertext of both parties is checked against node:crypto AES-128-ECB on the FIPS-197 C.1 vector
 *   (key 000102…0f, plaintext 00112233…ff → 69c4e0d86a7b0430d8cdb78070b4c55a); a mismatch is reported.
 * - Modes: `2pc` is emp-ag2pc, the two-party protocol. The package's own code says it has an "FEQ error" bug
 *   on large circuits: on this machine it failed above about 9 k ANDs, and SHA-256's 22,573 ANDs end in the
 *   error "FEQ error" after about 5 s (a rejected promise, not a crash). `mpc` is emp-agmpc with N = 2, which
 *   is what the package picks by default (`mode: 'auto'`). Both are timed; a mode that fails is reported
 *   with its error text instead of numbers.
 * - Threads: one. In Node (no global `Worker`) emp-wasm runs each party in the calling thread, so both parties
 *   share one core and interleave at every `recv`: the time is the sum of both parties' computation, with no
 *   network latency or bandwidth cost (messages are handed over in memory through the package's own
 *   `BufferQueue`, the same loopback its `internalDemo` uses).
 * - Time of one evaluation: from the call of `secureMPC` for both parties until both outputs arrive. It
 *   includes everything the package does per call: converting the Bristol text to its binary form (per
 *   party), instantiating a fresh WebAssembly module (per party), base OTs, preprocessing, garbling,
 *   evaluation and output decoding. The conversion and instantiation alone are measured apart
 *   (`setupMs`) so they can be subtracted. One untimed warm-up, then K timed runs (median, min, max).
 * - AND gates per second: 6,400 / median seconds, and 6,400 / min seconds (`andGatesPerSecondBest`).
 *   Bytes: everything either party hands to `io.send`, per direction, counted at the loopback (emp-wasm
 *   reports no traffic itself).
 *
 * ## @openmined/psi.js 2.0.6: ECDH-PSI ({@link psiJs})
 *
 * OpenMined's PSI (Google's private-join-and-compute ECDH on P-256, compiled to WebAssembly, single thread):
 * the server encrypts its N elements under its key and sends them as a Golomb-compressed set (the setup
 * message, false-positive rate `fpr` = 1e-9 for the whole client set); the client sends its N elements
 * encrypted under its key (the request); the server re-encrypts them (the response); the client removes its
 * key and looks the results up in the set. **Its security model is semi-honest (honest-but-curious)**, as
 * Veil's; the client learns the intersection (`intersection` mode, `revealIntersection = true`) or only its
 * size (`cardinality` mode, where the server sorts the response so that the client cannot tell which of its
 * elements matched). The library divides `fpr` by N, so 1e-9 is the chance of any false match in the run.
 *
 * - Sets: the server and the client each hold N random 32-character hex strings, of which `overlap * N`
 *   (default 50%) are common. The result is checked: the intersection must be exactly the common elements
 *   (respectively the size must equal their number); a mismatch is reported (`verified: false`).
 * - Time: the whole protocol in one process and one thread, both parties in turn: key generation of both
 *   parties, the server's setup message, the client's request, the server's response, the client's
 *   intersection, and every message's `serializeBinary` / `deserializeBinary` (the package's own protobuf
 *   wire format) in between. Making the input strings is not timed. Per-phase times are reported too.
 * - Bytes: the lengths of the three serialised messages (setup and response server → client, request
 *   client → server).
 * - One run per size by default (N = 10^4 takes about half a minute here, 10^5 about six minutes: opt in with
 *   `--psi-sizes 10000,100000`).
 */
import { execFileSync } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machine, summarize } from '../harness.js';

/** The anchors and their exact versions. */
export const ANCHOR_VERSIONS = { 'emp-wasm': '0.3.2', '@openmined/psi.js': '2.0.6' } as const;

const log = (s: string) => process.stderr.write(`${s}\n`);
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;
const errorText = (e: unknown) => (e instanceof Error ? e.message || String(e) : String(e));

/** The repository root (this file is `bench/anchors/mpc-anchors.ts`). */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The default AES-128 circuit: `../shared/circuits/aes_128.txt` relative to the repository root. */
export const AES_128_CIRCUIT = resolve(REPO_ROOT, '..', 'shared', 'circuits', 'aes_128.txt');

/** The install folder: `$VEIL_ANCHORS_DIR`, or `~/.cache/veil-bench-anchors`. */
export function anchorsPrefix(): string {
  return process.env['VEIL_ANCHORS_DIR'] ?? join(homedir(), '.cache', 'veil-bench-anchors');
}

function installedVersion(nodeModules: string, name: string): string | undefined {
  const file = join(nodeModules, name, 'package.json');
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version;
}

/**
 * Makes sure both anchors are installed at their exact versions under {@link anchorsPrefix}; returns its
 * `node_modules` directory. Installs with `npm install --prefix <dir> --no-save` when one is missing or at
 * another version (all anchors in one command, so that a `--no-save` install into this folder, which has no
 * package.json, cannot prune the anchor it was not given). Install scripts are allowed; if that install fails
 * (psi.js depends on `protoc-gen-js`, whose postinstall downloads protoc from github.com, which this machine
 * cannot reach; neither anchor needs any install script at run time), it is retried with `--ignore-scripts`.
 */
export function ensureAnchors(prefix = anchorsPrefix()): string {
  const nodeModules = join(prefix, 'node_modules');
  const missing = Object.entries(ANCHOR_VERSIONS).filter(
    ([name, version]) => installedVersion(nodeModules, name) !== version,
  );
  if (missing.length === 0) return nodeModules;
  const specs = Object.entries(ANCHOR_VERSIONS).map(([name, version]) => `${name}@${version}`);
  const install = (scripts: boolean) =>
    execFileSync(
      'npm',
      [
        'install',
        '--prefix',
        prefix,
        '--no-save',
        `--ignore-scripts=${!scripts}`,
        '--no-audit',
        '--no-fund',
        ...specs,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
    );
  log(`installing ${specs.join(' ')} into ${prefix} (missing: ${missing.map(([n]) => n).join(', ')}) ...`);
  try {
    install(true);
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr ?? errorText(e);
    const lines = stderr.split('\n');
    const reason =
      [
        lines.find((l) => /error path/.test(l)),
        lines.find((l) => /ENOTFOUND|EAI_AGAIN|ECONN|ETIMEDOUT/.test(l)),
      ]
        .filter((l) => l !== undefined)
        .map((l) => l.replace(/^npm error\s*/, '').trim())
        .join('; ') || errorText(e);
    log(`npm install with install scripts failed (${reason}); retrying with --ignore-scripts`);
    install(false);
  }
  for (const [name, version] of Object.entries(ANCHOR_VERSIONS)) {
    const got = installedVersion(nodeModules, name);
    if (got !== version)
      throw new Error(`${name}: expected ${version} in ${nodeModules}, found ${got ?? 'none'}`);
  }
  return nodeModules;
}

const requireFrom = (nodeModules: string) => createRequire(join(dirname(nodeModules), 'package.json'));

// ---------------------------------------------------------------------------------------------------------
// emp-wasm

type Channel = 'a' | 'b';
interface EmpIO {
  send(toParty: number, channel: Channel, data: Uint8Array): void;
  recv(fromParty: number, channel: Channel, minLen: number, maxLen: number): Promise<Uint8Array>;
}
interface EmpBufferQueue {
  push(data: Uint8Array): void;
  pop(minLen: number, maxLen: number): Promise<Uint8Array>;
}
interface EmpWasm {
  secureMPC(options: {
    party: number;
    size: number;
    circuit: string;
    inputBits: Uint8Array;
    inputBitsPerParty: number[];
    io: EmpIO;
    mode?: EmpMode;
  }): Promise<Uint8Array>;
  BufferQueue: new () => EmpBufferQueue;
}

/** `2pc`: emp-ag2pc; `mpc`: emp-agmpc with two parties (the package's default). */
export type EmpMode = '2pc' | 'mpc';

export interface EmpWasmOptions {
  /** Timed runs per mode after one warm-up (default 5). */
  readonly runs?: number;
  /** Modes to run (default both, `2pc` first). */
  readonly modes?: readonly EmpMode[];
  /** A Bristol Fashion AES-128 circuit laid out as aes_128.txt (default {@link AES_128_CIRCUIT}). */
  readonly circuitPath?: string;
  /** Give up on one evaluation after this long (default 300 s): a failed party can leave the other waiting. */
  readonly timeoutMs?: number;
  /** The anchors' node_modules (default: {@link ensureAnchors}()). */
  readonly nodeModules?: string;
}

export interface EmpWasmModeResult {
  readonly mode: EmpMode;
  readonly ok: boolean;
  /** The error text, when the warm-up or a run failed (then no timing). */
  readonly error?: string;
  /** Both parties' ciphertext equalled node:crypto's in every run. */
  readonly verified?: boolean;
  readonly ciphertextHex?: string;
  /** Milliseconds per AES evaluation, both parties (see the file's doc comment). */
  readonly timing?: { runs: number; medianMs: number; minMs: number; maxMs: number; spread: number };
  /** 6,400 / median seconds. */
  readonly andGatesPerSecond?: number;
  /** 6,400 / min seconds: the best run, the least disturbed by other work on a shared machine. */
  readonly andGatesPerSecondBest?: number;
  /** Bytes sent per evaluation (from the last run; the protocol's traffic does not depend on the inputs). */
  readonly bytes?: {
    readonly total: number;
    readonly party0ToParty1: number;
    readonly party1ToParty0: number;
    readonly perAndGate: number;
  };
}

export interface EmpWasmResult {
  readonly anchor: 'emp-wasm';
  readonly version: string;
  readonly securityModel: string;
  readonly threads: number;
  readonly circuit: {
    readonly file: string;
    readonly gates: number;
    readonly andGates: number;
    readonly xorGates: number;
    readonly invGates: number;
  };
  readonly vector: { readonly keyHex: string; readonly plaintextHex: string; readonly expectedHex: string };
  /** Per-party costs inside every evaluation: Bristol → binary conversion, and instantiating the Wasm module. */
  readonly setupMs:
    | { readonly circuitConversion: number; readonly wasmInstantiate: number }
    | { error: string };
  readonly modes: readonly EmpWasmModeResult[];
}

/** FIPS-197 Appendix C.1. */
const AES_KEY = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const AES_PLAINTEXT = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

/** 16 bytes → 128 bits, wire j = bit j of the big-endian integer (wire 0 = LSB of the last byte). */
function bytesToWires(bytes: Uint8Array): Uint8Array {
  const bits = new Uint8Array(bytes.length * 8);
  for (let j = 0; j < bits.length; j++) bits[j] = (bytes[bytes.length - 1 - (j >> 3)]! >> (j & 7)) & 1;
  return bits;
}

function wiresToBytes(bits: Uint8Array): Buffer {
  const bytes = Buffer.alloc(bits.length / 8);
  for (let j = 0; j < bits.length; j++) if (bits[j]) bytes[bytes.length - 1 - (j >> 3)]! |= 1 << (j & 7);
  return bytes;
}

function countGates(circuit: string): EmpWasmResult['circuit'] & { inputs: number[] } {
  const lines = circuit.split('\n');
  const [gates] = lines[0]!.trim().split(/\s+/).map(Number);
  const inputs = lines[1]!.trim().split(/\s+/).map(Number).slice(1);
  let andGates = 0;
  let xorGates = 0;
  let invGates = 0;
  for (const line of lines) {
    if (line.endsWith('AND')) andGates++;
    else if (line.endsWith('XOR')) xorGates++;
    else if (line.endsWith('INV') || line.endsWith('NOT')) invGates++;
  }
  return { file: '', gates: gates!, andGates, xorGates, invGates, inputs };
}

/**
 * emp-wasm reads the original Bristol format (header `G W` / `n1 n2 n3`: two input widths and the output width),
 * not Bristol Fashion (`G W` / `niv n1 .. n_niv` / `nov m1 .. m_nov`). The gate lines are the same (INV, XOR,
 * AND only), and both put the outputs on the last wires; only the header changes.
 */
export function bristolFashionToBristol(circuit: string): string {
  const lines = circuit.split(/\r?\n/);
  const inputs = lines[1]!.trim().split(/\s+/).map(Number);
  const outputs = lines[2]!.trim().split(/\s+/).map(Number);
  if (inputs[0] !== 2 || outputs[0] !== 1)
    throw new Error(`emp-wasm needs two inputs and one output, got ${lines[1]} / ${lines[2]}`);
  return [lines[0]!.trim(), `${inputs[1]} ${inputs[2]} ${outputs[1]}`, ...lines.slice(3)].join('\n');
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * emp-wasm's malicious-secure 2PC of AES-128 (FIPS-197 C.1), both parties in this process over an in-memory
 * loopback; per mode: ms per evaluation, AND gates per second, bytes. Never throws for a protocol failure:
 * a failing mode comes back as `{ ok: false, error }`.
 */
export async function empWasmAes(options: EmpWasmOptions = {}): Promise<EmpWasmResult> {
  const runs = options.runs ?? 5;
  const modes = options.modes ?? ['2pc', 'mpc'];
  const timeoutMs = options.timeoutMs ?? 300_000;
  const circuitPath = options.circuitPath ?? AES_128_CIRCUIT;
  const nodeModules = options.nodeModules ?? ensureAnchors();
  const req = requireFrom(nodeModules);
  const entry = req.resolve('emp-wasm');
  const emp = (await import(pathToFileURL(entry).href)) as EmpWasm;

  const fashion = readFileSync(circuitPath, 'utf8');
  const { inputs, ...counts } = countGates(fashion);
  const circuit = bristolFashionToBristol(fashion);
  if (inputs.length !== 2 || inputs[0] !== 128 || inputs[1] !== 128)
    throw new Error(`${circuitPath}: expected two 128-bit inputs, found ${inputs.join(', ')}`);
  const cipher = createCipheriv('aes-128-ecb', AES_KEY, null).setAutoPadding(false);
  const expected = Buffer.concat([cipher.update(AES_PLAINTEXT), cipher.final()]);
  const keyBits = bytesToWires(AES_KEY);
  const plaintextBits = bytesToWires(AES_PLAINTEXT);

  // The per-party set-up inside every secureMPC call, measured apart (median of 3).
  let setupMs: EmpWasmResult['setupMs'];
  try {
    const pkg = join(dirname(entry), '..', '..', '..');
    const convert = (await import(
      pathToFileURL(join(pkg, 'dist', 'src', 'ts', 'bristolToBinary.js')).href
    )) as {
      default: (c: string) => Uint8Array;
    };
    const jslib = (await import(pathToFileURL(join(pkg, 'build', 'jslib.js')).href)) as {
      default: () => Promise<unknown>;
    };
    const conv: number[] = [];
    const inst: number[] = [];
    for (let i = 0; i < 3; i++) {
      let t0 = performance.now();
      convert.default(circuit);
      conv.push(performance.now() - t0);
      t0 = performance.now();
      await jslib.default();
      inst.push(performance.now() - t0);
    }
    setupMs = {
      circuitConversion: summarize('conv', conv).medianMs,
      wasmInstantiate: summarize('inst', inst).medianMs,
    };
  } catch (e) {
    setupMs = { error: errorText(e) };
  }

  const evaluate = async (mode: EmpMode) => {
    const queues = [0, 1].map(() => ({ a: new emp.BufferQueue(), b: new emp.BufferQueue() }));
    const sent = [0, 0];
    const io = (party: number): EmpIO => ({
      send: (toParty, channel, data) => {
        sent[party]! += data.length;
        queues[toParty]![channel].push(data);
      },
      recv: (_fromParty, channel, minLen, maxLen) => queues[party]![channel].pop(minLen, maxLen),
    });
    const t0 = performance.now();
    const outputs = await withTimeout(
      Promise.all(
        [keyBits, plaintextBits].map((inputBits, party) =>
          emp.secureMPC({
            party,
            size: 2,
            circuit,
            inputBits,
            inputBitsPerParty: [128, 128],
            io: io(party),
            mode,
          }),
        ),
      ),
      timeoutMs,
      `emp-wasm ${mode}`,
    );
    const ms = performance.now() - t0;
    const ciphertexts = outputs.map((bits) => wiresToBytes(bits));
    return { ms, ciphertexts, sent: [sent[0]!, sent[1]!] as const };
  };

  const results: EmpWasmModeResult[] = [];
  for (const mode of modes) {
    log(`emp-wasm ${mode}: AES-128, warm-up + ${runs} runs ...`);
    const samples: number[] = [];
    let last: Awaited<ReturnType<typeof evaluate>> | undefined;
    let verified = true;
    try {
      for (let i = 0; i <= runs; i++) {
        last = await evaluate(mode);
        verified &&= last.ciphertexts.every((c) => c.equals(expected));
        if (i > 0) samples.push(last.ms);
        log(`  ${i === 0 ? 'warm-up' : `run ${i}`}: ${Math.round(last.ms)} ms`);
      }
    } catch (e) {
      log(`  failed: ${errorText(e)}`);
      results.push({ mode, ok: false, error: errorText(e) });
      continue;
    }
    const timing = summarize(`emp-wasm ${mode}`, samples);
    const total = last!.sent[0] + last!.sent[1];
    results.push({
      mode,
      ok: true,
      verified,
      ciphertextHex: last!.ciphertexts[0]!.toString('hex'),
      timing: {
        runs: timing.runs,
        medianMs: timing.medianMs,
        minMs: timing.minMs,
        maxMs: timing.maxMs,
        spread: timing.spread,
      },
      andGatesPerSecond: Math.round(counts.andGates / (timing.medianMs / 1000)),
      andGatesPerSecondBest: Math.round(counts.andGates / (timing.minMs / 1000)),
      bytes: {
        total,
        party0ToParty1: last!.sent[0],
        party1ToParty0: last!.sent[1],
        perAndGate: round(total / counts.andGates, 1),
      },
    });
  }

  return {
    anchor: 'emp-wasm',
    version: ANCHOR_VERSIONS['emp-wasm'],
    securityModel:
      'malicious (authenticated garbling: emp-ag2pc in 2pc mode, emp-agmpc with N = 2 in mpc mode; preprocessing included in every run)',
    threads: 1,
    circuit: { ...counts, file: circuitPath },
    vector: {
      keyHex: AES_KEY.toString('hex'),
      plaintextHex: AES_PLAINTEXT.toString('hex'),
      expectedHex: expected.toString('hex'),
    },
    setupMs,
    modes: results,
  };
}

// ---------------------------------------------------------------------------------------------------------
// @openmined/psi.js

interface PsiMessage {
  serializeBinary(): Uint8Array;
}
interface PsiServer {
  delete(): void;
  createSetupMessage(fpr: number, numClientInputs: number, inputs: readonly string[]): PsiMessage;
  processRequest(request: PsiMessage): PsiMessage;
}
interface PsiClient {
  delete(): void;
  createRequest(inputs: readonly string[]): PsiMessage;
  getIntersection(setup: PsiMessage, response: PsiMessage): number[];
  getIntersectionSize(setup: PsiMessage, response: PsiMessage): number;
}
interface PsiLibrary {
  serverSetup: { deserializeBinary(b: Uint8Array): PsiMessage };
  request: { deserializeBinary(b: Uint8Array): PsiMessage };
  response: { deserializeBinary(b: Uint8Array): PsiMessage };
  server: { createWithNewKey(revealIntersection?: boolean): PsiServer };
  client: { createWithNewKey(revealIntersection?: boolean): PsiClient };
}

/** `intersection`: the client learns which of its elements are common; `cardinality`: only how many. */
export type PsiMode = 'intersection' | 'cardinality';

export interface PsiJsOptions {
  /** Set sizes N, each party holding N elements (default [10_000]). */
  readonly sizes?: readonly number[];
  /** Fraction of the elements common to both (default 0.5). */
  readonly overlap?: number;
  /** Default ['intersection']. */
  readonly modes?: readonly PsiMode[];
  /** False-positive rate of the server's set, for the whole client set (default 1e-9). */
  readonly fpr?: number;
  /** Runs per case (default 1). */
  readonly runs?: number;
  /** The anchors' node_modules (default: {@link ensureAnchors}()). */
  readonly nodeModules?: string;
}

export interface PsiJsCaseResult {
  readonly n: number;
  readonly mode: PsiMode;
  readonly ok: boolean;
  readonly error?: string;
  readonly expectedIntersection: number;
  /** The intersection size the client got. */
  readonly intersection?: number;
  /** The client's result equals the common elements exactly (for `cardinality`, their number). */
  readonly verified?: boolean;
  /** The whole protocol (see the file's doc comment): median over the runs, and every run. */
  readonly ms?: number;
  readonly samplesMs?: readonly number[];
  /** Phases of the last run (ms): keys, server setup, client request, server response, client result. */
  readonly phasesMs?: Record<string, number>;
  /** Serialised message sizes. */
  readonly bytes?: {
    readonly setup: number;
    readonly request: number;
    readonly response: number;
    readonly total: number;
  };
}

export interface PsiJsResult {
  readonly anchor: '@openmined/psi.js';
  readonly version: string;
  readonly securityModel: string;
  readonly threads: number;
  readonly fpr: number;
  readonly overlap: number;
  readonly cases: readonly PsiJsCaseResult[];
}

/**
 * @openmined/psi.js ECDH-PSI, client and server in this process over the package's own serialisation; per size
 * and mode: ms, intersection size, bytes. Never throws for a protocol failure: a failing case comes back as
 * `{ ok: false, error }`.
 */
export async function psiJs(options: PsiJsOptions = {}): Promise<PsiJsResult> {
  const sizes = options.sizes ?? [10_000];
  const overlap = options.overlap ?? 0.5;
  const modes = options.modes ?? ['intersection'];
  const fpr = options.fpr ?? 1e-9;
  const runs = options.runs ?? 1;
  const nodeModules = options.nodeModules ?? ensureAnchors();
  const load = requireFrom(nodeModules)('@openmined/psi.js') as () => Promise<PsiLibrary>;
  const psi = await load();

  const cases: PsiJsCaseResult[] = [];
  for (const n of sizes) {
    const common = Math.round(n * overlap);
    const fresh = () => randomBytes(16).toString('hex');
    const shared = Array.from({ length: common }, fresh);
    const serverInputs = [...shared, ...Array.from({ length: n - common }, fresh)];
    // The client's common elements are interleaved with its own ones, not a prefix.
    const own = Array.from({ length: n - common }, fresh);
    const clientInputs: string[] = [];
    for (let i = 0; i < Math.max(common, own.length); i++) {
      if (i < common) clientInputs.push(shared[i]!);
      if (i < own.length) clientInputs.push(own[i]!);
    }
    const expectedSet = new Set(shared);

    for (const mode of modes) {
      const reveal = mode === 'intersection';
      log(`psi.js ${mode}: N = ${n}, ${common} common, ${runs} run(s) ...`);
      const samples: number[] = [];
      let phases: Record<string, number> = {};
      let bytes: PsiJsCaseResult['bytes'];
      let got = -1;
      let verified = true;
      try {
        for (let r = 0; r < runs; r++) {
          const mark: number[] = [performance.now()];
          const server = psi.server.createWithNewKey(reveal);
          const client = psi.client.createWithNewKey(reveal);
          mark.push(performance.now());
          const setupBytes = server.createSetupMessage(fpr, n, serverInputs).serializeBinary();
          mark.push(performance.now());
          const requestBytes = client.createRequest(clientInputs).serializeBinary();
          mark.push(performance.now());
          const responseBytes = server
            .processRequest(psi.request.deserializeBinary(requestBytes))
            .serializeBinary();
          mark.push(performance.now());
          const setup = psi.serverSetup.deserializeBinary(setupBytes);
          const response = psi.response.deserializeBinary(responseBytes);
          let ok: boolean;
          if (reveal) {
            const indices = client.getIntersection(setup, response);
            got = indices.length;
            ok = got === common && indices.every((i) => expectedSet.has(clientInputs[i]!));
          } else {
            got = client.getIntersectionSize(setup, response);
            ok = got === common;
          }
          mark.push(performance.now());
          server.delete();
          client.delete();
          verified &&= ok;
          samples.push(mark[5]! - mark[0]!);
          phases = {
            keys: round(mark[1]! - mark[0]!),
            serverSetup: round(mark[2]! - mark[1]!),
            clientRequest: round(mark[3]! - mark[2]!),
            serverResponse: round(mark[4]! - mark[3]!),
            clientResult: round(mark[5]! - mark[4]!),
          };
          bytes = {
            setup: setupBytes.length,
            request: requestBytes.length,
            response: responseBytes.length,
            total: setupBytes.length + requestBytes.length + responseBytes.length,
          };
          log(`  run ${r + 1}: ${Math.round(samples[r]!)} ms, intersection ${got}${ok ? '' : ' (WRONG)'}`);
        }
      } catch (e) {
        log(`  failed: ${errorText(e)}`);
        cases.push({ n, mode, ok: false, error: errorText(e), expectedIntersection: common });
        continue;
      }
      cases.push({
        n,
        mode,
        ok: true,
        expectedIntersection: common,
        intersection: got,
        verified,
        ms: summarize('psi', samples).medianMs,
        samplesMs: samples.map((s) => round(s)),
        phasesMs: phases,
        ...(bytes ? { bytes } : {}),
      });
    }
  }
  return {
    anchor: '@openmined/psi.js',
    version: ANCHOR_VERSIONS['@openmined/psi.js'],
    securityModel: 'semi-honest (ECDH-PSI on P-256, Golomb-compressed server set)',
    threads: 1,
    fpr,
    overlap,
    cases,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Command line

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const text = (name: string, fallback: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1]! : fallback;
  };
  const runs = Number(text('--runs', '5'));
  const sizes = text('--psi-sizes', '10000').split(',').map(Number);
  const psiModes = text('--psi-modes', 'intersection').split(',') as PsiMode[];
  const empModes = text('--emp-modes', '2pc,mpc').split(',') as EmpMode[];
  const nodeModules = ensureAnchors();
  const empWasm = args.includes('--skip-emp')
    ? null
    : await empWasmAes({ runs, modes: empModes, nodeModules });
  const psi = args.includes('--skip-psi') ? null : await psiJs({ sizes, modes: psiModes, nodeModules });
  process.stdout.write(
    `${JSON.stringify({ bench: 'mpc-anchors', machine: machine(), anchorsDir: nodeModules, empWasm, psiJs: psi }, null, 2)}\n`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    // A failed emp-wasm party can leave wasm work pending; do not wait for it.
    () => process.exit(0),
    (e: unknown) => {
      log(errorText(e));
      process.exit(1);
    },
  );
}
