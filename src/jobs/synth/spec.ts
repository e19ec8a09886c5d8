/**
 * The specs of the synthetic-data jobs: `veil synth` (fit a private model of a CSV and sample it) and
 * `veil synth sample` (sample a saved model again, at no privacy cost). Ranges and the rules between fields are
 * checked here, once.
 */
import { z } from 'zod';
import { accountPath, integer, openUnit, positive, text } from '../fields.js';
import { METHOD_NAMES } from './methods.js';

const LedgerSchema = z
  .object({
    /** The account charged, before the model is fitted, with the method's whole budget (refused: nothing runs). */
    account: accountPath().optional(),
    /** The registered dataset `data` is: its consent terms and fingerprint are checked before the file is read. */
    dataset: text('a registered dataset name').optional(),
    purpose: text('why the data is used (checked against its consent terms, recorded)').optional(),
  })
  .strict();

/** The input of `veil synth`. */
export const SynthSpecSchema = z
  .object({
    /** A CSV file with a header row; every column categorical in the domain. */
    data: text('a CSV file with a header row'),
    /** A domain JSON file (src/ml/data/domain.ts) declaring every column of the CSV. */
    domain: text('a domain JSON file'),
    method: z.enum(METHOD_NAMES, { error: `one of ${METHOD_NAMES.join(', ')}` }),
    epsilon: positive(),
    delta: openUnit(),
    /** The number of synthetic rows to write. */
    rows: integer(1, 1_000_000),
    /** The synthetic CSV to write. */
    out: text('a CSV file to write'),
    /** Where to save the model (JSON) for `veil synth sample`. */
    save: text('a JSON file to write the model to').optional(),
    /** Only the data rows [from, to) (0-based, header excluded) are the records; default all. */
    records: z
      .tuple([integer(0, 1e9), integer(1, 1e9)], { error: '[from, to): data rows, 0-based, to > from' })
      .refine(([a, b]) => b > a, { error: '[from, to) with to > from' })
      .optional(),
    /** Replace `out` (and `save`) when they exist. */
    force: z.boolean().default(false),
    ledger: LedgerSchema.optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const issue = (path: string[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message, input: undefined });
    const l = s.ledger;
    if (l && (l.account !== undefined || l.dataset !== undefined) && l.purpose === undefined)
      issue(['ledger', 'purpose'], 'why the data is used (checked against its consent terms, recorded)');
    if (s.save !== undefined && s.save === s.out) issue(['save'], 'a file other than the output CSV');
  });

/** `veil synth`'s input as written (flags, file, body). */
export type SynthSpecInput = z.input<typeof SynthSpecSchema>;
/** A validated `veil synth` spec. */
export type SynthSpec = z.output<typeof SynthSpecSchema>;

/** The input of `veil synth sample`. */
export const SynthSampleSpecSchema = z
  .object({
    /** A model saved by `veil synth --save`. */
    model: text('a model JSON file saved by veil synth --save'),
    rows: integer(1, 1_000_000),
    out: text('a CSV file to write'),
    force: z.boolean().default(false),
  })
  .strict();

/** A validated `veil synth sample` spec. */
export type SynthSampleSpec = z.output<typeof SynthSampleSpecSchema>;
