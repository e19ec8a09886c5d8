/**
 * Argument and message checks shared by the OT protocols: choice vectors of 0/1 bytes, counts, and exact
 * lengths of a peer's messages (checked before any of their bytes are used).
 */
import { assertInteger, InvalidParameterError, ProtocolError } from '../../core/index.js';
import type { Channel } from '../channel.js';

/** The most OTs one call may ask for (2^30: the bit matrices stay well inside typed-array limits). */
export const MAX_OTS = 2 ** 30;

/** Asserts `choices` is a Uint8Array of 0/1 bytes. @throws {InvalidParameterError} VEIL_INVALID_PARAMETER */
export function assertChoices(fn: string, param: string, choices: unknown): asserts choices is Uint8Array {
  if (!(choices instanceof Uint8Array))
    throw new InvalidParameterError({ fn, param, value: choices, allowed: 'a Uint8Array of 0/1 bytes' });
  if (choices.length > MAX_OTS)
    throw new InvalidParameterError({
      fn,
      param: `${param}.length`,
      value: choices.length,
      allowed: `at most ${MAX_OTS}`,
    });
  let any = 0;
  for (let i = 0; i < choices.length; i++) any |= choices[i]!;
  if ((any & ~1) === 0) return;
  const at = choices.findIndex((c) => c > 1);
  throw new InvalidParameterError({
    fn,
    param: `${param}[${at}]`,
    value: choices[at],
    allowed: '0 or 1',
  });
}

/** Asserts an OT count: an integer in [0, MAX_OTS]. @throws {InvalidParameterError} VEIL_INVALID_PARAMETER */
export function assertCount(fn: string, param: string, n: unknown): asserts n is number {
  assertInteger(fn, param, n, 0, MAX_OTS);
}

/** Asserts a Uint8Array of exactly `length` bytes. @throws {InvalidParameterError} VEIL_INVALID_PARAMETER */
export function assertBytes(
  fn: string,
  param: string,
  value: unknown,
  length: number,
): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length)
    throw new InvalidParameterError({ fn, param, value, allowed: `a Uint8Array of ${length} bytes` });
}

/**
 * Receives the message `tag` and checks that it has exactly `length` bytes.
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a wrong tag, a closed channel or a wrong length
 */
export async function recvExact(ch: Channel, tag: string, length: number): Promise<Uint8Array> {
  const message = await ch.recv(tag);
  if (message.length !== length)
    throw new ProtocolError(
      `${ch.peer} sent a ${tag} message of ${message.length} bytes, expected ${length}`,
      {
        peer: ch.peer,
        stage: tag,
        expected: `${length} bytes`,
      },
    );
  return message;
}

/**
 * 4-byte-aligned copy-free view of `bytes` as 32-bit words when possible, else an aligned copy. The copy is made
 * with `new Uint8Array(bytes)`, never `bytes.slice()`: a received payload may be a Node Buffer (the relay's is a
 * view into the decoded frame), whose `slice` is a view sharing the frame's ArrayBuffer, not a copy.
 */
export function wordsOf(bytes: Uint8Array): Uint32Array {
  if (bytes.byteOffset % 4 === 0)
    return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
  return new Uint32Array(new Uint8Array(bytes).buffer, 0, bytes.byteLength >>> 2);
}

/** The tag prefix option, or `fallback`. @throws {InvalidParameterError} VEIL_INVALID_PARAMETER if not a non-empty string */
export function tagOption(fn: string, tag: unknown, fallback: string): string {
  if (tag === undefined) return fallback;
  if (typeof tag !== 'string' || tag.length === 0)
    throw new InvalidParameterError({ fn, param: 'options.tag', value: tag, allowed: 'a non-empty string' });
  return tag;
}
