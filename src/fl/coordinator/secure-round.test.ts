import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../core/index.js';
import { neighbourhoodSize, thresholdProblem } from '../../secagg/index.js';
import { SecureRound } from './secure-round.js';

const round = (n: number, thresholdFraction?: number, protocol: 'secagg' | 'secagg+' = 'secagg') =>
  new SecureRound({
    round: 1,
    session: 'test-session',
    spec: { protocol, clipNorm: 1, ...(thresholdFraction === undefined ? {} : { thresholdFraction }) },
    participants: new Map(Array.from({ length: n }, (_, i) => [`node-${i}`, new Uint8Array(32)] as const)),
    dimension: 4,
  });

describe('SecureRound thresholds (nodes refuse a non-majority threshold)', () => {
  it('raises a fraction at or below one half to a strict majority, so honest nodes never refuse the round', () => {
    for (const n of [3, 4, 5, 10, 11, 40]) {
      for (const f of [0.1, 0.5, 2 / 3, 1]) {
        const r = round(n, f);
        expect(r.threshold).toBeGreaterThan(n / 2);
        expect(r.threshold).toBeGreaterThanOrEqual(Math.min(n, Math.ceil(f * n)));
        expect(thresholdProblem(r.threshold, n)).toBeNull();
      }
    }
  });

  it('SecAgg+ thresholds are a majority of each neighbourhood', () => {
    for (const n of [20, 100, 400]) {
      const r = round(n, undefined, 'secagg+');
      expect(thresholdProblem(r.threshold, neighbourhoodSize(n, r.graph))).toBeNull();
    }
  });

  it('refuses fewer than 3 selected nodes (with two, the sum reveals each update to the other)', () => {
    expect(() => round(2)).toThrow(ProtocolError);
    expect(() => round(2)).toThrow(/at least 3 selected nodes/);
  });
});
