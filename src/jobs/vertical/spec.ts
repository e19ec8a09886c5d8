/**
 * The spec of `veil vertical train`: two parties' CSVs with a shared identifier column, aligned by PSI, then
 * logistic regression by secure two-party computation (src/mpc/vertical).
 */
import { z } from 'zod';
import { NORMALISE_RULES } from '../../mpc/index.js';
import { accountPath, integer, nonNegative, oneOf, openUnit, positive, text } from '../fields.js';

const PartySchema = z
  .object({
    name: text('a party name'),
    file: text('a CSV file'),
    columns: z
      .array(text('a column name'), { error: 'a list of feature columns' })
      .min(1, { error: 'at least one feature column' }),
  })
  .strict();

/** `veil vertical train`. */
export const VerticalTrainSpecSchema = z
  .object({
    /** Exactly two parties; the one whose CSV has the label column is party 0 (the label holder). */
    parties: z.array(PartySchema).length(2, { error: 'exactly two parties (more are not supported yet)' }),
    /** The identifier column both CSVs have. */
    key: text('the identifier column'),
    /** The label column (binary), in exactly one party's CSV. */
    label: text('the label column'),
    /** A domain file declaring columns' encodings (data-independent); otherwise they are inferred and reported. */
    domain: z.string().optional(),
    /** How identifiers are normalised before PSI. */
    normalise: oneOf(NORMALISE_RULES).default('trim'),
    /** Rows of the label holder's CSV from this data row on (0-based) are the test set (default: no test set). */
    testFromRow: integer(0).optional(),
    epochs: integer(1, 1000).default(5),
    batchSize: integer(1).default(128),
    learningRate: positive().default(1),
    l2: nonNegative().default(0.0001),
    /** Differential privacy: the target epsilon of the whole training (full-batch steps, one per epoch). */
    epsilon: positive().optional(),
    delta: openUnit().default(1e-5),
    /** Reveal the trained weights to both parties (default: they stay secret-shared). */
    revealModel: z.boolean().default(false),
    /** The budget account charged with the training's privacy loss (with `epsilon`). */
    account: accountPath().optional(),
    purpose: text('why the data is used').optional(),
  })
  .strict();

/** The parsed spec of `veil vertical train`. */
export type VerticalTrainSpec = z.output<typeof VerticalTrainSpecSchema>;

/** `veil vertical serve` / `join`: one party's CSV with the training settings both parties must share. */
export const VerticalPartySpecSchema = VerticalTrainSpecSchema.omit({ parties: true }).extend({
  party: PartySchema,
});
