/**
 * Budget accounts, spends and planning, datasets with their consent terms, and the audit log: the jobs layer's
 * ledger jobs, called with the caller's organisation checked first (its accounts are its root and below; its
 * datasets are named `org.name` in the ledger) and the ledger acting as the caller.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  BudgetAllocateSpecSchema,
  BudgetCreateSpecSchema,
  BudgetForecastSpecSchema,
  BudgetSpendSpecSchema,
  runBudgetAllocate,
  runBudgetCreate,
  runBudgetForecast,
  runBudgetShow,
  runBudgetSpend,
  runDatasetRegister,
} from '../../jobs/index.js';
import { type AuditScope, fingerprintFile } from '../../ledger/index.js';
import { HttpError } from '../../transport/index.js';
import { callerOf, ledgerFor, orgDir, type ServiceContext } from '../app/context.js';
import { orgAccount, scopedDataset } from '../jobs/kinds.js';

const DATASET_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,30}$/;
const DatasetName = z.object({ name: z.string().regex(DATASET_NAME, "1-31 letters, digits, '_' or '-'") });
/** The most spends one account read returns (the rest by `after`). */
const SPENDS_PAGE_MAX = 1000;
/** Accounts whose status one `GET /v1/accounts?status=true` composes: at most, and by default. */
const ACCOUNT_STATUSES_MAX = 100;
const ACCOUNT_STATUSES_DEFAULT = 20;

/** Uploaded datasets: 64 MiB at most per request. */
const UPLOAD_LIMIT = 64 * 1024 * 1024;

/**
 * The organisation's part of the shared audit log: entries about its accounts, and those about its datasets
 * (registration, access), which name the dataset (`org.name@sha256:…`) and no account.
 */
function orgScope(org: string): AuditScope {
  return { account: org, datasetPrefix: scopedDataset(org, '') };
}

