/**
 * Breakdown behaviour: 20 updates around an honest mean, 4 of them (20%) replaced by an attack. The robust
 * aggregators stay near the honest mean; the plain mean does not.
 */
import { describe, expect, it } from 'vitest';
import { type Rng, seededRng } from '../../core/index.js';
import { distance, honestUpdates, plainMean } from '../validation/_testing.js';
import type { ClientUpdate } from '../validation/validate-update.js';
import { combineUpdates } from './aggregate.js';
import type { AggregatorSpec } from './types.js';

const D = 50;
const N = 20;
const F = 4;

type Attack = (honest: ClientUpdate, rng: Rng) => Float32Array;

const attacks: Record<string, Attack> = {
  'sign-flipped x10': (h) => h.delta.map((x) => -10 * x),
  huge: () => new Float32Array(D).fill(1e5),
  random: (_, rng) => {
    const v = new Float32Array(D);
    rng.fillNormal(v, 100);
    return v;
  },
};

const robust: Record<string, AggregatorSpec> = {
  median: { kind: 'median' },
  'trimmed mean (beta 0.25)': { kind: 'trimmed-mean', beta: 0.25 },
  'krum (f 4)': { kind: 'krum', byzantine: F },
  'multi-krum (f 4, m 16)': { kind: 'krum', byzantine: F, selected: N - F },
  'geometric median': { kind: 'geometric-median', maxIterations: 50 },
};

function scenario(attack: Attack, seed: number) {
  const rng = seededRng(seed);
  const centre = new Float32Array(D).fill(1);
  const honest = honestUpdates(N, centre, 0.3, rng);
  const updates = honest.map((u, k) =>
    k % (N / F) === 0 ? { nodeId: `byzantine-${k}`, delta: attack(u, rng), numExamples: u.numExamples } : u,
  );
  const honestMean = plainMean(updates.filter((u) => u.nodeId.startsWith('honest')));
  return { updates, honestMean, scale: Math.sqrt(D) };
}

describe('robust aggregators under 20% Byzantine updates', () => {
  for (const [attackName, attack] of Object.entries(attacks)) {
    it(`the plain mean breaks under ${attackName}`, () => {
      const { updates, honestMean, scale } = scenario(attack, 1);
      const mean = combineUpdates(updates, { kind: 'mean' }).delta;
      expect(distance(mean, honestMean)).toBeGreaterThan(scale);
    });

    for (const [name, spec] of Object.entries(robust)) {
      it(`${name} stays near the honest mean under ${attackName}`, () => {
        const { updates, honestMean, scale } = scenario(attack, 2);
        const out = combineUpdates(updates, spec);
        // honest noise is 0.3 per coordinate: the error stays a fraction of the honest mean's norm
        expect(distance(out.delta, honestMean)).toBeLessThan(0.35 * scale);
        if (spec.kind === 'krum') {
          expect(out.used.every((id) => id.startsWith('honest'))).toBe(true);
        }
      });
    }
  }
});
