/**
 * The specs of the ledger's jobs: budget accounts, spends and planning, datasets and their consent terms, the
 * audit log, compliance reports. One zod schema per job, which CLI flags and (later) HTTP bodies parse into.
 * What only the ledger can know (an account exists, a purpose is allowed) the ledger checks.
 */
import { z } from 'zod';
import { ACCOUNTANT_KINDS, PrivacyEventSchema } from '../../accounting/index.js';
import { REGULATIONS } from '../../compliance/index.js';
import type { AuditExport, SignedTreeHead } from '../../ledger/index.js';
import { accountPath, integer, isoDate, nonNegative, oneOf, positive, text } from '../fields.js';

const ACCOUNT_DELTA = 'a number in (0, 1), e.g. 1e-5: every accountant states epsilon at a delta > 0';

/**
 * `veil budget create`: an account with an (epsilon, delta) limit, composed by its accountant. The delta is
 * required and > 0: the accountants state epsilon at a delta > 0, so an account at delta 0 could grant no spend.
 */
export const BudgetCreateSpecSchema = z
  .object({
    account: accountPath(),
    epsilon: positive(),
    delta: z.number({ error: ACCOUNT_DELTA }).gt(0, { error: ACCOUNT_DELTA }).lt(1, { error: ACCOUNT_DELTA }),
    accountant: oneOf(ACCOUNTANT_KINDS).default('rdp'),
  })
  .strict();

/** A non-empty JSON array of privacy events, reported as one problem (the first the event schema finds). */
const EventsSchema = z.unknown().transform((raw, ctx) => {
  const parsed = PrivacyEventSchema.array().min(1).safeParse(raw);
  if (parsed.success) return parsed.data;
  ctx.addIssue({
    code: 'custom',
    message: `a JSON array of privacy events: ${parsed.error.issues[0]?.message}`,
    input: raw,
  });
  return z.NEVER;
});

/**
 * `veil budget spend`: an (epsilon, delta) release (recorded as a pure-DP event when delta is 0, approximate-DP
 * otherwise) or privacy events composed exactly by the account's accountant.
 */
export const BudgetSpendSpecSchema = z
  .object({
    account: accountPath(),
    release: z.discriminatedUnion(
      'kind',
      [
        z
          .object({
            kind: z.literal('epsilon-delta'),
            epsilon: positive(),
            delta: nonNegative().lt(1, { error: 'a number in [0, 1)' }).default(0),
          })
          .strict(),
        z.object({ kind: z.literal('events'), events: EventsSchema }).strict(),
      ],
      { error: 'an (epsilon, delta) release or a list of privacy events' },
    ),
    purpose: text('why the budget is spent (recorded with the spend)'),
    /** A registered dataset: the spend is refused unless its terms allow the purpose. */
    dataset: text('a registered dataset').optional(),
  })
  .strict();

/** `veil budget show`. */
export const BudgetShowSpecSchema = z.object({ account: accountPath() }).strict();

/** `veil budget forecast`: the last `window` granted spends set the pattern and the rate. */
export const BudgetForecastSpecSchema = z
  .object({ account: accountPath(), window: integer(2, 100_000).default(10) })
  .strict();

const JOBS = 'a JSON array of at least one planned job';
/** `veil budget allocate`: the planned jobs are checked by the ledger's planner (each job's shape and kind). */
export const BudgetAllocateSpecSchema = z
  .object({ account: accountPath(), jobs: z.array(z.unknown(), { error: JOBS }).min(1, { error: JOBS }) })
  .strict();

const PURPOSES = 'at least one allowed purpose';
/** `veil dataset register`: a data file's fingerprint and its consent terms. */
export const DatasetRegisterSpecSchema = z
  .object({
    name: text("the dataset's name, e.g. 'adult-2024'"),
    file: text('the data file to fingerprint'),
    purposes: z.array(text('an allowed purpose'), { error: PURPOSES }).min(1, { error: PURPOSES }),
    /** An ISO date after which the data may not be used (the ledger checks the date). */
    retainUntil: isoDate().optional(),
    constraints: z.array(z.string()).default([]),
    description: z.string().default(''),
  })
  .strict();

