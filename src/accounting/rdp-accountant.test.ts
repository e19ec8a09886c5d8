import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { VeilError } from '../core/index.js';
import {
  composedEvent,
  dpSgdEvent,
  gaussianEvent,
  laplaceEvent,
  type PrivacyEvent,
  poissonSampledEvent,
} from './events.js';
import { RdpAccountant } from './rdp-accountant.js';

const sgd = (sampleRate: number, noiseMultiplier: number, steps: number) =>
  dpSgdEvent({ sampleRate, noiseMultiplier, steps });
const eps = (event: PrivacyEvent, delta = 1e-5) => new RdpAccountant().compose(event).epsilon({ delta });

describe('RdpAccountant', () => {
  it('gives the TensorFlow Privacy MNIST schedule about 2.597 (dp_accounting: 2.5966)', () => {
    const { epsilon, order } = new RdpAccountant()
      .compose(sgd(256 / 60000, 1.1, 14063))
      .epsilonAndOrder({ delta: 1e-5 });
    expect(epsilon).toBeGreaterThan(2.59);
    expect(epsilon).toBeLessThan(2.6);
    expect(order).toBeGreaterThan(1);
  });

  it('composes additively: times = k equals k separate compositions', () => {
    const e = poissonSampledEvent(0.01, gaussianEvent({ sigma: 1 }));
    const a = new RdpAccountant().compose(e, { times: 3 });
    const b = new RdpAccountant().compose(e).compose(e).compose(e);
    expect(a.curve().rdp).toEqual(b.curve().rdp);
    expect(a.events).toHaveLength(1);
    expect(b.events).toHaveLength(3);
  });

  it('composes heterogeneous events in any order', () => {
    const x = sgd(0.01, 1, 100);
    const y = laplaceEvent({ scale: 10 });
    const a = new RdpAccountant().compose(x).compose(y).epsilon({ delta: 1e-6 });
    const b = new RdpAccountant().compose(composedEvent([y, x])).epsilon({ delta: 1e-6 });
    expect(a).toBeCloseTo(b, 12);
  });

  it('sensitivity enters as sigma / sensitivity', () => {
    expect(eps(gaussianEvent({ sigma: 2, l2Sensitivity: 2 }))).toBeCloseTo(
      eps(gaussianEvent({ sigma: 1 })),
      12,
    );
  });

  it('a single Laplace release costs exactly its epsilon (basic composition beats the conversion)', () => {
    expect(eps(laplaceEvent({ scale: 2 }))).toBe(0.5);
    expect(new RdpAccountant().compose(laplaceEvent({ scale: 2 })).delta({ epsilon: 0.5 })).toBe(0);
  });

  it('counts many Laplace releases tighter than basic composition', () => {
    const many = new RdpAccountant()
      .compose(laplaceEvent({ scale: 10 }), { times: 1000 })
      .epsilon({ delta: 1e-6 });
    expect(many).toBeLessThan(100 * 0.5);
  });

  it('non-private events make epsilon infinite; no-op events cost nothing', () => {
    expect(eps({ kind: 'non-private' })).toBe(Number.POSITIVE_INFINITY);
    expect(eps({ kind: 'no-op' })).toBe(0);
  });

  it('sets aside the delta of approx-DP events', () => {
    const acc = new RdpAccountant().compose({ kind: 'approx-dp', epsilon: 0.5, delta: 1e-6 }, { times: 10 });
    expect(acc.extraDelta).toBeCloseTo(1 - (1 - 1e-6) ** 10, 15);
    expect(acc.epsilon({ delta: 5e-6 })).toBe(Number.POSITIVE_INFINITY);
    expect(acc.epsilon({ delta: 2e-5 })).toBeLessThanOrEqual(5);
    expect(acc.delta({ epsilon: 5 })).toBeCloseTo(1e-5, 12);
  });

  it('refuses an unsupported event and changes nothing', () => {
    const acc = new RdpAccountant().compose(sgd(0.01, 1, 10));
    const before = acc.curve().rdp;
    const bad = poissonSampledEvent(0.1, laplaceEvent({ scale: 1 }));
    expect(acc.supports(bad)).toBe(false);
    expect(() => acc.compose(bad)).toThrow(expect.objectContaining({ code: 'VEIL_UNSUPPORTED' }));
    expect(() => acc.compose(composedEvent([gaussianEvent({ sigma: 1 }), bad]))).toThrow(/PLD accountant/);
    expect(acc.curve().rdp).toEqual(before);
    expect(acc.events).toHaveLength(1);
  });

  it('refuses malformed events and arguments with VEIL_INVALID_PARAMETER', () => {
    const acc = new RdpAccountant();
    const bad = { kind: 'gaussian', sigma: -1, l2Sensitivity: 1 } as PrivacyEvent;
    expect(() => acc.compose(bad)).toThrow(/RdpAccountant.compose: event.sigma must be/);
    expect(() => acc.compose(gaussianEvent({ sigma: 1 }), { times: -1 })).toThrow(
      /times must be an integer >= 0/,
    );
    expect(() => acc.epsilon({ delta: 0 })).toThrow(/delta must be a number in \(0, 1\)/);
    expect(() => acc.epsilon({ delta: 1 })).toThrow(VeilError);
    expect(() => acc.delta({ epsilon: -1 })).toThrow(/epsilon must be a finite number >= 0/);
    expect(() => new RdpAccountant({ orders: [1] })).toThrow(/orders\[0\] must be a finite number > 1/);
    expect(() => new RdpAccountant({ orders: [] })).toThrow(/non-empty/);
  });

  it('delta and epsilon are consistent', () => {
    const acc = new RdpAccountant().compose(sgd(0.02, 1.2, 500));
    const e = acc.epsilon({ delta: 1e-5 });
    expect(acc.delta({ epsilon: e })).toBeLessThanOrEqual(1e-5 * (1 + 1e-9));
    expect(acc.delta({ epsilon: e * 0.9 })).toBeGreaterThan(1e-5);
  });

  describe('properties', () => {
    const q = fc.double({ min: 1e-3, max: 1, noNaN: true });
    const s = fc.double({ min: 0.5, max: 5, noNaN: true });
    const t = fc.integer({ min: 1, max: 20_000 });
    const delta = fc.constantFrom(1e-5, 1e-6);

    test.prop([q, s, t, delta], { numRuns: 40 })(
      'epsilon grows with the number of steps',
      (qq, ss, tt, d) => {
        expect(eps(sgd(qq, ss, tt + 1 + Math.floor(tt / 10)), d)).toBeGreaterThanOrEqual(
          eps(sgd(qq, ss, tt), d),
        );
      },
    );

    test.prop([q, s, t, delta], { numRuns: 40 })('epsilon grows with the sampling rate', (qq, ss, tt, d) => {
      expect(eps(sgd(Math.min(1, qq * 1.2), ss, tt), d)).toBeGreaterThanOrEqual(
        eps(sgd(qq, ss, tt), d) * (1 - 1e-12),
      );
    });

    test.prop([q, s, t, delta], { numRuns: 40 })('epsilon falls as the noise grows', (qq, ss, tt, d) => {
      expect(eps(sgd(qq, ss * 1.2, tt), d)).toBeLessThanOrEqual(eps(sgd(qq, ss, tt), d) * (1 + 1e-12));
    });

    test.prop([q, s, t], { numRuns: 30 })('epsilon falls as delta grows', (qq, ss, tt) => {
      expect(eps(sgd(qq, ss, tt), 1e-4)).toBeLessThanOrEqual(eps(sgd(qq, ss, tt), 1e-7));
    });
  });
});
