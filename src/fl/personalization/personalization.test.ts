import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { expectInvalidParameter } from '../validation/_testing.js';
import { proximalGradient, proximalPenalty } from './ditto.js';
import { maskLocal, mergeGlobalIntoLocal, sharedMask } from './fedper.js';

describe('FedPer mask', () => {
  it('marks the local layers 0 and the shared layers 1, in flat order', () => {
    expect(Array.from(sharedMask([3, 2, 0, 2], [1]))).toEqual([1, 1, 1, 0, 0, 1, 1]);
    expect(Array.from(sharedMask([2, 2], []))).toEqual([1, 1, 1, 1]);
    expect(Array.from(sharedMask([2, 2], [0, 1]))).toEqual([0, 0, 0, 0]);
  });

  it('merges the global model into the shared part only, and zeroes the local part of an update', () => {
    const mask = sharedMask([2, 1], [1]);
    const local = new Float32Array([1, 2, 3]);
    const global = new Float32Array([10, 20, 30]);
    expect(Array.from(mergeGlobalIntoLocal(local, global, mask))).toEqual([10, 20, 3]);
    expect(Array.from(local)).toEqual([1, 2, 3]);
    expect(Array.from(maskLocal(new Float32Array([5, 6, 7]), mask))).toEqual([5, 6, 0]);
  });

  test.prop([
    fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 6 }),
    fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
  ])('merging takes every coordinate from exactly one side', (sizes, isLocal) => {
    const localLayers = sizes.map((_, l) => l).filter((l) => isLocal[l]);
    const mask = sharedMask(sizes, localLayers);
    const n = mask.length;
    const local = Float32Array.from({ length: n }, (_, i) => -1 - i);
    const global = Float32Array.from({ length: n }, (_, i) => 1 + i);
    const merged = mergeGlobalIntoLocal(local, global, mask);
    let offset = 0;
    sizes.forEach((size, l) => {
      for (let i = offset; i < offset + size; i++) expect(merged[i]).toBe(isLocal[l] ? local[i] : global[i]);
      offset += size;
    });
    // merging the merged model again with the same global changes nothing
    expect(mergeGlobalIntoLocal(merged, global, mask)).toEqual(merged);
  });

  it('refuses bad layer lists and mismatched vectors', () => {
    expectInvalidParameter(() => sharedMask([], []), 'sharedMask', 'paramSizes');
    expectInvalidParameter(() => sharedMask([2, -1], []), 'sharedMask', 'paramSizes[1]');
    expectInvalidParameter(() => sharedMask([2, 2], [2]), 'sharedMask', 'localLayerIndices[0]');
    expectInvalidParameter(() => sharedMask([2, 2], [1, 1]), 'sharedMask', 'localLayerIndices[1]');
    const mask = sharedMask([2], []);
    expectInvalidParameter(
      () => mergeGlobalIntoLocal(new Float32Array(2), new Float32Array(3), mask),
      'mergeGlobalIntoLocal',
      'global',
    );
    expectInvalidParameter(
      () => maskLocal(new Float32Array(2), [1, 1] as unknown as Uint8Array),
      'maskLocal',
      'mask',
    );
  });
});

describe('Ditto proximal term', () => {
  it('adds lambda (w - anchor) to the gradient and reports lambda/2 ||w - anchor||^2', () => {
    const grad = new Float32Array([1, 1]);
    const out = proximalGradient(new Float32Array([3, 0]), new Float32Array([1, 2]), 0.5, grad);
    expect(out).toBe(grad);
    expect(Array.from(grad)).toEqual([2, 0]);
    expect(proximalPenalty(new Float32Array([3, 0]), new Float32Array([1, 2]), 0.5)).toBe(2);
    expect(
      Array.from(proximalGradient(new Float32Array([3]), new Float32Array([1]), 0, new Float32Array([7]))),
    ).toEqual([7]);
  });

  test.prop([
    fc.array(fc.float({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 10 }),
    fc.array(fc.float({ min: -10, max: 10, noNaN: true }), { minLength: 10, maxLength: 10 }),
    fc.double({ min: 0, max: 5, noNaN: true }),
  ])('equals lambda (w - anchor) coordinate by coordinate', (wRaw, aRaw, lambda) => {
    const w = Float32Array.from(wRaw);
    const anchor = Float32Array.from(aRaw.slice(0, w.length));
    const grad = proximalGradient(w, anchor, lambda, new Float32Array(w.length));
    for (let i = 0; i < w.length; i++) {
      expect(grad[i]).toBeCloseTo(Math.fround(lambda * (w[i]! - anchor[i]!)), 3);
    }
    expect(proximalPenalty(w, w, lambda)).toBe(0);
  });

  it('refuses mismatched vectors and lambda < 0', () => {
    const v = new Float32Array(2);
    expectInvalidParameter(
      () => proximalGradient(v, new Float32Array(3), 1, v),
      'proximalGradient',
      'anchor',
    );
    expectInvalidParameter(() => proximalGradient(v, v, 1, new Float32Array(1)), 'proximalGradient', 'out');
    expectInvalidParameter(() => proximalGradient(v, v, -1, v), 'proximalGradient', 'lambda');
    expectInvalidParameter(() => proximalPenalty(v, v, Number.NaN), 'proximalPenalty', 'lambda');
  });
});
