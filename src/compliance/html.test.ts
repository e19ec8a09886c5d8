import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { escapeHtml, renderHtml, statusClass } from './html.js';
import { buildReport } from './report.js';
import { safeHarborCheck } from './safe-harbor.js';
import { sampleEvidence } from './testing.js';

const decodeEntities = (text: string) =>
  text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

describe('escapeHtml', () => {
  test.prop([fc.string({ unit: 'binary' })])('leaves no markup character and round-trips', (text) => {
    const escaped = escapeHtml(text);
    expect(escaped).not.toMatch(/[<>"']/);
    expect(decodeEntities(escaped)).toBe(text);
  });
});

describe('renderHtml', () => {
  const report = buildReport(sampleEvidence(), 'gdpr');
  const html = renderHtml(report);

  it('is one self-contained page with the sections and a row per control', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    for (const id of ['summary', 'privacy', 'utility', 'audit', 'datasets', 'controls']) {
      expect(html).toContain(`<section id="${id}"`);
    }
    expect(html.match(/data-control="/g)).toHaveLength(report.controls.length);
    expect(html).toContain('data-control="gdpr-art5-1b" data-status="met"');
    expect(html).toContain(`class="status ${statusClass('needs human review')}"`);
    expect(html).not.toMatch(/<script|<link|<img|src=|href=|@import|url\(/i);
  });

  it('leaves out the utility and identifier sections when there is nothing to show', () => {
    const bare = renderHtml(buildReport(sampleEvidence({ run: undefined }), 'gdpr'));
    expect(bare).not.toContain('id="utility"');
    expect(bare).not.toContain('id="safe-harbor"');
  });

  it('escapes a purpose that holds markup', () => {
    const base = sampleEvidence();
    const purpose = '<script>alert("x")</script>';
    const evidence = sampleEvidence({
      spends: base.spends.map((s) => (s.id === 1 ? { ...s, purpose } : s)),
      datasets: base.datasets.map((d) =>
        d.name === 'ecg-2025' ? { ...d, purposes: [...d.purposes, purpose] } : d,
      ),
    });
    const page = renderHtml(buildReport(evidence, 'gdpr'));
    expect(page).not.toContain('<script');
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  });

  test.prop([fc.string({ minLength: 1 }), fc.string({ minLength: 1 })])(
    'never lets evidence strings open a tag',
    (purpose, account) => {
      const base = sampleEvidence();
      const evidence = sampleEvidence({
        accounts: [{ ...base.accounts[0]!, path: account }],
        spends: base.spends.map((s) => ({ ...s, purpose, account })),
        datasets: [],
        audit: { ...base.audit, verified: false, problems: [purpose] },
      });
      const page = renderHtml(buildReport(evidence, 'hipaa'));
      const tags = [...page.matchAll(/<([a-zA-Z!/][a-zA-Z0-9]*)/g)].map((m) => m[1]!.toLowerCase());
      const allowed = new Set([
        '!doctype',
        'html',
        '/html',
        'head',
        '/head',
        'meta',
        'title',
        '/title',
        'style',
        '/style',
        'body',
        '/body',
        'header',
        '/header',
        'h1',
        '/h1',
        'h2',
        '/h2',
        'h3',
        '/h3',
        'p',
        '/p',
        'main',
        '/main',
        'section',
        '/section',
        'ul',
        '/ul',
        'li',
        '/li',
        'strong',
        '/strong',
        'div',
        '/div',
        'table',
        '/table',
        'thead',
        '/thead',
        'tbody',
        '/tbody',
        'tr',
        '/tr',
        'th',
        '/th',
        'td',
        '/td',
        'code',
        '/code',
        'span',
        '/span',
        'br',
      ]);
      expect(tags.filter((t) => !allowed.has(t))).toEqual([]);
    },
  );

  it('shows Safe Harbor findings as counts and shapes only', () => {
    const safeHarbor = safeHarborCheck({
      text: 'ssn,email\n123-45-6789,ann@example.org\n',
      source: 'raw.csv',
    });
    const page = renderHtml(buildReport(sampleEvidence({ safeHarbor }), 'hipaa'));
    expect(page).toContain('id="safe-harbor"');
    expect(page).toContain('data-finding="ssn"');
    expect(page).not.toContain('123-45-6789');
    expect(page).not.toContain('ann@example.org');
  });
});
