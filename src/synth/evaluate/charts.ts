/**
 * Inline SVG charts for the evaluation section: horizontal bars, a heatmap of pairs, and line plots against a
 * log-scaled x axis. Every label is escaped; nothing refers to an external resource.
 */
import { escapeHtml } from '../../core/index.js';

export { escapeHtml };

/** A number for display: 3 significant digits, '—' for null/NaN. */
export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  if (x === 0) return '0';
  return Math.abs(x) >= 1e-3 && Math.abs(x) < 1e6
    ? String(Number(x.toPrecision(digits)))
    : x.toExponential(2);
}

const FONT = 'font-family="system-ui,sans-serif" font-size="11"';

/** Horizontal bars, one per item, values in [0, max]. */
export function barChart(
  items: readonly { readonly label: string; readonly value: number }[],
  options: { readonly id: string; readonly title: string },
): string {
  const labelWidth = 150;
  const barWidth = 300;
  const rowHeight = 18;
  const max = Math.max(1e-9, ...items.map((i) => i.value));
  const height = items.length * rowHeight + 24;
  const rows = items.map((item, k) => {
    const y = 20 + k * rowHeight;
    const w = (barWidth * Math.max(0, item.value)) / max;
    return `<g data-attr="${escapeHtml(item.label)}" data-tv="${item.value}"><text x="${labelWidth - 6}" y="${y + 12}" text-anchor="end">${escapeHtml(item.label)}</text><rect x="${labelWidth}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowHeight - 5}" fill="#0969da"><title>${escapeHtml(`${item.label}: ${fmt(item.value)}`)}</title></rect><text x="${labelWidth + w + 4}" y="${y + 12}">${fmt(item.value)}</text></g>`;
  });
  return `<svg id="${escapeHtml(options.id)}" xmlns="http://www.w3.org/2000/svg" width="${labelWidth + barWidth + 60}" height="${height}" role="img" aria-label="${escapeHtml(options.title)}" ${FONT}><text x="0" y="12" font-weight="600">${escapeHtml(options.title)}</text>${rows.join('')}</svg>`;
}

/** A symmetric heatmap over `labels` × `labels` with values for some pairs (white = 0, dark red = the max). */
export function heatmap(
  labels: readonly string[],
  cells: readonly { readonly a: string; readonly b: string; readonly value: number }[],
  options: { readonly id: string; readonly title: string },
): string {
  const n = labels.length;
  const size = Math.max(8, Math.min(28, Math.floor(420 / Math.max(1, n))));
  const left = 150;
  const top = 24 + 120;
  const max = Math.max(1e-9, ...cells.map((c) => c.value));
  const index = new Map(labels.map((l, i) => [l, i]));
  const rects: string[] = [];
  for (const c of cells) {
    const i = index.get(c.a);
    const j = index.get(c.b);
    if (i === undefined || j === undefined) continue;
    const title = escapeHtml(`${c.a} × ${c.b}: ${fmt(c.value)}`);
    const fill = heat(c.value / max);
    for (const [r, k] of [
      [i, j],
      [j, i],
    ] as const)
      rects.push(
        `<rect x="${left + k * size}" y="${top + r * size}" width="${size - 1}" height="${size - 1}" fill="${fill}" data-pair="${escapeHtml(`${c.a}|${c.b}`)}" data-tv="${c.value}"><title>${title}</title></rect>`,
      );
  }
  for (let i = 0; i < n; i++)
    rects.push(
      `<rect x="${left + i * size}" y="${top + i * size}" width="${size - 1}" height="${size - 1}" fill="#eaeef2"/>`,
    );
  const rowLabels = labels.map(
    (l, i) =>
      `<text x="${left - 4}" y="${top + i * size + size * 0.7}" text-anchor="end">${escapeHtml(l)}</text>`,
  );
  const colLabels = labels.map((l, i) => {
    const x = left + i * size + size * 0.7;
    return `<text x="${x}" y="${top - 4}" transform="rotate(-60 ${x} ${top - 4})">${escapeHtml(l)}</text>`;
  });
  const legendY = top + n * size + 12;
  const legend = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (t, k) =>
        `<rect x="${left + k * 40}" y="${legendY}" width="40" height="10" fill="${heat(t)}" stroke="#d0d7de"/><text x="${left + k * 40}" y="${legendY + 22}">${fmt(t * max, 2)}</text>`,
    )
    .join('');
  return `<svg id="${escapeHtml(options.id)}" xmlns="http://www.w3.org/2000/svg" width="${left + n * size + 90}" height="${legendY + 30}" role="img" aria-label="${escapeHtml(options.title)}" ${FONT}><text x="0" y="12" font-weight="600">${escapeHtml(options.title)}</text>${colLabels.join('')}${rowLabels.join('')}${rects.join('')}${legend}</svg>`;
}