/** `veil dataset check`: whether the terms allow a purpose now (and that a file is the registered data). */
export const DatasetCheckSpecSchema = z
  .object({
    name: text('a registered dataset'),
    purpose: text('the purpose of the intended use'),
    file: text('the data file about to be used').optional(),
  })
  .strict();

/** `veil audit show`: entries oldest first, or one entry (and its inclusion proof). */
export const AuditShowSpecSchema = z
  .object({
    from: integer(0).default(0),
    limit: integer(1).default(50),
    account: accountPath().optional(),
    dataset: text('a dataset name').optional(),
    entry: integer(0).optional(),
    proof: z.boolean().default(false),
  })
  .strict()
  // run on invalid fields too, so that every problem is reported at once
  .superRefine(
    (s, ctx) => {
      if (s.proof === true && s.entry === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['proof'],
          message: 'used with an entry (the one to prove)',
          input: true,
        });
    },
    { when: () => true },
  );

const PUBLIC_KEY = "the audit log's public key: 64 hex digits";
/** An Ed25519 public key as 64 hex digits, lower-cased. */
const PublicKeySchema = z
  .string({ error: PUBLIC_KEY })
  .regex(/^[0-9a-f]{64}$/i, { error: PUBLIC_KEY })
  .transform((key) => key.toLowerCase());

/**
 * `veil audit verify`: the ledger's log, or an export of it (with a signed tree head kept by a witness). The
 * export's structure is checked by the verification itself.
 */
export const AuditVerifySpecSchema = z
  .object({
    /** The key heads must be signed with (default: the ledger's key, or the export's own). */
    trustedPublicKey: PublicKeySchema.optional(),
    source: z
      .discriminatedUnion(
        'kind',
        [
          z.object({ kind: z.literal('ledger') }).strict(),
          z
            .object({
              kind: z.literal('export'),
              bundle: z.custom<AuditExport>((v) => v !== undefined, {
                error: 'an export from veil audit export',
              }),
              witness: z.custom<SignedTreeHead | null>().optional(),
            })
            .strict(),
        ],
        { error: 'the ledger or an export' },
      )
      .default({ kind: 'ledger' }),
  })
  .strict();

/** `veil audit export`: a file an auditor can verify offline. */
export const AuditExportSpecSchema = z
  .object({ out: text('the file to write the export to'), force: z.boolean().default(false) })
  .strict();

/** `veil report`: a compliance evidence report from the ledger's records. */
export const ReportSpecSchema = z
  .object({
    regulation: z.enum(REGULATIONS, {
      error: (issue) =>
        issue.input === undefined ? REGULATIONS.join(' | ') : `one of ${REGULATIONS.join(', ')}`,
    }),
    format: oneOf(['html', 'json', 'pdf'] as const).default('html'),
    out: text('the file to write the report to'),
    force: z.boolean().default(false),
    /** A CSV for the HIPAA Safe Harbor identifier check (counts and shapes only are kept). */
    datasetFile: text('a CSV file').optional(),
    trustedPublicKey: PublicKeySchema.optional(),
  })
  .strict();

export type BudgetCreateSpec = z.output<typeof BudgetCreateSpecSchema>;
export type BudgetSpendSpec = z.output<typeof BudgetSpendSpecSchema>;
export type BudgetShowSpec = z.output<typeof BudgetShowSpecSchema>;
export type BudgetForecastSpec = z.output<typeof BudgetForecastSpecSchema>;
export type BudgetAllocateSpec = z.output<typeof BudgetAllocateSpecSchema>;
export type DatasetRegisterSpec = z.output<typeof DatasetRegisterSpecSchema>;
export type DatasetCheckSpec = z.output<typeof DatasetCheckSpecSchema>;
export type AuditShowSpec = z.output<typeof AuditShowSpecSchema>;
export type AuditVerifySpec = z.output<typeof AuditVerifySpecSchema>;
export type AuditExportSpec = z.output<typeof AuditExportSpecSchema>;
export type ReportSpec = z.output<typeof ReportSpecSchema>;
