/**
 * The evaluation as HTML: a `<section id="synth-evaluation">` a report can embed (headline numbers, 1-way TV per
 * attribute, 2-way TV per attribute pair, and utility against epsilon when points are given), and the same
 * section as a standalone page. Inline SVG and CSS only, every interpolated string escaped.
 */
import { barChart, escapeHtml, fmt, heatmap, linePlot } from './charts.js';
import type { SynthEvaluation } from './evaluate.js';

/** One run of a benchmark sweep: a method at an epsilon, with its mean 3-way TV and TSTR accuracy. */
export interface UtilityPoint {
  readonly method: string;
  readonly epsilon: number;
  /** Mean 3-way marginal TV error (lower is better). */
  readonly tv3: number;
  /** Train-on-synthetic / test-on-real accuracy (null: not measured). */
  readonly accuracy: number | null;
}

/** Options of {@link synthEvaluationSection}. */
export interface EvaluationHtmlOptions {
  /** Points for the "utility against epsilon" plots (e.g. from a benchmark sweep). */
  readonly utility?: readonly UtilityPoint[];
  /** What the synthetic data is (shown under the heading), e.g. `aim, epsilon 1, delta 1e-9`. */
  readonly subtitle?: string;
}

/**
 * The "utility against epsilon" plots: mean 3-way TV and TSTR accuracy against epsilon (log scale), one line per
 * method. Exported apart so a benchmark can draw it alone.
 * @returns a `<div class="utility">` holding two inline SVGs
 */
export function utilityPlot(points: readonly UtilityPoint[]): string {
  const methods = [...new Set(points.map((p) => p.method))];
  const series = (y: (p: UtilityPoint) => number | null) =>
    methods.map((name) => ({
      name,
      points: points
        .filter((p) => p.method === name && y(p) !== null)
        .map((p) => ({ x: p.epsilon, y: y(p)! })),
    }));
  return `<div class="utility" id="synth-utility">${linePlot(
    series((p) => p.tv3),
    {
      id: 'synth-utility-tv3',
      title: 'Mean 3-way TV error against epsilon (lower is better)',
      xLabel: 'epsilon',
      yLabel: 'TV',
    },
  )}${linePlot(
    series((p) => p.accuracy),
    {
      id: 'synth-utility-accuracy',
      title: 'Train-on-synthetic accuracy against epsilon',
      xLabel: 'epsilon',
      yLabel: 'accuracy',
    },
  )}</div>`;
}

const h = (text: string) => escapeHtml(text);
const pct = (x: number | null | undefined) =>
  x === null || x === undefined || Number.isNaN(x) ? '—' : `${fmt(100 * x)}%`;

