import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/index.js';
import { parseModelSpec } from './spec.js';

describe('parseModelSpec shorthands', () => {
  it('builds an MLP with the hidden layers asked for', () => {
    const spec = parseModelSpec('mlp:8,4:tanh', 3);
    expect(spec.layers.filter((l) => l.type === 'dense').map((l) => (l as { units: number }).units)).toEqual([
      8, 4, 3,
    ]);
  });

  it('refuses a hidden layer of 0 units instead of dropping it and training another model (issue 13)', () => {
    for (const text of ['mlp:0', 'mlp:8,0', 'mlp:0,8:tanh']) {
      let thrown: unknown;
      try {
        parseModelSpec(text, 2);
      } catch (e) {
        thrown = e;
      }
      expect(thrown, text).toBeInstanceOf(ConfigError);
      expect((thrown as Error).message).toMatch(
        /--model: must be mlp:<units>,\.\.\. with every hidden layer of at least 1 unit/,
      );
    }
  });
});
