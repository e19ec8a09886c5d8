/**
 * The `veil synth evaluate` job: read the real, synthetic (and held-out) CSVs over one domain, run every check,
 * evaluate (src/synth/evaluate), write the HTML page when asked. It never touches the ledger: the evaluation spends
 * no privacy budget, and it is not private either (it compares with the real rows), so its output is for the
 * data holder, not for release.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../core/index.js';
import { type Domain, loadDomainFile, readCsvTable } from '../../ml/index.js';
import {
  encodeTable,
  evaluateSynthetic,
  type SynthData,
  type SynthEvaluation,
  synthEvaluationPage,
} from '../../synth/index.js';
import { checkCancelled, type JobContext, jobRng } from '../context.js';
import { integer, openUnit, positive, text } from '../fields.js';
import { type ParamField, underFields } from '../input-errors.js';
import { checkOutFile } from '../ledger/out-file.js';
import { encodeTableError } from './encode-error.js';

const CONTEXT = 'synth evaluate spec';

/** The input of `veil synth evaluate`. */
export const SynthEvaluateSpecSchema = z
  .object({
    /** The real rows the generator was fitted on (CSV with a header row). */
    real: text('a CSV file of the real rows the synthetic data was generated from'),
    /** The synthetic rows (CSV; any column order). */
    synthetic: text('a CSV file of synthetic rows'),
    /** A domain JSON file (src/ml/data/domain.ts) declaring every column of the three CSVs. */
    domain: text('a domain JSON file'),
    /** Real rows held out of the generator's input: the classifier's test set and the non-members. */
    test: text('a CSV file of real held-out rows').optional(),
    /** The column the classifier predicts (needs `test`). */
    label: text('a column of the domain').optional(),
    /** Where to write the evaluation as a standalone HTML page. */
    html: text('an HTML file to write').optional(),
    /** The generator's epsilon and delta, when known: the membership check shows the DP bound. */
    epsilon: positive().optional(),
    delta: openUnit().optional(),
    /** At most this many k-way marginals per k (default 1000; more are sampled). */
    maxMarginals: integer(1, 100_000).optional(),
    /** Synthetic rows placed for the distance to the closest record (default 2000). */
    dcrSamples: integer(1, 1_000_000).optional(),
    /** Members and non-members the membership check scores, each (default 2000). */
    membershipSamples: integer(1, 1_000_000).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const issue = (path: string[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message, input: undefined });
    if (s.label !== undefined && s.test === undefined)
      issue(
        ['test'],
        'a CSV file of real held-out rows, needed with label (the classifier is tested on them)',
      );
    if (s.epsilon !== undefined && s.delta === undefined)
      issue(['delta'], "a number in (0, 1), needed with epsilon (the generator's (epsilon, delta))");
    if (s.delta !== undefined && s.epsilon === undefined)
      issue(['epsilon'], "a number > 0, needed with delta (the generator's (epsilon, delta))");
  });

/** `veil synth evaluate`'s input as written. */
export type SynthEvaluateSpecInput = z.input<typeof SynthEvaluateSpecSchema>;
/** A validated `veil synth evaluate` spec. */
export type SynthEvaluateSpec = z.output<typeof SynthEvaluateSpecSchema>;

/** The outcome of `veil synth evaluate`. */
export interface SynthEvaluateResult {
  /** The JSON summary (`--json` prints it): the inputs, the whole evaluation, the HTML file, the time. */
  readonly summary: {
    readonly inputs: {
      readonly real: string;
      readonly synthetic: string;
      readonly test: string | null;
      readonly domain: string;
    };
    readonly private: false;
    readonly note: string;
    readonly html: string | null;
    readonly seconds: number;
  } & SynthEvaluation;
}

/** What every result says about itself. */
export const EVALUATION_NOTE =
  'not differentially private: the evaluation compares the synthetic rows with the real ones; for the data holder, not for release';

type CsvField = 'real' | 'synthetic' | 'test';

/**
 * Runs `veil synth evaluate`: every input check, then the evaluation; no ledger access.
 * @throws {ConfigError} VEIL_CONFIG_INVALID for a missing or unreadable file, a column missing from a CSV or from
 *   the domain, a cell outside the domain, a label not in the domain, or an HTML file Veil cannot write
 */
