/**
 * `veil synth` (fit a differentially private model of a CSV and write synthetic rows) and `veil synth sample`
 * (more rows from a saved model, at no privacy cost). The flags become the jobs' specs (src/jobs/synth); this
 * file renders their progress on stderr and their summaries.
 */
import {
  type JobEvent,
  ledgerAt,
  ledgerUrl,
  parseSpec,
  runSynthJob,
  runSynthSampleJob,
  SynthSampleSpecSchema,
  SynthSpecSchema,
} from '../../jobs/index.js';
import type { CommandResult, GlobalOptions, Io } from '../output.js';
import { progressPrinter } from '../progress.js';
import { type FlagBinding, specFromFlags } from '../spec-flags.js';

/** Raw flags of `veil synth` (strings from commander). */
export interface SynthFlags {
  readonly data?: string;
  readonly domain?: string;
  readonly method?: string;
  readonly epsilon?: string;
  readonly delta?: string;
  readonly rows?: string;
  readonly out?: string;
  readonly save?: string;
  readonly force?: boolean;
  readonly budgetAccount?: string;
  readonly dataName?: string;
  readonly purpose?: string;
  readonly db?: string;
}

/** Raw flags of `veil synth sample`. */
export interface SynthSampleFlags {
  readonly model?: string;
  readonly rows?: string;
  readonly out?: string;
  readonly force?: boolean;
}

const n = (flag: string, path: string, raw: unknown): FlagBinding => ({ flag, path, raw, kind: 'number' });
const t = (flag: string, path: string, raw: unknown): FlagBinding => ({ flag, path, raw, kind: 'text' });

/** The job's stages on stderr (`synth: sampling 1000 rows`), and everything else as other jobs print it. */
function synthProgress(io: Io): (e: JobEvent) => void {
  const rest = progressPrinter(io);
  return (e) => (e.kind === 'progress' ? io.stderr(`synth: ${e.message}\n`) : rest(e));
}

/** Runs `veil synth`: flags → spec → the synth job → summary and text. */
export async function synth(flags: SynthFlags, global: GlobalOptions, io: Io): Promise<CommandResult> {
  const { spec: raw, renamed } = specFromFlags([
    t('--data', 'data', flags.data),
    t('--domain', 'domain', flags.domain),
    t('--method', 'method', flags.method),
    n('--epsilon', 'epsilon', flags.epsilon),
    n('--delta', 'delta', flags.delta),
    n('--rows', 'rows', flags.rows),
    t('--out', 'out', flags.out),
    t('--save', 'save', flags.save),
    { flag: '--force', path: 'force', raw: flags.force, kind: 'boolean' },
    t('--budget-account', 'ledger.account', flags.budgetAccount),
    t('--data-name', 'ledger.dataset', flags.dataName),
    t('--purpose', 'ledger.purpose', flags.purpose),
  ]);
  try {
    const spec = parseSpec(SynthSpecSchema, raw, 'command-line flags');
    const { summary } = await runSynthJob(spec, {
      ledger: ledgerAt(ledgerUrl(flags.db), { name: '--db' }),
      principal: process.env['USER'] || 'cli',
      ...(global.seed === undefined ? {} : { seed: global.seed }),
      progress: synthProgress(io),
    });
    const ledger = summary['ledger'] as { spend: { id: number; account: string } | null } | undefined;
    // mst/aim report their zCDP budget rho; dpgan its DP-SGD plan (src/jobs/synth/methods.ts)
    const accounting =
      summary['rho'] !== undefined
        ? `rho ${summary['rho']}`
        : `${summary['accountant']} accountant, noise multiplier ${summary['noiseMultiplier']} over ${summary['steps']} steps at sampling rate ${summary['sampleRate']}`;
    const text = [
      `wrote ${summary['rows']} synthetic rows to ${summary['out']} (${summary['method']}, epsilon ${summary['epsilon']}, delta ${summary['delta']}, ${accounting}) in ${summary['seconds']} s${summary['private'] ? '' : ' — NOT private (seeded)'}`,
    ];
    if (summary['saved'] !== undefined)
      text.push(`model saved to ${summary['saved']} (veil synth sample --model)`);
    if (ledger?.spend) text.push(`ledger: spend ${ledger.spend.id} on ${ledger.spend.account}`);
    return { summary, text };
  } catch (err) {
    throw renamed(err);
  }
}

/** Runs `veil synth sample`: more rows from a saved model (no privacy cost, no ledger). */
export async function synthSample(
  flags: SynthSampleFlags,
  global: GlobalOptions,
  io: Io,
): Promise<CommandResult> {
  const { spec: raw, renamed } = specFromFlags([
    t('--model', 'model', flags.model),
    n('--rows', 'rows', flags.rows),
    t('--out', 'out', flags.out),
    { flag: '--force', path: 'force', raw: flags.force, kind: 'boolean' },
  ]);
  try {
    const spec = parseSpec(SynthSampleSpecSchema, raw, 'command-line flags');
    const { summary } = runSynthSampleJob(spec, {
      ...(global.seed === undefined ? {} : { seed: global.seed }),
      progress: synthProgress(io),
    });
    return {
      summary: { ...summary },
      text: [
        `wrote ${summary.rows} synthetic rows to ${summary.out} from ${summary.model} (${summary.method}, epsilon ${summary.epsilon}; no privacy spent)`,
      ],
    };
  } catch (err) {
    throw renamed(err);
  }
}
