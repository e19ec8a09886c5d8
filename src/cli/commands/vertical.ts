/**
 * `veil vertical train`: two organisations with different columns for the same people find their common rows
 * by PSI and train a logistic regression by secure two-party computation. The flags become the job's spec
 * (src/jobs/vertical); this file renders its result.
 */
import { ConfigError, type ConfigIssue } from '../../core/index.js';
import {
  ledgerAt,
  ledgerUrl,
  parsePartyFlag,
  runVerticalPartyOverNetwork,
  runVerticalTrainJob,
  VerticalPartySpecSchema,
  VerticalTrainSpecSchema,
} from '../../jobs/index.js';
import type { CommandResult, GlobalOptions, Io } from '../output.js';
import { type FlagField, numberFlag as n, parseFlags, textFlag as t } from '../parse-flags.js';
import { progressPrinter } from '../progress.js';

/** Raw flags of `veil vertical train`. */
export interface VerticalTrainFlags {
  readonly party?: string[];
  readonly key?: string;
  readonly label?: string;
  readonly domain?: string;
  readonly normalise?: string;
  readonly testFromRow?: string;
  readonly epochs?: string;
  readonly batchSize?: string;
  readonly lr?: string;
  readonly l2?: string;
  readonly epsilon?: string;
  readonly delta?: string;
  readonly revealModel?: true;
  readonly budgetAccount?: string;
  readonly purpose?: string;
  readonly db?: string;
}

/** The training flags both commands share, bound to their spec fields. */
function trainingFields(flags: Omit<VerticalTrainFlags, 'party'>): FlagField[] {
  return [
    t('--key', 'key', flags.key),
    t('--label', 'label', flags.label),
    t('--domain', 'domain', flags.domain),
    t('--normalise', 'normalise', flags.normalise),
    n('--test-from-row', 'testFromRow', flags.testFromRow),
    n('--epochs', 'epochs', flags.epochs),
    n('--batch-size', 'batchSize', flags.batchSize),
    n('--lr', 'learningRate', flags.lr),
    n('--l2', 'l2', flags.l2),
    n('--epsilon', 'epsilon', flags.epsilon),
    n('--delta', 'delta', flags.delta),
    { flag: '--reveal-model', path: 'revealModel', raw: flags.revealModel, kind: 'boolean' },
    t('--budget-account', 'account', flags.budgetAccount),
    t('--purpose', 'purpose', flags.purpose),
  ];
}

