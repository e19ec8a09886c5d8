import { describe, expect, it } from 'vitest';
import { dpSgdEvent, gaussianEvent, PrivacyEventSchema, validateEvent } from './events.js';

describe('privacy events', () => {
  it('dpSgdEvent is a self-composed Poisson-sampled Gaussian', () => {
    expect(dpSgdEvent({ sampleRate: 0.01, noiseMultiplier: 1.1, steps: 10 })).toEqual({
      kind: 'self-composed',
      count: 10,
      event: {
        kind: 'poisson-sampled',
        sampleRate: 0.01,
        event: { kind: 'gaussian', sigma: 1.1, l2Sensitivity: 1 },
      },
    });
  });

  it('round-trips through JSON and the schema', () => {
    const e = dpSgdEvent({ sampleRate: 0.5, noiseMultiplier: 2, steps: 3 });
    expect(PrivacyEventSchema.parse(JSON.parse(JSON.stringify(e)))).toEqual(e);
  });

  it('validateEvent names the bad field deep inside', () => {
    const bad = {
      kind: 'self-composed',
      count: 2,
      event: { kind: 'poisson-sampled', sampleRate: 1.5, event: gaussianEvent({ sigma: 1 }) },
    };
    // biome-ignore lint/suspicious/noExplicitAny: deliberately malformed input
    expect(() => validateEvent(bad as any)).toThrow(/event\.event\.sampleRate/);
    // biome-ignore lint/suspicious/noExplicitAny: deliberately malformed input
    expect(() => validateEvent({ kind: 'gaussian', sigma: 1, l2Sensitivity: 1, extra: 1 } as any)).toThrow(
      /validateEvent/,
    );
  });

  it('constructors refuse bad parameters', () => {
    expect(() => gaussianEvent({ sigma: 0 })).toThrow(
      'gaussianEvent: sigma must be a finite number > 0, got 0',
    );
    expect(() => dpSgdEvent({ sampleRate: 0.1, noiseMultiplier: 1, steps: 0 })).toThrow(
      /steps must be an integer >= 1/,
    );
  });

  it('validated events are frozen', () => {
    const e = validateEvent(dpSgdEvent({ sampleRate: 0.5, noiseMultiplier: 2, steps: 3 }));
    expect(Object.isFrozen(e)).toBe(true);
  });
});
