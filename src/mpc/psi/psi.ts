/**
 * ECDH private set intersection (semi-honest), one party's side over a {@link Channel}.
 *
 * The protocol (Meadows 1986; Huberman, Franklin & Hogg 1999; De Cristofaro & Tsudik, FC 2010): each party
 * draws a secret scalar, hashes its identifiers to curve25519 (RFC 9380 encode_to_curve,
 * `curve25519_XMD:SHA-512_ELL2_NU_`) and applies the commutative function u ↦ X25519(k, u). Step by step, for
 * each party with n identifiers, the peer having m:
 *
 * 1. `psi.hello`: version, suite, role, mode, normalisation rule, set size n and chunk size. Any disagreement
 *    on version, suite, mode or rule is a ProtocolError on both sides, naming what each side said.
 * 2. `psi.single` (⌈n / chunk⌉ messages): H(x)^a for its identifiers, in an order shuffled with the Rng
 *    (Fisher–Yates), so the peer learns nothing from positions.
 * 3. `psi.double` (one message per psi.single message received, with the same count): the peer's singles
 *    raised to its own key, H(y)^ab. In intersection mode in the peer's order, each sent as soon as it is
 *    computed, so the peer can tell which of its rows they are; in cardinality mode all are shuffled again
 *    first, so it cannot.
 *
 * Each party then compares the doubles of its own identifiers (received) with the doubles of the peer's
 * (computed): the equal ones are the intersection. Intersection mode orders the matches by their doubly
 * encrypted value, which both parties hold for exactly the matching identifiers, so both write their rows in
 * the same (pseudorandom) order without revealing anything more.
 *
 * Security (semi-honest, static corruption of one party), under the decisional Diffie-Hellman assumption in
 * curve25519's prime-order subgroup, with the hash_to_field step modelled as a random oracle:
 * - intersection mode: each party learns the peer's set size and which of its own rows are in the
 *   intersection, in the common order; nothing about the peer's other identifiers (their doubles are
 *   pseudorandom group elements; positions are shuffled).
 * - cardinality mode: each party learns the peer's set size and the size of the intersection, not which of
 *   its rows match: the doubles of its own items come back in the peer's fresh random order, and linking one to
 *   a row would need H(x)^b, which is a DDH problem (the style of Ion et al. 2020, "On deploying secure
 *   computing: private intersection-sum-with-cardinality", EuroS&P, here symmetric).
 * - both modes reveal the set sizes (padding is the caller's business) and nothing stops a malicious party
 *   from choosing its input (e.g. a single identifier, to test membership), as in any PSI; this is not a
 *   malicious-secure protocol.
 * The encode_to_curve suite is not indifferentiable from a random oracle onto the group (its output is a
 * non-uniform distribution on part of the group), but Elligator 2 is efficiently invertible, so a simulator can
 * still sample H(x) = g^r with known r from exactly that distribution by rejection (a point's weight, the number
 * of field elements mapping to it, is at most 16 and computable by inverting the map on its 8-point cofactor
 * coset), and the standard DDH reduction goes through. That is our argument, not a published proof; the RO
 * suite would cost three BigInt exponentiations (about 0.6 ms) more per identifier.
 * Only the u-coordinate travels: u(kQ) = u(k(-Q)), so ±Q give the same value at every step, and two
 * identifiers collide only if H(x) = ±H(y) (probability about 2^-251 per pair).
 *
 * Group choice (measured on this 2-core machine, Node 20, one thread, quiet): X25519 through node:crypto costs
 * 48.7 µs per multiplication including wrapping the u-coordinate in a KeyObject from JWK (37 µs for the
 * Diffie-Hellman alone; DER wrapping costs 89 µs); the u-only Elligator 2 hash adds about 20 µs (SHA-512 twice,
 * a batch inverse, a binary Jacobi symbol) and the on-curve check of a peer's point about 16 µs. P-256 through
 * `createECDH('prime256v1').computeSecret` costs 116 µs (uncompressed point) to 131 µs (compressed) per
 * multiplication before any hashing, and 207 µs through KeyObjects (`openssl speed`: 19.6 k ECDH/s on P-256
 * against 33.6 k/s on X25519). X25519 with Elligator 2 is about 2.4 times faster, lands on the curve rather
 * than its twist, and clamping clears its cofactor, so it is the group here. (node:crypto's finite-field
 * Diffie-Hellman cannot serve as a fast exponentiator mod 2^255 - 19: OpenSSL refuses moduli under 512 bits and
 * computeSecret then returns zeros; a 515-bit multiple of p costs 43 µs a call, more than the Jacobi symbol.)
 * End to end in two processes over a local socket, 2 threads each (both parties learn the intersection): 10^5 x
 * 10^5 in 26 s of wall time (compiled; 34 CPU-seconds in all, the machine shared with other work, load about 5)
 * and 10^6 x 10^6 in 282 s (338 CPU-seconds, load about 6.7): about 18 s and 170 s on two free cores. Traffic:
 * each party sends 32 bytes per identifier of either set (its singles, the peer's doubles) plus the tag and a
 * 4-byte length per message: 64 MB each way for 10^6 x 10^6.
 */