/** `veil vertical train`. */
export async function verticalTrain(
  flags: VerticalTrainFlags,
  global: GlobalOptions,
  io: Io,
): Promise<CommandResult> {
  const issues: ConfigIssue[] = [];
  const parties = (flags.party ?? []).flatMap((p) => {
    try {
      return [parsePartyFlag(p)];
    } catch (err) {
      if (err instanceof ConfigError) issues.push(...err.issues);
      return [];
    }
  });
  if (flags.party === undefined || flags.party.length !== 2)
    issues.push({
      path: '--party',
      value: flags.party?.join(' '),
      allowed: 'exactly two --party NAME=FILE:COLUMNS flags',
    });
  const { spec, renamed } = parseFlags(
    VerticalTrainSpecSchema,
    [
      { flag: '--party', path: 'parties', raw: flags.party, kind: 'text', renameOnly: true },
      ...trainingFields(flags),
    ],
    { values: { parties: issues.length > 0 ? undefined : parties }, issues },
  );
  let r: Awaited<ReturnType<typeof runVerticalTrainJob>>;
  try {
    r = await runVerticalTrainJob(spec, {
      ledger: ledgerAt(ledgerUrl(flags.db), { name: '--db' }),
      principal: process.env['USER'] || 'cli',
      ...(global.seed === undefined ? {} : { seed: global.seed }),
      progress: progressPrinter(io),
    });
  } catch (err) {
    throw renamed(err);
  }
  const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(2)}%`);
  return {
    summary: { ...r },
    text: [
      `PSI: ${r.intersection} common identifiers (${r.parties.map((p) => `${p.name} ${p.rows}`).join(', ')}); ${r.trainRows} training rows, ${r.testRows} test rows`,
      `secure logistic regression (${r.activation}, ${r.epochs} epochs, triples by OT): test accuracy ${pct(r.testAccuracy)}; the same model trained in the clear: ${pct(r.plaintextAccuracy)}`,
      r.epsilon === null
        ? 'privacy: no differential privacy (--epsilon not given); the parties see nothing of each other but the model is not DP'
        : `privacy: epsilon ${r.epsilon.toFixed(3)} at delta ${r.delta} (noise multiplier ${r.noiseMultiplier?.toFixed(4)})${global.seed === undefined ? '' : ' — NOT private (seeded)'}${r.spend ? `, charged to ${spec.account}` : ''}`,
      `model: ${r.model === 'secret-shared' ? 'secret-shared between the parties (--reveal-model to reveal it)' : 'revealed to both parties'}; ${(r.bytes / 2 ** 20).toFixed(1)} MiB exchanged in ${(r.ms / 1000).toFixed(1)} s`,
      ...r.warnings.map((w) => `warning: ${w}`),
    ],
  };
}

/** Raw flags of `veil vertical serve` and `veil vertical join`. */
export interface VerticalPartyFlags extends Omit<VerticalTrainFlags, 'party'> {
  readonly party?: string;
  readonly listen?: string;
  readonly connect?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly tlsCa?: string;
}

async function partyCommand(
  flags: VerticalPartyFlags,
  global: GlobalOptions,
  io: Io,
  side: 'serve' | 'join',
): Promise<CommandResult> {
  const issues: ConfigIssue[] = [];
  let party: ReturnType<typeof parsePartyFlag> | undefined;
  if (flags.party === undefined)
    issues.push({ path: '--party', value: undefined, allowed: "this party's NAME=FILE:COLUMNS" });
  else
    try {
      party = parsePartyFlag(flags.party);
    } catch (err) {
      if (err instanceof ConfigError) issues.push(...err.issues);
    }
  const need = (flag: string, value: string | undefined) => {
    if (value === undefined) issues.push({ path: flag, value: undefined, allowed: 'a PEM file' });
  };
  need('--tls-cert', flags.tlsCert);
  need('--tls-key', flags.tlsKey);
  need('--tls-ca', flags.tlsCa);
  if (side === 'serve' && flags.listen === undefined)
    issues.push({ path: '--listen', value: undefined, allowed: 'HOST:PORT to listen on' });
  if (side === 'join' && flags.connect === undefined)
    issues.push({
      path: '--connect',
      value: undefined,
      allowed: "the serving party's URL, https://HOST:PORT",
    });
  const { spec, renamed } = parseFlags(
    VerticalPartySpecSchema,
    [
      { flag: '--party', path: 'party', raw: flags.party, kind: 'text', renameOnly: true },
      ...trainingFields(flags),
    ],
    { values: { party }, issues },
  );
  let r: Awaited<ReturnType<typeof runVerticalPartyOverNetwork>>;
  try {
    r = await runVerticalPartyOverNetwork(
      spec,
      {
        ...(side === 'serve' ? { listen: flags.listen! } : { connect: flags.connect! }),
        tls: { cert: flags.tlsCert!, key: flags.tlsKey!, ca: flags.tlsCa! },
      },
      {
        ledger: ledgerAt(ledgerUrl(flags.db), { name: '--db' }),
        principal: process.env['USER'] || 'cli',
        ...(global.seed === undefined ? {} : { seed: global.seed }),
        progress: progressPrinter(io),
      },
      (url) => io.stderr(`vertical: listening on ${url}\n`),
    );
  } catch (err) {
    throw renamed(err);
  }
  const { local: _local, options: _options, ...summary } = r;
  const pct = (x: number | null) =>
    x === null ? 'n/a (only the label holder learns it)' : `${(100 * x).toFixed(2)}%`;
  return {
    summary: { ...summary },
    text: [
      `${r.name} with ${r.peer}: PSI ${r.intersection} common identifiers (this party ${r.rows}, the other ${r.peerRows}); ${r.trainRows} training rows, ${r.testRows} test rows`,
      `secure logistic regression (${r.activation}, ${spec.epochs} epochs, triples by OT): test accuracy ${pct(r.testAccuracy)}`,
      r.epsilon === null
        ? 'privacy: no differential privacy (--epsilon not given)'
        : `privacy: epsilon ${r.epsilon.toFixed(3)} at delta ${spec.delta}${r.spend ? `, charged to ${spec.account}` : ''}`,
      `model: ${r.model === 'secret-shared' ? 'secret-shared between the parties' : 'revealed to both parties'}; ${(r.bytes / 2 ** 20).toFixed(1)} MiB exchanged`,
      ...r.warnings.map((w) => `warning: ${w}`),
    ],
  };
}

/** `veil vertical serve`: one organisation's side, listening for the other's `join`. */
export function verticalServe(
  flags: VerticalPartyFlags,
  global: GlobalOptions,
  io: Io,
): Promise<CommandResult> {
  return partyCommand(flags, global, io, 'serve');
}

/** `veil vertical join`: the other organisation's side, connecting to `serve`. */
export function verticalJoin(
  flags: VerticalPartyFlags,
  global: GlobalOptions,
  io: Io,
): Promise<CommandResult> {
  return partyCommand(flags, global, io, 'join');
}