function headline(r: SynthEvaluation): string {
  const rows: [string, string, string][] = [];
  for (const w of r.marginals.ways) {
    if (w.evaluated === 0) continue;
    const of = w.sampled ? `a seeded sample of ${w.evaluated} of ${w.total}` : `all ${w.total}`;
    rows.push([`mean ${w.way}-way marginal TV`, fmt(w.mean), `${of} marginals; max ${fmt(w.max)}`]);
  }
  const c = r.classifier;
  if (c) {
    const what = c.averaging === 'binary' ? 'class 1' : 'macro over classes';
    rows.push([
      `TSTR accuracy (${c.label})`,
      fmt(c.synthetic.accuracy),
      `trained on real rows: ${fmt(c.real.accuracy)}; majority class ${fmt(c.majorityAccuracy)}`,
    ]);
    rows.push([`TSTR AUC`, fmt(c.synthetic.auc), `real: ${fmt(c.real.auc)} (${what})`]);
    rows.push([`TSTR F1`, fmt(c.synthetic.f1), `real: ${fmt(c.real.f1)} (${what})`]);
  }
  const e = r.exactCopies;
  rows.push([
    'synthetic rows equal to a training row',
    pct(e.synthetic.rate),
    `${e.synthetic.copies} of ${e.synthetic.rows}${e.holdout ? `; held-out real rows equal to a training row: ${pct(e.holdout.rate)}` : ''}`,
  ]);
  const q = r.dcr.toTrain.quantiles;
  rows.push([
    'distance to closest training record (median)',
    fmt(q.median),
    `Hamming over ${r.dcr.attributes} attributes, ${r.dcr.sampled} sampled synthetic rows; 5%: ${fmt(q.p05)}, mean ${fmt(r.dcr.toTrain.mean)}`,
  ]);
  if (r.dcr.holdout) {
    const o = r.dcr.holdout;
    rows.push([
      'closer to train than to holdout',
      pct(o.closerToTrain),
      `closer to holdout ${pct(o.closerToHoldout)}, tied ${pct(o.tied)} (${o.compareRows} rows each side)`,
    ]);
  }
  const m = r.membership;
  if (m) {
    const bound = m.privacy
      ? `; DP bound at epsilon ${fmt(m.privacy.epsilon)}: ${fmt(m.privacy.aucBound)}`
      : '';
    rows.push([
      'membership inference AUC',
      fmt(m.auc),
      `${m.members} members vs ${m.nonMembers} held-out${bound}`,
    ]);
    for (const t of m.tprAt)
      rows.push([
        `membership TPR at FPR ${fmt(t.fpr)}`,
        fmt(t.tpr),
        t.bound === null ? 'no (epsilon, delta) given' : `DP bound ${fmt(t.bound)}`,
      ]);
  }
  return `<table class="headline"><thead><tr><th>measure</th><th>value</th><th>detail</th></tr></thead><tbody>${rows
    .map(([a, b, c2]) => `<tr><td>${h(a)}</td><td class="num">${h(b)}</td><td>${h(c2)}</td></tr>`)
    .join('')}</tbody></table>`;
}

/**
 * The evaluation as an embeddable section: `<section id="synth-evaluation">…</section>`.
 * @example writeFileSync('eval.html', synthEvaluationPage(evaluateSynthetic(real, synthetic, rng, options)));
 */
export function synthEvaluationSection(r: SynthEvaluation, options: EvaluationHtmlOptions = {}): string {
  const bars = barChart(
    r.marginals.perAttribute.map((e) => ({ label: e.attrs[0]!, value: e.tv })),
    { id: 'synth-tv1', title: '1-way TV error per attribute' },
  );
  const map = heatmap(
    r.attributes,
    r.marginals.perPair.map((e) => ({ a: e.attrs[0]!, b: e.attrs[1]!, value: e.tv })),
    { id: 'synth-tv2', title: '2-way TV error per attribute pair' },
  );
  const rows = `${r.rows.synthetic} synthetic rows, ${r.rows.real} real training rows${r.rows.test === null ? '' : `, ${r.rows.test} held-out rows`}, ${r.attributes.length} attributes`;
  const utility =
    options.utility && options.utility.length > 0
      ? `<h3>Utility against epsilon</h3>${utilityPlot(options.utility)}`
      : '';
  return `<section id="synth-evaluation"><h2>Synthetic data evaluation</h2>
${options.subtitle ? `<p class="meta">${h(options.subtitle)}</p>` : ''}<p class="meta">${h(rows)}.</p>
<p class="disclaimer">This evaluation compares the synthetic rows with the real ones, so it is not differentially private: it is for the data holder, not for release.</p>
${headline(r)}
<h3>Marginal error</h3><div class="charts">${bars}${map}</div>
${utility}</section>`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;margin:2rem auto;max-width:1100px;padding:0 1rem}
h2{font-size:1.2rem;border-bottom:1px solid #d0d7de;padding-bottom:.25rem;margin-top:2rem}
.meta,.note{color:#57606a}.disclaimer{background:#fff8c5;border:1px solid #d4a72c;padding:.6rem .8rem;border-radius:6px}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.charts,.utility{display:flex;flex-wrap:wrap;gap:1.5rem;align-items:flex-start}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}tr{break-inside:avoid}}
`;

/** The section as a standalone HTML page (inline CSS, no script, no external resource). */
export function synthEvaluationPage(r: SynthEvaluation, options: EvaluationHtmlOptions = {}): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Synthetic data evaluation</title><style>${CSS}</style></head>
<body>
${synthEvaluationSection(r, options)}
</body></html>
`;
}
