/**
 * A report as one self-contained HTML page: inline CSS, no script, no external resource, every interpolated string
 * escaped. Sections and rows carry stable ids and data attributes (`id="controls"`, `data-control="gdpr-art5-1b"`,
 * `data-status="met"`) so that tests and tools can read the page through the DOM.
 */
import { escapeHtml } from '../core/index.js';
import type { ControlStatus } from './controls.js';
import { num } from './facts.js';
import type { ComplianceReport } from './report.js';

export { escapeHtml };

const h = (value: string | number | null | undefined): string =>
  value === null || value === undefined ? '—' : escapeHtml(typeof value === 'number' ? num(value) : value);

/** The CSS class of a status: 'status-met', 'status-not-met', 'status-needs-human-review', … */
export function statusClass(status: ControlStatus): string {
  return `status-${status.replace(/ /g, '-')}`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;margin:2rem auto;max-width:1100px;padding:0 1rem}
h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.2rem;border-bottom:1px solid #d0d7de;padding-bottom:.25rem;margin-top:2rem}
.meta,.note{color:#57606a}.disclaimer{background:#fff8c5;border:1px solid #d4a72c;padding:.6rem .8rem;border-radius:6px}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
ul.counts{list-style:none;padding:0;display:flex;gap:.5rem;flex-wrap:wrap}ul.counts li{padding:.3rem .6rem;border-radius:6px}
.status-met{background:#dafbe1;color:#116329}.status-not-met{background:#ffebe9;color:#a40e26}
.status-not-applicable{background:#eaeef2;color:#57606a}.status-needs-human-review{background:#fff8c5;color:#7d4e00}
span.status{display:inline-block;padding:.1rem .45rem;border-radius:4px;font-weight:600;white-space:nowrap}
.bar{background:#eaeef2;height:.6rem;border-radius:3px;min-width:80px}.bar>div{background:#0969da;height:100%;border-radius:3px}
.bar>div.over{background:#cf222e}.ok{color:#116329;font-weight:600}.bad{color:#a40e26;font-weight:600}
td ul{margin:0;padding-left:1.1rem}code{font-size:.9em}code.hash{overflow-wrap:anywhere}td.id,td.date{white-space:nowrap}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}tr{break-inside:avoid}}
`;

function table(headers: readonly string[], rows: readonly string[], attrs = ''): string {
  return `<table${attrs}><thead><tr>${headers.map((x) => `<th>${h(x)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function items(list: readonly string[]): string {
  return `<ul>${list.map((x) => `<li>${h(x)}</li>`).join('')}</ul>`;
}

function summarySection(r: ComplianceReport): string {
  const counts = Object.entries(r.summary.counts) as [ControlStatus, number][];
  return `<section id="summary"><h2>Summary</h2>
<p data-statement>${h(r.summary.statement)}</p>
<ul class="counts">${counts
    .map(([s, n]) => `<li class="${statusClass(s)}" data-count="${h(s)}">${h(s)}: <strong>${n}</strong></li>`)
    .join('')}</ul>
<h3>What the evidence shows</h3><div id="shows">${items(r.summary.shows)}</div>
<h3>What it cannot show</h3><div id="cannot-show">${items(r.summary.cannotShow)}</div>
<p class="disclaimer">${h(r.disclaimer)}</p></section>`;
}

function privacySection(r: ComplianceReport): string {
  const rows = r.privacy.accounts.map((a) => {
    const share = a.epsilonLimit > 0 ? Math.min(1, a.epsilonSpent / a.epsilonLimit) : 1;
    const over = a.epsilonSpent > a.epsilonLimit;
    return `<tr data-account="${h(a.path)}"><td><code>${h(a.path)}</code></td><td>${h(a.accountant)}</td>
<td class="num" data-epsilon-spent>${h(a.epsilonSpent)}</td><td class="num">${h(a.epsilonLimit)}</td>
<td><div class="bar"><div class="${over ? 'over' : ''}" style="width:${(100 * share).toFixed(1)}%"></div></div></td>
<td class="num">${h(a.epsilonRemaining)}</td><td class="num">${h(a.deltaLimit)}</td><td class="num">${a.spends}</td>
<td class="num" data-epsilon-naive>${h(a.epsilonNaiveSum)}</td></tr>`;
  });
  const run = r.privacy.run;
  const runText = run
    ? `<p data-run>Run: <strong>${h(run.mechanism)}</strong>, epsilon ${h(run.epsilon)} at delta ${h(run.delta)} (${h(run.accountant)} accountant); secure aggregation ${h(run.secureAggregation)}; transport ${h(run.transport)}${run.organisations?.length ? `; organisations ${h(run.organisations.join(', '))}` : ''}${run.seeded ? '; <strong class="bad">seeded: not private</strong>' : ''}.</p>`
    : '';
  return `<section id="privacy"><h2>Privacy budget</h2>
<p>${r.privacy.grantedSpends} granted spends, ${r.privacy.refundedSpends} refunded. Epsilon is composed by each account's accountant over its whole subtree; the naive sum is what adding each spend's epsilon would give.</p>
${table(['account', 'accountant', 'epsilon spent (composed)', 'limit', 'used', 'remaining', 'delta', 'spends', 'naive sum'], rows)}
${runText}</section>`;
}

function utilitySection(r: ComplianceReport): string {
  const u = r.utility;
  if (u === null) return '';
  const rows = [
    `<tr data-utility="private"><td>private (this run)</td><td class="num">${h(u.private)}</td></tr>`,
  ];
  if (u.baseline !== undefined) {
    rows.push(
      `<tr data-utility="baseline"><td>non-private baseline</td><td class="num">${h(u.baseline)}</td></tr>`,
    );
  }
  for (const [org, value] of Object.entries(u.alone ?? {})) {
    rows.push(`<tr data-utility="alone"><td>${h(org)} alone</td><td class="num">${h(value)}</td></tr>`);
  }
  const retained =
    u.baseline !== undefined && u.baseline !== 0
      ? `<p>The private result keeps ${h((100 * u.private) / u.baseline)}% of the baseline's ${h(u.metric)}.</p>`
      : '';
  return `<section id="utility"><h2>Utility</h2>${table(['result', u.metric], rows)}${retained}</section>`;
}

function auditSection(r: ComplianceReport): string {
  const a = r.audit;
  const head = a.head
    ? `<p data-head>Signed tree head: size ${a.head.size}, at ${h(a.head.at)}, key <code>${h(a.head.keyId)}</code>, root <code class="hash">${h(a.head.root)}</code>.</p>`
    : '<p data-head>No signed tree head.</p>';
  const problems =
    a.problems.length > 0 ? `<h3>Problems</h3><div id="audit-problems">${items(a.problems)}</div>` : '';
  return `<section id="audit" data-verified="${a.verified}"><h2>Audit log</h2>
<p>${a.verified ? '<span class="ok">Verified</span>' : '<span class="bad">NOT verified</span>'}: ${a.size} entries (hash chain, Merkle tree, signed heads).</p>
${head}<p>Refusals recorded: ${a.refusals.budget} budget, ${a.refusals.purpose} purpose, ${a.refusals.retention} retention.</p>${problems}</section>`;
}

function datasetsSection(r: ComplianceReport): string {
  const rows = r.datasets.map(
    (
      d,
    ) => `<tr data-dataset="${h(d.name)}" data-expired="${d.expired}"><td>${h(d.name)}<br><code class="hash">${h(d.fingerprint)}</code></td>
<td>${items(d.purposes)}</td><td>${items(d.constraints)}</td><td class="date">${h(d.retainUntil)}${d.expired ? ' <span class="bad">expired</span>' : ''}</td>
<td class="num">${d.grantedSpends}</td><td>${items(d.purposesUsed)}</td>
<td class="num">${d.spendsOutsidePurposes}</td><td class="num">${d.spendsAfterRetention}</td><td>${h(d.registeredBy)}, ${h(d.registeredAt)}</td></tr>`,
  );
  const activities = r.processingActivities.map(
    (
      p,
    ) => `<tr data-activity><td>${h(p.purpose)}</td><td>${h(p.dataset)}</td><td><code>${h(p.account)}</code></td>
<td class="num">${p.spends}</td><td>${h(p.first)}</td><td>${h(p.last)}</td><td>${h(p.actors.join(', ') || null)}</td><td>${h(p.retainUntil)}</td></tr>`,
  );
  return `<section id="datasets"><h2>Datasets and consent</h2>
${table(['dataset', 'allowed purposes', 'consent constraints', 'retain until', 'spends', 'purposes used', 'outside purposes', 'after retention', 'registered'], rows)}
<h3>Processing activities (from the spends)</h3>
${table(['purpose', 'dataset', 'account', 'spends', 'first', 'last', 'actors', 'retain until'], activities, ' id="activities"')}</section>`;
}

function safeHarborSection(r: ComplianceReport): string {
  const s = r.safeHarbor;
  if (s === null) return '';
  const rows = s.findings.map(
    (
      f,
    ) => `<tr data-finding="${h(f.kind)}" data-column="${h(f.column)}" data-confidence="${h(f.confidence)}"><td>(${h(f.letter)}) ${h(f.kind)}</td>
<td>${h(f.column)}</td><td>${h(f.confidence)}</td><td>${h(f.basis)}</td><td>${h(f.reason)}</td><td><code>${h(f.shape)}</code></td></tr>`,
  );
  return `<section id="safe-harbor"><h2>Identifier check (Safe Harbor heuristics)</h2>
<p>${h(s.source)}: ${s.columns.length} columns, ${s.rowsScanned} rows scanned${s.truncated ? ' (more not scanned)' : ''}. Counts and masked shapes only; no cell value is kept.</p>
${table(['kind', 'column', 'confidence', 'basis', 'reason', 'shape'], rows)}
${s.notes.length > 0 ? items(s.notes) : ''}<h3>Limits</h3>${items(s.limits)}</section>`;
}

function controlsSection(r: ComplianceReport): string {
  const rows = r.controls.map(
    (
      c,
    ) => `<tr data-control="${h(c.id)}" data-status="${h(c.status)}"><td class="id"><code>${h(c.id)}</code></td><td>${h(c.reference)}</td>
<td>${h(c.title)}</td><td><span class="status ${statusClass(c.status)}">${h(c.status)}</span></td>
<td data-evidence>${items(c.evidence)}</td><td data-human>${h(c.humanDecision)}</td></tr>`,
  );
  return `<section id="controls"><h2>Controls</h2>
${table(['id', 'reference', 'title', 'status', 'evidence', 'a person must still decide'], rows)}</section>`;
}

function scopeNote(r: ComplianceReport): string {
  if (r.scope === undefined) return '';
  return `<p class="note" id="scope" data-scope="${h(r.scope.account)}">${h(r.scope.note)}</p>`;
}

/**
 * Renders a report as a self-contained HTML page (inline CSS, no script, no external resources).
 *
 * @param report a report from {@link buildReport}.
 * @returns the page, UTF-8 text starting with `<!doctype html>`.
 */
export function renderHtml(report: ComplianceReport): string {
  const title = `Veil compliance evidence: ${report.regulationName}`;
  return `<!doctype html>
<html lang="en" data-regulation="${h(report.regulation)}" data-version="${report.version}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${h(title)}</title><style>${CSS}</style></head>
<body><header><h1>${h(title)}</h1>
<p class="meta">Evidence of ${h(report.generatedAt)}; ledger ${h(report.ledger.dialect)} at <code>${h(report.ledger.location)}</code>; report format v${report.version}.</p>${scopeNote(report)}</header>
<main>${summarySection(report)}${privacySection(report)}${utilitySection(report)}${auditSection(report)}${datasetsSection(report)}${safeHarborSection(report)}${controlsSection(report)}</main>
</body></html>
`;
}
