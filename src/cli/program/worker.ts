import type { Command } from 'commander';
import { workerCommand } from '../commands/worker.js';
import type { Actions } from './actions.js';

/** `veil worker`: runs the service's jobs from the PostgreSQL queue (docs/server.md). */
export function register(program: Command, { run }: Actions): void {
  program
    .command('worker')
    .description(
      "run the Veil service's queued jobs on a PostgreSQL ledger (on SQLite, jobs run inside `veil serve`)",
    )
    .option('--db <url>', 'ledger: postgres://… (the same database as `veil serve --db`)')
    .option('--slots <n>', 'jobs run at once in this process (default 2)')
    .option('--per-org-limit <n>', 'running jobs per organisation at most, across all workers (default 2)')
    .option(
      '--lease-seconds <s>',
      "job lease (default 30, or VEIL_JOB_LEASE_SECONDS): how soon a killed worker's job is taken over; a test and operations knob",
    )
    .option('--grace-seconds <s>', 'time running jobs get after SIGTERM/SIGINT before release (default 10)')
    .action(run(workerCommand));
}
