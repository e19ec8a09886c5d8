import { describe, expect, it } from 'vitest';
import { modelPrivacy } from './fl-summary.js';

type Node = Parameters<typeof modelPrivacy>[0]['nodes'][number];
const node = (id: string, localEpsilon: number, roundsParticipated = 3): Node =>
  ({ id, localEpsilon, roundsParticipated }) as Node;

describe('modelPrivacy (the saved model\'s "private" flag)', () => {
  it('is false when one contributing node used no local DP and there is no central DP', () => {
    // Review finding: some(localEpsilon > 0) labelled this model private.
    const p = modelPrivacy({ central: null, nodes: [node('a', 1.2), node('b', 0)] }, false);
    expect(p.private).toBe(false);
    expect(p.reason).toContain('b');
    expect(p.weakestLocalEpsilon).toBeNull();
  });

  it('is true when every contributing node used local DP, reporting the weakest (largest) epsilon', () => {
    const p = modelPrivacy(
      { central: null, nodes: [node('a', 1.2), node('b', 3.5), node('c', 0, 0)] },
      false,
    );
    expect(p.private).toBe(true);
    expect(p.weakestLocalEpsilon).toBe(3.5);
  });

  it('is true under central DP, false for a seeded run or when nobody contributed', () => {
    const central = { epsilonRdp: 2, epsilonPld: 1.9, delta: 1e-5 } as never;
    expect(modelPrivacy({ central, nodes: [node('a', 0)] }, false).private).toBe(true);
    expect(modelPrivacy({ central, nodes: [node('a', 1)] }, true).private).toBe(false);
    expect(modelPrivacy({ central: null, nodes: [node('a', 1, 0)] }, false).private).toBe(false);
  });
});
