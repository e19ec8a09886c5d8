/**
 * Test fixtures for the graphical model: a small chain-structured distribution with known marginals.
 */
import { synthDomain } from '../../domain.js';
import { Factor } from '../factor.js';

/** A chain a → b → c → d with sizes 2, 3, 4, 2 and fixed, uneven conditional tables. */
export function chainJoint(): Factor {
  const pa = [0.3, 0.7];
  const pb = [
    [0.6, 0.3, 0.1],
    [0.2, 0.2, 0.6],
  ];
  const pc = [
    [0.1, 0.2, 0.3, 0.4],
    [0.5, 0.25, 0.15, 0.1],
    [0.05, 0.05, 0.6, 0.3],
  ];
  const pd = [
    [0.9, 0.1],
    [0.4, 0.6],
    [0.2, 0.8],
    [0.55, 0.45],
  ];
  const values = new Float64Array(2 * 3 * 4 * 2);
  for (let a = 0; a < 2; a++)
    for (let b = 0; b < 3; b++)
      for (let c = 0; c < 4; c++)
        for (let d = 0; d < 2; d++)
          values[((a * 3 + b) * 4 + c) * 2 + d] = pa[a]! * pb[a]![b]! * pc[b]![c]! * pd[c]![d]!;
  return new Factor(['a', 'b', 'c', 'd'], [2, 3, 4, 2], values);
}

/** The chain's domain. */
export const chainDomain = synthDomain([
  ['a', 2],
  ['b', 3],
  ['c', 4],
  ['d', 2],
]);
