/**
 * The PSI messages: the hello (JSON, checked with a zod schema before use) and the point chunks (raw 32-byte
 * u-coordinates, their number fixed by the announced sizes and chunk sizes: a party's psi.single messages follow
 * its own chunk size, and the psi.double messages answering them the same counts; a chunk of any other length is
 * refused before its bytes are used).
 */
import { z } from 'zod';
import { ProtocolError } from '../../core/index.js';
import type { NormaliseRule } from './normalise.js';
import { POINT_BYTES } from './x25519.js';

/** Wire version of the PSI protocol. */
export const PSI_VERSION = 1;
/** The group and hash of this version: RFC 9380 encode_to_curve into curve25519, then X25519. */
export const PSI_SUITE = 'curve25519_XMD:SHA-512_ELL2_NU_+X25519';
/** The most points one message carries (2 MiB): well under gRPC's usual 4 MiB message limit. */
export const MAX_CHUNK = 65536;
/** The largest set a party may announce (2^25 identifiers: 1 GiB of points held for the peer). */
export const MAX_SET = 2 ** 25;

/** The PSI modes. */
export const PSI_MODES = ['intersection', 'cardinality'] as const;
/** What both parties learn: the aligned intersection, or only its size. */
export type PsiMode = (typeof PSI_MODES)[number];
/** The two role names (the protocol is symmetric; the roles name the parties and must differ). */
export const PSI_ROLES = ['left', 'right'] as const;
/** A party's role. */
export type PsiRole = (typeof PSI_ROLES)[number];

/** The hello each party sends first. */
export interface PsiHello {
  readonly protocol: 'veil.psi';
  readonly version: number;
  readonly suite: string;
  readonly role: PsiRole;
  readonly mode: PsiMode;
  readonly normalise: NormaliseRule;
  readonly size: number;
  readonly chunk: number;
}

const HelloSchema = z
  .object({
    protocol: z.literal('veil.psi'),
    version: z.number().int().min(0),
    suite: z.string().max(200),
    role: z.string().max(40),
    mode: z.string().max(40),
    normalise: z.string().max(40),
    size: z.number().int().min(0).max(MAX_SET),
    chunk: z.number().int().min(1).max(MAX_CHUNK),
  })
  .strict();

/** The hello's bytes. */
export const encodeHello = (hello: PsiHello): Uint8Array => new TextEncoder().encode(JSON.stringify(hello));

/**
 * The peer's hello, its fields checked for shape (values compared by {@link checkHello}).
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for bytes that are not such a JSON object
 */
export function decodeHello(bytes: Uint8Array, peer: string): z.infer<typeof HelloSchema> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new ProtocolError(`psi: ${peer} sent a psi.hello that is not UTF-8 JSON (${bytes.length} bytes)`, {
      peer,
      stage: 'psi.hello',
    });
  }
  const parsed = HelloSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ProtocolError(
      `psi: ${peer} sent a malformed psi.hello (${issue?.path.join('.') || 'message'}: ${issue?.message ?? 'invalid'})`,
      { peer, stage: 'psi.hello' },
    );
  }
  return parsed.data;
}

/**
 * Compares the peer's hello with ours: version, suite, mode and normalisation rule must be equal and the roles
 * must differ.
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION naming what each side said
 */
export function checkHello(mine: PsiHello, theirs: z.infer<typeof HelloSchema>, peer: string): void {
  const fields = ['version', 'suite', 'mode', 'normalise'] as const;
  for (const field of fields) {
    if (theirs[field] !== mine[field])
      throw new ProtocolError(
        `psi: the two parties disagree on ${field}: ${peer} (${theirs.role}) said ${JSON.stringify(theirs[field])}, this party (${mine.role}) said ${JSON.stringify(mine[field])}`,
        { peer, stage: 'psi.hello', expected: String(mine[field]) },
      );
  }
  if (theirs.role === mine.role || !(PSI_ROLES as readonly string[]).includes(theirs.role))
    throw new ProtocolError(
      `psi: ${peer} said role ${JSON.stringify(theirs.role)}, this party is ${JSON.stringify(mine.role)}: the roles must be 'left' and 'right'`,
      { peer, stage: 'psi.hello', expected: mine.role === 'left' ? 'right' : 'left' },
    );
}

/** The number of points each of a sender's chunks carries, for `size` points in chunks of `chunk`. */
export function chunkCounts(size: number, chunk: number): number[] {
  const counts: number[] = [];
  for (let start = 0; start < size; start += chunk) counts.push(Math.min(chunk, size - start));
  return counts;
}

/**
 * Checks a received chunk's length against the count the sender's announcement fixes.
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for any other length
 */
export function checkChunk(
  payload: Uint8Array,
  count: number,
  peer: string,
  stage: string,
  index: number,
): void {
  if (payload.length !== count * POINT_BYTES)
    throw new ProtocolError(
      `psi: ${peer} sent ${payload.length} bytes as ${stage} chunk ${index}, where its announced size fixes ${count} points (${count * POINT_BYTES} bytes)`,
      { peer, stage, expected: `${count * POINT_BYTES} bytes` },
    );
}
