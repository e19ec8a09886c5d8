import { describe, expect, it } from 'vitest';
import { runVeil } from '../testing.js';

interface DemoSummary {
  private: boolean;
  seed?: number;
  delta: number;
  hospitals: Array<{
    name: string;
    records: number;
    statistics: Array<{ statistic: string; truth: number; released: number; epsilon: number }>;
    epsilon: { rdp: number; pld: number; basicComposition: number };
    epsilonDailyForAYear: { rdp: number; pld: number; basicComposition: number };
  }>;
  combined: Record<string, { truth: number; released: number }>;
  dpSgdPlan: {
    noiseMultiplierRdp: number;
    noiseMultiplierPld: number;
    targetEpsilon: number;
    epsilonAtRdpNoise: { rdp: number; pld: number };
  };
}

describe('veil demo', () => {
  it('prints one JSON summary; a seeded run is reproducible and marked not private', async () => {
    const a = await runVeil('demo', '--seed', '7', '--json');
    expect(a.code).toBe(0);
    const s = a.json() as unknown as DemoSummary;
    expect(s.private).toBe(false);
    expect(s.seed).toBe(7);
    const b = await runVeil('demo', '--seed', '7', '--json');
    expect(b.json()).toEqual(a.json());
    expect(a.stderr).toMatch(/\[1\/3\] city-clinic/);
  });

  it('is private by default, and its numbers are plausible releases of the truth', async () => {
    const run = await runVeil('demo', '--json');
    const s = run.json() as unknown as DemoSummary;
    expect(s.private).toBe(true);
    expect(s.hospitals).toHaveLength(3);
    for (const h of s.hospitals) {
      const count = h.statistics.find((x) => x.statistic === 'patients')!;
      expect(count.truth).toBe(h.records);
      // discrete Laplace with epsilon 0.1: |noise| > 200 has probability ~2e-9
      expect(Math.abs(count.released - count.truth)).toBeLessThan(200);
      // accountants never charge more than plain summation, and repetition is where they pay off
      expect(h.epsilon.rdp).toBeLessThanOrEqual(h.epsilon.basicComposition + 1e-9);
      expect(h.epsilon.pld).toBeLessThanOrEqual(h.epsilon.basicComposition + 1e-9);
      expect(h.epsilonDailyForAYear.pld).toBeLessThan(h.epsilonDailyForAYear.basicComposition / 3);
    }
    expect(s.combined['patients']!.truth).toBe(3000);
    const plan = s.dpSgdPlan;
    expect(plan.epsilonAtRdpNoise.rdp).toBeLessThanOrEqual(plan.targetEpsilon);
    expect(plan.noiseMultiplierPld).toBeLessThan(plan.noiseMultiplierRdp);
  });

  it('prints readable text without --json', async () => {
    const run = await runVeil('demo', '--seed', '1');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/NOT private/);
    expect(run.stdout).toMatch(/privacy bill at delta/);
  });
});
