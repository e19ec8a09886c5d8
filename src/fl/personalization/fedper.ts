/**
 * FedPer-style personalisation (Arivazhagan, Aggarwal, Singh & Choudhary 2019, "Federated learning with
 * personalization layers", arXiv:1912.00818): the base layers are federated, the last (personalisation)
 * layers stay on each node. Over a flat parameter vector this is a mask: 1 where a parameter is shared, 0
 * where it is local. The node merges the received global parameters into its own model through the mask and
 * zeroes the local part of its update before sending (TrainConfig.local_layers lists the local layers).
 */
import { assertInteger, InvalidParameterError } from '../../core/index.js';

/**
 * The shared/local mask over the flat parameter vector: `paramSizes[l]` is layer l's parameter count (in
 * the model's flat order), `localLayerIndices` the layers kept local.
 *
 * @returns a Uint8Array of length sum(paramSizes): 1 = shared (federated), 0 = local
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for negative sizes, an index outside the layers, or a
 *   repeated index
 * @example
 * sharedMask([6, 2, 3], [2]); // Uint8Array [1,1,1,1,1,1,1,1,0,0,0]
 */
export function sharedMask(paramSizes: readonly number[], localLayerIndices: readonly number[]): Uint8Array {
  const fn = 'sharedMask';
  if (!Array.isArray(paramSizes) || paramSizes.length === 0) {
    throw new InvalidParameterError({
      fn,
      param: 'paramSizes',
      value: paramSizes,
      allowed: 'a non-empty array',
    });
  }
  if (!Array.isArray(localLayerIndices)) {
    throw new InvalidParameterError({
      fn,
      param: 'localLayerIndices',
      value: localLayerIndices,
      allowed: 'an array of layer indices',
    });
  }
  paramSizes.forEach((s, l) => assertInteger(fn, `paramSizes[${l}]`, s, 0));
  const local = new Set<number>();
  localLayerIndices.forEach((l, i) => {
    assertInteger(fn, `localLayerIndices[${i}]`, l, 0, paramSizes.length - 1);
    if (local.has(l)) {
      throw new InvalidParameterError({
        fn,
        param: `localLayerIndices[${i}]`,
        value: l,
        allowed: 'each layer index at most once',
      });
    }
    local.add(l);
  });
  const mask = new Uint8Array(paramSizes.reduce((a, b) => a + b, 0));
  let offset = 0;
  paramSizes.forEach((size, l) => {
    if (!local.has(l)) mask.fill(1, offset, offset + size);
    offset += size;
  });
  return mask;
}

function checkMasked(fn: string, mask: unknown, vectors: Record<string, unknown>): void {
  if (!(mask instanceof Uint8Array)) {
    throw new InvalidParameterError({
      fn,
      param: 'mask',
      value: mask,
      allowed: 'a Uint8Array from sharedMask',
    });
  }
  for (const [param, v] of Object.entries(vectors)) {
    if (!(v instanceof Float32Array) || v.length !== mask.length) {
      throw new InvalidParameterError({
        fn,
        param,
        value: v,
        allowed: `a Float32Array of the mask's length ${mask.length}`,
      });
    }
  }
}

/**
 * The node's model after a round: global values where the mask is 1 (shared), its own where it is 0 (local).
 * @returns a new vector; the inputs are not modified
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for mismatched lengths
 */
export function mergeGlobalIntoLocal(
  local: Float32Array,
  global: Float32Array,
  mask: Uint8Array,
): Float32Array {
  checkMasked('mergeGlobalIntoLocal', mask, { local, global });
  const out = new Float32Array(local.length);
  for (let i = 0; i < out.length; i++) out[i] = mask[i] ? global[i]! : local[i]!;
  return out;
}

/**
 * The update with its local coordinates zeroed, so that only shared parameters reach the server (and the
 * global copy of the local layers never moves).
 * @returns a new vector
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for mismatched lengths
 */
export function maskLocal(delta: Float32Array, mask: Uint8Array): Float32Array {
  checkMasked('maskLocal', mask, { delta });
  const out = new Float32Array(delta.length);
  for (let i = 0; i < out.length; i++) out[i] = mask[i] ? delta[i]! : 0;
  return out;
}