import { availableParallelism } from 'node:os';
import { csprng, InvalidParameterError, ProtocolError, type Rng } from '../../core/index.js';
import type { Channel } from '../channel.js';
import { NORMALISE_RULES, type NormaliseRule, normaliseIds } from './normalise.js';
import { type CurveWorkers, startCurveWorkers } from './pool.js';
import {
  checkChunk,
  checkHello,
  chunkCounts,
  decodeHello,
  encodeHello,
  MAX_CHUNK,
  MAX_SET,
  PSI_MODES,
  PSI_ROLES,
  PSI_SUITE,
  PSI_VERSION,
  type PsiHello,
  type PsiMode,
  type PsiRole,
} from './wire.js';
import { type BadPoint, POINT_BYTES } from './x25519.js';

/** Options of {@link psi}. */
export interface PsiOptions {
  /** This party's role; the peer must take the other (the protocol is symmetric, the roles name the sides). */
  readonly role: PsiRole;
  /** This party's identifiers, one per row (row i of the caller's table). */
  readonly ids: readonly string[];
  /** `intersection`: both learn the aligned matching rows; `cardinality`: both learn only the count. */
  readonly mode: PsiMode;
  /** The normalisation rule, declared by both parties (see {@link NormaliseRule}). */
  readonly normalise: NormaliseRule;
  /** Source of the secret scalar and the shuffles (default: the CSPRNG). */
  readonly rng?: Rng;
  /** Threads for the curve work: 1 = the calling thread; default `os.availableParallelism()`. */
  readonly threads?: number;
  /** Points per message, 1 to 65536 (default 65536: 2 MiB messages). */
  readonly chunkSize?: number;
}

/** Traffic of one PSI run at this end (payload plus framing, as {@link Channel.stats} counts it). */
export interface PsiTraffic {
  readonly sent: number;
  readonly received: number;
  readonly messagesSent: number;
  readonly messagesReceived: number;
}

interface PsiResultBase {
  /** The size of the intersection. */
  readonly intersection: number;
  /** This party's number of identifiers. */
  readonly size: number;
  /** The peer's number of identifiers (as it announced and then sent). */
  readonly peerSize: number;
  /** The normalisation rule both parties applied. */
  readonly normalise: NormaliseRule;
  /** The group and hash: {@link PSI_SUITE}. */
  readonly suite: string;
  /** False when a seeded Rng drew this party's key and shuffles (tests only): such a run protects nothing. */
  readonly isPrivate: boolean;
  /** Bytes and messages through this end during the run. */
  readonly bytes: PsiTraffic;
}

/**
 * What one party learns. Intersection mode adds `rows`: this party's row indices (0-based, into `ids`) of
 * the intersection, in the order both parties share: `rows[i]` here and `rows[i]` at the peer are the same
 * identifier.
 */
export type PsiResult =
  | (PsiResultBase & { readonly mode: 'intersection'; readonly rows: readonly number[] })
  | (PsiResultBase & { readonly mode: 'cardinality' });

function invalid(param: string, value: unknown, allowed: string): never {
  throw new InvalidParameterError({ fn: 'psi', param, value, allowed });
}

function checkOptions(options: PsiOptions): { threads: number; chunk: number } {
  if (!(PSI_ROLES as readonly unknown[]).includes(options.role))
    invalid('role', options.role, "'left' or 'right'");
  if (!(PSI_MODES as readonly unknown[]).includes(options.mode))
    invalid('mode', options.mode, "'intersection' or 'cardinality'");
  if (!(NORMALISE_RULES as readonly unknown[]).includes(options.normalise))
    invalid('normalise', options.normalise, "'exact', 'trim' or 'trim-casefold'");
  if (!Array.isArray(options.ids) || options.ids.length > MAX_SET)
    invalid('ids', options.ids, `an array of at most ${MAX_SET} strings`);
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1 || threads > 256)
    invalid('threads', options.threads, 'an integer in [1, 256]');
  const chunk = options.chunkSize ?? MAX_CHUNK;
  if (!Number.isInteger(chunk) || chunk < 1 || chunk > MAX_CHUNK)
    invalid('chunkSize', options.chunkSize, `an integer in [1, ${MAX_CHUNK}]`);
  return { threads, chunk };
}

