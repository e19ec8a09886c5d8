import { describe, expect, it } from 'vitest';
import type { ServerDpStrategy } from '../strategies/index.js';
import { buildStrategy, parseFederation } from './federation.js';

describe('buildStrategy: the central-DP event follows the node selection', () => {
  const strategy = (selection: object) =>
    buildStrategy(
      parseFederation({
        population: 10,
        selection,
        centralDp: { noiseMultiplier: 1, clipping: { kind: 'fixed', clipNorm: 1 } },
      }),
    ) as ServerDpStrategy;

  it('every node in every round: sensitivity S', () => {
    expect(strategy({ kind: 'fraction', fraction: 1 }).roundEvent).toEqual({
      kind: 'gaussian',
      sigma: 1,
      l2Sensitivity: 1,
    });
  });

  it('a fraction < 1 or weighted draws (a fixed number of slots): sensitivity 2S', () => {
    // Review finding: these recorded S, undercounting epsilon (removing one node lets another take its slot).
    expect(strategy({ kind: 'fraction', fraction: 0.5 }).roundEvent).toMatchObject({ l2Sensitivity: 2 });
    expect(strategy({ kind: 'weighted', count: 3 }).roundEvent).toMatchObject({ l2Sensitivity: 2 });
  });

  it('Poisson selection: the amplified event with sensitivity S', () => {
    expect(strategy({ kind: 'poisson', rate: 0.3 }).roundEvent).toMatchObject({
      kind: 'poisson-sampled',
      sampleRate: 0.3,
      event: { l2Sensitivity: 1 },
    });
  });
});
