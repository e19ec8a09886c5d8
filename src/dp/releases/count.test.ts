import { describe, expect, it } from 'vitest';
import { csprng, seededRng } from '../../core/index.js';
import { expectInvalidParameter } from '../testing/errors.js';
import { privateCount } from './count.js';

const fn = 'privateCount';

describe('privateCount', () => {
  it('has sensitivity 1 under add/remove-one: discrete Laplace of scale 1/epsilon', () => {
    const count = privateCount({ noise: { kind: 'laplace', epsilon: 0.5 } });
    expect(count.event).toEqual({ kind: 'discrete-laplace', scale: 2, l1Sensitivity: 1 });
    const gaussian = privateCount({ noise: { kind: 'gaussian', rho: 0.5 } });
    expect(gaussian.event).toMatchObject({ kind: 'discrete-gaussian', l2Sensitivity: 1, dimension: 1 });
  });

  it('counts records or takes a count, and returns an integer', () => {
    const count = privateCount({ noise: { kind: 'laplace', epsilon: 100 } });
    expect(count.release(new Array(37).fill('x'), seededRng(1)).value).toBe(37); // scale 0.01: noise 0 w.p. ~1
    expect(Number.isSafeInteger(count.release(1000, seededRng(2)).value)).toBe(true);
  });

  it('marks seeded releases not private with a non-private event, and CSPRNG releases private', () => {
    const count = privateCount({ noise: { kind: 'laplace', epsilon: 1 } });
    const seeded = count.release([1, 2, 3], seededRng(3));
    expect(seeded.private).toBe(false);
    expect(seeded.event.kind).toBe('non-private');
    const real = count.release([1, 2, 3], csprng());
    expect(real.private).toBe(true);
    expect(real.event).toBe(count.event);
    expect(Object.isFrozen(real)).toBe(true);
    expect(count.release([1]).private).toBe(true); // default rng is the CSPRNG
  });

  it('refuses bad counts and bad noise', () => {
    const count = privateCount({ noise: { kind: 'laplace', epsilon: 1 } });
    expectInvalidParameter(() => count.release(-1), fn, 'records');
    expectInvalidParameter(() => count.release(2.5), fn, 'records');
    expectInvalidParameter(() => count.release(null as never), fn, 'records');
    expectInvalidParameter(
      () => privateCount({ noise: { kind: 'laplace', epsilon: -2 } }),
      fn,
      'noise.epsilon',
    );
  });
});
