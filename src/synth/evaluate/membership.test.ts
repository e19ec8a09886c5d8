import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { expectInvalidParameter } from '../_testing.js';
import { table, uniformTable } from './_tables.js';
import { dpAucBound, dpTprBound, membershipInference } from './membership.js';

const SIZES = [4, 3, 5, 2, 6, 3];

describe('membershipInference', () => {
  it('has AUC about 0.5 when the synthetic rows are independent of the members', () => {
    const rng = seededRng(21);
    const members = uniformTable(SIZES, 600, rng);
    const nonMembers = uniformTable(SIZES, 600, rng);
    const synthetic = uniformTable(SIZES, 600, rng);
    const r = membershipInference(members, nonMembers, synthetic, seededRng(1), { samples: 500 });
    expect(r.members).toBe(500);
    expect(Math.abs(r.auc! - 0.5)).toBeLessThan(0.06);
    expect(r.privacy).toBeNull();
    expect(r.withinBound).toBeNull();
  });

  it('finds the members when the synthetic rows are copies of them, beyond the DP bound of epsilon 1', () => {
    const rng = seededRng(22);
    const sizes = [8, 6, 10, 4, 12, 6]; // 138,240 cells: held-out rows rarely equal a member
    const members = uniformTable(sizes, 400, rng);
    const nonMembers = uniformTable(sizes, 400, rng);
    const r = membershipInference(members, nonMembers, members, seededRng(1), {
      privacy: { epsilon: 1, delta: 1e-6 },
    });
    expect(r.auc).toBeGreaterThan(0.95);
    expect(r.tprAt[1]!.tpr).toBeGreaterThan(r.tprAt[1]!.bound!);
    expect(r.withinBound).toBe(false);
  });

  it('is deterministic given the seed, and refuses bad input', () => {
    const members = table(
      [2, 2],
      [
        [0, 0],
        [1, 1],
        [0, 1],
      ],
    );
    const others = table(
      [2, 2],
      [
        [1, 0],
        [1, 1],
      ],
    );
    const a = membershipInference(members, others, members, seededRng(5));
    expect(a).toEqual(membershipInference(members, others, members, seededRng(5)));
    expect(a.members).toBe(2);
    expectInvalidParameter(
      () => membershipInference(members, others, members, seededRng(5), { samples: 0 }),
      'membershipInference',
      'samples',
    );
    expectInvalidParameter(
      () =>
        membershipInference(members, others, members, seededRng(5), { privacy: { epsilon: -1, delta: 0 } }),
      'membershipInference',
      'epsilon',
    );
  });
});

describe('the DP bound on membership tests', () => {
  it('is e^eps fpr + delta for small fpr, and 1 - e^-eps (1 - delta - fpr) for large fpr', () => {
    expect(dpTprBound(1, 1e-6, 0.01)).toBeCloseTo(Math.E * 0.01 + 1e-6, 12);
    expect(dpTprBound(1, 0, 0.9)).toBeCloseTo(1 - 0.1 / Math.E, 12);
    expect(dpTprBound(0, 0, 0.3)).toBeCloseTo(0.3, 15);
    expect(dpTprBound(5, 0, 0.5)).toBeLessThanOrEqual(1);
  });

  it('bounds the AUC by e^eps/(1 + e^eps) at delta 0, 0.5 at epsilon 0, and 1 at epsilon infinity', () => {
    expect(dpAucBound(1, 0)).toBeCloseTo(Math.E / (1 + Math.E), 12);
    expect(dpAucBound(0, 0)).toBeCloseTo(0.5, 12);
    expect(dpAucBound(Number.POSITIVE_INFINITY, 0)).toBe(1);
    // against a numerical integral of the bound
    let area = 0;
    const steps = 100000;
    for (let i = 0; i < steps; i++) area += dpTprBound(2, 0.01, (i + 0.5) / steps) / steps;
    expect(dpAucBound(2, 0.01)).toBeCloseTo(area, 6);
  });
});