export function ledgerRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['budget'];
  r.get(
    '/v1/accounts',
    {
      config: { access: 'budget.read' },
      schema: {
        tags,
        summary:
          "The organisation's budget accounts, by path; with `status=true`, the `limit` accounts nearest the root (by depth, then path) with their status, and `total`",
        querystring: z
          .object({
            status: z.enum(['true', 'false']).default('false'),
            limit: z.coerce.number().int().min(1).max(ACCOUNT_STATUSES_MAX).optional(),
          })
          .strict()
          .refine((q) => q.limit === undefined || q.status === 'true', {
            error: 'limit is only taken with status=true',
            path: ['limit'],
          }),
      },
    },
    async (req) => {
      const org = callerOf(req).org;
      const all = (await ctx.ledger.accounts()).filter((a) => a.path === org || a.path.startsWith(`${org}/`));
      if (req.query.status !== 'true') return { accounts: all };
      // an overview in one request: each status composes the account's subtree, so only the first `limit`
      const depth = (path: string) => path.split('/').length;
      const nearest = [...all]
        .sort((a, b) => depth(a.path) - depth(b.path) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
        .slice(0, req.query.limit ?? ACCOUNT_STATUSES_DEFAULT);
      const statuses = [];
      for (const a of nearest) statuses.push(await ctx.ledger.status(a.path));
      return { total: all.length, statuses };
    },
  );
  r.post(
    '/v1/accounts',
    {
      config: { access: 'budget.manage' },
      schema: { tags, summary: 'Create a budget account', body: BudgetCreateSpecSchema },
    },
    async (req, reply) => {
      const c = callerOf(req);
      orgAccount(c.org, req.body.account, 'account');
      return reply.code(201).send(await runBudgetCreate(req.body, { ledger: ledgerFor(ctx, c) }));
    },
  );
  r.get(
    '/v1/accounts/*',
    {
      config: { access: 'budget.read' },
      schema: {
        tags,
        summary:
          "An account's status and its subtree's spends, oldest first, a page at a time (`next`: the `after` of the next page)",
        params: z.object({ '*': z.string().min(1).max(500) }),
        querystring: z
          .object({
            after: z.coerce.number().int().min(0).optional(),
            limit: z.coerce.number().int().min(1).max(SPENDS_PAGE_MAX).default(SPENDS_PAGE_MAX),
          })
          .strict(),
      },
    },
    async (req) => {
      const c = callerOf(req);
      const account = orgAccount(c.org, req.params['*'], 'account');
      const { after, limit } = req.query;
      // one more than asked: whether there is a next page
      const page = await runBudgetShow(
        { account },
        { ledger: ledgerFor(ctx, c) },
        { ...(after !== undefined ? { after } : {}), limit: limit + 1 },
      );
      const spends = page.spends.slice(0, limit);
      return {
        status: page.status,
        spends,
        next: page.spends.length > limit ? (spends.at(-1)?.id ?? null) : null,
      };
    },
  );
  r.post(
    '/v1/spends',
    {
      config: { access: 'budget.spend' },
      schema: { tags, summary: 'Spend budget on a release made outside Veil', body: BudgetSpendSpecSchema },
    },
    async (req, reply) => {
      const c = callerOf(req);
      orgAccount(c.org, req.body.account, 'account');
      const spec = {
        ...req.body,
        ...(req.body.dataset === undefined ? {} : { dataset: scopedDataset(c.org, req.body.dataset) }),
      };
      return reply.code(201).send(await runBudgetSpend(spec, { ledger: ledgerFor(ctx, c) }));
    },
  );
  r.post(
    '/v1/forecast',
    {
      config: { access: 'budget.read' },
      schema: {
        tags,
        summary: "When an account's budget runs out at its recent pace",
        body: BudgetForecastSpecSchema,
      },
    },
    async (req) => {
      const c = callerOf(req);
      orgAccount(c.org, req.body.account, 'account');
      return runBudgetForecast(req.body, { ledger: ledgerFor(ctx, c) });
    },
  );
  r.post(
    '/v1/allocate',
    {
      config: { access: 'budget.read' },
      schema: { tags, summary: 'Whether planned jobs fit an account', body: BudgetAllocateSpecSchema },
    },
    async (req) => {
      const c = callerOf(req);
      orgAccount(c.org, req.body.account, 'account');
      return runBudgetAllocate(req.body, { ledger: ledgerFor(ctx, c) });
    },
  );

  // ---- datasets ----
  const dtags = ['datasets'];
  r.get(
    '/v1/datasets',
    {
      config: { access: 'datasets.read' },
      schema: { tags: dtags, summary: "The organisation's registered datasets" },
    },
    async (req) => {
      const org = callerOf(req).org;
      const all = await ctx.ledger.datasets();
      return {
        datasets: all
          .filter((d) => d.name.startsWith(`${org}.`))
          .map((d) => ({ ...d, name: d.name.slice(org.length + 1) })),
      };
    },
  );
  r.put(
    '/v1/datasets/:name/data',
    {
      config: { access: 'datasets.manage' },
      bodyLimit: UPLOAD_LIMIT,
      schema: {
        tags: dtags,
        summary: "Upload a dataset's CSV (application/octet-stream) into the organisation's data directory",
        params: DatasetName,
      },
    },
    async (req, reply) => {
      const c = callerOf(req);
      const body = req.body;
      if (!Buffer.isBuffer(body) || body.length === 0)
        throw new HttpError(400, 'bad_request', 'send the CSV as a non-empty application/octet-stream body');
      const dir = orgDir(ctx, c.org);
      const file = join(dir, `${req.params.name}.csv`);
      const registered = (await ctx.ledger.datasets()).find(
        (d) => d.name === scopedDataset(c.org, req.params.name),
      );
      if (registered && existsSync(file))
        throw new HttpError(
          409,
          'dataset_registered',
          'a registered dataset is not replaced: register the new data under a new name',
        );
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.upload`;
      writeFileSync(tmp, body, { mode: 0o600 });
      renameSync(tmp, file);
      return reply
        .code(201)
        .send({ name: req.params.name, bytes: body.length, fingerprint: await fingerprintFile(file) });
    },
  );
  r.post(
    '/v1/datasets',
    {
      config: { access: 'datasets.manage' },
      schema: {
        tags: dtags,
        summary: 'Register an uploaded dataset with its consent terms (the ledger keeps its fingerprint)',
        body: z
          .object({
            name: z.string().regex(DATASET_NAME),
            purposes: z.array(z.string().min(1).max(200)).min(1).max(50),
            retainUntil: z.string().date().optional(),
            constraints: z.array(z.string().max(500)).max(50).default([]),
            description: z.string().max(2000).default(''),
          })
          .strict(),
      },
    },
    async (req, reply) => {
      const c = callerOf(req);
      const file = join(orgDir(ctx, c.org), `${req.body.name}.csv`);
      if (!existsSync(file))
        throw new HttpError(
          404,
          'not_found',
          `upload the data first: PUT /v1/datasets/${req.body.name}/data`,
        );
      const d = await runDatasetRegister(
        {
          name: scopedDataset(c.org, req.body.name),
          file,
          purposes: req.body.purposes,
          constraints: req.body.constraints,
          description: req.body.description,
          ...(req.body.retainUntil === undefined ? {} : { retainUntil: req.body.retainUntil }),
        },
        { ledger: ledgerFor(ctx, c) },
      );
      return reply.code(201).send({ ...d, name: req.body.name });
    },
  );

  // ---- audit ----
  const atags = ['audit'];
  r.get(
    '/v1/audit/entries',
    {
      config: { access: 'audit.read' },
      schema: {
        tags: atags,
        summary:
          "The organisation's audit entries, oldest first (`order=desc`: newest first, `before` to page back), filtered by action (`budget.` for a prefix), outcome, account or dataset",
        querystring: z
          .object({
            from: z.coerce.number().int().min(0).default(0),
            before: z.coerce.number().int().min(0).optional(),
            limit: z.coerce.number().int().min(1).max(1000).default(100),
            order: z.enum(['asc', 'desc']).default('asc'),
            action: z
              .string()
              .regex(/^[a-z][a-z0-9_.-]{0,63}$/, { error: 'an action name, or a prefix ending in "."' })
              .optional(),
            outcome: z
              .string()
              .regex(/^[a-z][a-z0-9_-]{0,31}$/, { error: 'an outcome, e.g. granted, refused, failed' })
              .optional(),
            account: z.string().min(1).max(500).optional(),
            dataset: z.string().min(1).max(200).optional(),
          })
          .strict(),
      },
    },
    async (req) => {
      const org = callerOf(req).org;
      const q = req.query;
      const entries = await ctx.ledger.auditEntries({
        ...(q.account === undefined
          ? { org: orgScope(org) }
          : { account: orgAccount(org, q.account, 'account') }),
        from: q.from,
        limit: q.limit,
        order: q.order,
        ...(q.before === undefined ? {} : { before: q.before }),
        ...(q.action === undefined ? {} : { action: q.action }),
        ...(q.outcome === undefined ? {} : { outcome: q.outcome }),
        // a dataset's name as the organisation knows it (`adult`), or as the ledger does (`acme.adult`)
        ...(q.dataset === undefined
          ? {}
          : { dataset: q.dataset.includes('.') ? q.dataset : scopedDataset(org, q.dataset) }),
      });
      return { entries, head: await ctx.ledger.auditHead() };
    },
  );
  r.get(
    '/v1/audit/entries/:seq',
    {
      config: { access: 'audit.read' },
      schema: {
        tags: atags,
        summary: 'One entry and its inclusion proof',
        params: z.object({ seq: z.coerce.number().int().min(0) }),
      },
    },
    async (req) => {
      const org = callerOf(req).org;
      const [entry] = await ctx.ledger.auditEntries({ from: req.params.seq, limit: 1, org: orgScope(org) });
      if (entry?.seq !== req.params.seq) throw new HttpError(404, 'not_found', 'no such entry');
      return { entry, proof: await ctx.ledger.inclusionProof(entry.seq), head: await ctx.ledger.auditHead() };
    },
  );
  r.get(
    '/v1/audit/verify',
    {
      config: { access: 'audit.read' },
      schema: {
        tags: atags,
        summary: 'Verify the whole log: entries, chain, signed heads, witness, budget tables',
      },
    },
    async () => {
      const v = await ctx.ledger.verifyAudit();
      return {
        ok: v.ok,
        size: v.size,
        budget: { ok: v.budget.ok },
        problems: v.ok ? [] : v.problems.slice(0, 20),
      };
    },
  );
  r.get(
    '/v1/audit/export',
    {
      config: { access: 'audit.export' },
      schema: {
        tags: atags,
        summary: "The organisation's entries with the signed head and the log's public key",
      },
    },
    async (req) => {
      const org = callerOf(req).org;
      const entries = await ctx.ledger.auditEntries({ org: orgScope(org), limit: 1_000_000 });
      return { entries, head: await ctx.ledger.auditHead(), publicKey: ctx.ledger.auditKey.publicKey };
    },
  );
}
