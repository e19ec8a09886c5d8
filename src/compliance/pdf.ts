/**
 * Printing a report page to PDF through playwright-core and a locally installed Chromium (Debian's `chromium`;
 * `.ci/setup-chromium.sh` installs it and exports VEIL_CHROMIUM). Nothing is downloaded: without a browser this
 * throws and says how to get one.
 */
import { writeFile } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { UnsupportedError } from '../core/index.js';

export interface PdfOptions {
  /** A browser already launched through playwright-core, reused and left open (saves a launch: ~1-3 s). */
  readonly browser?: Browser;
  /** The Chromium executable (default: the VEIL_CHROMIUM environment variable). */
  readonly executablePath?: string;
  /** Paper format (default 'A4'). */
  readonly format?: 'A4' | 'Letter';
}

/**
 * Renders an HTML report page to a PDF file.
 *
 * @param html a page from {@link renderHtml} (self-contained: the browser loads nothing else).
 * @param out the PDF file to write.
 * @returns the number of bytes written.
 * @throws {UnsupportedError} VEIL_UNSUPPORTED when no Chromium executable is known.
 * @example
 * await renderPdf(renderHtml(buildReport(evidence, 'gdpr')), 'gdpr-report.pdf');
 */
export async function renderPdf(html: string, out: string, options: PdfOptions = {}): Promise<number> {
  if (options.browser !== undefined) return printTo(options.browser, html, out, options);
  const executablePath = options.executablePath ?? process.env['VEIL_CHROMIUM'];
  if (!executablePath) {
    throw new UnsupportedError(
      "renderPdf: no Chromium executable; install Debian's chromium (apt-get install chromium) and set " +
        'VEIL_CHROMIUM=$(command -v chromium), or use renderHtml and print the page from a browser',
      { executablePath: null },
    );
  }
  const { chromium } = await import('playwright-core');
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start; the page is our own, script-free.
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  try {
    return await printTo(browser, html, out, options);
  } finally {
    await browser.close();
  }
}

async function printTo(browser: Browser, html: string, out: string, options: PdfOptions): Promise<number> {
  const page = await browser.newPage();
  try {
    await page.setContent(html, { waitUntil: 'load' });
    const pdf = await page.pdf({ format: options.format ?? 'A4', printBackground: true });
    await writeFile(out, pdf);
    return pdf.length;
  } finally {
    await page.close();
  }
}
