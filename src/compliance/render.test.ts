/**
 * The HTML report in a real browser: Debian's Chromium through playwright-core (VEIL_CHROMIUM, exported by
 * .ci/setup-chromium.sh). Screenshots the page, reads the controls, evidence and sections back through the DOM,
 * and prints it to PDF. Skips with the reason when VEIL_CHROMIUM is unset, fails instead under
 * VEIL_REQUIRE_SERVICES=1 (CI).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from './html.js';
import { renderPdf } from './pdf.js';
import { buildReport } from './report.js';
import { safeHarborCheck } from './safe-harbor.js';
import { sampleEvidence } from './testing.js';

const executablePath = process.env['VEIL_CHROMIUM'] || undefined;
const required = process.env['VEIL_REQUIRE_SERVICES'] === '1';
const SKIP_REASON =
  'VEIL_CHROMIUM is unset: source .ci/setup-chromium.sh to install Chromium and run this test';

if (executablePath === undefined) {
  describe('compliance report in Chromium', () => {
    if (required) {
      it('needs Chromium (VEIL_REQUIRE_SERVICES=1)', () => {
        throw new Error(`${SKIP_REASON} (VEIL_REQUIRE_SERVICES=1 makes this a failure, not a skip)`);
      });
    } else {
      console.warn(`compliance/render.test.ts skipped: ${SKIP_REASON}`);
      it.skip(`skipped: ${SKIP_REASON}`, () => {});
    }
  });
} else {
  describe('compliance report in Chromium', () => {
    let browser: Browser;
    let page: Page;
    const base = sampleEvidence();
    const evidence = sampleEvidence({
      // one expired dataset still used, so the page shows a 'not met' row too
      datasets: base.datasets.map((d) =>
        d.name === 'adult-census' ? { ...d, retainUntil: '2025-02-28', expired: true } : d,
      ),
    });
    const report = buildReport(evidence, 'gdpr');
    const html = renderHtml(report);

    beforeAll(async () => {
      browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
      page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('renders the GDPR report: screenshot, controls, evidence and sections read back through the DOM', async () => {
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.setContent(html, { waitUntil: 'load' });

      const png = await page.screenshot(); // the first screen: a full-page shot costs seconds on a busy machine
      expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1200, 900]);
      expect(png.length).toBeGreaterThan(30_000); // text and tables, not a blank page
      // strings, not functions: the tests compile without the DOM library
      const size = (await page.evaluate(
        '[document.documentElement.scrollWidth, document.body.scrollHeight]',
      )) as number[];
      expect(size[0]).toBeLessThanOrEqual(1200); // nothing overflows sideways (long hashes wrap)
      expect(size[1]).toBeGreaterThan(1500);

      const controls = await page.$$eval('#controls tr[data-control]', (rows) =>
        rows.map((r) => [r.getAttribute('data-control'), r.getAttribute('data-status')]),
      );
      expect(Object.fromEntries(controls)).toEqual(
        Object.fromEntries(report.controls.map((c) => [c.id, c.status])),
      );
      expect(Object.fromEntries(controls)).toMatchObject({
        'gdpr-art5-1b': 'met',
        'gdpr-art5-1e': 'not met',
        'gdpr-art5-1f': 'met',
        'gdpr-art35': 'needs human review',
      });

      const evidenceText = (id: string) =>
        page.$eval(`tr[data-control="${id}"] td[data-evidence]`, (td) => td.textContent ?? '');
      expect(await evidenceText('gdpr-art5-1b')).toContain(
        '42 spends on 3 datasets, all with purposes allowed',
      );
      expect(await evidenceText('gdpr-art5-1b')).toContain(
        '2 refused purpose requests recorded in the audit log',
      );
      expect(await evidenceText('gdpr-art5-1e')).toMatch(
        /spend #\d+ on adult-census at 2025-\d\d-\d\d \(retain until 2025-02-28\)/,
      );
      expect(await evidenceText('gdpr-art25')).toContain('epsilon 5.632 of 8');

      for (const id of ['summary', 'privacy', 'utility', 'audit', 'datasets', 'controls']) {
        expect(await page.locator(`section#${id}`).count(), id).toBe(1);
      }
      expect(await page.$eval('#audit', (s) => s.getAttribute('data-verified'))).toBe('true');
      expect(await page.$eval('tr[data-account="acme"] td[data-epsilon-spent]', (td) => td.textContent)).toBe(
        '5.632',
      );
      expect(await page.$eval('li[data-count="not met"] strong', (s) => s.textContent)).toBe('1');

      // the inline CSS applies: a 'not met' status is drawn red on pink, a 'met' one green
      const background = (status: string) =>
        page.evaluate(
          `getComputedStyle(document.querySelector('tr[data-status="${status}"] span.status')).backgroundColor`,
        );
      expect(await background('not met')).toBe('rgb(255, 235, 233)');
      expect(await background('met')).toBe('rgb(218, 251, 225)');

      expect(requests).toEqual([]); // self-contained: the page loads nothing
      page.removeAllListeners('request');
    });

    it('renders a HIPAA report with a Safe Harbor section and prints it to PDF', async () => {
      const safeHarbor = safeHarborCheck({
        text: 'ssn,bmi_band\n123-45-6789,2\n987-65-4321,3\n',
        source: 'raw.csv',
      });
      const hipaa = renderHtml(buildReport(sampleEvidence({ safeHarbor }), 'hipaa'));
      await page.setContent(hipaa, { waitUntil: 'load' });
      expect(
        await page.$eval('tr[data-control="hipaa-164-514b2"]', (r) => r.getAttribute('data-status')),
      ).toBe('not met');
      expect(await page.locator('#safe-harbor tr[data-finding="ssn"]').count()).toBe(1);
      expect(await page.textContent('body')).not.toContain('123-45-6789');

      const dir = mkdtempSync(join(tmpdir(), 'veil-report-'));
      try {
        const out = join(dir, 'hipaa.pdf');
        const bytes = await renderPdf(hipaa, out, { browser });
        const pdf = readFileSync(out);
        expect(pdf.length).toBe(bytes);
        expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
        expect(bytes).toBeGreaterThan(10_000);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