export function runSynthEvaluateJob(
  spec: SynthEvaluateSpec,
  ctx: Pick<JobContext, 'seed' | 'progress' | 'signal'>,
): SynthEvaluateResult {
  const started = performance.now();
  const step = (stage: string, done: number, message: string) =>
    ctx.progress({ kind: 'progress', stage, done, total: 3, message });
  if (spec.html !== undefined) asHtmlField(() => checkOutFile(spec.html!, true, CONTEXT));
  step('reading', 0, `reading ${spec.real}, ${spec.synthetic}${spec.test ? ` and ${spec.test}` : ''}`);
  const domain = readDomain(spec.domain);
  if (spec.label !== undefined && !domain.has(spec.label))
    throw new ConfigError(
      [
        {
          path: 'label',
          value: spec.label,
          allowed: `a column of the domain (${[...domain.keys()].join(', ')})`,
        },
      ],
      CONTEXT,
    );
  const real = readTable(spec, 'real', domain);
  const synthetic = readTable(spec, 'synthetic', domain);
  const test = spec.test !== undefined ? readTable(spec, 'test', domain) : undefined;
  checkCancelled(ctx);
  step('evaluating', 1, 'marginals, classifier, closest records, membership inference');
  const evaluation = evaluateSynthetic(real, synthetic, jobRng(ctx, 0), {
    ...(test ? { test } : {}),
    ...(spec.label !== undefined ? { label: spec.label } : {}),
    ...(spec.epsilon !== undefined && spec.delta !== undefined
      ? { privacy: { epsilon: spec.epsilon, delta: spec.delta } }
      : {}),
    ...(spec.maxMarginals !== undefined ? { maxMarginals: spec.maxMarginals } : {}),
    ...(spec.dcrSamples !== undefined ? { dcrSamples: spec.dcrSamples } : {}),
    ...(spec.membershipSamples !== undefined ? { membershipSamples: spec.membershipSamples } : {}),
  });
  checkCancelled(ctx);
  if (spec.html !== undefined) {
    step('writing', 2, `writing ${spec.html}`);
    const subtitle = `${spec.synthetic} against ${spec.real}${spec.epsilon !== undefined ? ` (generator: epsilon ${spec.epsilon}, delta ${spec.delta})` : ''}`;
    const page = synthEvaluationPage(evaluation, { subtitle });
    writeHtml(spec.html, page);
  }
  step('done', 3, 'evaluated');
  return {
    summary: {
      inputs: { real: spec.real, synthetic: spec.synthetic, test: spec.test ?? null, domain: spec.domain },
      private: false,
      note: EVALUATION_NOTE,
      ...evaluation,
      html: spec.html ?? null,
      seconds: Math.round(performance.now() - started) / 1000,
    },
  };
}

/** checkOutFile reports at `out`: here the field is `html`. */
function asHtmlField(body: () => void): void {
  try {
    body();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new ConfigError(
      err.issues.map((i) => (i.path === 'out' ? { ...i, path: 'html' } : i)),
      CONTEXT,
    );
  }
}

/** Writes the page; a file-system refusal (disk full, permission) is reported at `html`. */
function writeHtml(path: string, page: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, page);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (!(err instanceof Error) || typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) throw err;
    throw new ConfigError(
      [{ path: 'html', value: path, allowed: `a file Veil can write (${err.message})` }],
      CONTEXT,
    );
  }
}

function readDomain(path: string): Domain {
  try {
    return underFields([{ fn: 'loadDomainFile', param: 'path', path: 'domain' }], CONTEXT, () =>
      loadDomainFile(path),
    );
  } catch (err) {
    if (!(err instanceof ConfigError) || err.issues.some((i) => i.path === 'domain' && i.value === path))
      throw err;
    const at = err.issues.map((i) => `${i.path}: ${i.allowed}`).join('; ');
    throw new ConfigError([{ path: 'domain', value: path, allowed: `a valid domain file (${at})` }], CONTEXT);
  }
}

/** Reads one CSV and encodes it over the domain; problems are reported under the CSV's field. */
function readTable(spec: SynthEvaluateSpec, field: CsvField, domain: Domain): SynthData {
  const path = spec[field]!;
  const fields: readonly ParamField[] = [{ fn: 'veil synth evaluate', param: 'path', path: field }];
  const table = underFields(fields, CONTEXT, () => readCsvTable({ path }, 'veil synth evaluate'));
  try {
    return encodeTable(domain, table);
  } catch (err) {
    throw encodeTableError(err, {
      csv: { field, path },
      domain: spec.domain,
      extraColumnsAt: 'csv',
      context: CONTEXT,
    });
  }
}
