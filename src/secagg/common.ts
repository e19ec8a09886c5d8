/**
 * Shared pieces of the SecAgg client and server (Bonawitz et al., CCS 2017): messages, the byte strings that
 * are signed or bound as associated data, key derivation, and mask expansion. Every label starts with
 * `veil-secagg/v1` so that no signature or key of this protocol can be replayed in another.
 */
import type { KeyObject } from 'node:crypto';
import { addMod32, subMod32 } from '../core/index.js';
import { agree, hkdf, prgWords, type Share } from '../crypto/index.js';

/** Stage 0 (AdvertiseKeys): a client's two X25519 public keys, signed with its long-term Ed25519 key. */
export interface AdvertiseMessage {
  readonly from: string;
  /** Encrypts the Shamir shares sent to this client. */
  readonly encryptionKey: Uint8Array;
  /** Agrees the pairwise masks. */
  readonly maskKey: Uint8Array;
  readonly signature: Uint8Array;
}

/** Stage 1 (ShareKeys): a client's encrypted shares, one ciphertext per other client of the roster. */
export interface ShareKeysMessage {
  readonly from: string;
  readonly shares: readonly { readonly to: string; readonly ciphertext: Uint8Array }[];
}

/** Stage 2 (MaskedInput): x + PRG(b_u) + sum of signed pairwise masks, mod 2^32. */
export interface MaskedInputMessage {
  readonly from: string;
  readonly masked: Uint32Array;
}

/** Stage 3 (ConsistencyCheck): a client's signature over the list of clients whose input the server holds. */
export interface ConsistencyMessage {
  readonly from: string;
  readonly signature: Uint8Array;
}

/** Stage 4 (Unmasking): shares of dropped clients' mask keys and of survivors' self-mask seeds. */
export interface UnmaskMessage {
  readonly from: string;
  readonly maskKeyShares: readonly { readonly of: string; readonly share: Share }[];
  readonly selfMaskShares: readonly { readonly of: string; readonly share: Share }[];
}

const enc = new TextEncoder();
const LABEL = 'veil-secagg/v1';

/** Length-prefixed concatenation, so that no two different field lists give the same bytes. */
export function frame(...parts: readonly (Uint8Array | string)[]): Uint8Array {
  const bytes = parts.map((p) => (typeof p === 'string' ? enc.encode(p) : p));
  const out = new Uint8Array(bytes.reduce((s, b) => s + 4 + b.length, 0));
  const view = new DataView(out.buffer);
  let o = 0;
  for (const b of bytes) {
    view.setUint32(o, b.length);
    out.set(b, o + 4);
    o += 4 + b.length;
  }
  return out;
}

export function advertiseBytes(session: string, m: Omit<AdvertiseMessage, 'signature'>): Uint8Array {
  return frame(LABEL, 'advertise', session, m.from, m.encryptionKey, m.maskKey);
}

export function consistencyBytes(session: string, survivors: readonly string[]): Uint8Array {
  return frame(LABEL, 'consistency', session, ...survivors);
}

/** The AEAD key for shares sent from `from` to `to` (one key per direction, so the zero nonce is used once). */
export function shareKey(
  session: string,
  own: KeyObject,
  peerKey: Uint8Array,
  from: string,
  to: string,
): Uint8Array {
  return hkdf(agree(own, peerKey), enc.encode(session), frame(LABEL, 'share-key', from, to));
}

export function shareAad(session: string, from: string, to: string): Uint8Array {
  return frame(LABEL, 'share', session, from, to);
}

/** The pairwise mask seed of two clients (the same for both: the agreement is symmetric). */
export function pairSeed(
  session: string,
  own: KeyObject,
  peerMaskKey: Uint8Array,
  a: string,
  b: string,
): Uint8Array {
  const [lo, hi] = a < b ? [a, b] : [b, a];
  return hkdf(agree(own, peerMaskKey), enc.encode(session), frame(LABEL, 'pair-mask', lo, hi));
}

/** Adds (sign +1) or subtracts (-1) PRG(seed) into `acc`, mod 2^32. */
export function applyMask(acc: Uint32Array, seed: Uint8Array, sign: 1 | -1): void {
  const mask = prgWords(seed, acc.length);
  if (sign === 1) addMod32(acc, mask, acc);
  else subMod32(acc, mask, acc);
}

/** Serialised Shamir shares of the two secrets one client sends another: [x, sk share..., b share...]. */
export function packShares(mask: Share, self: Share): Uint8Array {
  const words = new Uint32Array(1 + mask.y.length + self.y.length);
  words[0] = mask.x;
  words.set(mask.y, 1);
  words.set(self.y, 1 + mask.y.length);
  return new Uint8Array(words.buffer);
}

export function unpackShares(bytes: Uint8Array, chunks: number): { mask: Share; self: Share } | null {
  if (bytes.length !== 4 * (1 + 2 * chunks)) return null;
  const words = new Uint32Array(new Uint8Array(bytes).buffer);
  const x = words[0]!;
  return {
    mask: { x, y: words.slice(1, 1 + chunks) },
    self: { x, y: words.slice(1 + chunks) },
  };
}

/** Shamir chunks of a 32-byte secret (3 bytes each). */
export const SECRET_CHUNKS = 11;