/** A uniform permutation of 0..n-1 (Fisher–Yates). */
function permutation(n: number, rng: Rng): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.uniformInt(i + 1);
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  return order;
}

const badPoint = (peer: string, stage: string, index: number, bad: BadPoint) =>
  new ProtocolError(
    `psi: ${peer} sent an invalid point in ${stage} (point ${index + bad.index}): ${bad.why}`,
    {
      peer,
      stage,
      expected: 'a point of curve25519',
    },
  );

/** Receives a stream of chunks announced as `counts`, runs `use` on each (offset in points), in order. */
async function receiveChunks(
  ch: Channel,
  tag: string,
  counts: readonly number[],
  use: (payload: Uint8Array, offset: number) => Promise<void>,
): Promise<void> {
  const pending: Promise<void>[] = [];
  let offset = 0;
  for (let c = 0; c < counts.length; c++) {
    const payload = await ch.recv(tag);
    checkChunk(payload, counts[c] as number, ch.peer, tag, c);
    const p = use(payload, offset);
    p.catch(() => undefined); // awaited below; this only keeps an early failure from being "unhandled"
    pending.push(p);
    offset += counts[c] as number;
  }
  await Promise.all(pending);
}

/** Hashes and sends our identifiers in the shuffled order, two chunks in flight. */
async function sendSingles(
  ch: Channel,
  workers: CurveWorkers,
  ids: string[],
  order: Uint32Array,
  chunk: number,
) {
  const batches: Promise<Uint8Array>[] = [];
  const start = (c: number) => {
    const rows = order.subarray(c * chunk, Math.min(ids.length, (c + 1) * chunk));
    const p = workers.hash(Array.from(rows, (r) => ids[r] as string));
    p.catch(() => undefined);
    batches[c] = p;
  };
  const chunks = Math.ceil(ids.length / chunk);
  for (let c = 0; c < Math.min(2, chunks); c++) start(c);
  for (let c = 0; c < chunks; c++) {
    const points = await (batches[c] as Promise<Uint8Array>);
    if (c + 2 < chunks) start(c + 2);
    ch.send('psi.single', points);
  }
}

/** Applies a Fisher–Yates permutation to 32-byte records in place. */
function shuffleRecords(points: Uint8Array, rng: Rng): void {
  const tmp = new Uint8Array(POINT_BYTES);
  for (let i = points.length / POINT_BYTES - 1; i > 0; i--) {
    const j = rng.uniformInt(i + 1);
    if (j === i) continue;
    tmp.set(points.subarray(i * POINT_BYTES, (i + 1) * POINT_BYTES));
    points.copyWithin(i * POINT_BYTES, j * POINT_BYTES, (j + 1) * POINT_BYTES);
    points.set(tmp, j * POINT_BYTES);
  }
}

const key = (points: Uint8Array, i: number): string =>
  Buffer.from(points.buffer, points.byteOffset + i * POINT_BYTES, POINT_BYTES).toString('latin1');

/**
 * Runs one party of an ECDH private set intersection over `ch` (see the module comment for the protocol, what
 * each party learns in each mode, and the assumptions).
 * @param ch the channel to the peer, which runs `psi` with the other role, the same mode and rule
 * @param options role, identifiers, mode, normalisation rule; optional rng, threads, chunk size
 * @returns the intersection size, the set sizes, the rule, the traffic, and in intersection mode the aligned rows
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad option, an ill-formed identifier, or
 *   duplicate identifiers after normalisation (the count and the first row numbers, 1-based)
 *   (on any failure the channel is closed with this end's role and the error code, so the peer does not wait)
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION when the peer's hello disagrees (version, suite, mode, rule
 *   or role: the message says what each side said), or the peer sends a message with a wrong tag, a chunk of
 *   the wrong length (a count other than it announced), a point not on the curve, or repeated points
 * @example
 * const [a, b] = memoryChannelPair({ peers: ['right', 'left'] });
 * const [left, right] = await Promise.all([
 *   psi(a, { role: 'left', ids: ['ann', 'bob'], mode: 'intersection', normalise: 'trim' }),
 *   psi(b, { role: 'right', ids: ['bob', 'cy'], mode: 'intersection', normalise: 'trim' }),
 * ]);
 * left.intersection; // 1; left.rows = [1], right.rows = [0]
 */
