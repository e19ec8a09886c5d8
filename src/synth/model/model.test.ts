import { describe, expect, it } from 'vitest';
import { ConfigError, InvalidParameterError, seededRng } from '../../core/index.js';
import { estimate } from './estimate.js';
import { MODEL_FORMAT, modelFromJson } from './model.js';
import { chainDomain, chainJoint } from './testing/fixtures.js';

describe('toJson / modelFromJson', () => {
  const joint = chainJoint();
  const model = estimate(
    chainDomain,
    [
      ['a', 'b'],
      ['b', 'c'],
      ['c', 'd'],
    ].map((attrs) => ({
      attrs,
      values: joint.sum(attrs).values.map((p) => p * 1000),
      sigma: 2,
    })),
    { iterations: 100 },
  );
  const json = model.toJson() as Record<string, unknown>;

  it('round-trips through JSON text: same cliques, total, marginals and samples', () => {
    const restored = modelFromJson(JSON.parse(JSON.stringify(json)));
    expect(restored.cliques).toEqual(model.cliques);
    expect(restored.total).toBe(model.total);
    expect(restored.domain.attrs).toEqual(chainDomain.attrs);
    expect(Array.from(restored.marginal(['d', 'a']))).toEqual(Array.from(model.marginal(['d', 'a'])));
    const a = restored.sample(500, seededRng(3)).map((c) => Array.from(c));
    const b = model.sample(500, seededRng(3)).map((c) => Array.from(c));
    expect(a).toEqual(b);
    expect(json['format']).toBe(MODEL_FORMAT);
  });

  const corrupt: [string, unknown, RegExp][] = [
    ['not an object', 'model', /top level/],
    ['a wrong format tag', { ...json, format: 'other' }, /format/],
    ['an unknown key', { ...json, extra: 1 }, /extra/],
    [
      'a potential table of the wrong length',
      { ...json, potentials: [[0], ...(json['potentials'] as unknown[]).slice(1)] },
      /potentials\.0/,
    ],
    [
      'a missing potential table',
      { ...json, potentials: (json['potentials'] as unknown[]).slice(1) },
      /one table per clique/,
    ],
    [
      'a clique over an unknown attribute',
      { ...json, cliques: [['a', 'zz'], ...(json['cliques'] as unknown[]).slice(1)] },
      /cliques\.0\.1/,
    ],
    [
      'a repeated domain attribute',
      {
        ...json,
        domain: [
          ['a', 2],
          ['a', 3],
          ['c', 4],
          ['d', 2],
        ],
      },
      /domain/,
    ],
    ['a non-positive total', { ...json, total: 0 }, /total/],
    [
      'a non-numeric potential',
      { ...json, potentials: [['x'], ...(json['potentials'] as unknown[]).slice(1)] },
      /potentials\.0\.0/,
    ],
    [
      'cliques missing an attribute',
      {
        ...json,
        domain: [
          ['a', 2],
          ['b', 3],
          ['c', 4],
          ['d', 2],
          ['e', 2],
        ],
      },
      /covering every attribute/,
    ],
    [
      'cliques that do not form a junction tree',
      {
        ...json,
        domain: [
          ['a', 2],
          ['b', 2],
          ['c', 2],
        ],
        cliques: [
          ['a', 'b'],
          ['b', 'c'],
          ['a', 'c'],
        ],
        potentials: [
          [0, 0, 0, 0],
          [0, 0, 0, 0],
          [0, 0, 0, 0],
        ],
      },
      /junction tree/,
    ],
  ];
  for (const [what, bad, message] of corrupt) {
    it(`refuses ${what}`, () => {
      expect(() => modelFromJson(bad)).toThrow(ConfigError);
      expect(() => modelFromJson(bad)).toThrow(message);
    });
  }
});

describe('GraphicalModel.marginal', () => {
  it('refuses unknown and repeated attributes', () => {
    const model = estimate(chainDomain, [], { total: 1, iterations: 0 });
    expect(() => model.marginal(['a', 'q'])).toThrow(InvalidParameterError);
    expect(() => model.marginal(['a', 'a'])).toThrow(/distinct attributes/);
  });
});
