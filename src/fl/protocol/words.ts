/** Little-endian uint32 words on the wire (secure aggregation's masked inputs and Shamir shares). */

/** The words of a byte string, or null when its length is not a multiple of 4. */
export function wordsFromBytes(bytes: Uint8Array): Uint32Array | null {
  if (bytes.length % 4) return null;
  const out = new Uint32Array(bytes.length / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint32(4 * i, true);
  return out;
}

/** The little-endian bytes of `words`. */
export function bytesFromWords(words: Uint32Array): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < words.length; i++) view.setUint32(4 * i, words[i]!, true);
  return out;
}
