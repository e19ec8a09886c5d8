/**
 * `veil psi`, `veil psi serve`, `veil psi join`: private set intersection of CSVs on an identifier column. The
 * flags become the jobs' specs (src/jobs/mpc/psi.ts); this file renders the results.
 */
import { PsiPartySpecSchema, PsiRunSpecSchema, runPsiJob, runPsiPartyJob } from '../../jobs/index.js';
import type { CommandResult, GlobalOptions, Io } from '../output.js';
import { parseFlags, textFlag as t } from '../parse-flags.js';

/** Raw flags of `veil psi`. */
export interface PsiRunFlags {
  readonly left?: string;
  readonly right?: string;
  readonly key?: string;
  readonly cardinalityOnly?: true;
  readonly out?: string;
  readonly force?: true;
  readonly normalise?: string;
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

/** `veil psi`: both parties in this process. */
export async function psiRun(flags: PsiRunFlags): Promise<CommandResult> {
  const { spec, renamed } = parseFlags(PsiRunSpecSchema, [
    t('--left', 'left', flags.left),
    t('--right', 'right', flags.right),
    t('--key', 'key', flags.key),
    { flag: '--cardinality-only', path: 'cardinalityOnly', raw: flags.cardinalityOnly, kind: 'boolean' },
    t('--out', 'out', flags.out),
    { flag: '--force', path: 'force', raw: flags.force, kind: 'boolean' },
    t('--normalise', 'normalise', flags.normalise),
  ]);
  let r: Awaited<ReturnType<typeof runPsiJob>>;
  try {
    r = await runPsiJob(spec);
  } catch (err) {
    throw renamed(err);
  }
  return {
    summary: {
      intersection: r.intersection,
      leftSize: r.leftSize,
      rightSize: r.rightSize,
      bytes: r.bytes,
      ms: r.ms,
      mode: r.mode,
      normalise: r.normalise,
      ...(r.files ? { files: r.files } : {}),
    },
    text: [
      `${r.intersection} identifiers in common (left ${r.leftSize}, right ${r.rightSize}; identifiers normalised by rule ${r.normalise})${r.mode === 'cardinality' ? ': the count only' : ''}`,
      `${mib(r.bytes)} exchanged in ${(r.ms / 1000).toFixed(2)} s`,
      ...(r.files ? [`aligned rows: ${r.files.left}, ${r.files.right}`] : []),
    ],
  };
}

/** Raw flags of `veil psi serve` and `veil psi join`. */
export interface PsiPartyFlags {
  readonly data?: string;
  readonly key?: string;
  readonly cardinalityOnly?: true;
  readonly out?: string;
  readonly force?: true;
  readonly normalise?: string;
  readonly listen?: string;
  readonly connect?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly tlsCa?: string;
}

async function party(flags: PsiPartyFlags, io: Io, side: 'serve' | 'join'): Promise<CommandResult> {
  const { spec, renamed } = parseFlags(PsiPartySpecSchema, [
    t('--data', 'data', flags.data),
    t('--key', 'key', flags.key),
    { flag: '--cardinality-only', path: 'cardinalityOnly', raw: flags.cardinalityOnly, kind: 'boolean' },
    t('--out', 'out', flags.out),
    { flag: '--force', path: 'force', raw: flags.force, kind: 'boolean' },
    t('--normalise', 'normalise', flags.normalise),
    side === 'serve' ? t('--listen', 'listen', flags.listen) : t('--connect', 'connect', flags.connect),
    t('--tls-cert', 'cert', flags.tlsCert),
    t('--tls-key', 'tlsKey', flags.tlsKey),
    t('--tls-ca', 'ca', flags.tlsCa),
  ]);
  let r: Awaited<ReturnType<typeof runPsiPartyJob>>;
  try {
    r = await runPsiPartyJob(spec, (url) => io.stderr(`psi: listening on ${url}\n`));
  } catch (err) {
    throw renamed(err);
  }
  return {
    summary: { ...r },
    text: [
      `${r.intersection} identifiers in common (this party ${r.size}, the other ${r.peerSize}; rule ${r.normalise})${r.mode === 'cardinality' ? ': the count only' : ''}`,
      `${mib(r.bytes)} exchanged in ${(r.ms / 1000).toFixed(2)} s${r.file ? `; aligned rows in ${r.file}` : ''}`,
    ],
  };
}

/** `veil psi serve`. */
export function psiServe(flags: PsiPartyFlags, _global: GlobalOptions, io: Io): Promise<CommandResult> {
  return party(flags, io, 'serve');
}

/** `veil psi join`. */
export function psiJoin(flags: PsiPartyFlags, _global: GlobalOptions, io: Io): Promise<CommandResult> {
  return party(flags, io, 'join');
}