/** White (0) to dark red (1). */
function heat(t: number): string {
  const x = Math.min(1, Math.max(0, t));
  const r = Math.round(255 - 90 * x);
  const g = Math.round(255 - 230 * x);
  const b = Math.round(255 - 220 * x);
  return `rgb(${r},${g},${b})`;
}

const PALETTE = ['#0969da', '#cf222e', '#1a7f37', '#8250df', '#bf8700', '#57606a'];

/** One line of a line plot. */
export interface Series {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

/** A line plot with a log-scaled x axis (x > 0) and a linear y axis; one colour per series, with a legend. */
export function linePlot(
  series: readonly Series[],
  options: { readonly title: string; readonly xLabel: string; readonly yLabel: string; readonly id?: string },
): string {
  const w = 360;
  const h = 220;
  const left = 48;
  const top = 24;
  const pw = w - left - 12;
  const ph = h - top - 40;
  const all = series.flatMap((s) => s.points).filter((p) => p.x > 0 && Number.isFinite(p.y));
  if (all.length === 0) return `<p class="note">${escapeHtml(options.title)}: no points.</p>`;
  const xs = all.map((p) => Math.log10(p.x));
  const ys = all.map((p) => p.y);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (!(x1 > x0)) [x0, x1] = [(x0 || 0) - 0.5, (x1 || 0) + 0.5];
  if (!(y1 > y0)) [y0, y1] = [(y0 || 0) - 0.05, (y1 || 0) + 0.05];
  const pad = (y1 - y0) * 0.08;
  y0 -= pad;
  y1 += pad;
  const px = (x: number) => left + ((Math.log10(x) - x0) / (x1 - x0)) * pw;
  const py = (y: number) => top + ph - ((y - y0) / (y1 - y0)) * ph;
  const ticks = Array.from(new Set(all.map((p) => p.x))).sort((a, b) => a - b);
  const xTicks = ticks
    .map(
      (x) =>
        `<line x1="${px(x)}" x2="${px(x)}" y1="${top + ph}" y2="${top + ph + 4}" stroke="#57606a"/><text x="${px(x)}" y="${top + ph + 15}" text-anchor="middle">${fmt(x)}</text>`,
    )
    .join('');
  const yTicks = [0, 0.5, 1]
    .map((t) => {
      const y = y0 + pad + t * (y1 - y0 - 2 * pad);
      return `<text x="${left - 4}" y="${py(y) + 4}" text-anchor="end">${fmt(y)}</text><line x1="${left}" x2="${left + pw}" y1="${py(y)}" y2="${py(y)}" stroke="#eaeef2"/>`;
    })
    .join('');
  const lines = series
    .map((s, k) => {
      const colour = PALETTE[k % PALETTE.length]!;
      const pts = s.points.filter((p) => p.x > 0 && Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
      const path = pts.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ');
      const dots = pts
        .map(
          (p) =>
            `<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3" fill="${colour}"><title>${escapeHtml(`${s.name}: ${options.xLabel} ${fmt(p.x)}, ${options.yLabel} ${fmt(p.y)}`)}</title></circle>`,
        )
        .join('');
      const legend = `<rect x="${left + 8}" y="${top + 4 + k * 14}" width="10" height="3" fill="${colour}"/><text x="${left + 22}" y="${top + 9 + k * 14}">${escapeHtml(s.name)}</text>`;
      return `<g data-series="${escapeHtml(s.name)}"><polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2"/>${dots}${legend}</g>`;
    })
    .join('');
  const id = options.id ? ` id="${escapeHtml(options.id)}"` : '';
  return `<svg${id} xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" role="img" aria-label="${escapeHtml(options.title)}" ${FONT}><text x="0" y="12" font-weight="600">${escapeHtml(options.title)}</text><rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#d0d7de"/>${yTicks}${xTicks}${lines}<text x="${left + pw / 2}" y="${h - 4}" text-anchor="middle">${escapeHtml(options.xLabel)} (log scale)</text></svg>`;
}
