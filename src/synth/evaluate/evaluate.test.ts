import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { expectInvalidParameter } from '../_testing.js';
import { table, uniformTable } from './_tables.js';
import { evaluateSynthetic } from './evaluate.js';
import { synthEvaluationPage, synthEvaluationSection, utilityPlot } from './html.js';

const SIZES = [3, 4, 2, 5, 2];

describe('evaluateSynthetic', () => {
  const rng = seededRng(31);
  const real = uniformTable(SIZES, 300, rng);
  const test = uniformTable(SIZES, 200, rng);
  const synthetic = uniformTable(SIZES, 250, rng);
  const options = { test, label: 'a4', privacy: { epsilon: 1, delta: 1e-6 }, epochs: 2 } as const;

  it('gives every part, deterministically given the seed', () => {
    const r = evaluateSynthetic(real, synthetic, seededRng(1), options);
    expect(r.rows).toEqual({ real: 300, synthetic: 250, test: 200 });
    expect(r.marginals.ways.map((w) => w.evaluated)).toEqual([5, 10, 10]);
    expect(r.classifier).toMatchObject({ label: 'a4', averaging: 'binary', testRows: 200 });
    expect(r.classifier!.real.trainRows).toBe(300);
    expect(r.classifier!.synthetic.trainRows).toBe(250);
    expect(r.exactCopies.synthetic.rows).toBe(250);
    expect(r.exactCopies.holdout!.rows).toBe(200);
    expect(r.dcr).toMatchObject({ sampled: 250, syntheticRows: 250, attributes: 5 });
    expect(r.dcr.holdout!.compareRows).toBe(200);
    const { closerToTrain, closerToHoldout, tied } = r.dcr.holdout!;
    expect(closerToTrain + closerToHoldout + tied).toBeCloseTo(1, 12);
    expect(r.membership).toMatchObject({ members: 200, nonMembers: 200 });
    expect(r.membership!.privacy!.aucBound).toBeCloseTo(Math.E / (1 + Math.E), 5);
    expect(evaluateSynthetic(real, synthetic, seededRng(1), options)).toEqual(r);
  });

  it('leaves out the classifier and the membership check without test rows', () => {
    const r = evaluateSynthetic(real, synthetic, seededRng(1), { dcrSamples: 20 });
    expect(r.classifier).toBeNull();
    expect(r.membership).toBeNull();
    expect(r.exactCopies.holdout).toBeNull();
    expect(r.dcr.holdout).toBeNull();
    expect(r.dcr.sampled).toBe(20);
  });

  it('refuses a label without test rows and tables over different domains', () => {
    expectInvalidParameter(
      () => evaluateSynthetic(real, synthetic, seededRng(1), { label: 'a4' }),
      'evaluateSynthetic',
      'label',
    );
    expectInvalidParameter(
      () => evaluateSynthetic(real, table([3], [[0]]), seededRng(1)),
      'evaluateSynthetic',
      'synthetic',
    );
  });

  it('renders an escaped HTML section with the headline table, bars, heatmap and utility plots', () => {
    const odd = table(
      [2, 2],
      [
        [0, 1],
        [1, 0],
        [1, 1],
      ],
    );
    const named = {
      ...odd,
      domain: {
        attrs: ['<script>x', 'b&"'],
        sizes: new Map([
          ['<script>x', 2],
          ['b&"', 2],
        ]),
      },
    };
    const r = evaluateSynthetic(named, named, seededRng(1));
    const html = synthEvaluationSection(r, {
      subtitle: 'aim <eps 1>',
      utility: [
        { method: 'aim', epsilon: 0.3, tv3: 0.16, accuracy: 0.8 },
        { method: 'aim', epsilon: 1, tv3: 0.11, accuracy: 0.84 },
        { method: 'mst<', epsilon: 1, tv3: 0.12, accuracy: null },
      ],
    });
    expect(html.startsWith('<section id="synth-evaluation">')).toBe(true);
    expect(html.endsWith('</section>')).toBe(true);
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;x');
    expect(html).toContain('b&amp;&quot;');
    expect(html).toContain('aim &lt;eps 1&gt;');
    expect(html).toContain('id="synth-tv1"');
    expect(html).toContain('id="synth-tv2"');
    expect(html).toContain('id="synth-utility"');
    expect(html).toContain('data-series="mst&lt;"');
    expect(html).toContain('not differentially private');
    expect(html).not.toMatch(/(src|href)=|url\(/);
    const page = synthEvaluationPage(r);
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page).toContain('<section id="synth-evaluation">');
    expect(utilityPlot([])).toContain('no points');
  });
});