export async function psi(ch: Channel, options: PsiOptions): Promise<PsiResult> {
  let workers: CurveWorkers | undefined;
  try {
    const { threads, chunk } = checkOptions(options);
    const ids = normaliseIds('psi', options.ids, options.normalise);
    const rng = options.rng ?? csprng();
    const n = ids.length;
    const before = ch.stats();
    const mine: PsiHello = {
      protocol: 'veil.psi',
      version: PSI_VERSION,
      suite: PSI_SUITE,
      role: options.role,
      mode: options.mode,
      normalise: options.normalise,
      size: n,
      chunk,
    };
    ch.send('psi.hello', encodeHello(mine));
    const theirs = decodeHello(await ch.recv('psi.hello'), ch.peer);
    checkHello(mine, theirs, ch.peer);
    const m = theirs.size;
    const scalar = new Uint8Array(32);
    rng.fillBytes(scalar);
    const order = permutation(n, rng);
    workers = startCurveWorkers(scalar, threads);
    scalar.fill(0);
    const w = workers;

    const sending = sendSingles(ch, w, ids, order, chunk);
    sending.catch(() => undefined);
    // The peer's singles are multiplied as they arrive. Each psi.double message answers one psi.single
    // message (same count); in intersection mode it goes out as soon as it is ready (after all our singles,
    // which keeps the message order fixed), so the peer checks it while we work on.
    const peerDoubles = new Uint8Array(m * POINT_BYTES);
    let forwarding: Promise<void> = sending;
    await receiveChunks(ch, 'psi.single', chunkCounts(m, theirs.chunk), (payload, offset) => {
      const doubled = w.multiply(payload).then((result) => {
        if (!(result instanceof Uint8Array)) throw badPoint(ch.peer, 'psi.single', offset, result);
        peerDoubles.set(result, offset * POINT_BYTES);
        return result;
      });
      if (options.mode === 'intersection') {
        forwarding = forwarding.then(async () => ch.send('psi.double', await doubled));
        forwarding.catch(() => undefined);
      }
      return doubled.then(() => undefined);
    });
    await forwarding;
    if (options.mode === 'cardinality') {
      const shuffled = peerDoubles.slice();
      shuffleRecords(shuffled, rng);
      let start = 0;
      for (const count of chunkCounts(m, theirs.chunk)) {
        ch.send('psi.double', shuffled.subarray(start * POINT_BYTES, (start + count) * POINT_BYTES));
        start += count;
      }
    }

    const ownDoubles = new Uint8Array(n * POINT_BYTES);
    await receiveChunks(ch, 'psi.double', chunkCounts(n, chunk), async (payload, offset) => {
      const bad = await w.check(payload);
      if (bad) throw badPoint(ch.peer, 'psi.double', offset, bad);
      ownDoubles.set(payload, offset * POINT_BYTES);
    });
    return finish(ch, options, { n, m, order, ownDoubles, peerDoubles, before, isPrivate: rng.isPrivate });
  } catch (error) {
    // the peer learns that this end failed and the error code, never the message (it may name rows)
    ch.close(`psi failed at ${options.role} (${(error as { code?: string }).code ?? 'error'})`);
    throw error;
  } finally {
    workers?.close();
  }
}

interface Collected {
  readonly n: number;
  readonly m: number;
  readonly order: Uint32Array;
  readonly ownDoubles: Uint8Array;
  readonly peerDoubles: Uint8Array;
  readonly before: ReturnType<Channel['stats']>;
  readonly isPrivate: boolean;
}

/** Compares the two sets of doubles and builds the result. */
function finish(ch: Channel, options: PsiOptions, c: Collected): PsiResult {
  const repeated = (stage: string) =>
    new ProtocolError(
      `psi: ${ch.peer}'s ${stage} points repeat a value (distinct inputs give distinct values)`,
      {
        peer: ch.peer,
        stage,
      },
    );
  const peerSet = new Set<string>();
  for (let i = 0; i < c.m; i++) {
    const k = key(c.peerDoubles, i);
    if (peerSet.has(k)) throw repeated('psi.single');
    peerSet.add(k);
  }
  const ownSet = new Set<string>();
  const matches: { key: string; row: number }[] = [];
  for (let j = 0; j < c.n; j++) {
    const k = key(c.ownDoubles, j);
    if (ownSet.has(k)) throw repeated('psi.double');
    ownSet.add(k);
    // in cardinality mode the order is the peer's shuffle and the rows are never used
    if (peerSet.has(k)) matches.push({ key: k, row: c.order[j] as number });
  }
  const after = ch.stats();
  const base = {
    intersection: matches.length,
    size: c.n,
    peerSize: c.m,
    normalise: options.normalise,
    suite: PSI_SUITE,
    isPrivate: c.isPrivate,
    bytes: {
      sent: after.bytesSent - c.before.bytesSent,
      received: after.bytesReceived - c.before.bytesReceived,
      messagesSent: after.messagesSent - c.before.messagesSent,
      messagesReceived: after.messagesReceived - c.before.messagesReceived,
    },
  };
  if (options.mode === 'cardinality') return { mode: 'cardinality', ...base };
  matches.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { mode: 'intersection', ...base, rows: matches.map((x) => x.row) };
}
