import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { expectInvalidParameter, update } from './_testing.js';
import { type ClientUpdate, screenUpdates, type UpdateCheck, validateUpdate } from './validate-update.js';

const check = { length: 3, maxNorm: 100 };

function reasonOf(u: ClientUpdate, c: UpdateCheck = check): string {
  const v = validateUpdate(u, c);
  if (v.ok) throw new Error('expected a rejection');
  return v.reason;
}

describe('validateUpdate', () => {
  it('accepts a well-formed update and returns its norm', () => {
    expect(validateUpdate(update('a', [3, 4, 0], 7), check)).toEqual({ ok: true, norm: 5 });
  });

  it('names the first NaN or infinite coordinate', () => {
    expect(reasonOf(update('a', [1, Number.NaN, Number.POSITIVE_INFINITY]))).toBe(
      'non-finite value NaN at index 1',
    );
    expect(reasonOf(update('a', [1, 2, Number.NEGATIVE_INFINITY]))).toBe(
      'non-finite value -Infinity at index 2',
    );
    const v = validateUpdate(update('a', [Number.POSITIVE_INFINITY, 0, 0]), check);
    expect(v).toMatchObject({ ok: false, problem: 'non-finite' });
  });

  it('refuses the wrong shape', () => {
    expect(reasonOf(update('a', [1, 2]))).toBe('wrong length: expected 3 parameters, got 2');
    const asArray = { nodeId: 'a', delta: [1, 2, 3], numExamples: 1 } as unknown as ClientUpdate;
    expect(validateUpdate(asArray, check)).toMatchObject({ ok: false, problem: 'not-float32' });
    const f64 = { nodeId: 'a', delta: new Float64Array(3), numExamples: 1 } as unknown as ClientUpdate;
    expect(validateUpdate(f64, check)).toMatchObject({ ok: false, problem: 'not-float32' });
  });

  it('refuses an absurd norm', () => {
    const reason = reasonOf(update('a', [100, 100, 0]));
    expect(reason).toMatch(/^absurd norm: L2 norm 141\.421 exceeds the maximum 100$/);
    expect(validateUpdate(update('a', [100, 100, 0]), { length: 3 })).toMatchObject({ ok: true });
  });

  it('refuses example counts that are not positive safe integers', () => {
    for (const n of [0, -1, 1.5, Number.NaN, 2 ** 53, '3']) {
      const u = { nodeId: 'a', delta: new Float32Array(3), numExamples: n } as unknown as ClientUpdate;
      expect(reasonOf(u)).toBe(`numExamples must be a positive safe integer, got ${String(n)}`);
    }
  });

  it('refuses a missing node id', () => {
    expect(validateUpdate(update('', [0, 0, 0]), check)).toMatchObject({ ok: false, problem: 'bad-node-id' });
    expect(validateUpdate(null as unknown as ClientUpdate, check)).toMatchObject({ ok: false });
  });

  it('refuses bad options', () => {
    expectInvalidParameter(() => validateUpdate(update('a', [0]), { length: 0 }), 'validateUpdate', 'length');
    expectInvalidParameter(
      () => validateUpdate(update('a', [0]), { length: 1, maxNorm: 0 }),
      'validateUpdate',
      'maxNorm',
    );
  });

  test.prop([
    fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -10, max: 10 }), {
      minLength: 1,
      maxLength: 30,
    }),
    fc.nat(),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  ])('accepts finite vectors and names the first poisoned index', (values, at, poison) => {
    const c = { length: values.length };
    expect(validateUpdate(update('a', values), c).ok).toBe(true);
    const index = at % values.length;
    const bad = Float32Array.from(values);
    bad[index] = poison;
    expect(reasonOf({ nodeId: 'a', delta: bad, numExamples: 1 }, c)).toBe(
      `non-finite value ${poison} at index ${index}`,
    );
  });
});

describe('screenUpdates', () => {
  it('keeps valid updates in order, rejects the rest with reasons, counts a node once', () => {
    const updates = [
      update('a', [1, 0, 0]),
      update('b', [Number.NaN, 0, 0]),
      update('c', [0, 1, 0]),
      update('a', [0, 0, 1]),
      update('d', [1, 1]),
    ];
    const { accepted, rejected } = screenUpdates(updates, check);
    expect(accepted.map((u) => [u.nodeId, u.norm])).toEqual([
      ['a', 1],
      ['c', 1],
    ]);
    expect(rejected).toEqual([
      { nodeId: 'b', reason: 'non-finite value NaN at index 0' },
      { nodeId: 'a', reason: 'duplicate: a second update from the same node in this round' },
      { nodeId: 'd', reason: 'wrong length: expected 3 parameters, got 2' },
    ]);
  });

  it('never throws for junk entries', () => {
    const junk = [null, 5, { nodeId: 7 }] as unknown as ClientUpdate[];
    const { accepted, rejected } = screenUpdates(junk, check);
    expect(accepted).toEqual([]);
    expect(rejected).toHaveLength(3);
  });

  it('refuses a non-array', () => {
    expectInvalidParameter(
      () => screenUpdates(null as unknown as ClientUpdate[], check),
      'screenUpdates',
      'updates',
    );
  });
});
