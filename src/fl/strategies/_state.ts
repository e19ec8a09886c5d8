/**
 * Checkpoint helpers of the strategies (internal): float64 vectors as base64 of little-endian bytes, and a
 * parser that turns a bad snapshot into an InvalidParameterError naming the field.
 */
import type { z } from 'zod';
import { InvalidParameterError } from '../../core/index.js';

/** Base64 of the little-endian float64 bytes of `v`. */
export function float64ToBase64(v: Float64Array): string {
  const bytes = new Uint8Array(v.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < v.length; i++) view.setFloat64(i * 8, v[i]!, true);
  return Buffer.from(bytes).toString('base64');
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes {@link float64ToBase64}; every value must be finite (and >= 0 when `nonNegative`).
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER
 */
export function base64ToFloat64(fn: string, param: string, text: string, nonNegative = false): Float64Array {
  const bad = (allowed: string, value: unknown = text): never => {
    throw new InvalidParameterError({ fn, param, value, allowed });
  };
  if (!BASE64.test(text)) bad('base64 text');
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 8 !== 0) bad('base64 of a whole number of float64 values');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(bytes.length / 8);
  for (let i = 0; i < out.length; i++) {
    const x = view.getFloat64(i * 8, true);
    if (!Number.isFinite(x) || (nonNegative && x < 0)) {
      bad(nonNegative ? 'finite values >= 0' : 'finite values', x);
    }
    out[i] = x;
  }
  return out;
}

/**
 * Parses a snapshot with a zod schema.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER naming `state.<path>`
 */
export function parseState<T>(fn: string, schema: z.ZodType<T>, state: unknown): T {
  const parsed = schema.safeParse(state);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  let value: unknown = state;
  for (const key of issue.path)
    value = (value as Record<PropertyKey, unknown> | undefined)?.[key as PropertyKey];
  const path = issue.path.map(String).join('.');
  throw new InvalidParameterError({
    fn,
    param: path ? `state.${path}` : 'state',
    value,
    allowed: issue.message,
  });
}
