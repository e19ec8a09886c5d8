import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/index.js';
import { parsePortRange } from './serve.js';

describe('veil serve --coordinator-ports', () => {
  it('reads a port or an inclusive range', () => {
    expect(parsePortRange(undefined)).toBeUndefined();
    expect(parsePortRange('7443')).toEqual([7443, 7443]);
    expect(parsePortRange('7443-7450')).toEqual([7443, 7450]);
    expect(parsePortRange(' 1-65535 ')).toEqual([1, 65535]);
  });

  it.each(['', '0', '0-10', '7450-7443', '65536', '1-65536', '-5', '80,443', 'http', '7443-', '1.5'])(
    'refuses %j naming the flag and what is allowed',
    (text) => {
      expect(() => parsePortRange(text)).toThrow(ConfigError);
      expect(() => parsePortRange(text)).toThrow(/--coordinator-ports[\s\S]*FROM-TO within 1\.\.65535/);
    },
  );

  it('round-trips every valid range', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 65535 }), (a, b) => {
        const [from, to] = a <= b ? [a, b] : [b, a];
        expect(parsePortRange(`${from}-${to}`)).toEqual([from, to]);
      }),
    );
  });
});
