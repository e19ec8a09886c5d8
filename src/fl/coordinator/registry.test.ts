import { create } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RegisterRequestSchema } from '../../transport/index.js';
import { PROTOCOL_VERSION } from '../protocol/index.js';
import type { Clock } from './clock.js';
import type { CoordinatorOptions } from './options.js';
import { NodeRegistry } from './registry.js';

/** A clock moved by hand. */
class ManualClock implements Clock {
  t = 1_000_000;
  now(): number {
    return this.t;
  }
  setTimer(): () => void {
    return () => {};
  }
}

const WINDOW = 100;
const request = create(RegisterRequestSchema, { protocolVersion: PROTOCOL_VERSION, numExamples: 5n });
const peer = (i: number) => ({ id: `n${i}`, fingerprint: `sha256:${i}` });

type Op =
  | { kind: 'admit'; node: number }
  | { kind: 'touch'; node: number }
  | { kind: 'leave'; node: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'count' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('admit' as const), node: fc.nat(7) }),
  fc.record({ kind: fc.constant('touch' as const), node: fc.nat(7) }),
  fc.record({ kind: fc.constant('leave' as const), node: fc.nat(7) }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 2 * WINDOW }) }),
  fc.constant({ kind: 'count' as const }),
);

describe('NodeRegistry.activeCount', () => {
  it('is always the number of active nodes, whatever happens between two counts (the count is kept between calls)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const clock = new ManualClock();
        const registry = new NodeRegistry({ availabilityWindowMs: WINDOW } as CoordinatorOptions, clock);
        for (const o of ops) {
          const node = 'node' in o ? registry.get(peer(o.node).id) : undefined;
          if (o.kind === 'admit') registry.admit(request, peer(o.node));
          else if (o.kind === 'touch' && node) registry.touch(node);
          else if (o.kind === 'leave' && node) registry.markLeft(node);
          else if (o.kind === 'advance') clock.t += o.ms;
          expect(registry.activeCount()).toBe(registry.active().length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('counts a node until its window has run out, and again once it is heard from', () => {
    const clock = new ManualClock();
    const registry = new NodeRegistry({ availabilityWindowMs: WINDOW } as CoordinatorOptions, clock);
    const a = registry.admit(request, peer(1));
    clock.t += 50;
    registry.admit(request, peer(2));
    expect(registry.activeCount()).toBe(2);
    clock.t += WINDOW - 50;
    expect(registry.activeCount()).toBe(2); // a: exactly WINDOW ms ago, still available
    clock.t += 1;
    expect(registry.activeCount()).toBe(1);
    registry.touch(a);
    expect(registry.activeCount()).toBe(2);
    registry.markLeft(a);
    expect(registry.activeCount()).toBe(1);
  });
});
