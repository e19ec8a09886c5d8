import { randomFillSync } from 'node:crypto';
import { BufferedRng, type Rng } from './rng.js';

/**
 * A new cryptographically secure generator over node:crypto's `randomFillSync` (the OS CSPRNG), buffered
 * 64 KiB at a time so that millions of draws are fast. This is the default for every privacy-bearing draw.
 * @example const rng = csprng(); rng.normal();
 */
export function csprng(): Rng {
  return new BufferedRng('csprng', (out) => {
    randomFillSync(out);
  });
}
