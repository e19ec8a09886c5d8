/**
 * `veil worker`: runs the service's queued jobs on a PostgreSQL ledger (the server face does the work; this parses
 * flags, logs to stderr and turns SIGTERM/SIGINT into a graceful stop).
 */
import { ConfigError } from '../../core/index.js';
import { ledgerUrl } from '../../jobs/index.js';
import { leaseSecondsFromEnvironment, runWorker } from '../../server/index.js';
import type { CommandResult, GlobalOptions, Io } from '../output.js';

const CONTEXT = 'command-line flags';

function positiveInt(flag: string, text: string | undefined, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new ConfigError([{ path: flag, value: text, allowed: `an integer in [1, ${max}]` }], CONTEXT);
  return n;
}

/** `veil worker [--db URL] [--slots N] [--per-org-limit N] [--lease-seconds S] [--grace-seconds S]`. */
export async function workerCommand(
  flags: { db?: string; slots?: string; perOrgLimit?: string; leaseSeconds?: string; graceSeconds?: string },
  _global: GlobalOptions,
  io: Io,
): Promise<CommandResult> {
  const db = ledgerUrl(flags.db);
  const slots = positiveInt('--slots', flags.slots, 64);
  const perOrgLimit = positiveInt('--per-org-limit', flags.perOrgLimit, 10_000);
  const leaseSeconds =
    positiveInt('--lease-seconds', flags.leaseSeconds, 3600) ?? leaseSecondsFromEnvironment();
  const graceSeconds = positiveInt('--grace-seconds', flags.graceSeconds, 3600) ?? 10;
  const log = (line: string) => io.stderr(`veil worker: ${line}\n`);
  const stop = new AbortController();
  const onSignal = (signal: string) => {
    log(`${signal}: stopping (no new jobs; running jobs get ${graceSeconds} s, then go back to the queue)`);
    stop.abort();
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  try {
    const { owner } = await runWorker({
      db,
      signal: stop.signal,
      graceMs: graceSeconds * 1000,
      ...(slots === undefined ? {} : { slots }),
      ...(perOrgLimit === undefined ? {} : { perOrgLimit }),
      ...(leaseSeconds === undefined ? {} : { leaseSeconds }),
      log,
      onReady: (w) =>
        log(
          `${w.owner} taking jobs (${slots ?? 2} slots, lease ${leaseSeconds ?? 30} s) from ${db.replace(/:[^:@/]*@/, ':***@')}`,
        ),
    });
    return { summary: { ok: true, worker: owner }, text: ['veil worker stopped'] };
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}
