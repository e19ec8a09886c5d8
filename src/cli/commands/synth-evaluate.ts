/**
 * `veil synth evaluate`: how close synthetic rows are to the real ones they imitate (marginal TV error, train on
 * synthetic / test on real, exact copies, distance to the closest record, membership inference). The flags become
 * the job's spec (src/jobs/synth/evaluate.ts); this file renders the summary. No ledger, no privacy spent; the
 * output is not private (it compares with the real rows).
 */
import {
  type JobEvent,
  parseSpec,
  runSynthEvaluateJob,
  type SynthEvaluateResult,
  SynthEvaluateSpecSchema,
} from '../../jobs/index.js';
import type { CommandResult, GlobalOptions, Io } from '../output.js';
import { progressPrinter } from '../progress.js';
import { type FlagBinding, specFromFlags } from '../spec-flags.js';

/** Raw flags of `veil synth evaluate` (strings from commander). */
export interface SynthEvaluateFlags {
  readonly real?: string;
  readonly synthetic?: string;
  readonly domain?: string;
  readonly test?: string;
  readonly label?: string;
  readonly html?: string;
  readonly epsilon?: string;
  readonly delta?: string;
}

/** The options `veil synth evaluate` shares with `veil synth` (commander hands them to the parent command). */
export const SYNTH_EVALUATE_SHARED = ['domain', 'epsilon', 'delta'] as const;

const n = (flag: string, path: string, raw: unknown): FlagBinding => ({ flag, path, raw, kind: 'number' });
const t = (flag: string, path: string, raw: unknown): FlagBinding => ({ flag, path, raw, kind: 'text' });

function evaluateProgress(io: Io): (e: JobEvent) => void {
  const rest = progressPrinter(io);
  return (e) => (e.kind === 'progress' ? io.stderr(`synth evaluate: ${e.message}\n`) : rest(e));
}

/** Runs `veil synth evaluate`: flags → spec → the evaluate job → the summary and its text. */
export function synthEvaluate(flags: SynthEvaluateFlags, global: GlobalOptions, io: Io): CommandResult {
  const { spec: raw, renamed } = specFromFlags([
    t('--real', 'real', flags.real),
    t('--synthetic', 'synthetic', flags.synthetic),
    t('--domain', 'domain', flags.domain),
    t('--test', 'test', flags.test),
    t('--label', 'label', flags.label),
    t('--html', 'html', flags.html),
    n('--epsilon', 'epsilon', flags.epsilon),
    n('--delta', 'delta', flags.delta),
  ]);
  try {
    const spec = parseSpec(SynthEvaluateSpecSchema, raw, 'command-line flags');
    const { summary } = runSynthEvaluateJob(spec, {
      ...(global.seed === undefined ? {} : { seed: global.seed }),
      progress: evaluateProgress(io),
    });
    return { summary: { ...summary }, text: evaluationText(summary) };
  } catch (err) {
    throw renamed(err);
  }
}

const f = (x: number | null | undefined, digits = 3) =>
  x === null || x === undefined || Number.isNaN(x) ? '—' : String(Number(x.toPrecision(digits)));
const pct = (x: number) => `${f(100 * x)}%`;

/** The readable summary of an evaluation. */
export function evaluationText(s: SynthEvaluateResult['summary']): string[] {
  const lines = [
    `evaluated ${s.rows.synthetic} synthetic rows against ${s.rows.real} real rows${s.rows.test === null ? '' : ` and ${s.rows.test} held-out rows`} over ${s.attributes.length} attributes in ${s.seconds} s`,
    `NOT differentially private (it compares with the real rows): for the data holder, not for release`,
  ];
  const ways = s.marginals.ways
    .filter((w) => w.evaluated > 0)
    .map(
      (w) =>
        `${w.way}-way ${f(w.mean)} (${w.sampled ? `sample of ${w.evaluated} of ${w.total}` : `all ${w.total}`})`,
    );
  lines.push(`marginal TV error, mean: ${ways.join(', ')}`);
  const c = s.classifier;
  if (c) {
    const what = c.averaging === 'binary' ? 'F1 of class 1' : 'macro F1, one-vs-rest AUC';
    lines.push(
      `logistic regression for ${c.label}, tested on the held-out rows (${what}): trained on synthetic accuracy ${f(c.synthetic.accuracy)} AUC ${f(c.synthetic.auc)} F1 ${f(c.synthetic.f1)}; on real accuracy ${f(c.real.accuracy)} AUC ${f(c.real.auc)} F1 ${f(c.real.f1)} (majority class ${f(c.majorityAccuracy)})`,
    );
  }
  const e = s.exactCopies;
  lines.push(
    `exact copies of training rows: ${pct(e.synthetic.rate)} of synthetic rows (${e.synthetic.copies})${e.holdout ? `; held-out real rows: ${pct(e.holdout.rate)}` : ''}`,
  );
  const q = s.dcr.toTrain.quantiles;
  const o = s.dcr.holdout;
  lines.push(
    `distance to closest training record (Hamming over ${s.dcr.attributes} attributes, ${s.dcr.sampled} sampled synthetic rows): mean ${f(s.dcr.toTrain.mean)}, 5% ${f(q.p05)}, median ${f(q.median)}${o ? `; closer to train ${pct(o.closerToTrain)}, to holdout ${pct(o.closerToHoldout)}, tied ${pct(o.tied)}` : ''}`,
  );
  const m = s.membership;
  if (m) {
    const at = m.tprAt
      .map((x) => `TPR ${f(x.tpr)} at FPR ${x.fpr}${x.bound === null ? '' : ` (DP bound ${f(x.bound)})`}`)
      .join(', ');
    const bound = m.privacy ? ` (DP bound ${f(m.privacy.aucBound)})` : '';
    lines.push(
      `membership inference (${m.members} members, ${m.nonMembers} held-out): AUC ${f(m.auc)}${bound}, ${at}`,
    );
  }
  if (s.html !== null) lines.push(`wrote ${s.html}`);
  return lines;
}
