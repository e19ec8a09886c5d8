import type { Command } from 'commander';
import { jobCancel, jobList, jobStatus, jobSubmit } from '../commands/job.js';
import type { Actions } from './actions.js';

/** `veil job`: the Veil service's jobs over its HTTP API (docs/server.md). */
export function register(program: Command, { run, runWithArgument }: Actions): void {
  const job = program
    .command('job')
    .description('jobs of a Veil service (veil serve): submit, follow, list, cancel');
  const conn = (c: Command) =>
    c
      .option('--server <url>', 'the service (default $VEIL_SERVER, else http://127.0.0.1:8080)')
      .option('--api-key <key>', 'an API key (default $VEIL_API_KEY)');
  conn(job.command('submit'))
    .description('submit a job: its budget is reserved now; --wait follows its progress to the end')
    .option('--kind <kind>', 'train (default)')
    .option(
      '--spec <file>',
      "the job's spec, YAML or JSON (veil train's config; file names relative to the organisation's data directory)",
    )
    .option('--priority <n>', 'higher runs first (-100..100, default 0)')
    .option('--timeout <seconds>', 'fail the job after this long (default 3600)')
    .option('--attempts <n>', 'attempts for transient failures (default 3)')
    .option('--wait', 'follow the job until it ends (exit 1 if it failed)')
    .action(run(jobSubmit));
  conn(job.command('status <id>'))
    .description("a job's state, budget and result")
    .action(runWithArgument(jobStatus));
  conn(job.command('cancel <id>'))
    .description('cancel a job (queued: at once, budget refunded; running: at its next check)')
    .action(runWithArgument(jobCancel));
  conn(job.command('list'))
    .description("the organisation's jobs, newest first")
    .option('--state <state>', 'queued | running | succeeded | failed | cancelled')
    .action(run(jobList));
}
