/**
 * Compliance evidence reports (`veil report`), one organisation's at a time: the evidence is gathered from the
 * shared ledger scoped to the caller's organisation (its accounts are its root and below, its datasets
 * `org.name`), so a report never names another organisation's accounts, spends or datasets. The audit log's
 * verification in it is about the whole log, and says so. Reading a report changes nothing and, like reading or
 * exporting the audit log, is not itself an audit entry.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { buildReport, gatherEvidence, REGULATIONS, renderHtml, renderPdf } from '../../compliance/index.js';
import { HttpError } from '../../transport/index.js';
import { callerOf, type ServiceContext } from '../app/context.js';

/** The formats a report is served in; pdf only where the service has a Chromium (VEIL_CHROMIUM). */
export const REPORT_FORMATS = ['json', 'html', 'pdf'] as const;

/** What a report says of the ledger's location: the service's file paths and database URL stay on the server. */
const LOCATION = "this Veil service's shared ledger";

/** The report page's own policy, also sent as a header: no script, no request, inline styles only. */
const HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'";

export function reportRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  // one Chromium at a time: each PDF launches a browser (5-8 s here, a few hundred MB)
  let printing: Promise<unknown> = Promise.resolve();
  r.get(
    '/v1/reports/:regulation',
    {
      config: { access: 'reports.read' },
      schema: {
        tags: ['reports'],
        summary:
          "The organisation's compliance evidence report (GDPR, HIPAA or CCPA) as JSON, an HTML page or a PDF",
        params: z.object({
          regulation: z.enum(REGULATIONS, { error: `must be one of ${REGULATIONS.join(', ')}` }),
        }),
        querystring: z
          .object({
            format: z
              .enum(REPORT_FORMATS, { error: `must be one of ${REPORT_FORMATS.join(', ')}` })
              .default('json'),
          })
          .strict(),
      },
    },
    async (req, reply) => {
      const org = callerOf(req).org;
      const { format } = req.query;
      const chromium = process.env['VEIL_CHROMIUM'] || undefined;
      if (format === 'pdf' && chromium === undefined)
        throw new HttpError(
          400,
          'unsupported_format',
          'format: this service has no Chromium to print PDFs (VEIL_CHROMIUM is unset); one of json, html',
        );
      const evidence = await gatherEvidence(ctx.ledger, {
        scope: { account: org, datasetPrefix: `${org}.` },
      });
      const report = buildReport(
        { ...evidence, ledger: { location: LOCATION, dialect: evidence.ledger.dialect } },
        req.params.regulation,
      );
      if (format === 'json') return report;
      const html = renderHtml(report);
      reply.header('x-content-type-options', 'nosniff');
      if (format === 'html')
        return reply.header('content-security-policy', HTML_CSP).type('text/html; charset=utf-8').send(html);
      const pdf = printing.then(() => printPdf(html, chromium!));
      printing = pdf.catch(() => {});
      return reply
        .header('content-disposition', `attachment; filename="${org}-${report.regulation}-report.pdf"`)
        .type('application/pdf')
        .send(await pdf);
    },
  );
}

/** Prints `html` to a PDF in a temporary directory and returns its bytes (the directory is removed). */
async function printPdf(html: string, executablePath: string): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'veil-report-'));
  try {
    const file = join(dir, 'report.pdf');
    await renderPdf(html, file, { executablePath });
    return await readFile(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
